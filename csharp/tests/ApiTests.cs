// Tests of the C# layer that need no SIP server: INIT with register: false never sends a packet.
// UNREGISTER while not registered emits one `warning` event each time, a cheap event source.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using NUnit.Framework;

namespace Sipworker.Tests
{
    [TestFixture]
    public class ApiTests
    {
        static readonly TimeSpan FiveSeconds = TimeSpan.FromSeconds(5);

        static SipWorker OfflineWorker(SynchronizationContext context = null)
        {
            var w = new SipWorker(null, context);
            w.Post(Cmd.INIT, SipServer.OfflineInit());
            return w;
        }

        static void FullGC()
        {
            for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        }

        [Test]
        public void SeedEnumValues()
        {
            Assert.AreEqual("ONHOLD", Cmd.UNHOLD.Value());
            Assert.AreEqual("SESSTION_DEL", Cmd.SESSTION_DEL.Value());
            Assert.AreEqual("registered", On.ON_REGISTERED.Value());
            Assert.AreEqual("session_confirmed", On.ON_SESSTION_CONFIRMED.Value());
            Assert.AreEqual("Request Timeout", On.ON_TIME_OUT.Value());
            Assert.AreEqual(OnName.ON_RTCSESSION_STATE, On.ON_RTCSESSION_STATE.Value());
            foreach (Cmd c in Enum.GetValues(typeof(Cmd))) Assert.IsNotEmpty(c.Value());
            foreach (On o in Enum.GetValues(typeof(On))) Assert.IsNotEmpty(o.Value());
            Assert.AreEqual(sipworker_version(), SipWorker.NativeVersion);
        }

        static string sipworker_version() => Sipworker.Native.sipw.SIPW_VERSION_STRING;

        // ---- bad input ---------------------------------------------------------------------------

        [Test]
        public void MalformedJsonIsRejectedWithBothTexts()
        {
            using (var w = new SipWorker())
            {
                var ex = Assert.Throws<SipwException>(() => w.Post(Cmd.INIT, "{\"uri\": "));
                Assert.AreEqual(SipwException.InvalidArgument, ex.Code);
                StringAssert.Contains("Invalid JSON", ex.Message);
                StringAssert.Contains("JSON 格式错误", ex.MessageCN);
            }
        }

        [Test]
        public void UnknownCommandIsRejected()
        {
            using (var w = new SipWorker())
            {
                var ex = Assert.Throws<SipwException>(() => w.Post("BOGUS"));
                Assert.AreEqual(SipwException.UnknownCommand, ex.Code);
                StringAssert.Contains("BOGUS", ex.Message);
                StringAssert.Contains("未知命令", ex.MessageCN);
                Assert.AreEqual(SipwException.UnknownCommand, Assert.Throws<SipwException>(() => w.Post(Cmd.NOTIFY)).Code);
            }
        }

        [Test]
        public void IllTypedFieldIsRejected()
        {
            using (var w = new SipWorker())
            {
                var ex = Assert.Throws<SipwException>(() => w.Post(Cmd.INIT, new { uri = 5 }));
                Assert.AreEqual(SipwException.InvalidArgument, ex.Code);
                StringAssert.Contains("uri", ex.Message);
                Assert.IsNotEmpty(ex.MessageCN);
                Assert.AreNotEqual(ex.Message, ex.MessageCN);
            }
        }

        [Test]
        public void CommandInTheWrongStateIsRejected()
        {
            using (var w = new SipWorker())
            {
                var ex = Assert.Throws<SipwException>(() => w.Post(Cmd.LOGIN, null));
                Assert.AreEqual(SipwException.WrongState, ex.Code);
            }
        }

        [Test]
        public void CommandMethodsPostTheirCommand()
        {
            // The generated methods post the command with the catalogue's fields: the core's answers
            // show it, and a generated id is the one the core reports.
            using (var w = new SipWorker())
            {
                w.Init(SipServer.OfflineInit());
                Assert.AreEqual(SipwException.UnknownSession, Assert.Throws<SipwException>(() => w.Hold("no-such-session")).Code);
                Assert.AreEqual(SipwException.UnknownSession, Assert.Throws<SipwException>(() => w.Record("no-such-session", "/tmp/r.wav", "both")).Code);
                string missing = System.IO.Path.Combine(System.IO.Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".wav");
                var refused = Assert.Throws<SipwException>(() => w.Play(missing, output: "null"));
                Assert.AreEqual(SipwException.InvalidArgument, refused.Code);
                StringAssert.Contains(missing, refused.Message);

                string silence = System.IO.Path.Combine(System.IO.Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".wav");
                WriteSilence(silence, 1600);
                try
                {
                    string playId = w.Play(silence, output: "null");
                    var started = w.WaitFor(OnName.ON_PLAY_STARTED, new { playId }, FiveSeconds);
                    Assert.IsNotNull(started, "playStarted with the generated playId");
                    var ended = w.WaitFor(OnName.ON_PLAY_ENDED, new { playId }, FiveSeconds);
                    Assert.AreEqual("finished", ended?.DataString("reason"));
                }
                finally { System.IO.File.Delete(silence); }
            }
        }

        // A WAV of `samples` zero samples, 16-bit mono 8 kHz.
        static void WriteSilence(string path, int samples)
        {
            using (var f = new System.IO.BinaryWriter(System.IO.File.Create(path)))
            {
                f.Write(System.Text.Encoding.ASCII.GetBytes("RIFF")); f.Write(36 + 2 * samples);
                f.Write(System.Text.Encoding.ASCII.GetBytes("WAVEfmt ")); f.Write(16); f.Write((short)1); f.Write((short)1);
                f.Write(8000); f.Write(16000); f.Write((short)2); f.Write((short)16);
                f.Write(System.Text.Encoding.ASCII.GetBytes("data")); f.Write(2 * samples); f.Write(new byte[2 * samples]);
            }
        }

        [Test]
        public void AfterDisposeCallsThrowObjectDisposed()
        {
            var w = OfflineWorker();
            int id = w.On("*", ev => { });
            w.Dispose();
            Assert.IsTrue(w.IsDisposed);
            Assert.Throws<ObjectDisposedException>(() => w.Post(Cmd.UNREGISTER, null));
            Assert.Throws<ObjectDisposedException>(() => w.On("warning", ev => { }));
            Assert.Throws<ObjectDisposedException>(() => w.WaitFor("warning", TimeSpan.FromMilliseconds(10)));
            Assert.Throws<ObjectDisposedException>(() => w.Call("1002"));
            Assert.DoesNotThrow(() => w.Off(id));
            Assert.DoesNotThrow(() => w.Dispose());
        }

        // ---- delivery ----------------------------------------------------------------------------

        // Registered from another method, capturing locals, so nothing on the test's stack keeps
        // the handler alive: only the binding's GCHandle does.
        static void CountWarnings(SipWorker w, CountdownEvent done, int[] threadId)
        {
            var seen = new List<string>();
            w.On(OnName.ON_WARNING, ev =>
            {
                seen.Add(ev.Msg);
                threadId[0] = Thread.CurrentThread.ManagedThreadId;
                done.Signal();
            });
        }

        [Test]
        public void TwoHundredEventsSurviveGarbageCollection()
        {
            const int n = 200;
            using (var w = OfflineWorker())
            using (var done = new CountdownEvent(n))
            {
                var threadId = new int[1];
                CountWarnings(w, done, threadId);
                FullGC();
                for (int i = 0; i < n; i++)
                {
                    w.Post(Cmd.UNREGISTER, null);
                    FullGC();
                }
                Assert.IsTrue(done.Wait(TimeSpan.FromSeconds(10)), "events lost: " + done.CurrentCount + " of " + n + " missing");
                Assert.AreNotEqual(Thread.CurrentThread.ManagedThreadId, threadId[0], "handlers run on the dispatch thread");
            }
        }

        [Test]
        public void ThrowingHandlerIsReportedAndOthersStillRun()
        {
            using (var w = OfflineWorker())
            using (var errors = new CountdownEvent(3))
            using (var others = new CountdownEvent(3))
            {
                HandlerErrorEventArgs last = null;
                w.HandlerError += (sender, e) => { last = e; errors.Signal(); };
                w.On("warning", ev => { throw new InvalidOperationException("boom"); });
                w.On("warning", ev => others.Signal());
                for (int i = 0; i < 3; i++) w.Post(Cmd.UNREGISTER, null);
                Assert.IsTrue(errors.Wait(FiveSeconds), "HandlerError raised for each event");
                Assert.IsTrue(others.Wait(FiveSeconds), "the other handler still ran");
                Assert.IsInstanceOf<InvalidOperationException>(last.Exception);
                Assert.AreEqual("warning", last.ListenerName);
                Assert.AreEqual("warning", last.Event.Msg);
            }
        }

        [Test]
        public void ThrowingHandlerWithoutSubscriberDoesNotKillTheProcess()
        {
            using (var w = OfflineWorker())
            using (var after = new ManualResetEventSlim())
            {
                w.On("warning", ev => { throw new Exception("nobody listens to HandlerError"); });
                w.On("warning", ev => after.Set());
                w.Post(Cmd.UNREGISTER, null);
                Assert.IsTrue(after.Wait(FiveSeconds));
            }
        }

        [Test]
        public void EventsAreRaisedOnTheSynchronizationContext()
        {
            using (var context = new SingleThreadContext())
            using (var w = OfflineWorker(context))
            using (var done = new CountdownEvent(20))
            {
                var threads = new List<int>();
                var times = new List<DateTimeOffset>();
                w.On("warning", ev => { threads.Add(Thread.CurrentThread.ManagedThreadId); times.Add(ev.Time.Value); done.Signal(); });
                for (int i = 0; i < 20; i++) w.Post(Cmd.UNREGISTER, null);
                Assert.IsTrue(done.Wait(FiveSeconds));
                CollectionAssert.AreEqual(new List<int>(new int[20]).ConvertAll(_ => context.ThreadId), threads);
                for (int i = 1; i < times.Count; i++) Assert.LessOrEqual(times[i - 1], times[i], "in order");
            }
        }

        [Test]
        public void OffOnAContextDropsQueuedDeliveries()
        {
            using (var context = new SingleThreadContext())
            using (var w = OfflineWorker(context))
            using (var gate = new ManualResetEventSlim())
            {
                int calls = 0;
                int id = w.On("warning", ev => Interlocked.Increment(ref calls));
                context.Post(_ => gate.Wait(), null);  // hold the "UI thread" while events queue up
                for (int i = 0; i < 5; i++) w.Post(Cmd.UNREGISTER, null);
                Assert.IsNotNull(w.WaitFor("warning", FiveSeconds));
                Thread.Sleep(200);
                w.Off(id);
                gate.Set();
                context.Send(_ => { }, null);  // drain
                Assert.AreEqual(0, calls, "no handler runs after Off returned");
            }
        }

        [Test]
        public void DisposeFromAnotherThreadWaitsForTheRunningHandler()
        {
            var w = OfflineWorker();
            using (var entered = new ManualResetEventSlim())
            {
                int calls = 0, finished = 0;
                w.On("warning", ev =>
                {
                    Interlocked.Increment(ref calls);
                    entered.Set();
                    Thread.Sleep(300);
                    Interlocked.Exchange(ref finished, 1);
                });
                for (int i = 0; i < 5; i++) w.Post(Cmd.UNREGISTER, null);
                Assert.IsTrue(entered.Wait(FiveSeconds));
                w.Dispose();
                Assert.AreEqual(1, Volatile.Read(ref finished), "Dispose returned only after the running handler");
                int callsAtDispose = Volatile.Read(ref calls);
                Thread.Sleep(400);
                Assert.AreEqual(callsAtDispose, Volatile.Read(ref calls), "no handler after Dispose");
                Assert.IsTrue(w.NativeDestroyed.WaitOne(0));
            }
        }

        [Test]
        public void DisposeFromInsideAHandlerDoesNotDeadlock()
        {
            var w = OfflineWorker();
            int calls = 0;
            Exception postAfterDispose = null;
            var handlerDone = new ManualResetEventSlim();
            w.On("warning", ev =>
            {
                Interlocked.Increment(ref calls);
                w.Dispose();  // shuts the worker down right here, on the dispatch thread
                try { w.Post(Cmd.UNREGISTER, null); } catch (Exception e) { postAfterDispose = e; }
                handlerDone.Set();
            });
            for (int i = 0; i < 5; i++)
            {
                try { w.Post(Cmd.UNREGISTER, null); }
                catch (ObjectDisposedException) { break; }  // the first handler already ran
            }
            Assert.IsTrue(handlerDone.Wait(TimeSpan.FromSeconds(10)), "Dispose from a handler returned");
            Assert.IsTrue(w.NativeDestroyed.WaitOne(0), "native worker destroyed");
            Thread.Sleep(200);  // the other events were queued: none may reach a handler now
            Assert.AreEqual(1, calls);
            Assert.IsInstanceOf<ObjectDisposedException>(postAfterDispose);
        }

        [Test]
        public void CallsRacingWithDisposeGetShuttingDownNeverACrash()
        {
            var w = OfflineWorker();
            var outcomes = new System.Collections.Concurrent.ConcurrentBag<string>();
            var callers = new List<Thread>();
            using (var started = new CountdownEvent(4))
            {
                for (int t = 0; t < 4; t++)
                {
                    int kind = t;
                    var caller = new Thread(() =>
                    {
                        started.Signal();
                        try
                        {
                            for (;;)
                            {
                                if (kind == 0) w.Post(Cmd.UNREGISTER, null);
                                else if (kind == 1) w.SessionInfo("none");
                                else if (kind == 2) w.WaitFor("registered", TimeSpan.FromMilliseconds(5));
                                else w.Off(w.On("*", ev => { }));
                            }
                        }
                        catch (SipwException e) { outcomes.Add(e.Code == SipwException.ShuttingDown ? "closed" : "code " + e.Code); }
                        catch (ObjectDisposedException) { outcomes.Add("closed"); }
                    });
                    caller.Start();
                    callers.Add(caller);
                }
                Assert.IsTrue(started.Wait(FiveSeconds));
                Thread.Sleep(20);
                w.Dispose();
                foreach (var c in callers) Assert.IsTrue(c.Join(5000), "a caller is stuck");
            }
            CollectionAssert.AreEqual(new[] { "closed", "closed", "closed", "closed" }, outcomes.ToArray());
        }

        [Test]
        public void OffFromAnotherThreadWaitsForTheRunningHandler()
        {
            using (var w = OfflineWorker())
            using (var entered = new ManualResetEventSlim())
            {
                int finished = 0, calls = 0;
                int id = w.On("warning", ev =>
                {
                    Interlocked.Increment(ref calls);
                    entered.Set();
                    Thread.Sleep(300);
                    Interlocked.Exchange(ref finished, 1);
                });
                w.Post(Cmd.UNREGISTER, null);
                Assert.IsTrue(entered.Wait(FiveSeconds));
                w.Off(id);
                Assert.AreEqual(1, Volatile.Read(ref finished));
                w.Post(Cmd.UNREGISTER, null);
                Assert.IsNotNull(w.WaitFor("warning", FiveSeconds));
                Assert.IsNotNull(w.WaitFor("warning", FiveSeconds));
                Assert.AreEqual(1, Volatile.Read(ref calls));
            }
        }

        // ---- WaitFor -----------------------------------------------------------------------------

        [Test]
        public void WaitForReturnsEachEventOnceIncludingEarlierOnes()
        {
            using (var w = new SipWorker())
            {
                var init = new Dictionary<string, object>
                {
                    ["uri"] = "sip:1001@127.0.0.1", ["register"] = false,
                    ["sipServer"] = new[] { "sip:127.0.0.1:5060" },
                    ["unknownOne"] = 1, ["unknownTwo"] = 2,   // each ignored field → one warning
                };
                w.Post(Cmd.INIT, init);
                Thread.Sleep(300);  // both events are long past when we start waiting
                var first = w.WaitFor(On.ON_WARNING, FiveSeconds);
                var second = w.WaitFor("warning", FiveSeconds);
                Assert.IsNotNull(first);
                Assert.IsNotNull(second);
                var args = new HashSet<string> { ArgOf(first), ArgOf(second) };
                CollectionAssert.AreEquivalent(new[] { "unknownOne", "unknownTwo" }, args);
                var sw = Stopwatch.StartNew();
                Assert.IsNull(w.WaitFor("warning", TimeSpan.FromMilliseconds(250)));
                Assert.GreaterOrEqual(sw.ElapsedMilliseconds, 200);
                Assert.Less(sw.ElapsedMilliseconds, 2000);
            }
        }

        static string ArgOf(CauseData ev) => (string)((List<object>)((Dictionary<string, object>)ev.Data)["args"])[0];

        [Test]
        public void WaitForFiltersByFields()
        {
            using (var w = OfflineWorker())
            {
                w.Post(Cmd.UNREGISTER, null);
                Assert.IsNull(w.WaitFor("warning", new { originator = "remote" }, TimeSpan.FromMilliseconds(300)));
                var ev = w.WaitFor("warning", new { originator = "system" }, FiveSeconds);
                Assert.IsNotNull(ev);
                Assert.AreEqual("system", ev.Originator);
            }
        }

        [Test]
        public void WaitForIsWokenByDispose()
        {
            var w = OfflineWorker();
            CauseData result = new CauseData("x", "{}");
            var waiter = new Thread(() => result = w.WaitFor("registered", TimeSpan.FromSeconds(30)));
            waiter.Start();
            Thread.Sleep(200);
            var sw = Stopwatch.StartNew();
            w.Dispose();
            Assert.IsTrue(waiter.Join(5000));
            Assert.IsNull(result);
            Assert.Less(sw.ElapsedMilliseconds, 3000);
        }

        [Test]
        public void SessionInfoOfAnUnknownSessionIsNull()
        {
            using (var w = new SipWorker())
                Assert.IsNull(w.SessionInfo("no-such-session"));
        }

        // ---- UTF-8 -------------------------------------------------------------------------------

        [Test]
        public void ChineseTextsRoundTrip()
        {
            const string workerId = "工作者-一号 \"引号\" \\ \t 😀";
            using (var w = new SipWorker())
            {
                w.Post(Cmd.INIT, new { uri = "sip:1001@127.0.0.1", register = false, sipWorkerid = workerId });
                w.Post(Cmd.UNREGISTER, null);
                var ev = w.WaitFor("warning", FiveSeconds);
                Assert.IsNotNull(ev);
                Assert.AreEqual(workerId, ev.Id, "a Chinese string posted in comes back unchanged");
                Assert.AreEqual("尚未注册到 SIP 服务器", ev.DataString("textCN"));
                Assert.AreEqual("Not registered with the SIP server", ev.DataString("text"));
                StringAssert.Contains("工作者", ev.Json);
            }
        }
    }
}
