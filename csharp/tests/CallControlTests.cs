// Call control through the C# binding, between workers on the loopback Kamailio: blind transfer
// (REFER), instant messages (MESSAGE), call statistics and a reject with a chosen code.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using NUnit.Framework;

namespace Sipworker.Tests
{
    [TestFixture]
    public class CallControlTests
    {
        static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
        static readonly object Silent = new { audio = new { input = "silence", output = "null" } };

        [SetUp]
        public void RequireServer() => SipServer.Require();

        static SipWorker Registered(int user)
        {
            var w = new SipWorker();
            try
            {
                w.Post(Cmd.INIT, SipServer.Init(user, "udp"));
                Assert.IsNotNull(w.WaitFor(On.ON_REGISTERED, Timeout), user + " registered");
                return w;
            }
            catch
            {
                w.Dispose();
                throw;
            }
        }

        static CauseData Incoming(SipWorker w)
        {
            var ev = w.WaitFor(OnName.ON_NEWRTCSESSION, new { sessionOrigin = "incoming" }, Timeout);
            Assert.IsNotNull(ev, "incoming call");
            return ev;
        }

        static CauseData Session(SipWorker w, string name, string sessionId)
        {
            var ev = w.WaitFor(name, new { sessionId }, Timeout);
            Assert.IsNotNull(ev, name + " for " + sessionId);
            return ev;
        }

        static Dictionary<string, object> DataOf(CauseData ev) => (Dictionary<string, object>)ev.Data;

        static Dictionary<string, object> Info(SipWorker w, string sessionId) =>
            (Dictionary<string, object>)JsonReader.Parse(w.SessionInfo(sessionId));

        static void Connect(SipWorker a, SipWorker b, int calleeUser, object callerOptions, out string outgoing, out string incoming)
        {
            outgoing = a.Call(calleeUser.ToString(), callerOptions ?? Silent);
            incoming = Incoming(b).SessionId;
            b.Answer(incoming, Silent);
            Session(a, OnName.ON_SESSTION_CONFIRMED, outgoing);
            Session(b, OnName.ON_SESSTION_CONFIRMED, incoming);
        }

        [Test]
        public void BlindTransferByRefer()
        {
            using (var a = Registered(1012))
            using (var b = Registered(1013))
            using (var c = Registered(1014))
            {
                Connect(a, b, 1013, null, out string ab, out string ba);
                a.Refer(ab, "1014");
                var again = Assert.Throws<SipwException>(() => a.Refer(ab, "1014"));
                Assert.AreEqual(SipwException.WrongState, again.Code, "one REFER at a time");
                var refer = Session(b, OnName.ON_REFER, ba);
                StringAssert.Contains("1014", (string)DataOf(refer)["target"]);
                string bc = b.ReferAccept(ba, Silent);
                var placed = Session(b, OnName.ON_NEWRTCSESSION, bc);
                Assert.AreEqual(ba, DataOf(placed)["referredFrom"]);
                string cb = Incoming(c).SessionId;
                c.Answer(cb, Silent);
                var accepted = Session(a, On.ON_REFER_ACCEPTED.Value(), ab);
                Assert.AreEqual(200L, Convert.ToInt64(DataOf(accepted)["statusCode"]), accepted.Json);
                a.Hangup(ab);
                c.Hangup(cb);
                Session(b, OnName.ON_SESSTION_ENDED, bc);
                Session(b, OnName.ON_SESSTION_ENDED, ba);
            }
        }

        [Test]
        public void MessagesBothWaysAndTheirFailures()
        {
            using (var a = Registered(1012))
            using (var b = Registered(1013))
            {
                string id = a.Message("1013", "你好, C#");
                var ok = a.WaitFor(OnName.ON_MESSAGE_SUCCEEDED, Timeout);
                Assert.IsNotNull(ok, "message_succeeded");
                Assert.AreEqual(OnName.ON_NEWMESSAGE, ok.Channel);
                Assert.AreEqual(id, ok.DataString("messageId"));
                Assert.AreEqual(200, ok.StatusCode);
                var got = b.WaitFor(OnName.ON_NEWMESSAGE, new { originator = "remote" }, Timeout);
                Assert.IsNotNull(got, "newMessage at the receiver");
                Assert.AreEqual("你好, C#", got.DataString("body"));
                StringAssert.Contains("1012", got.FromUri);

                string lost = a.Message("9999", "nobody");
                var failed = a.WaitFor(OnName.ON_MESSAGE_FAILED, Timeout);
                Assert.IsNotNull(failed, "message_failed");
                Assert.AreEqual(lost, failed.DataString("messageId"));
                Assert.AreEqual(404, failed.StatusCode);
                Assert.AreEqual("Not Found", failed.Cause);
                var big = Assert.Throws<SipwException>(() => a.Message("1013", new string('x', 16 * 1024 + 1)));
                Assert.AreEqual(SipwException.InvalidArgument, big.Code);
            }
        }

        [Test]
        public void CallStatisticsLiveAndFinal()
        {
            using (var a = Registered(1012))
            using (var b = Registered(1013))
            {
                Connect(a, b, 1013, new { audio = new { input = "tone:500", output = "null" } }, out string ab, out string ba);
                var clock = Stopwatch.StartNew();
                while (!(Info(a, ab)["mediaConnected"] is bool up && up))
                {
                    if (clock.Elapsed > Timeout) Assert.Fail("media did not connect");
                    Thread.Sleep(50);
                }
                Thread.Sleep(2500);
                var live = (Dictionary<string, object>)Info(a, ab)["stats"];
                Assert.AreEqual("opus", live["codec"]);
                Assert.Greater(Convert.ToInt64(live["packetsSent"]), 50L);
                Assert.Greater(Convert.ToInt64(live["packetsReceived"]), 50L);
                Assert.IsNotNull(live["jitterMs"]);
                a.Hangup(ab);
                Session(a, OnName.ON_SESSTION_ENDED, ab);
                var final = (Dictionary<string, object>)Info(a, ab)["stats"];
                Assert.GreaterOrEqual(Convert.ToInt64(final["packetsSent"]), Convert.ToInt64(live["packetsSent"]));
            }
        }

        [Test]
        public void RejectWithAChosenCode()
        {
            using (var a = Registered(1012))
            using (var b = Registered(1013))
            {
                string ab = a.Call("1013", Silent);
                string ba = Incoming(b).SessionId;
                b.Reject(ba, 603);
                var failed = Session(a, OnName.ON_SESSTION_FAILED, ab);
                Assert.AreEqual("Rejected", failed.Cause);
                Assert.AreEqual(603, failed.StatusCode);
            }
        }
    }
}
