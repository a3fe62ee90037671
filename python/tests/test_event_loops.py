"""Workers on event loops: asyncio without threads, and gevent's monkey patching (Locust's model).

Both wait on the worker's event descriptor instead of blocking in native code. No server needed:
with INIT `register: false` each UNREGISTER is answered by one local `warning` event.
"""
import asyncio
import json
import os
import subprocess
import sys
import threading

import pytest

from sipworker import Cmd, On, SipWorker

from conftest import offline_config

HERE = os.path.dirname(os.path.abspath(__file__))


def test_a_hundred_workers_on_one_asyncio_loop_use_no_thread():
    async def scenario():
        threads_before = threading.active_count()
        loop_thread = threading.current_thread()
        listener_threads = set()
        workers = [SipWorker() for _ in range(100)]  # created in the loop: they deliver on it
        try:
            for w in workers:
                w.on(On.ON_WARNING, lambda ev: listener_threads.add(threading.current_thread()))
                w.post(Cmd.INIT, offline_config())
            streams = [w.aevents(On.ON_WARNING, timeout=5) for w in workers]
            waits = [asyncio.ensure_future(w.wait_for_async(On.ON_WARNING, timeout=5)) for w in workers]
            await asyncio.sleep(0)  # every wait is parked on the loop before its event exists
            for w in workers:
                w.post(Cmd.UNREGISTER)
            got = await asyncio.gather(*waits)
            streamed = [await s.__anext__() for s in streams]
            nothing = await asyncio.gather(*(w.wait_for_async(On.ON_REGISTERED, timeout=0.2) for w in workers))
            threads_during = threading.active_count()
        finally:
            await asyncio.gather(*(w.aclose() for w in workers))
        return threads_before, threads_during, got, streamed, nothing, listener_threads, loop_thread

    before, during, got, streamed, nothing, listener_threads, loop_thread = asyncio.run(scenario())
    assert during == before, "a worker on an asyncio loop started a thread"
    assert all(ev is not None and ev.data["key"] == "not_registered" for ev in got)
    assert all(ev.data["key"] == "not_registered" for ev in streamed)
    assert nothing == [None] * 100
    assert listener_threads == {loop_thread}


def test_closing_an_asyncio_worker_ends_its_waits():
    async def scenario():
        w = SipWorker()
        w.post(Cmd.INIT, offline_config())
        waiting = asyncio.ensure_future(w.wait_for_async(On.ON_REGISTERED, timeout=30))
        stream = w.aevents()
        await asyncio.sleep(0)  # the wait is parked on the loop
        await w.aclose()
        return await asyncio.wait_for(waiting, 5), [ev async for ev in stream]

    assert asyncio.run(scenario()) == (None, [])


def test_fifty_greenlet_users_never_stall_the_gevent_hub():
    pytest.importorskip("gevent")
    # Monkey patching is for the whole process: it runs in a child interpreter of its own.
    done = subprocess.run([sys.executable, os.path.join(HERE, "gevent_users.py"), "50"],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["users_done"] == 50, report
    assert report["events"] == 50 * 3 and report["timed_out_waits"] == 50, report
    # A native call blocking the hub would stop the ticker for its whole duration (>= 300 ms here);
    # one user's set-up between two ticks takes a few milliseconds.
    assert report["ticker_max_gap_ms"] < 100, report
    assert report["os_threads_for_dispatch"] == 0, report
