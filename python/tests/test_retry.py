"""Retry: the core's counters and delays, with delayed callbacks on a Python thread of the helper."""
import asyncio
import logging
import threading

import pytest

from sipworker import Retry, SipwError


def test_counters_follow_the_maximum():
    with Retry(default_max_retry=2, base_delay_ms=10) as r:
        assert r.get_retry_time("a") == 0 and not r.is_max("a")
        assert r.retry("a") and r.retry("a")
        assert r.is_max("a") and not r.retry("a")
        assert r.get_retry_time("a") == 2
        r.reset("a")
        assert r.get_retry_time("a") == 0
        r.update_max_retry("b", -1)  # unlimited
        assert all(r.retry("b") for _ in range(50))


def test_delay_grows_and_callbacks_run_on_the_helpers_python_thread():
    fired, done = [], threading.Event()

    def fn(retry_id):
        fired.append((retry_id, threading.current_thread().name))
        if len(fired) == 3:
            done.set()

    with Retry(default_max_retry=3, base_delay_ms=5) as r:
        delays = [r.delay_retry("conn", fn, increase_ms=10) for _ in range(4)]
        assert delays == [5, 15, 25, 0]  # the fourth attempt is over the maximum: never called
        assert done.wait(5)
    assert [i for i, _ in fired] == ["conn"] * 3
    # A Python thread of the helper's own (a native thread calling Python would be a _DummyThread).
    assert {name for _, name in fired} == {f"sipw-retry-{r.number}"}


def test_a_raising_callback_is_logged_and_the_next_one_runs(caplog):
    after = threading.Event()

    def broken(retry_id):
        raise ValueError("boom in a retry callback")

    with caplog.at_level(logging.ERROR, logger="sipworker"), Retry(5, 1) as r:
        r.delay_retry("x", broken)
        r.delay_retry("x", lambda retry_id: after.set())
        assert after.wait(5)
    assert any("boom in a retry callback" in (rec.exc_text or "") for rec in caplog.records)


def test_close_cancels_pending_retries_and_refuses_calls():
    ran = []
    r = Retry(5, 60_000)
    assert r.delay_retry("late", ran.append) == 60_000
    r.close()
    r.close()  # idempotent
    assert ran == []
    with pytest.raises(SipwError) as ei:
        r.retry("late")
    assert ei.value.code == SipwError.ESHUTDOWN and ei.value.message_cn


def test_close_from_inside_a_callback():
    closed = threading.Event()
    r = Retry(5, 1)

    def closer(retry_id):
        r.close()  # on the helper's own thread: must not wait for itself
        closed.set()

    r.delay_retry("x", closer)
    assert closed.wait(5)


def test_bad_arguments_are_refused_with_both_texts():
    with pytest.raises(SipwError) as ei:
        Retry(5, -1)
    assert ei.value.code == SipwError.EINVAL and "base_delay_ms" in ei.value.message
    with Retry() as r, pytest.raises(TypeError):
        r.delay_retry("x", "not callable")


def test_callbacks_run_on_the_asyncio_loop_it_was_created_in():
    async def scenario():
        loop_thread, fired = threading.current_thread(), asyncio.Event()
        seen = []
        with Retry(5, 1) as r:
            r.delay_retry("x", lambda retry_id: (seen.append(threading.current_thread()), fired.set()))
            await asyncio.wait_for(fired.wait(), 5)
        return seen, loop_thread

    seen, loop_thread = asyncio.run(scenario())
    assert seen == [loop_thread]
