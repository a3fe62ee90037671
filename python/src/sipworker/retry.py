"""Retry: the original library's useRetry helper (per-id attempt counters, growing delays) over sipw_retry_*."""
import itertools
import logging
import threading

from . import sipw as _native
from ._pump import Pump, pulled
from .errors import SipwError

log = logging.getLogger("sipworker")
_retry_numbers = itertools.count(1)


class Retry:
    """Per-id retry counters with a maximum, and delayed retries, kept by the core.

    ``default_max_retry`` applies to ids without :meth:`update_max_retry` (negative: unlimited);
    the n-th delayed attempt of an id waits ``base_delay_ms + (n - 1) * increase_ms``.

    :meth:`delay_retry` callbacks run in one place, one at a time: on this helper's own Python
    thread (a greenlet under gevent), or on the asyncio loop it was created in, never on a native
    thread. An exception a callback raises is logged on the ``sipworker`` logger. Use it as a
    context manager or call :meth:`close`, which cancels the retries still pending.
    """

    def __init__(self, default_max_retry=5, base_delay_ms=1000):
        handle = _native.sipw_retry_create(default_max_retry, base_delay_ms)
        if handle is None:
            raise SipwError.from_last_error(_native.sipw_last_error_code())
        self._handle = handle
        self._lock = threading.Lock()
        self._callbacks = {}  # ticket -> (id, fn) of the delayed retries not run yet
        self._tickets = itertools.count(1)
        self._pump = None  # started by the first delayed retry
        self.number = next(_retry_numbers)

    def _checked(self, fn, *args):
        """Calls a sipw_retry_* function and raises what the core answered (ESHUTDOWN once closed)."""
        result = fn(self._handle, *args)
        code = _native.sipw_last_error_code()
        if code:
            raise SipwError.from_last_error(code)
        return result

    def update_max_retry(self, retry_id, max_retry):
        """Sets the maximum of attempts for ``retry_id`` (negative: unlimited)."""
        self._checked(_native.sipw_retry_update_max, retry_id, max_retry)

    def get_retry_time(self, retry_id):
        """How many attempts ``retry_id`` has used since its last :meth:`reset`."""
        return self._checked(_native.sipw_retry_get_count, retry_id)

    def is_max(self, retry_id):
        return self._checked(_native.sipw_retry_is_max, retry_id) == 1

    def retry(self, retry_id):
        """Counts one attempt and returns True, or returns False once the maximum is reached."""
        return self._checked(_native.sipw_retry_retry, retry_id) == 1

    def reset(self, retry_id):
        self._checked(_native.sipw_retry_reset, retry_id)

    def delay_retry(self, retry_id, fn, increase_ms=0):
        """Counts one attempt and calls ``fn(retry_id)`` once its delay has passed. Returns the delay
        in ms, or 0 when the maximum was reached (then ``fn`` is never called)."""
        if not callable(fn):
            raise TypeError("fn must be callable")
        ticket = next(self._tickets)
        with self._lock:
            self._callbacks[ticket] = (retry_id, fn)
            if self._pump is None:
                self._pump = Pump(f"sipw-retry-{self.number}", self._checked(_native.sipw_retry_fd),
                                  self._next_due, self._run, lambda: None)
        delay = 0
        try:
            delay = self._checked(_native.sipw_retry_delay_queued, retry_id, increase_ms, ticket)
        finally:
            if delay <= 0:  # nothing was scheduled
                with self._lock:
                    self._callbacks.pop(ticket, None)
        return delay

    def _next_due(self):
        return pulled(*_native.sipw_retry_next_due(self._handle, 0))

    def _run(self, ticket):
        with self._lock:
            retry_id, fn = self._callbacks.pop(ticket, (None, None))
        if fn is None:  # closed since it was due
            return
        try:
            fn(retry_id)
        except Exception:
            log.exception("retry callback %r for %r raised", fn, retry_id)

    def close(self):
        """Cancels the pending delayed retries and frees the helper. Idempotent; from inside a
        callback it does not wait for that callback."""
        _native.sipw_retry_destroy(self._handle)
        with self._lock:
            self._callbacks.clear()
            pump = self._pump
        if pump is not None:
            pump.finish()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
