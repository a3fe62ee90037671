"""How what the core queues reaches Python code, without a native thread ever calling Python.

The core queues (a worker's events, a retry helper's due tickets) and offers a descriptor that is
readable while its queue holds something. A :class:`Pump` waits on that descriptor and drains the
queue with zero-timeout pulls, handing each item to its owner in one place:

- a Python thread of its own, by default. Under gevent's monkey patching (Locust) ``threading`` and
  ``selectors`` are gevent's, so the very same code is a greenlet that waits cooperatively;
- the running asyncio loop (``add_reader``) when the owner is created inside one: no thread at all.

When the core's object is destroyed its descriptor turns readable for good and the next pull says
so (:class:`Closed`): the pump ends by itself. It waits on a ``dup()`` of the descriptor, so the
core may close its own at any moment.
"""
import asyncio
import os
import select
import selectors
import sys
import threading

from .errors import SipwError


def gevent_patched():
    """True when gevent's monkey patching replaced threads by greenlets (as importing locust does).
    Read at each use, never at import: locust may be imported after sipworker."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def run_off_hub(fn, *args):
    """Runs a native call that may block for a while (sipw_destroy's bounded wait). Under gevent it
    runs on a thread of gevent's pool, so the hub and every other greenlet keep running."""
    if gevent_patched():
        import gevent
        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)


class Closed(Exception):
    """Raised by a pump's pull function once the core's object is closed (SIPW_ESHUTDOWN)."""


def pulled(rc, item):
    """What a native zero-timeout pull answered: its item (1), None (0: nothing queued), or
    :class:`Closed` (SIPW_ESHUTDOWN); any other code is raised as the core's error."""
    if rc == 1:
        return item
    if rc == 0:
        return None
    if rc == SipwError.ESHUTDOWN:
        raise Closed
    raise SipwError.from_last_error(rc)


class Signal:
    """Says "something new arrived" to threads and greenlets (a Condition) and to asyncio tasks on
    any loop. Waiters note ``generation`` before looking, then wait for it to change."""

    def __init__(self):
        self._cond = threading.Condition()
        self.generation = 0
        self._futures = []

    def notify(self):
        with self._cond:
            self.generation += 1
            self._cond.notify_all()
            futures, self._futures = self._futures, []
        for future in futures:
            try:
                future.get_loop().call_soon_threadsafe(_set_done, future)
            except RuntimeError:  # that task's loop is closed: nobody is waiting any more
                pass

    def wait(self, seen, timeout):
        """Blocks until ``generation != seen``; False if ``timeout`` seconds (None: no limit) passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self.generation != seen, timeout)

    async def wait_async(self, seen, timeout):
        """:meth:`wait` for asyncio."""
        future = asyncio.get_running_loop().create_future()
        with self._cond:
            if self.generation != seen:
                return True
            self._futures.append(future)
        try:
            await asyncio.wait_for(future, timeout)
            return True
        except asyncio.TimeoutError:
            return False


def _set_done(future):
    if not future.done():
        future.set_result(None)


class Pump:
    """Delivers what a native queue holds, on its own thread (greenlet) or on the running asyncio loop.

    ``pull()`` returns the next item, None when the queue is empty, or raises :class:`Closed`;
    ``arrived()`` runs after each pull that took an item, before ``deliver(item)`` (so waiters on
    the core's backlog hear of it even while a slow listener runs).
    """

    def __init__(self, name, fd, pull, deliver, arrived):
        self._fd = os.dup(fd)
        self._pull, self._deliver, self._arrived = pull, deliver, arrived
        self._drained = threading.Condition()  # guards the three below
        self._busy = False  # inside a drain
        self._drains = 0  # drains finished (each one left the queue empty)
        self._ended = False
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._thread = None
        if self._loop is not None:
            self._loop.add_reader(self._fd, self._on_readable)
        else:
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    def is_current(self):
        """True where the pump delivers: its thread, or its loop's thread."""
        if self._thread is not None:
            return threading.current_thread() is self._thread
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def catch_up(self):
        """Returns once everything the queue held when it was called has been delivered. At once where
        the pump delivers (an owner closed from its own listener), or when its loop is not running."""
        if self.is_current() or (self._loop is not None and not self._loop.is_running()):
            return
        with self._drained:
            seen = self._drains
            if self._busy or (not self._ended and select.select([self._fd], [], [], 0)[0]):
                self._drained.wait_for(lambda: self._drains != seen or self._ended)

    def finish(self):
        """Once the owner is closed: waits for the pump's thread to end (at once on that thread). An
        asyncio pump ends now on its loop's thread, else on the loop's next turn."""
        if self._thread is not None:
            if not self.is_current():
                self._thread.join()
        elif self.is_current() or self._loop.is_closed():
            self._on_readable()
        else:
            self._loop.call_soon_threadsafe(self._on_readable)

    def _drain(self):
        """Delivers everything queued; False once the owner is closed."""
        with self._drained:
            self._busy = True
        ended = False
        try:
            while True:
                item = self._pull()
                if item is None:
                    return True
                self._arrived()
                self._deliver(item)
        except Closed:
            ended = True
            return False
        finally:
            with self._drained:
                self._busy, self._ended = False, ended
                self._drains += 1
                self._drained.notify_all()

    def _run(self):
        try:
            with selectors.DefaultSelector() as selector:  # gevent's under monkey patching
                selector.register(self._fd, selectors.EVENT_READ)
                while self._drain():
                    selector.select()
        finally:
            os.close(self._fd)

    def _on_readable(self):
        if self._fd is not None and not self._drain():
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = None
