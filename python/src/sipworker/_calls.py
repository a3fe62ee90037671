"""The steps of a load-test user, measured: register, one call, unregister.

Kept free of Locust (importing locust monkey-patches the whole process with gevent), so that
``sipworker.locust.SipUser`` and a plain-threads load generator run exactly the same code and can be
compared. Each step reports through ``report(name, milliseconds, failure_or_None)``.
"""
import time

from .errors import SipwError
from .names import On, text

SESSION = str(On.ON_RTCSESSION_STATE)
CONFIRMED = str(On.ON_SESSTION_CONFIRMED)
ENDS = {str(On.ON_SESSTION_ENDED), str(On.ON_SESSTION_FAILED)}
_REGISTRATION_OUTCOMES = [On.ON_REGISTERED, On.ON_REGISTRATIONFAILED, On.ON_DISCONNECTED]  # msg = channel
_FIRST_AUDIO_POLL_S = 0.01  # session_info is a cheap, non-blocking look-up


class SipFailure(Exception):
    """A failed step. Its text is the core's cause and Chinese causeCN (and the SIP status), e.g.
    ``Unavailable / 对方暂时无法接通 (480 Temporarily Unavailable)``. ``repr`` is that text too:
    Locust writes ``repr(exception)`` into its failure statistics and CSVs."""

    def __init__(self, text, event=None):
        super().__init__(text)
        self.event = event

    def __repr__(self):
        return str(self)

    @classmethod
    def from_event(cls, ev):
        parts = [f"{ev.cause or ev.msg} / {ev.causeCN or ev.msgCN or ''}".rstrip(" /")]
        if ev.statusCode:
            parts.append(f"({ev.statusCode} {ev.reason or ''})".replace(" )", ")"))
        return cls(" ".join(parts), ev)

    @classmethod
    def from_error(cls, error):
        return cls(f"{error.message} / {error.message_cn}")


def _ms(start):
    return (time.monotonic() - start) * 1000.0


def register(worker, config, timeout, report):
    """INIT with ``register: true``; reports ``register``. True once registered."""
    start = time.monotonic()
    try:
        worker.init({**config, "register": True})
    except SipwError as e:
        report("register", _ms(start), SipFailure.from_error(e))
        return False
    # The outcome is the first of registered / registrationFailed / disconnected.
    ev = worker.wait_for("*", timeout=timeout, match={"msg": _REGISTRATION_OUTCOMES})
    if ev is None:
        report("register", _ms(start), SipFailure(text("step_no_answer", "REGISTER", f"{timeout:g}")))
        return False
    if ev.channel != On.ON_REGISTERED:
        report("register", _ms(start), SipFailure.from_event(ev))
        return False
    report("register", _ms(start), None)
    return True


def unregister(worker, timeout, report):
    """UNREGISTER and wait for the registrar's answer; reports ``unregister``. True if it removed the
    binding (a 2xx)."""
    start = time.monotonic()
    try:
        worker.unregister()
    except SipwError as e:
        report("unregister", _ms(start), SipFailure.from_error(e))
        return False
    ev = worker.wait_for(On.ON_UNREGISTERED, timeout=timeout)
    if ev is None:
        report("unregister", _ms(start), SipFailure(text("step_no_answer", "UNREGISTER", f"{timeout:g}")))
        return False
    if ev.statusCode and ev.statusCode >= 300:
        report("unregister", _ms(start), SipFailure.from_event(ev))
        return False
    report("unregister", _ms(start), None)
    return True


class Call:
    """One measured call: :meth:`run` places it, holds it ``duration`` seconds, hangs up and reports
    ``call_setup`` (CALL → confirmed), ``first_audio`` (CALL → the first audio decoded here; only for
    a call that was set up) and ``call`` (CALL → the session's end), once each.

    ``session_id`` is known while the call runs, so whoever interrupts :meth:`run` (a load test that
    stops) can hang it up."""

    def __init__(self, worker, report, setup_timeout=30.0, first_audio_timeout=5.0, end_timeout=10.0):
        self.worker, self._report = worker, report
        self.setup_timeout, self.first_audio_timeout, self.end_timeout = setup_timeout, first_audio_timeout, end_timeout
        self.session_id = None

    def run(self, target, duration, **options):
        w = self.worker
        start, start_epoch_ms = time.monotonic(), time.time() * 1000.0
        try:
            sid = self.session_id = w.call(target, **options)
        except SipwError as e:
            failure = SipFailure.from_error(e)
            self._report("call_setup", _ms(start), failure)
            self._report("call", _ms(start), failure)
            return False
        ev = self._until(sid, {CONFIRMED}, self.setup_timeout)
        if ev is None:  # no answer in time: end it as a client-side timeout, the core gives the cause
            self._hang_up(sid, is_timeout=True)
            ev = self._until(sid, set(), self.end_timeout)
        if ev is None or ev.msg != CONFIRMED:
            failure = (SipFailure.from_event(ev) if ev
                       else SipFailure(text("step_no_answer", "HANGUP", f"{self.end_timeout:g}")))
            self._report("call_setup", _ms(start), failure)
            self._report("call", _ms(start), failure)
            self._forget(sid)
            return False
        self._report("call_setup", _ms(start), None)
        confirmed = time.monotonic()

        heard = self._first_audio(sid, self.first_audio_timeout)
        if heard is None:
            self._report("first_audio", _ms(start), SipFailure(
                text("call_no_audio", f"{self.first_audio_timeout:g}")))
        else:
            self._report("first_audio", max(0.0, heard - start_epoch_ms), None)

        # Held until `duration` after confirmation, unless the peer or the network ends it first.
        ev = self._until(sid, set(), max(0.0, duration - (time.monotonic() - confirmed)))
        ended_early = ev is not None
        if not ended_early:
            self._hang_up(sid)
            ev = self._until(sid, set(), self.end_timeout)
        self._forget(sid)
        if ev is None:
            self._report("call", _ms(start), SipFailure(text("step_no_answer", "HANGUP", f"{self.end_timeout:g}")))
            return False
        if ended_early or ev.msg != str(On.ON_SESSTION_ENDED):
            # Ended before we hung up: a dropped call is a failed call, with the cause of its end.
            self._report("call", _ms(start), SipFailure.from_event(ev))
            return False
        self._report("call", _ms(start), None)
        return heard is not None

    def _hang_up(self, sid, is_timeout=False):
        try:
            self.worker.hangup(sid, is_timeout)
        except SipwError as e:
            # It ended just now (its end event is queued: the caller waits for it), or it is gone.
            if e.code not in (SipwError.ESTATE, SipwError.ENOSESSION):
                raise

    def _until(self, sid, wanted, timeout):
        """The session's next event in ``wanted`` or its terminal event, within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ev = self.worker.wait_for(SESSION, timeout=left, match={"sessionId": sid})
            if ev is None or ev.msg in wanted or ev.msg in ENDS:
                return ev

    def _first_audio(self, sid, timeout):
        """``firstAudioTime`` (ms since the epoch) of the session once it has one; None after ``timeout``.
        The core has no event for it, so it is polled (under gevent the sleep yields)."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.worker.session_info(sid) or {}
            if info.get("firstAudioTime"):
                return info["firstAudioTime"]
            if info.get("state") == "terminated" or time.monotonic() >= deadline:
                return None
            time.sleep(_FIRST_AUDIO_POLL_S)

    def _forget(self, sid):
        self.session_id = None
        try:
            self.worker.delete_session(sid)  # a load test makes thousands: do not keep them all
        except SipwError:
            pass
