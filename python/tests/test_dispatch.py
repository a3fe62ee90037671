"""Listener dispatch, wait_for, iterators and close(), without a SIP server.

With INIT `register: false` the user agent does not connect, and each UNREGISTER is answered by the
core with one `warning` event ("not registered"): a cheap, local source of events.
"""
import asyncio
import logging
import threading
import time

import pytest

from sipworker import Cmd, On, SipwError

from conftest import offline_config

NOT_REGISTERED = "not_registered"


def warning_key(ev):
    return (ev.data or {}).get("key")


def configured(make_worker, **extra):
    w = make_worker()
    w.post(Cmd.INIT, offline_config(**extra))
    return w


class Collector:
    """A listener that records events and lets the test wait for a count."""

    def __init__(self, key=NOT_REGISTERED):
        self.key = key
        self.events = []
        self.threads = set()
        self.cond = threading.Condition()

    def __call__(self, ev):
        if self.key and warning_key(ev) != self.key:
            return
        with self.cond:
            self.events.append(ev)
            self.threads.add(threading.current_thread().name)
            self.cond.notify_all()

    def wait_count(self, n, timeout=10):
        with self.cond:
            return self.cond.wait_for(lambda: len(self.events) >= n, timeout)


def test_listener_runs_on_the_python_dispatcher_in_order(make_worker):
    w = configured(make_worker)
    got = Collector()
    w.on(On.ON_WARNING, got)
    for _ in range(20):
        w.post(Cmd.UNREGISTER)
    assert got.wait_count(20)
    assert got.threads == {f"sipw-dispatch-{w.number}"}
    times = [ev.time for ev in got.events]
    assert times == sorted(times)


def test_on_as_decorator_and_off(make_worker):
    w = configured(make_worker)
    seen = []

    @w.on(On.ON_REGISTERED)  # returns the function unchanged
    def never(ev):
        seen.append(("registered", ev))

    @w.on("warning")
    def warned(ev):
        seen.append(("warning", ev))

    assert callable(never) and callable(warned)
    w.post(Cmd.UNREGISTER)
    assert w.wait_for("warning", timeout=5) is not None
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [kind for kind, _ in seen] == ["warning"]
    assert w.off(warned) is True
    assert w.off(warned) is False
    lid = w.on("*", lambda ev: None)
    assert w.off(lid) is True and w.off(lid) is False


def test_exception_in_a_callback_is_logged_and_dispatch_continues(make_worker, caplog):
    w = configured(make_worker)
    got = Collector()

    def broken(ev):
        raise ValueError("boom in a user callback")

    w.on(On.ON_WARNING, broken)
    w.on(On.ON_WARNING, got)
    with caplog.at_level(logging.ERROR, logger="sipworker"):
        for _ in range(5):
            w.post(Cmd.UNREGISTER)
        assert got.wait_count(5)
    errors = [r for r in caplog.records if r.name == "sipworker" and r.levelno == logging.ERROR]
    assert len(errors) == 5
    assert all("boom in a user callback" in (r.exc_text or "") for r in errors)


def test_callback_may_post(make_worker):
    w = configured(make_worker)
    got = Collector()
    posted = []

    def chain(ev):
        if warning_key(ev) == NOT_REGISTERED and len(posted) < 50:
            posted.append(1)
            w.post(Cmd.UNREGISTER)  # from the dispatcher thread: no deadlock

    w.on(On.ON_WARNING, chain)
    w.on(On.ON_WARNING, got)
    w.post(Cmd.UNREGISTER)
    assert got.wait_count(51), f"only {len(got.events)} events"


def test_blocking_callback_loses_nothing_and_blocks_nobody(make_worker):
    w = configured(make_worker)
    got = Collector()
    first = threading.Event()

    def slow(ev):
        if not first.is_set():
            first.set()
            time.sleep(1.0)

    w.on(On.ON_WARNING, slow)
    w.on(On.ON_WARNING, got)
    w.post(Cmd.UNREGISTER)
    assert first.wait(5)
    t0 = time.monotonic()
    for _ in range(200):
        w.post(Cmd.UNREGISTER)  # while the dispatcher sleeps in the callback
    assert time.monotonic() - t0 < 0.5, "post() waited for the blocked callback"
    # wait_for is served by the core's backlog, not by the (blocked) dispatcher.
    assert w.wait_for(On.ON_WARNING, timeout=0.5) is not None
    assert got.wait_count(201)
    assert len(got.events) == 201


def test_a_thousand_events_per_second_none_lost(make_worker):
    w = configured(make_worker)
    got = Collector()
    w.on(On.ON_WARNING, got)
    n = 1000
    t0 = time.monotonic()
    for i in range(n):
        w.post(Cmd.UNREGISTER)
        # Pace at 1000/s (the load the SDK promises), catching up if a post was slow.
        ahead = t0 + (i + 1) / 1000.0 - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    posted = time.monotonic() - t0
    assert got.wait_count(n, timeout=10), f"{len(got.events)} of {n} delivered"
    elapsed = time.monotonic() - t0
    print(f"\n{n} events posted in {posted:.2f} s, all delivered after {elapsed:.2f} s "
          f"({n / elapsed:.0f} events/s)")
    assert len(got.events) == n
    assert not [ev for ev in got.events if ev.channel != "warning"]


def test_burst_faster_than_the_listener(make_worker):
    """5000 events posted as fast as possible: every one delivered, none dropped."""
    w = configured(make_worker)
    got = Collector()
    w.on(On.ON_WARNING, got)
    dropped = []
    w.on(On.ON_WARNING, lambda ev: dropped.append(ev) if warning_key(ev) not in (NOT_REGISTERED,) else None)
    for _ in range(5000):
        w.post(Cmd.UNREGISTER)
    assert got.wait_count(5000, timeout=20), f"{len(got.events)} of 5000 delivered"
    assert dropped == []


def test_close_while_a_callback_runs(make_worker):
    w = configured(make_worker)
    inside, calls, after_close = threading.Event(), [], []
    closed = threading.Event()

    def slow(ev):
        if closed.is_set():
            after_close.append(ev)
        calls.append(ev)
        inside.set()
        time.sleep(0.5)

    w.on(On.ON_WARNING, slow)
    w.post(Cmd.UNREGISTER)
    assert inside.wait(5)
    t0 = time.monotonic()
    w.close()  # from another thread: waits for the running callback, never deadlocks
    closed.set()
    assert time.monotonic() - t0 < 5
    time.sleep(0.3)
    assert after_close == []
    assert w.closed


def test_close_from_inside_a_callback(make_worker):
    w = configured(make_worker)
    done = threading.Event()
    errors = []

    def closer(ev):
        try:
            w.close()  # on the dispatcher thread: must not wait for itself
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        done.set()

    w.on(On.ON_WARNING, closer)
    w.post(Cmd.UNREGISTER)
    assert done.wait(10), "close() from a callback deadlocked"
    assert errors == []
    with pytest.raises(SipwError) as ei:
        w.post(Cmd.UNREGISTER)
    assert ei.value.code == SipwError.ESHUTDOWN
    w.close()  # again, from the test thread: returns


def test_close_with_a_waiter_blocked(make_worker):
    w = configured(make_worker)
    result = []
    t = threading.Thread(target=lambda: result.append(w.wait_for(On.ON_REGISTERED, timeout=30)))
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    w.close()
    t.join(5)
    assert not t.is_alive() and result == [None]
    assert time.monotonic() - t0 < 5


def test_post_from_many_threads(make_worker):
    w = configured(make_worker)
    got = Collector()
    w.on(On.ON_WARNING, got)

    def poster():
        for _ in range(100):
            w.post(Cmd.UNREGISTER)

    threads = [threading.Thread(target=poster) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got.wait_count(800)


# ---- wait_for (backlog first, then new events; implemented by the core's sipw_wait_for) -------
def test_wait_for_finds_events_that_came_before_the_call(make_worker):
    w = configured(make_worker)
    w.post(Cmd.UNREGISTER)
    time.sleep(0.3)  # the event is long gone past the listeners
    ev = w.wait_for(On.ON_WARNING, timeout=1)
    assert ev is not None and warning_key(ev) == NOT_REGISTERED
    assert w.wait_for(On.ON_WARNING, timeout=0.2) is None  # already returned once


def test_two_wait_for_calls_return_two_distinct_events(make_worker):
    w = make_worker()
    # Unknown INIT fields each produce a warning naming the field: two distinguishable events.
    w.post(Cmd.INIT, offline_config(firstUnknownField=1))
    w.post(Cmd.INIT, offline_config(secondUnknownField=2))
    first = w.wait_for("warning", timeout=5)
    second = w.wait_for("warning", timeout=5)
    assert first is not None and second is not None
    assert first.data["args"] == ["firstUnknownField"]
    assert second.data["args"] == ["secondUnknownField"]


def test_wait_for_match_is_matched_in_the_core_without_consuming(make_worker):
    w = configured(make_worker)
    w.post(Cmd.UNREGISTER)
    assert w.wait_for(On.ON_WARNING, timeout=0.5, match={"originator": "remote"}) is None
    ev = w.wait_for(On.ON_WARNING, timeout=2, match={"originator": "system"})
    assert ev is not None and ev.originator == "system"


def test_wait_for_match_looks_into_data_and_accepts_lists(make_worker):
    """A field the event lacks is one of its data's; a list accepts any of its values. Events that do
    not match stay for later waits."""
    w = make_worker()
    w.post(Cmd.INIT, offline_config(firstUnknownField=1))
    w.post(Cmd.INIT, offline_config(secondUnknownField=2))
    ev = w.wait_for("*", timeout=5, match={"msg": [On.ON_REGISTERED, On.ON_WARNING], "args": ["secondUnknownField"]})
    assert ev is not None and ev.data["args"] == ["secondUnknownField"]
    first = w.wait_for("warning", timeout=5)
    assert first is not None and first.data["args"] == ["firstUnknownField"]
    with pytest.raises(TypeError):
        w.wait_for("warning", timeout=0, match=lambda e: True)


def test_wait_for_times_out_with_none(make_worker):
    w = configured(make_worker)
    t0 = time.monotonic()
    assert w.wait_for(On.ON_REGISTERED, timeout=0.5) is None
    assert 0.45 < time.monotonic() - t0 < 2


def test_wait_for_releases_the_gil(make_worker, ticking_thread):
    w = configured(make_worker)
    assert w.wait_for(On.ON_REGISTERED, timeout=1.0) is None
    assert len(ticking_thread) > 30


def test_events_iterator(make_worker):
    w = configured(make_worker)
    with w.events(On.ON_WARNING, timeout=1.0) as stream:
        for _ in range(3):
            w.post(Cmd.UNREGISTER)
        got = [ev for ev in stream]  # ends after 1 s without an event
    assert len(got) == 3 and all(warning_key(ev) == NOT_REGISTERED for ev in got)


def test_events_iterator_ends_on_close(make_worker):
    w = configured(make_worker)
    stream = w.events()
    threading.Timer(0.3, w.close).start()
    t0 = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - t0 < 5


def test_asyncio_helpers(make_worker):
    w = configured(make_worker)

    async def scenario():
        waiter = asyncio.ensure_future(w.wait_for_async(On.ON_WARNING, timeout=5))
        await asyncio.sleep(0.1)
        w.post(Cmd.UNREGISTER)
        ev = await waiter
        seen = []
        stream = w.aevents(On.ON_WARNING, timeout=0.5)  # collects from here on
        w.post(Cmd.INIT, offline_config(asyncFieldA=1))
        w.post(Cmd.INIT, offline_config(asyncFieldB=2))
        async for e in stream:
            if warning_key(e) == "unknown_field":  # the first UNREGISTER's warning may come too
                seen.append(e.data["args"][0])
        # A cancelled wait stops in the background and does not swallow a later event.
        task = asyncio.ensure_future(w.wait_for_async(On.ON_REGISTERED, timeout=30))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return ev, seen

    ev, seen = asyncio.run(scenario())
    assert ev is not None and warning_key(ev) == NOT_REGISTERED
    assert seen == ["asyncFieldA", "asyncFieldB"]
