"""EventStream: a worker's events as an iterator, for plain loops and for ``async for``."""
import collections

from ._pump import Signal


class EventStream:
    """Iterator (sync and async) over the events of a worker that match a name, from the moment it
    was made (see :meth:`SipWorker.events`). It ends after ``timeout`` seconds without an event
    (None: never), when the worker closes, or when closed; use it as a context manager or call
    :meth:`close` to stop collecting."""

    def __init__(self, worker, name, timeout):
        self._worker = worker
        self.name = name
        self._timeout = timeout
        self._items = collections.deque()
        self._arrived = Signal()
        self._ended = False

    def _put(self, ev):
        self._items.append(ev)
        self._arrived.notify()

    def _end(self):
        self._ended = True
        self._arrived.notify()

    def next_or_none(self):
        """The next event, or None once the stream ended (idle timeout, close)."""
        while True:
            seen = self._arrived.generation
            if self._items:
                return self._items.popleft()
            if self._ended or not self._arrived.wait(seen, self._timeout):
                self.close()
                return None

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
        while True:
            seen = self._arrived.generation
            if self._items:
                return self._items.popleft()
            if self._ended or not await self._arrived.wait_async(seen, self._timeout):
                self.close()
                raise StopAsyncIteration

    def close(self):
        self._ended = True
        self._worker._forget_stream(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
