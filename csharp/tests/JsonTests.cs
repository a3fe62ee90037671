using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using NUnit.Framework;

namespace Sipworker.Tests
{
    [TestFixture]
    public class JsonTests
    {
        [Test]
        public void AnonymousObjectsDictionariesAndArrays()
        {
            var data = new
            {
                uri = "sip:1001@127.0.0.1",
                register = true,
                expires = 600,
                sipServer = new[] { "udp://127.0.0.1:5060" },
                tls = new Dictionary<string, object> { ["verify"] = false, ["caFile"] = null },
                ratio = 0.5,
            };
            Assert.AreEqual(
                "{\"uri\":\"sip:1001@127.0.0.1\",\"register\":true,\"expires\":600,\"sipServer\":[\"udp://127.0.0.1:5060\"]," +
                "\"tls\":{\"verify\":false,\"caFile\":null},\"ratio\":0.5}",
                JsonWriter.Serialize(data));
        }

        [Test]
        public void StringsAreEscaped()
        {
            string s = "引号\"反斜杠\\\n\r\t\b\f\u0001\u001f\u2028😀/";
            string json = JsonWriter.Serialize(s);
            Assert.AreEqual("\"引号\\\"反斜杠\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\\u2028😀/\"", json);
            Assert.AreEqual(s, JsonReader.Parse(json));
        }

        [Test]
        public void NumbersIgnoreTheCurrentCulture()
        {
            var saved = Thread.CurrentThread.CurrentCulture;
            try
            {
                Thread.CurrentThread.CurrentCulture = new CultureInfo("de-DE");
                Assert.AreEqual("{\"a\":1.25,\"b\":-3,\"c\":1E+300}", JsonWriter.Serialize(new { a = 1.25, b = -3L, c = 1e300 }));
            }
            finally { Thread.CurrentThread.CurrentCulture = saved; }
            Assert.Throws<ArgumentException>(() => JsonWriter.Serialize(double.NaN));
        }

        [Test]
        public void ReaderParsesNestedValues()
        {
            var o = (Dictionary<string, object>)JsonReader.Parse(
                " {\"a\": [1, 2.5, \"x\", true, null, {}], \"b\": {\"c\": \"\\u4e2d\\ud83d\\ude00\"}, \"n\": -0} ");
            var a = (List<object>)o["a"];
            Assert.AreEqual(1L, a[0]);
            Assert.AreEqual(2.5, a[1]);
            Assert.AreEqual("x", a[2]);
            Assert.AreEqual(true, a[3]);
            Assert.IsNull(a[4]);
            Assert.AreEqual("中😀", ((Dictionary<string, object>)o["b"])["c"]);
            Assert.Throws<FormatException>(() => JsonReader.Parse("{\"a\":}"));
            Assert.Throws<FormatException>(() => JsonReader.Parse("[1,]x"));
        }

        [Test]
        public void CauseDataExposesTheSeedFields()
        {
            var ev = new CauseData("new_RTCSession_state",
                "{\"id\":\"w1\",\"uri\":\"sip:1001@x\",\"msg\":\"session_failed\",\"code\":404,\"statusCode\":404," +
                "\"reason\":\"Not Found\",\"cause\":\"Not Found\",\"causeCN\":\"未找到\",\"msgCN\":\"通话失败\"," +
                "\"sessionId\":\"s1\",\"sessionOrigin\":\"outgoing\",\"originator\":\"remote\",\"fromUri\":\"sip:a@b\"," +
                "\"time\":1700000000000,\"extra\":{\"suffix\":\"!\"},\"data\":{\"k\":\"v\"}}");
            Assert.AreEqual("new_RTCSession_state", ev.Channel);
            Assert.AreEqual("w1", ev.Id);
            Assert.AreEqual("sip:1001@x", ev.Uri);
            Assert.AreEqual("session_failed", ev.Msg);
            Assert.AreEqual(404, ev.Code);
            Assert.AreEqual(404, ev.StatusCode);
            Assert.AreEqual("Not Found", ev.Reason);
            Assert.AreEqual("Not Found", ev.Cause);
            Assert.AreEqual("未找到", ev.CauseCN);
            Assert.AreEqual("通话失败", ev.MsgCN);
            Assert.AreEqual("s1", ev.SessionId);
            Assert.AreEqual("outgoing", ev.SessionOrigin);
            Assert.AreEqual("remote", ev.Originator);
            Assert.AreEqual("sip:a@b", ev.FromUri);
            Assert.AreEqual(DateTimeOffset.FromUnixTimeMilliseconds(1700000000000), ev.Time);
            Assert.AreEqual("!", ev.Extra["suffix"]);
            Assert.AreEqual("v", ev.DataString("k"));
            var bare = new CauseData("registered", "{\"msg\":\"registered\",\"code\":200}");
            Assert.IsNull(bare.SessionId);
            Assert.IsNull(bare.StatusCode);
            Assert.IsNull(bare.Time);
        }
    }
}
