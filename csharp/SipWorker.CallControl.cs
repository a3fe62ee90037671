using System;
using System.Collections.Generic;

namespace Sipworker
{
    // Sugar for the call-control commands: reject with a code, early media, transfer, instant
    // messages. Each posts one command and throws SipwException when the core refuses it; the
    // outcomes arrive as events (On.ON_REFER_ACCEPTED, On.ON_MESSAGE_SUCCEEDED...).
    public sealed partial class SipWorker
    {
        /// <summary>HANGUP of a ringing incoming call with a chosen status (400-699); the session
        /// fails with the cause JsSIP maps the code to (486 → "Busy", 603 → "Rejected").</summary>
        public void Reject(string sessionId, int statusCode = 486, string reasonPhrase = null, IEnumerable<string> extraHeaders = null)
        {
            var data = SessionData(sessionId);
            data["statusCode"] = statusCode;
            if (reasonPhrase != null) data["reasonPhrase"] = reasonPhrase;
            if (extraHeaders != null) data["extraHeaders"] = new List<string>(extraHeaders);
            Post(Cmd.HANGUP, data);
        }

        /// <summary>PROGRESS: 180/183 on a ringing incoming call; with media our answer goes in
        /// it and media flows before ANSWER. <paramref name="options"/> as ANSWER's.</summary>
        public void Progress(string sessionId, int statusCode = 183, bool withMedia = true, object options = null)
        {
            var data = SessionData(sessionId);
            data["statusCode"] = statusCode;
            data["withMedia"] = withMedia;
            if (options != null) data["options"] = EmbeddableJson(options);
            Post(Cmd.PROGRESS, data);
        }

        /// <summary>REFER: transfers a confirmed call to <paramref name="target"/> (blind), or with
        /// <paramref name="replaces"/> = another confirmed session, attended (the target then
        /// defaults to that call's other party).</summary>
        public void Refer(string sessionId, string target = null, string replaces = null, IEnumerable<string> extraHeaders = null)
        {
            var data = SessionData(sessionId);
            if (target != null) data["target"] = target;
            if (replaces != null) data["replaces"] = replaces;
            if (extraHeaders != null) data["extraHeaders"] = new List<string>(extraHeaders);
            Post(Cmd.REFER, data);
        }

        /// <summary>REFER_ACCEPT: calls the target of the REFER received on the session; returns
        /// the new session's id.</summary>
        public string ReferAccept(string sessionId, object options = null)
        {
            var data = SessionData(sessionId);
            string newSessionId = Guid.NewGuid().ToString("N");
            data["newSessionId"] = newSessionId;
            if (options != null) data["options"] = EmbeddableJson(options);
            Post(Cmd.REFER_ACCEPT, data);
            return newSessionId;
        }

        /// <summary>REFER_REJECT: declines the REFER received on the session (NOTIFY 603).</summary>
        public void ReferReject(string sessionId) => Post(Cmd.REFER_REJECT, SessionData(sessionId));

        /// <summary>MESSAGE: sends an instant message; returns its messageId, found in the
        /// data of message_succeeded / message_failed.</summary>
        public string Message(string target, string body, string contentType = null, IEnumerable<string> extraHeaders = null)
        {
            if (target == null) throw new ArgumentNullException(nameof(target));
            if (body == null) throw new ArgumentNullException(nameof(body));
            string messageId = Guid.NewGuid().ToString("N");
            var data = new Dictionary<string, object> { ["target"] = target, ["body"] = body, ["messageId"] = messageId };
            if (contentType != null) data["contentType"] = contentType;
            if (extraHeaders != null) data["extraHeaders"] = new List<string>(extraHeaders);
            Post(Cmd.MESSAGE, data);
            return messageId;
        }
    }
}
