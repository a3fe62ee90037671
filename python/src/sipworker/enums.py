"""The seed's ``cmd`` and ``on`` enums, member names and values exactly as in the seed.

They are ``str`` enums, so ``Cmd.UNHOLD == "ONHOLD"`` and ``On.ON_SESSTION_CONFIRMED ==
"session_confirmed"`` hold and ported code reads the same. The seed's spellings (``SESSTION``,
``UNHOLD = "ONHOLD"``) are kept on purpose.
"""
from enum import Enum


class _SeedEnum(str, Enum):
    # str() and format() give the seed's value ("ONHOLD"), not "Cmd.UNHOLD", so members can be
    # printed or interpolated into JSON the way the seed's TypeScript enums are.
    def __str__(self):
        return str.__str__(self)

    def __format__(self, spec):
        return str.__format__(str.__str__(self), spec)


class Cmd(_SeedEnum):
    """Commands for :meth:`SipWorker.post` (the seed's ``cmd``)."""
    INIT = "INIT"
    LOGIN = "LOGIN"
    CALL = "CALL"
    ANSWER = "ANSWER"
    LOGOUT = "LOGOUT"
    HANGUP = "HANGUP"
    HOLD = "HOLD"
    UNHOLD = "ONHOLD"
    MUTE = "MUTE"
    UNMUTE = "UNMUTE"
    REGISTER = "REGISTER"
    SESSTION_DEL = "SESSTION_DEL"
    UNREGISTER = "UNREGISTER"
    NOTIFY = "NOTIFY"  # unused in the seed: the core rejects it (SipwError -4)
    EMPTY = "EMPTY"    # unused in the seed: the core rejects it (SipwError -4)


class On(_SeedEnum):
    """Event names for :meth:`SipWorker.on` / :meth:`SipWorker.wait_for` (the seed's ``on``)."""
    ON_TIME_OUT = "Request Timeout"
    ON_REGISTERED = "registered"
    ON_UNREGISTERED = "unregistered"
    ON_REGISTRATIONFAILED = "registrationFailed"
    ON_REGISTRATIONEXPIRING = "registrationExpiring"
    ON_CONNECTING = "connecting"
    ON_CONNECTED = "connected"
    ON_DISCONNECTED = "disconnected"
    ON_NEWRTCSESSION = "newRTCSession"
    ON_RTCSESSION_STATE = "new_RTCSession_state"
    ON_SESSION_PROGRESS = "session_progress"
    ON_SESSTION_CONNECTING = "session_connecting"
    ON_SESSTION_ACCEPTED = "session_accepted"
    ON_SESSTION_CONFIRMED = "session_confirmed"
    ON_SESSTION_ENDED = "session_ended"
    ON_SESSTION_FAILED = "session_failed"
    ON_SESSION_ANSWER_FAILED = "session_answer_failed"
    ON_RESUME = "onResume"
    ON_HOLD = "onHold"
    ON_MUTE = "onMute"
    ON_UNMUTE = "onUnmute"
    ON_EVENT = "event"  # unused
    ON_NEWOPTIONS = "newOptions"  # unused
    ON_SIPEVENT = "sipEvent"  # unused
    ON_NEWMESSAGE = "newMessage"  # unused
    ON_SESSION_RECALL = "session_recall"  # unused
    ON_RE_REGISTERED = "re_register"  # unused
    ON_RE_LOGIN = "re_login"  # unused
    ON_SESSION_TIMEOUT = "session_req_timeout"  # unused
    ON_LISTEN_EVENT = "call_event"  # unused


# Native extensions (SPEC §2, §4). Kept out of the enums so that Cmd and On list exactly the seed's
# members; plain strings work wherever an enum member does.
CMD_DTMF = "DTMF"          # send DTMF: {sessionId, tones, duration?, interToneGap?, transport?}
ON_NEWDTMF = "newDTMF"     # received DTMF: data {tone, duration, method}
ON_WARNING = "warning"     # non-fatal conditions (missing sound card, ignored INIT field, dropped events)
