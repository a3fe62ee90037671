// Against the real Kamailio on 127.0.0.1 (users 1001..1020, password pass<user>); skipped when
// no SIP server answers OPTIONS there.
using System;
using System.Threading;
using NUnit.Framework;

namespace Sipworker.Tests
{
    [TestFixture]
    public class RegistrationTests
    {
        static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

        [SetUp]
        public void RequireServer() => SipServer.Require();

        void RegisterThenUnregister(int user, string transport)
        {
            using (var w = new SipWorker())
            {
                w.Post(Cmd.INIT, SipServer.Init(user, transport));
                var registered = w.WaitFor(On.ON_REGISTERED, Timeout);
                Assert.IsNotNull(registered, "registered over " + transport);
                Assert.AreEqual(200, registered.StatusCode);
                Assert.AreEqual("csharp-" + user, registered.Id);
                Assert.AreEqual("sip:" + user + "@127.0.0.1", registered.Uri);
                Assert.IsNotEmpty(registered.MsgCN);

                w.Post(Cmd.UNREGISTER, null);
                var unregistered = w.WaitFor(On.ON_UNREGISTERED, Timeout);
                Assert.IsNotNull(unregistered, "unregistered over " + transport);
                Assert.AreEqual("unregistered", unregistered.Msg);
            }
        }

        [Test] public void RegisterAndUnregisterOverUdp() => RegisterThenUnregister(1001, "udp");
        [Test] public void RegisterAndUnregisterOverTcp() => RegisterThenUnregister(1002, "tcp");
        [Test] public void RegisterAndUnregisterOverWebSocket() => RegisterThenUnregister(1007, "ws");
        [Test] public void RegisterAndUnregisterOverSecureWebSocket() => RegisterThenUnregister(1008, "wss");

        [Test]
        public void RegisterOverTls()
        {
            SipServer.RequireTls();
            RegisterThenUnregister(1003, "tls");
        }

        [Test]
        public void WrongPasswordFailsWithChineseCause()
        {
            using (var w = new SipWorker())
            {
                w.Post(Cmd.INIT, SipServer.Init(1004, "udp", password: "wrong"));
                var failed = w.WaitFor(On.ON_REGISTRATIONFAILED, Timeout);
                Assert.IsNotNull(failed);
                Assert.AreEqual("Authentication Error", failed.Cause);
                Assert.IsNotEmpty(failed.CauseCN);
                Assert.AreNotEqual(failed.Cause, failed.CauseCN);
                StringAssert.IsMatch("[\u4e00-\u9fff]", failed.CauseCN, "CauseCN is Chinese");
                Assert.IsNull(w.WaitFor(On.ON_REGISTERED, TimeSpan.FromMilliseconds(500)));
            }
        }

        [Test]
        public void WaitForNeverMissesAFastEvent()
        {
            using (var w = new SipWorker())
            using (var seenByListener = new ManualResetEventSlim())
            {
                w.On("registered", ev => seenByListener.Set());
                w.Post(Cmd.INIT, SipServer.Init(1005, "udp"));
                Assert.IsTrue(seenByListener.Wait(Timeout), "registered");
                // The event is already past; WaitFor still returns it, and only once.
                var registered = w.WaitFor("registered", Timeout);
                Assert.IsNotNull(registered);
                Assert.IsNull(w.WaitFor("registered", TimeSpan.FromMilliseconds(200)));
                Assert.IsNotNull(w.WaitFor("connected", TimeSpan.Zero), "earlier events stay in the backlog too");
            }
        }

        [Test]
        public void LogoutDisconnects()
        {
            using (var w = new SipWorker())
            {
                w.Post(Cmd.INIT, SipServer.Init(1006, "tcp"));
                Assert.IsNotNull(w.WaitFor(On.ON_REGISTERED, Timeout));
                w.Post(Cmd.LOGOUT, null);
                Assert.IsNotNull(w.WaitFor(On.ON_UNREGISTERED, Timeout));
                Assert.IsNotNull(w.WaitFor(On.ON_DISCONNECTED, Timeout));
            }
        }

        [Test]
        public void DisposeWhileRegisteredUnregisters()
        {
            var w = new SipWorker();
            w.Post(Cmd.INIT, SipServer.Init(1007, "udp"));
            Assert.IsNotNull(w.WaitFor(On.ON_REGISTERED, Timeout));
            var unregistered = new ManualResetEventSlim();
            w.On("unregistered", ev => unregistered.Set());
            w.Dispose();
            Assert.IsTrue(unregistered.IsSet, "the core reports the unregistration before Dispose returns");
        }
    }
}
