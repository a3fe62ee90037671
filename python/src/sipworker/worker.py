"""SipWorker: one SIP user agent (the original library's SipWorker), Pythonic sugar over the C ABI."""
import asyncio
import atexit
import itertools
import json
import logging
import threading
import time
import weakref
from collections.abc import Mapping

from . import sipw as _native
from ._pump import Pump, Signal, gevent_patched, pulled, run_off_hub
from .errors import SipwError
from .events import CauseData
from .names import Commands, On
from .streams import EventStream

log = logging.getLogger("sipworker")

_worker_numbers = itertools.count(1)
_live_workers = weakref.WeakSet()
_LONGEST_WAIT_MS = 2**31 - 1  # the C ABI's int


@atexit.register
def _close_live_workers():
    # A worker left open would be torn down with the process, never unregistered; close it the
    # way close() would (hang up, unregister within the core's bounded wait).
    for worker in list(_live_workers):
        try:
            worker.close()
        except Exception:  # at exit there is nobody left to tell but the log
            log.exception("closing %r at exit failed", worker)


def _take(native_event):
    """Copies an owned native event into a CauseData; the proxy frees it (sipw_event_free) on GC."""
    return CauseData(_native.sipw_event_name(native_event), _native.sipw_event_json(native_event))


def _name(value):
    # Cmd/On members are str subclasses whose str() is the original library's value; plain strings pass as is.
    if not isinstance(value, str):
        raise TypeError(f"expected a str or a Cmd/On member, got {type(value).__name__}")
    return str(value)


class _Deadline:
    def __init__(self, timeout):
        self._end = None if timeout is None else time.monotonic() + max(0.0, timeout)

    def seconds_left(self):
        return None if self._end is None else max(0.0, self._end - time.monotonic())

    def milliseconds_left(self):
        return -1 if self._end is None else min(_LONGEST_WAIT_MS, int(self.seconds_left() * 1000))

    def passed(self):
        return self._end is not None and time.monotonic() >= self._end


class SipWorker(Commands):
    """One SIP user agent.

    ``options`` are the create options of ``sipw_create`` (a dict); the binding always adds
    ``{"eventQueue": true}`` because it is pull-based. Use it as a context manager (``with``, or
    ``async with``) or call :meth:`close`.

    Where listeners run: created outside asyncio, on this worker's own Python thread
    (``sipw-dispatch-N``; a greenlet under gevent's monkey patching); created inside a running
    asyncio loop, on that loop (no thread at all). One at a time, in event order. A listener may
    call any method of the worker, :meth:`close` included; an exception it raises is logged on the
    ``sipworker`` logger and delivery carries on. Every other method may be called from any thread;
    blocking calls release the GIL, and under gevent no call blocks the hub.
    """

    def __init__(self, options=None):
        opts = dict(options or {})
        opts["eventQueue"] = True  # the Python layer pulls events; native threads never call Python
        handle = _native.sipw_create(json.dumps(opts, ensure_ascii=False))
        if handle is None:
            raise SipwError.from_last_error(_native.sipw_last_error_code())
        self._handle = handle
        self._lock = threading.Condition()
        self._closing = False  # close() began: no new waits
        self._delivering = True  # listeners and streams still get events
        self._closed = threading.Event()
        self._listeners = {}  # listener id -> (name, fn), in registration order
        self._listener_ids = itertools.count(1)
        self._running_listener = None
        self._streams = set()  # live EventStream objects fed like listeners
        self._arrivals = Signal()  # an event entered the core's backlog: waiters look again
        self.number = next(_worker_numbers)
        self._pump = Pump(f"sipw-dispatch-{self.number}", _native.sipw_event_fd(handle),
                          self._next_queued, self._deliver, self._arrivals.notify)
        _live_workers.add(self)

    def __repr__(self):
        state = "closed" if self._closed.is_set() else "closing" if self._closing else "open"
        return f"<SipWorker #{self.number} {state}>"

    @property
    def closed(self):
        return self._closing

    # ---- commands (one method per command, call() hold() dtmf()..., comes from the generated
    # Commands: the catalogue gives Python and C# the same ones) ----------------------------------
    def post(self, cmd, data=None):
        """Posts a command (``Cmd.X`` or its string) with a JSON-serialisable payload (dict or None).

        The core validates synchronously; a rejection raises :class:`SipwError` with the English
        and Chinese explanation. Everything asynchronous arrives as events."""
        payload = None if data is None else json.dumps(data, ensure_ascii=False)
        self.post_raw(cmd, payload)

    def post_raw(self, cmd, data_json=None):
        """Like :meth:`post` with the payload as JSON text, passed to the core untouched."""
        rc = _native.sipw_post(self._handle, _name(cmd), data_json)
        if rc < 0:  # the detail is thread-local: read it now, on this thread
            raise SipwError.from_last_error(rc)

    def session_info(self, session_id):
        """The session as a dict (sessionId, direction, state, remoteUri, held, muted, ...), or None
        if the worker does not know that session."""
        text = _native.sipw_session_info(self._handle, session_id)
        if text is not None:
            return json.loads(text)
        code = _native.sipw_last_error_code()
        if code == SipwError.ENOSESSION:
            return None
        raise SipwError.from_last_error(code)

    # ---- listeners -------------------------------------------------------------------------------
    def on(self, name, fn=None):
        """Calls ``fn(cause_data)`` for every event whose channel or msg equals ``name`` ("*": all).

        Returns the listener id for :meth:`off`. Without ``fn`` it is a decorator that registers
        the function and returns it unchanged::

            @w.on(On.ON_REGISTERED)
            def registered(ev): ...
        """
        name = _name(name)
        if fn is None:
            def register(f):
                self.on(name, f)
                return f
            return register
        if not callable(fn):
            raise TypeError("listener must be callable")
        with self._lock:
            listener_id = next(self._listener_ids)
            self._listeners[listener_id] = (name, fn)
        return listener_id

    def off(self, listener):
        """Removes a listener by id, or every registration of a function. Returns False if none.

        As ``sipw_off``: once it returns on a thread other than the dispatcher, the listener is not
        running and never runs again; called from inside a listener it does not wait."""
        with self._lock:
            if isinstance(listener, int):
                ids = [listener] if listener in self._listeners else []
            else:
                ids = [i for i, (_, fn) in self._listeners.items() if fn == listener]
            for i in ids:
                del self._listeners[i]
            if not self._pump.is_current():
                self._lock.wait_for(lambda: self._running_listener not in ids)
        return bool(ids)

    # ---- waiting ---------------------------------------------------------------------------------
    def wait_for(self, name, timeout=5, match=None):
        """Blocks until an event matching ``name`` (channel or msg, as :meth:`on`) arrives and returns
        it as a CauseData, or None after ``timeout`` seconds (None: no limit) or once closed.

        It returns the first matching event that no earlier ``wait_for`` on this worker returned,
        including events that arrived before the call (the core keeps a bounded backlog), so
        ``post(Cmd.INIT, ...)`` then ``wait_for(On.ON_REGISTERED)`` never misses a fast event.

        ``match``: a dict of field values the event must have (a field it lacks is looked up in its
        data; a list accepts any of its values), e.g. ``{"sessionId": sid}``, ``{"playId": pid}``,
        ``{"msg": [On.ON_REGISTERED, On.ON_REGISTRATIONFAILED]}``. Matched in the core: events that
        do not match stay available to other waiters.
        """
        name, match_json = self._wait_args(name, match)
        deadline = _Deadline(timeout)
        if gevent_patched():  # the hub must never block in native code
            return self._next_match_cooperatively(name, match_json, deadline)
        return self._next_match(name, match_json, deadline.milliseconds_left())

    async def wait_for_async(self, name, timeout=5, match=None):
        """:meth:`wait_for` for asyncio. It waits for the worker's event descriptor through the
        loop (no thread per wait); cancelling the awaiting task takes no event away."""
        name, match_json = self._wait_args(name, match)
        deadline = _Deadline(timeout)
        while True:
            seen = self._arrivals.generation
            ev = self._next_match(name, match_json, 0)
            if ev is not None or self._closing or deadline.passed():
                return ev
            await self._arrivals.wait_async(seen, deadline.seconds_left())

    def _next_match_cooperatively(self, name, match_json, deadline):
        while True:
            seen = self._arrivals.generation
            ev = self._next_match(name, match_json, 0)
            if ev is not None or self._closing or deadline.passed():
                return ev
            self._arrivals.wait(seen, deadline.seconds_left())

    def _wait_args(self, name, match):
        if match is not None and not isinstance(match, Mapping):
            raise TypeError("match must be a dict of field values")
        if self._closing:
            raise SipwError.from_code(SipwError.ESHUTDOWN)
        return _name(name), None if match is None else json.dumps(dict(match), ensure_ascii=False)

    def _next_match(self, name, match_json, timeout_ms):
        """The core's next matching backlog event, or None on timeout or once the worker closed."""
        rc, native_event = _native.sipw_next_match(self._handle, name, match_json, timeout_ms)
        if rc == 1:
            return _take(native_event)
        if rc in (0, SipwError.ESHUTDOWN):
            return None
        raise SipwError.from_last_error(rc)

    def events(self, name="*", timeout=None):
        """An iterator over the events matching ``name`` that arrive from now on::

            for ev in w.events(timeout=10):   # stops after 10 s without an event, or on close()
                print(ev.msg)

        It is fed like a listener (it does not take events away from :meth:`wait_for`). Close it
        (or use it as a context manager) to stop collecting. ``async for`` works the same way."""
        stream = EventStream(self, _name(name), timeout)
        with self._lock:
            if self._closing:
                stream._end()
            else:
                self._streams.add(stream)
        return stream

    def aevents(self, name="*", timeout=None):
        """:meth:`events` as an async iterator: ``async for ev in w.aevents(timeout=10): ...``.
        Like :meth:`events` it collects from the moment it is called, not from the first await."""
        return self.events(name, timeout)

    def catch_up(self):
        """Returns once listeners and streams have received every event the core had queued when it
        was called (wait_for is served by the core directly, so it can be ahead of them). At once
        from inside a listener."""
        self._pump.catch_up()

    def _forget_stream(self, stream):
        with self._lock:
            self._streams.discard(stream)

    # ---- delivery (on the pump) --------------------------------------------------------------------
    def _next_queued(self):
        native_event = pulled(*_native.sipw_next_event(self._handle, 0))
        return None if native_event is None else _take(native_event)

    def _deliver(self, ev):
        if ev.channel == On.ON_WARNING:
            # The core's own diagnostics go to logging too (missing sound card, dropped events...).
            data = ev.data if isinstance(ev.data, dict) else {}
            log.warning("%s", data.get("text") or ev.raw)
        else:
            log.debug("event %s %s", ev.channel, ev.raw)
        with self._lock:
            if not self._delivering:
                return
            targets = [(i, fn) for i, (name, fn) in self._listeners.items() if ev.matches(name)]
            streams = [s for s in self._streams if ev.matches(s.name)]
        for stream in streams:
            stream._put(ev)
        for listener_id, fn in targets:
            with self._lock:
                # An earlier listener may have removed this one, or closed the worker.
                if not self._delivering or listener_id not in self._listeners:
                    continue
                self._running_listener = listener_id
            try:
                fn(ev)
            except Exception:
                log.exception("listener %r for %r raised on event %s", fn, ev.channel, ev.raw)
            finally:
                with self._lock:
                    self._running_listener = None
                    self._lock.notify_all()

    # ---- lifetime --------------------------------------------------------------------------------
    def close(self):
        """Hangs up every call, unregisters (bounded wait) and frees the worker. Idempotent.

        From another thread: new waits are refused at once, listeners still receive the events the
        core already queued (as sipw_destroy does for C listeners), then the worker is destroyed
        and close() returns once a running listener returned; from then on every call raises
        SipwError(ESHUTDOWN) and waits in progress return None. From inside a listener: no further
        event is delivered and it does not wait for itself. The events the shutdown itself causes
        are not delivered: to see the unregistration, post LOGOUT and wait_for ``unregistered``."""
        with self._lock:
            first = not self._closing
            self._closing = True
        if first:
            self._arrivals.notify()  # cooperative waiters look again and see the worker closed
            self._pump.catch_up()
            with self._lock:
                self._delivering = False
                streams, self._streams = self._streams, set()
            for stream in streams:
                stream._end()
            # Wakes a thread blocked in a wait at once; waits out the core's bounded shutdown.
            run_off_hub(_native.sipw_destroy, self._handle)
            _live_workers.discard(self)
            self._closed.set()
        elif not self._pump.is_current():
            self._closed.wait()
        self._pump.finish()

    async def aclose(self):
        """:meth:`close` for asyncio: the core's bounded shutdown waits off the loop."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.aclose()
