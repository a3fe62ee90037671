"""Sugar for the call-control commands: reject with a code, early media, transfer, instant messages.

Each method posts one command (see the README's command table) and raises :class:`SipwError`
when the core refuses it; outcomes arrive as events (``On.ON_REFER_ACCEPTED``,
``On.ON_MESSAGE_SUCCEEDED``...)."""
import uuid

from .names import Cmd


class CallControl:
    """Mixed into :class:`SipWorker`."""

    def reject(self, session_id, status_code=486, reason_phrase=None, extra_headers=None):
        """HANGUP of a ringing incoming call with a chosen status (400-699; 486 Busy Here by default).
        The session fails with the cause JsSIP maps the code to (486 → "Busy", 603 → "Rejected")."""
        data = {"sessionId": session_id, "statusCode": int(status_code)}
        if reason_phrase is not None:
            data["reasonPhrase"] = reason_phrase
        if extra_headers:
            data["extraHeaders"] = list(extra_headers)
        self.post(Cmd.HANGUP, data)

    def progress(self, session_id, status_code=183, with_media=True, **options):
        """PROGRESS: 180/183 on a ringing incoming call; with media our answer goes in it and
        media flows before ANSWER. ``options`` as ANSWER's (``audio=...``, ``extraHeaders=[...]``)."""
        data = {"sessionId": session_id, "statusCode": int(status_code), "withMedia": bool(with_media)}
        if options:
            data["options"] = options
        self.post(Cmd.PROGRESS, data)

    def refer(self, session_id, target=None, replaces=None, extra_headers=None):
        """REFER: transfers a confirmed call to ``target`` (blind), or, with ``replaces`` = another
        confirmed session id, attended (the target defaults to that call's other party)."""
        data = {"sessionId": session_id}
        if target is not None:
            data["target"] = str(target)
        if replaces is not None:
            data["replaces"] = replaces
        if extra_headers:
            data["extraHeaders"] = list(extra_headers)
        self.post(Cmd.REFER, data)

    def refer_accept(self, session_id, new_session_id=None, **options):
        """REFER_ACCEPT: calls the target of the REFER received on ``session_id``; returns the new
        session's id (chosen here, so its events can be awaited without a race)."""
        sid = new_session_id or str(uuid.uuid4())
        data = {"sessionId": session_id, "newSessionId": sid}
        if options:
            data["options"] = options
        self.post(Cmd.REFER_ACCEPT, data)
        return sid

    def refer_reject(self, session_id):
        """REFER_REJECT: declines the REFER received on ``session_id`` (NOTIFY 603)."""
        self.post(Cmd.REFER_REJECT, {"sessionId": session_id})

    def message(self, target, body, content_type=None, message_id=None, extra_headers=None):
        """MESSAGE: sends an instant message; returns its messageId (``data.messageId`` of
        ``message_succeeded`` / ``message_failed``)."""
        mid = message_id or str(uuid.uuid4())
        data = {"target": str(target), "body": body, "messageId": mid}
        if content_type is not None:
            data["contentType"] = content_type
        if extra_headers:
            data["extraHeaders"] = list(extra_headers)
        self.post(Cmd.MESSAGE, data)
        return mid
