"""EventRecorder and Phone: a worker's events kept for assertions in tests."""
import threading

from ..worker import SipWorker

SESSION_STATE = "new_RTCSession_state"
NEW_SESSION = "newRTCSession"


def _summary(ev):
    parts = [ev.channel if ev.msg in (None, ev.channel) else f"{ev.channel}/{ev.msg}"]
    parts += [f"{k}={ev.get(k)!r}" for k in ("sessionId", "statusCode", "cause") if ev.get(k) is not None]
    return " ".join(parts)


class EventRecorder:
    """Records every event of a worker (a ``"*"`` listener) and asserts on them.

    :meth:`expect_event` and :meth:`expect_no_event` rely on the worker's ``wait_for``: each event
    is matched once, events that came before the call count, and ``fields`` are matched in the
    core (``expect_event("session_confirmed", sessionId=sid)``). A failed expectation raises
    AssertionError listing every event recorded so far.
    """

    def __init__(self, worker):
        self._worker = worker
        self._lock = threading.Lock()
        self._events = []
        worker.on("*", self._record)

    def _record(self, ev):
        with self._lock:
            self._events.append(ev)

    @property
    def events(self):
        """The events recorded so far, oldest first (a copy), including every one the core had
        queued by now: an event expect_event returned is among them."""
        self._worker.catch_up()
        with self._lock:
            return list(self._events)

    @property
    def session_ids(self):
        """Every session this worker reported (incoming or outgoing), in order."""
        return [ev.sessionId for ev in self.events if ev.channel == SESSION_STATE and ev.msg == NEW_SESSION]

    def expect_event(self, name, timeout=5, **fields):
        """The next event matching ``name`` (channel or msg) and ``fields`` within ``timeout`` s."""
        ev = self._worker.wait_for(name, timeout=timeout, match=fields or None)
        if ev is None:
            raise AssertionError(f"no {self._describe(name, fields)} within {timeout} s; {self._seen()}")
        return ev

    def expect_no_event(self, name, within=1.0, **fields):
        """Fails if an event matching ``name`` and ``fields`` came, or comes within ``within`` s."""
        ev = self._worker.wait_for(name, timeout=within, match=fields or None)
        if ev is not None:
            raise AssertionError(f"unexpected {self._describe(name, fields)}: {_summary(ev)}; {self._seen()}")

    def _describe(self, name, fields):
        return f"event {str(name)!r}" + (f" with {fields}" if fields else "")

    def _seen(self):
        seen = self.events
        return "events seen: " + ("; ".join(_summary(ev) for ev in seen) if seen else "none")


class Phone(SipWorker):
    """A SipWorker with an :class:`EventRecorder` (``expect_event``, ``expect_no_event``, ``events``)
    and the test account it registered with (``account``; ``number`` is what others dial)."""

    def __init__(self, account=None, options=None):
        super().__init__(options)
        self.account = account
        self.number = account.user if account else None
        self.recorder = EventRecorder(self)

    def expect_event(self, name, timeout=5, **fields):
        return self.recorder.expect_event(name, timeout, **fields)

    def expect_no_event(self, name, within=1.0, **fields):
        self.recorder.expect_no_event(name, within, **fields)

    @property
    def events(self):
        return self.recorder.events

    def live_sessions(self):
        """Sessions this phone reported that have not ended yet: {sessionId: state}."""
        live = {}
        for sid in self.recorder.session_ids:
            info = self.session_info(sid)
            if info and info.get("state") != "terminated":
                live[sid] = info.get("state")
        return live
