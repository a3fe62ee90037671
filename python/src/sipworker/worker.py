"""SipWorker: one SIP user agent (the seed's SipWorker), Pythonic sugar over the C ABI."""
import asyncio
import atexit
import itertools
import json
import logging
import queue
import threading
import time
import uuid
import weakref
from collections.abc import Mapping

from . import sipw as _native
from .names import Cmd, On
from .call_control import CallControl
from .errors import SipwError
from .events import CauseData

log = logging.getLogger("sipworker")

# Longest single blocking native call (ms). Blocking calls are made in slices so that close() can
# tell when no Python thread is about to use the native handle any more (see SipWorker.close).
_SLICE_MS = 100

_worker_numbers = itertools.count(1)
_live_workers = weakref.WeakSet()


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
    # Cmd/On members are str subclasses whose str() is the seed's value; plain strings pass as is.
    if not isinstance(value, str):
        raise TypeError(f"expected a str or a Cmd/On member, got {type(value).__name__}")
    return str(value)


class SipWorker(CallControl):
    """One SIP user agent.

    ``options`` are the create options of ``sipw_create`` (a dict); the binding always adds
    ``{"eventQueue": true}`` because it is pull-based. Use it as a context manager or call
    :meth:`close`.

    Threading: listeners registered with :meth:`on` run on this worker's own Python thread
    (``sipw-dispatch-N``), one at a time, in event order. A listener may call any method of the
    worker, including :meth:`post` and :meth:`close`; an exception it raises is logged on the
    ``sipworker`` logger and the dispatcher carries on. Every other method may be called from any
    thread; blocking calls release the GIL.
    """

    def __init__(self, options=None):
        opts = dict(options or {})
        opts["eventQueue"] = True  # the Python layer pulls events; native threads never call Python
        handle = _native.sipw_create(json.dumps(opts, ensure_ascii=False))
        if handle is None:
            raise SipwError.from_last_error(SipwError.EINVAL)
        self._handle = handle
        self._lock = threading.Condition()
        self._leases = 0             # Python threads currently inside (or entering) a native call
        self._closing = False        # close() began: no new posts or waits
        self._delivering = True      # listeners and streams still get events
        self._closed = threading.Event()
        self._listeners = {}         # listener id -> (name, fn), in registration order
        self._listener_ids = itertools.count(1)
        self._running_listener = None
        self._streams = set()        # live EventStream objects fed by the dispatcher
        self.number = next(_worker_numbers)
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop, name=f"sipw-dispatch-{self.number}", daemon=True)
        self._dispatcher.start()
        _live_workers.add(self)

    def __repr__(self):
        state = "closed" if self._closed.is_set() else "closing" if self._closing else "open"
        return f"<SipWorker #{self.number} {state}>"

    # ---- native handle lifetime ------------------------------------------------------------------
    # sipw_destroy frees the handle, so it may only run once no Python thread can still pass the
    # handle to a native call. Each native call holds a "lease"; close() refuses new leases and
    # waits for the current ones to end, which takes at most one slice since blocking calls are
    # sliced.

    def _acquire(self, draining=False):
        with self._lock:
            if self._closing and not (draining and self._delivering):
                return None
            self._leases += 1
            return self._handle

    def _release(self):
        with self._lock:
            self._leases -= 1
            if self._leases == 0:
                self._lock.notify_all()

    def _acquire_or_raise(self):
        handle = self._acquire()
        if handle is None:
            raise SipwError.from_code(SipwError.ESHUTDOWN)
        return handle

    @property
    def closed(self):
        return self._closing

    # ---- commands --------------------------------------------------------------------------------
    def post(self, cmd, data=None):
        """Posts a command (``Cmd.X`` or its string) with a JSON-serialisable payload (dict or None).

        The core validates synchronously; a rejection raises :class:`SipwError` with the English
        and Chinese explanation. Everything asynchronous arrives as events."""
        payload = None if data is None else json.dumps(data, ensure_ascii=False)
        self.post_raw(cmd, payload)

    def post_raw(self, cmd, data_json=None):
        """Like :meth:`post` with the payload as JSON text, passed to the core untouched."""
        cmd = _name(cmd)
        handle = self._acquire_or_raise()
        try:
            rc = _native.sipw_post(handle, cmd, data_json)
            if rc < 0:  # the detail is thread-local: read it now, on this thread
                raise SipwError.from_last_error(rc)
        finally:
            self._release()

    def init(self, config=None, **fields):
        """``post(Cmd.INIT, {...})``: ``w.init(uri="sip:1001@127.0.0.1", password="...", ...)``."""
        self.post(Cmd.INIT, {**(config or {}), **fields})

    def login(self):
        self.post(Cmd.LOGIN)

    def logout(self):
        self.post(Cmd.LOGOUT)

    def register(self):
        self.post(Cmd.REGISTER)

    def unregister(self):
        self.post(Cmd.UNREGISTER)

    # ---- sessions (thin sugar over CALL / ANSWER / ...) ------------------------------------------
    def call(self, target, session_id=None, **options):
        """Starts an outgoing call and returns its session id.

        The id is chosen here (a uuid4, or ``session_id``) and passed as CALL's ``sessionId``, so it
        is known before the first event and a ``wait_for(..., {"sessionId": sid})`` cannot miss.
        ``options`` become CALL's ``options`` (e.g. ``audio={"input": "file:/p.wav"}``)."""
        sid = session_id or str(uuid.uuid4())
        data = {"target": str(target), "sessionId": sid}
        if options:
            data["options"] = options
        self.post(Cmd.CALL, data)
        return sid

    def answer(self, session_id, **options):
        """Answers an incoming call; ``options`` become ANSWER's ``options``."""
        data = {"sessionId": session_id}
        if options:
            data["options"] = options
        self.post(Cmd.ANSWER, data)

    def hangup(self, session_id, is_timeout=False):
        """Cancels, rejects or ends the call; ``is_timeout=True`` ends it as a client-side timeout."""
        self.post(Cmd.HANGUP, {"sessionId": session_id, "isTimeout": bool(is_timeout)})

    def delete_session(self, session_id):
        """SESSTION_DEL: hangs up if needed and forgets the session."""
        self.post(Cmd.SESSTION_DEL, {"sessionId": session_id})

    def hold(self, session_id):
        self.post(Cmd.HOLD, {"sessionId": session_id})

    def unhold(self, session_id):
        self.post(Cmd.UNHOLD, {"sessionId": session_id})

    def mute(self, session_id):
        self.post(Cmd.MUTE, {"sessionId": session_id})

    def unmute(self, session_id):
        self.post(Cmd.UNMUTE, {"sessionId": session_id})

    def dtmf(self, session_id, tones, duration=None, inter_tone_gap=None, transport=None):
        """Sends DTMF tones (extension command); ``transport`` is "rfc4733" or "info"."""
        data = {"sessionId": session_id, "tones": str(tones)}
        if duration is not None:
            data["duration"] = duration
        if inter_tone_gap is not None:
            data["interToneGap"] = inter_tone_gap
        if transport is not None:
            data["transport"] = transport
        self.post(Cmd.DTMF, data)

    def session_info(self, session_id):
        """The session as a dict (sessionId, direction, state, remoteUri, held, muted, ...), or None
        if the worker does not know that session."""
        handle = self._acquire_or_raise()
        try:
            text = _native.sipw_session_info(handle, session_id)
        finally:
            self._release()
        return None if text is None else json.loads(text)

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
            if threading.current_thread() is not self._dispatcher:
                self._lock.wait_for(lambda: self._running_listener not in ids)
        return bool(ids)

    # ---- waiting ---------------------------------------------------------------------------------
    def wait_for(self, name, timeout=5, predicate=None):
        """Blocks until an event matching ``name`` (channel or msg, as :meth:`on`) arrives and returns
        it as a CauseData, or None after ``timeout`` seconds (None: no limit) or once closed.

        It returns the first matching event that no earlier ``wait_for`` on this worker returned,
        including events that arrived before the call (the core keeps a bounded backlog), so
        ``post(Cmd.INIT, ...)`` then ``wait_for(On.ON_REGISTERED)`` never misses a fast event.

        ``predicate``:
          - a dict: the event's fields must equal all of its items, e.g. ``{"sessionId": sid}``.
            Matched in the core: events that do not match stay available to other waiters.
            Prefer this form.
          - a callable ``f(cause_data) -> bool``: each event matching ``name`` is taken from the
            core's backlog in turn and tested here; events it rejects count as returned, so a later
            ``wait_for`` will not see them. (A non-consuming test would need the binding to keep
            its own copy of the backlog, duplicating the core; narrow ``name`` or use a dict when
            other waiters need the same events.)
        """
        return self._wait_for(_name(name), timeout, predicate, None)

    def _wait_for(self, name, timeout, predicate, cancelled):
        match_json, test = None, None
        if isinstance(predicate, Mapping):
            match_json = json.dumps(dict(predicate), ensure_ascii=False)
        elif callable(predicate):
            test = predicate
        elif predicate is not None:
            raise TypeError("predicate must be a dict of field values or a callable")
        if self._closing:
            raise SipwError.from_code(SipwError.ESHUTDOWN)
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        while cancelled is None or not cancelled.is_set():
            slice_ms = _SLICE_MS
            if deadline is not None:
                slice_ms = min(slice_ms, max(0, int((deadline - time.monotonic()) * 1000)))
            handle = self._acquire()
            if handle is None:
                return None  # closed while waiting
            try:
                native_event = _native.sipw_wait_for(handle, name, match_json, slice_ms)
                if native_event is None and _native.sipw_last_error():
                    raise SipwError.from_last_error(SipwError.EINVAL)
            finally:
                self._release()
            if native_event is not None:
                cause = _take(native_event)
                if test is None or test(cause):
                    return cause
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return None
        return None

    def events(self, name="*", timeout=None):
        """An iterator over the events matching ``name`` that arrive from now on::

            for ev in w.events(timeout=10):   # stops after 10 s without an event, or on close()
                print(ev.msg)

        It is fed by the dispatcher like a listener (it does not take events away from
        :meth:`wait_for`). Close it (or use it as a context manager) to stop collecting."""
        stream = EventStream(self, _name(name), timeout)
        with self._lock:
            if self._closing:
                stream._end()
            else:
                self._streams.add(stream)
        return stream

    # ---- asyncio ---------------------------------------------------------------------------------
    async def wait_for_async(self, name, timeout=5, predicate=None):
        """:meth:`wait_for` for asyncio: runs the blocking wait in the loop's default executor.
        Cancelling the awaiting task stops the wait within one slice (0.1 s)."""
        loop = asyncio.get_running_loop()
        cancelled = threading.Event()
        try:
            return await loop.run_in_executor(
                None, self._wait_for, _name(name), timeout, predicate, cancelled)
        finally:
            cancelled.set()

    def aevents(self, name="*", timeout=None):
        """:meth:`events` as an async iterator: ``async for ev in w.aevents(timeout=10): ...``.
        Like :meth:`events` it collects from the moment it is called, not from the first await."""
        return self.events(name, timeout)

    # ---- dispatcher ------------------------------------------------------------------------------
    def _dispatch_loop(self):
        # Once close() begins (on another thread) the loop drains what the core already queued, as
        # sipw_destroy does for native listeners, and stops at the first empty poll.
        while True:
            draining = self._closing
            handle = self._acquire(draining=True)
            if handle is None:
                return
            try:
                native_event = _native.sipw_wait_event(handle, 0 if draining else _SLICE_MS)  # GIL released
            finally:
                self._release()
            if native_event is not None:
                self._deliver(_take(native_event))
            elif draining:
                return

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

    def _forget_stream(self, stream):
        with self._lock:
            self._streams.discard(stream)

    # ---- lifetime --------------------------------------------------------------------------------
    def close(self):
        """Hangs up every call, unregisters (bounded wait) and frees the worker. Idempotent.

        From another thread: new posts and waits are refused at once, listeners still receive the
        events already queued (as sipw_destroy does in C), then the dispatcher stops; close() waits
        for a running listener to return. From inside a listener: it does not wait for that
        listener (no deadlock) and no further event is delivered. The events the shutdown itself
        causes are not delivered (to see the unregistration, post LOGOUT and wait_for
        ``unregistered`` first)."""
        on_dispatcher = threading.current_thread() is self._dispatcher
        with self._lock:
            first = not self._closing
            self._closing = True
            if on_dispatcher:
                self._delivering = False
            self._lock.notify_all()
        if not first:
            if not on_dispatcher:
                self._closed.wait()
            return
        if not on_dispatcher:
            self._dispatcher.join()  # drains, then ends after the running listener
        with self._lock:
            self._delivering = False
            streams, self._streams = self._streams, set()
        for stream in streams:
            stream._end()
        with self._lock:
            self._lock.wait_for(lambda: self._leases == 0)  # each lease ends within one slice
        _native.sipw_destroy(self._handle)  # GIL released: it waits on the core's threads
        self._handle = None
        self._closed.set()
        _live_workers.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


_END = object()


class EventStream:
    """Iterator (sync and async) over a worker's events (see :meth:`SipWorker.events`)."""

    def __init__(self, worker, name, timeout):
        self._worker = worker
        self.name = name
        self._timeout = timeout
        self._queue = queue.SimpleQueue()
        self._done = False

    def _put(self, ev):
        self._queue.put(ev)

    def _end(self):
        self._queue.put(_END)

    def next_or_none(self):
        """The next event, or None once the stream ended (idle timeout, close)."""
        if self._done:
            return None
        try:
            item = self._queue.get(timeout=self._timeout)
        except queue.Empty:
            item = _END
        if item is _END:
            self.close()
            return None
        return item

    def __iter__(self):
        return self

    def __next__(self):
        ev = self.next_or_none()
        if ev is None:
            raise StopIteration
        return ev

    def __aiter__(self):
        return self

    async def __anext__(self):
        # The blocking get runs in the loop's default executor; the event loop stays free.
        ev = await asyncio.get_running_loop().run_in_executor(None, self.next_or_none)
        if ev is None:
            raise StopAsyncIteration
        return ev

    def close(self):
        self._done = True
        self._worker._forget_stream(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
