// The seed's `cmd` and `on` enums (jssip-wrapper), member names and string values kept exactly,
// so code ported from the browser library reads the same. Generated once from the seed's README;
// edit by hand. C# enums cannot carry strings: Value() and the CmdName/OnName constants do.
using System;

namespace Sipworker
{
    /// <summary>Commands of SipWorker.Post (the seed's <c>cmd</c>).</summary>
    public enum Cmd
    {
        /// <summary>"INIT": configure the user agent (and register unless register: false)</summary>
        INIT,
        /// <summary>"LOGIN": connect the transport and register</summary>
        LOGIN,
        /// <summary>"CALL": start an outgoing session</summary>
        CALL,
        /// <summary>"ANSWER": answer an incoming session</summary>
        ANSWER,
        /// <summary>"LOGOUT": unregister, then disconnect</summary>
        LOGOUT,
        /// <summary>"HANGUP": cancel, reject or end a session</summary>
        HANGUP,
        /// <summary>"HOLD": put a session on hold</summary>
        HOLD,
        /// <summary>"ONHOLD": resume a held session (the seed's value is "ONHOLD")</summary>
        UNHOLD,
        /// <summary>"MUTE": stop sending local audio</summary>
        MUTE,
        /// <summary>"UNMUTE": resume sending local audio</summary>
        UNMUTE,
        /// <summary>"REGISTER": add the registration, keep the connection</summary>
        REGISTER,
        /// <summary>"SESSTION_DEL": hang up if needed and forget a session (the seed's spelling)</summary>
        SESSTION_DEL,
        /// <summary>"UNREGISTER": remove the registration, keep the connection</summary>
        UNREGISTER,
        /// <summary>"NOTIFY": unused in the seed: rejected with code -4</summary>
        NOTIFY,
        /// <summary>"EMPTY": unused in the seed: rejected with code -4</summary>
        EMPTY,
        /// <summary>"DTMF": extension: send DTMF tones</summary>
        DTMF,
    }

    /// <summary>The seed's string values of <see cref="Cmd"/>, usable in switch/case labels.</summary>
    public static class CmdName
    {
        public const string INIT = "INIT";
        public const string LOGIN = "LOGIN";
        public const string CALL = "CALL";
        public const string ANSWER = "ANSWER";
        public const string LOGOUT = "LOGOUT";
        public const string HANGUP = "HANGUP";
        public const string HOLD = "HOLD";
        public const string UNHOLD = "ONHOLD";
        public const string MUTE = "MUTE";
        public const string UNMUTE = "UNMUTE";
        public const string REGISTER = "REGISTER";
        public const string SESSTION_DEL = "SESSTION_DEL";
        public const string UNREGISTER = "UNREGISTER";
        public const string NOTIFY = "NOTIFY";
        public const string EMPTY = "EMPTY";
        public const string DTMF = "DTMF";
    }

    /// <summary>Event names of SipWorker.On / WaitFor (the seed's <c>on</c>).</summary>
    public enum On
    {
        /// <summary>"Request Timeout": client-side timeout</summary>
        ON_TIME_OUT,
        /// <summary>"registered": registered</summary>
        ON_REGISTERED,
        /// <summary>"unregistered": unregistered (or logged out)</summary>
        ON_UNREGISTERED,
        /// <summary>"registrationFailed": registration failed</summary>
        ON_REGISTRATIONFAILED,
        /// <summary>"registrationExpiring": registration about to expire (renewed automatically)</summary>
        ON_REGISTRATIONEXPIRING,
        /// <summary>"connecting": transport connecting</summary>
        ON_CONNECTING,
        /// <summary>"connected": transport connected</summary>
        ON_CONNECTED,
        /// <summary>"disconnected": transport disconnected</summary>
        ON_DISCONNECTED,
        /// <summary>"newRTCSession": new session, incoming or outgoing</summary>
        ON_NEWRTCSESSION,
        /// <summary>"new_RTCSession_state": channel of every session state event</summary>
        ON_RTCSESSION_STATE,
        /// <summary>"session_progress": 183 / early media</summary>
        ON_SESSION_PROGRESS,
        /// <summary>"session_connecting": session connecting</summary>
        ON_SESSTION_CONNECTING,
        /// <summary>"session_accepted": session accepted</summary>
        ON_SESSTION_ACCEPTED,
        /// <summary>"session_confirmed": session confirmed (connected)</summary>
        ON_SESSTION_CONFIRMED,
        /// <summary>"session_ended": session ended</summary>
        ON_SESSTION_ENDED,
        /// <summary>"session_failed": session failed</summary>
        ON_SESSTION_FAILED,
        /// <summary>"session_answer_failed": answering failed</summary>
        ON_SESSION_ANSWER_FAILED,
        /// <summary>"onResume": resumed from hold</summary>
        ON_RESUME,
        /// <summary>"onHold": put on hold</summary>
        ON_HOLD,
        /// <summary>"onMute": muted</summary>
        ON_MUTE,
        /// <summary>"onUnmute": unmuted</summary>
        ON_UNMUTE,
        /// <summary>"event": unused in the seed</summary>
        ON_EVENT,
        /// <summary>"newOptions": unused in the seed</summary>
        ON_NEWOPTIONS,
        /// <summary>"sipEvent": unused in the seed</summary>
        ON_SIPEVENT,
        /// <summary>"newMessage": unused in the seed</summary>
        ON_NEWMESSAGE,
        /// <summary>"session_recall": unused in the seed</summary>
        ON_SESSION_RECALL,
        /// <summary>"re_register": unused in the seed</summary>
        ON_RE_REGISTERED,
        /// <summary>"re_login": unused in the seed</summary>
        ON_RE_LOGIN,
        /// <summary>"session_req_timeout": unused in the seed</summary>
        ON_SESSION_TIMEOUT,
        /// <summary>"call_event": unused in the seed</summary>
        ON_LISTEN_EVENT,
        /// <summary>"newDTMF": extension: DTMF received (data: tone, duration, method)</summary>
        ON_NEWDTMF,
        /// <summary>"warning": extension: non-fatal condition (missing sound card, ignored field...)</summary>
        ON_WARNING,
    }

    /// <summary>The seed's string values of <see cref="On"/>, usable in switch/case labels.</summary>
    public static class OnName
    {
        public const string ON_TIME_OUT = "Request Timeout";
        public const string ON_REGISTERED = "registered";
        public const string ON_UNREGISTERED = "unregistered";
        public const string ON_REGISTRATIONFAILED = "registrationFailed";
        public const string ON_REGISTRATIONEXPIRING = "registrationExpiring";
        public const string ON_CONNECTING = "connecting";
        public const string ON_CONNECTED = "connected";
        public const string ON_DISCONNECTED = "disconnected";
        public const string ON_NEWRTCSESSION = "newRTCSession";
        public const string ON_RTCSESSION_STATE = "new_RTCSession_state";
        public const string ON_SESSION_PROGRESS = "session_progress";
        public const string ON_SESSTION_CONNECTING = "session_connecting";
        public const string ON_SESSTION_ACCEPTED = "session_accepted";
        public const string ON_SESSTION_CONFIRMED = "session_confirmed";
        public const string ON_SESSTION_ENDED = "session_ended";
        public const string ON_SESSTION_FAILED = "session_failed";
        public const string ON_SESSION_ANSWER_FAILED = "session_answer_failed";
        public const string ON_RESUME = "onResume";
        public const string ON_HOLD = "onHold";
        public const string ON_MUTE = "onMute";
        public const string ON_UNMUTE = "onUnmute";
        public const string ON_EVENT = "event";
        public const string ON_NEWOPTIONS = "newOptions";
        public const string ON_SIPEVENT = "sipEvent";
        public const string ON_NEWMESSAGE = "newMessage";
        public const string ON_SESSION_RECALL = "session_recall";
        public const string ON_RE_REGISTERED = "re_register";
        public const string ON_RE_LOGIN = "re_login";
        public const string ON_SESSION_TIMEOUT = "session_req_timeout";
        public const string ON_LISTEN_EVENT = "call_event";
        public const string ON_NEWDTMF = "newDTMF";
        public const string ON_WARNING = "warning";
    }

    public static class SeedEnumExtensions
    {
        /// <summary>The seed's string value, e.g. <c>UNHOLD</c> → "ONHOLD".</summary>
        public static string Value(this Cmd value)
        {
            switch (value)
            {
                case Cmd.INIT: return CmdName.INIT;
                case Cmd.LOGIN: return CmdName.LOGIN;
                case Cmd.CALL: return CmdName.CALL;
                case Cmd.ANSWER: return CmdName.ANSWER;
                case Cmd.LOGOUT: return CmdName.LOGOUT;
                case Cmd.HANGUP: return CmdName.HANGUP;
                case Cmd.HOLD: return CmdName.HOLD;
                case Cmd.UNHOLD: return CmdName.UNHOLD;
                case Cmd.MUTE: return CmdName.MUTE;
                case Cmd.UNMUTE: return CmdName.UNMUTE;
                case Cmd.REGISTER: return CmdName.REGISTER;
                case Cmd.SESSTION_DEL: return CmdName.SESSTION_DEL;
                case Cmd.UNREGISTER: return CmdName.UNREGISTER;
                case Cmd.NOTIFY: return CmdName.NOTIFY;
                case Cmd.EMPTY: return CmdName.EMPTY;
                case Cmd.DTMF: return CmdName.DTMF;
                default: throw new ArgumentOutOfRangeException(nameof(value), value, "not a Cmd member");
            }
        }

        /// <summary>The seed's string value, e.g. <c>ON_REGISTERED</c> → "registered".</summary>
        public static string Value(this On value)
        {
            switch (value)
            {
                case On.ON_TIME_OUT: return OnName.ON_TIME_OUT;
                case On.ON_REGISTERED: return OnName.ON_REGISTERED;
                case On.ON_UNREGISTERED: return OnName.ON_UNREGISTERED;
                case On.ON_REGISTRATIONFAILED: return OnName.ON_REGISTRATIONFAILED;
                case On.ON_REGISTRATIONEXPIRING: return OnName.ON_REGISTRATIONEXPIRING;
                case On.ON_CONNECTING: return OnName.ON_CONNECTING;
                case On.ON_CONNECTED: return OnName.ON_CONNECTED;
                case On.ON_DISCONNECTED: return OnName.ON_DISCONNECTED;
                case On.ON_NEWRTCSESSION: return OnName.ON_NEWRTCSESSION;
                case On.ON_RTCSESSION_STATE: return OnName.ON_RTCSESSION_STATE;
                case On.ON_SESSION_PROGRESS: return OnName.ON_SESSION_PROGRESS;
                case On.ON_SESSTION_CONNECTING: return OnName.ON_SESSTION_CONNECTING;
                case On.ON_SESSTION_ACCEPTED: return OnName.ON_SESSTION_ACCEPTED;
                case On.ON_SESSTION_CONFIRMED: return OnName.ON_SESSTION_CONFIRMED;
                case On.ON_SESSTION_ENDED: return OnName.ON_SESSTION_ENDED;
                case On.ON_SESSTION_FAILED: return OnName.ON_SESSTION_FAILED;
                case On.ON_SESSION_ANSWER_FAILED: return OnName.ON_SESSION_ANSWER_FAILED;
                case On.ON_RESUME: return OnName.ON_RESUME;
                case On.ON_HOLD: return OnName.ON_HOLD;
                case On.ON_MUTE: return OnName.ON_MUTE;
                case On.ON_UNMUTE: return OnName.ON_UNMUTE;
                case On.ON_EVENT: return OnName.ON_EVENT;
                case On.ON_NEWOPTIONS: return OnName.ON_NEWOPTIONS;
                case On.ON_SIPEVENT: return OnName.ON_SIPEVENT;
                case On.ON_NEWMESSAGE: return OnName.ON_NEWMESSAGE;
                case On.ON_SESSION_RECALL: return OnName.ON_SESSION_RECALL;
                case On.ON_RE_REGISTERED: return OnName.ON_RE_REGISTERED;
                case On.ON_RE_LOGIN: return OnName.ON_RE_LOGIN;
                case On.ON_SESSION_TIMEOUT: return OnName.ON_SESSION_TIMEOUT;
                case On.ON_LISTEN_EVENT: return OnName.ON_LISTEN_EVENT;
                case On.ON_NEWDTMF: return OnName.ON_NEWDTMF;
                case On.ON_WARNING: return OnName.ON_WARNING;
                default: throw new ArgumentOutOfRangeException(nameof(value), value, "not a On member");
            }
        }
    }
}
