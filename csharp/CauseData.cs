using System;
using System.Collections.Generic;
using System.Globalization;

namespace Sipworker
{
    /// <summary>One event: the original library's CauseData, read from the JSON object the core emits.
    /// Optional fields are null when the event does not carry them. Immutable.</summary>
    public sealed class CauseData
    {
        /// <summary>Channel the event was emitted on (an <see cref="On"/> value): for session events
        /// "new_RTCSession_state", while <see cref="Msg"/> is the state.</summary>
        public string Channel { get; }
        /// <summary>The whole CauseData as the core's JSON object text.</summary>
        public string Json { get; }
        /// <summary>Every top-level field, parsed (objects as Dictionary&lt;string, object&gt;, arrays as
        /// List&lt;object&gt;, numbers as long or double).</summary>
        public IReadOnlyDictionary<string, object> Fields { get; }

        public string Id => Str("id");
        public string Uri => Str("uri");
        public string Msg => Str("msg");
        public int Code => (int)(Int("code") ?? 0);
        public string SessionId => Str("sessionId");
        /// <summary>"incoming" or "outgoing".</summary>
        public string SessionOrigin => Str("sessionOrigin");
        public string FromUri => Str("fromUri");
        /// <summary>"local", "remote" or "system".</summary>
        public string Originator => Str("originator");
        /// <summary>JsSIP cause, e.g. "Authentication Error".</summary>
        public string Cause => Str("cause");
        public string CauseCN => Str("causeCN");
        public string MsgCN => Str("msgCN");
        public int? StatusCode => (int?)Int("statusCode");
        public string Reason => Str("reason");
        /// <summary>When the core emitted the event (it sends milliseconds since the Unix epoch).</summary>
        public DateTimeOffset? Time
        {
            get
            {
                Fields.TryGetValue("time", out object t);
                if (t is long ms) return DateTimeOffset.FromUnixTimeMilliseconds(ms);
                if (t is double d) return DateTimeOffset.FromUnixTimeMilliseconds((long)d);
                if (t is string s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    return parsed;
                return null;
            }
        }
        /// <summary>The original library's <c>extra</c> object, or null.</summary>
        public IReadOnlyDictionary<string, object> Extra => Fields.TryGetValue("extra", out object v) ? v as Dictionary<string, object> : null;
        /// <summary>The original library's <c>data</c> (any JSON value), or null.</summary>
        public object Data => Fields.TryGetValue("data", out object v) ? v : null;
        /// <summary>A string member of <see cref="Data"/> (e.g. "text", "textCN", "key" of a warning), or null.</summary>
        public string DataString(string key) =>
            Data is Dictionary<string, object> d && d.TryGetValue(key, out object v) ? v as string : null;

        public CauseData(string channel, string json)
        {
            Json = json ?? throw new ArgumentNullException(nameof(json));
            Fields = JsonReader.Parse(json) as Dictionary<string, object>
                     ?? throw new FormatException("CauseData JSON is not an object");
            Channel = channel ?? Str("msg");
        }

        string Str(string key) => Fields.TryGetValue(key, out object v) ? v as string : null;

        long? Int(string key)
        {
            if (!Fields.TryGetValue(key, out object v)) return null;
            if (v is long l) return l;
            if (v is double d) return (long)d;
            return null;
        }

        public override string ToString() => Channel + " " + Json;
    }
}
