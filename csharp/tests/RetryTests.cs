// The retry helper from C#: counters from the core, delegates of delayed retries kept alive while
// native code may call them, exceptions contained, Dispose cancelling what is pending.
using System;
using System.Threading;
using NUnit.Framework;

namespace Sipworker.Tests
{
    [TestFixture]
    public class RetryTests
    {
        static readonly TimeSpan FiveSeconds = TimeSpan.FromSeconds(5);

        [Test]
        public void CountersFollowTheMaximum()
        {
            using (var r = new Retry(2, 10))
            {
                Assert.AreEqual(0, r.GetRetryTime("a"));
                Assert.IsTrue(r.TryRetry("a"));
                Assert.IsTrue(r.TryRetry("a"));
                Assert.IsTrue(r.IsMax("a"));
                Assert.IsFalse(r.TryRetry("a"));
                r.Reset("a");
                Assert.AreEqual(0, r.GetRetryTime("a"));
                r.UpdateMaxRetry("b", 3);
                Assert.AreEqual(10, r.DelayRetry("b", id => { }, 20));
                Assert.AreEqual(30, r.DelayRetry("b", id => { }, 20));
                Assert.AreEqual(50, r.DelayRetry("b", id => { }, 20));
                Assert.AreEqual(0, r.DelayRetry("b", id => { }, 20), "maximum reached");
            }
        }

        // Registered from another method, capturing locals, so only the helper keeps the delegate alive.
        static void Schedule(Retry r, CountdownEvent done, int[] threadId)
        {
            var seen = new System.Collections.Generic.List<string>();
            for (int i = 0; i < 20; i++)
                r.DelayRetry("gc", id => { seen.Add(id); threadId[0] = Thread.CurrentThread.ManagedThreadId; done.Signal(); }, 5);
        }

        [Test]
        public void DelayedActionsSurviveGarbageCollection()
        {
            using (var r = new Retry(-1, 50))
            using (var done = new CountdownEvent(20))
            {
                var threadId = new int[1];
                Schedule(r, done, threadId);
                for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
                Assert.IsTrue(done.Wait(FiveSeconds), done.CurrentCount + " of 20 actions did not run");
                Assert.AreNotEqual(Thread.CurrentThread.ManagedThreadId, threadId[0], "actions run on the timer thread");
            }
        }

        [Test]
        public void ThrowingActionIsReportedAndTheNextOneRuns()
        {
            using (var r = new Retry(5, 1))
            using (var reported = new ManualResetEventSlim())
            using (var after = new ManualResetEventSlim())
            {
                HandlerErrorEventArgs error = null;
                r.HandlerError += (sender, e) => { error = e; reported.Set(); };
                r.DelayRetry("x", id => { throw new InvalidOperationException("boom"); });
                r.DelayRetry("x", id => after.Set());
                Assert.IsTrue(reported.Wait(FiveSeconds));
                Assert.IsTrue(after.Wait(FiveSeconds));
                Assert.IsInstanceOf<InvalidOperationException>(error.Exception);
                Assert.AreEqual("x", error.ListenerName);
            }
        }

        [Test]
        public void DisposeCancelsPendingActionsAndRefusesCalls()
        {
            int ran = 0;
            var r = new Retry(5, 60000);
            Assert.AreEqual(60000, r.DelayRetry("late", id => Interlocked.Increment(ref ran)));
            r.Dispose();
            r.Dispose();
            Assert.AreEqual(0, ran);
            Assert.Throws<ObjectDisposedException>(() => r.TryRetry("late"));
        }

        [Test]
        public void DisposeFromInsideAnAction()
        {
            var r = new Retry(5, 1);
            using (var disposed = new ManualResetEventSlim())
            {
                r.DelayRetry("x", id => { r.Dispose(); disposed.Set(); });
                r.DelayRetry("y", id => { }, 60000);  // still pending when the first one disposes
                Assert.IsTrue(disposed.Wait(FiveSeconds), "Dispose from its own action returned");
            }
        }

        [Test]
        public void BadArgumentsAreRefusedWithBothTexts()
        {
            var ex = Assert.Throws<SipwException>(() => new Retry(5, -1));
            Assert.AreEqual(SipwException.InvalidArgument, ex.Code);
            StringAssert.Contains("base_delay_ms", ex.Message);
            Assert.IsNotEmpty(ex.MessageCN);
            using (var r = new Retry())
                Assert.Throws<ArgumentNullException>(() => r.DelayRetry(null, id => { }));
        }
    }
}
