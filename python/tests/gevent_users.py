"""N greenlet users under gevent's monkey patching, as a Locust worker process runs them, while a
greenlet ticks every 10 ms. Run by test_event_loops.py in a child interpreter (patching is for the
whole process); prints one JSON report line.

Each user creates a worker, receives three `warning` events through a listener and through
wait_for, waits 0.3 s for an event that never comes, and closes the worker. If any of that blocked
the hub in native code, the ticker would stall for as long.

Users are spawned as Locust's spawner does, one per short sleep (here 500 per second), not all in
one go: gevent looks at the clock only every 50 callbacks, so 50 greenlets spawned at once would
run their set-up in one stretch, and the ticker would measure the sum of 50 users' Python and
native set-up instead of the longest single stall.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402  (after patching, as in a locustfile)
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402

from sipworker import Cmd, On, SipWorker  # noqa: E402

SPAWN_INTERVAL_S = 0.002
OFFLINE_INIT = {"uri": "sip:1001@127.0.0.1", "register": False}
real_thread_id = monkey.get_original("threading", "get_ident")
hub_thread = real_thread_id()


def user(report):
    with SipWorker() as w:
        heard, all_heard = [], gevent.event.Event()

        def listener(ev):
            heard.append(real_thread_id())
            if len(heard) == 3:
                all_heard.set()

        w.on(On.ON_WARNING, listener)
        w.post(Cmd.INIT, OFFLINE_INIT)
        for _ in range(3):
            w.post(Cmd.UNREGISTER)
        for _ in range(3):
            assert w.wait_for(On.ON_WARNING, timeout=10) is not None
        timed_out = w.wait_for(On.ON_REGISTERED, timeout=0.3) is None  # yields: count afterwards
        report["timed_out_waits"] += timed_out
        assert all_heard.wait(10)
        report["events"] += len(heard)
        report["os_threads_for_dispatch"] += sum(1 for t in heard if t != hub_thread)
    report["users_done"] += 1


def main(users):
    report = {"users_done": 0, "events": 0, "timed_out_waits": 0, "os_threads_for_dispatch": 0}
    gaps, stop = [], gevent.event.Event()

    def ticker():
        last = time.monotonic()
        while not stop.is_set():
            gevent.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    tick = gevent.spawn(ticker)
    spawned = []
    for _ in range(users):
        spawned.append(gevent.spawn(user, report))
        gevent.sleep(SPAWN_INTERVAL_S)
    gevent.joinall(spawned, raise_error=True)
    stop.set()
    tick.join()
    report["ticker_max_gap_ms"] = round(max(gaps) * 1000, 1)
    report["ticks"] = len(gaps)
    print(json.dumps(report))


if __name__ == "__main__":
    main(int(sys.argv[1]))
