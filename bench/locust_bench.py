#!/usr/bin/python3
"""Calls one Locust worker process sustains, next to the same load from plain Python threads.

    tests/netns-run.sh env PYTHONPATH=build/python /usr/bin/python3 bench/locust_bench.py [--users 10,20] [--repeat 2]

For each number of users N, twice: N SipUsers in one Locust worker process (a headless master and
one --worker), then N Python threads running the very same register / call / unregister steps
(sipworker._calls) in one process. Every user calls the answering peer (examples/python/
answering_peer.py, sending a 440 Hz tone; another process on the same machine), holds the call
--duration seconds, waits --wait seconds, calls again. Measured in the load process over a window
that opens --warmup seconds after its first registration: CPU of the whole process (native threads
included), calls completed per second, average concurrent calls (Little's law: rate × call length),
median set-up and first audio, failures. One user records every call it makes: the recordings are
checked for gaps (a 10 ms block of silence between the first and last block of tone). Each pair of
runs is repeated --repeat times, the modes alternating; the CPU comparison takes the medians.

Needs the loopback Kamailio of tests/netns-run.sh (accounts are added through its control socket).
Prints a table and one JSON line per run; asserts nothing.
"""
import argparse
import glob
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CTL = "unix:" + os.path.join(ROOT, "tests", "servers", "run", "kamailio_ctl")
PEER, FIRST_CALLER = 7100, 7101
PY = sys.executable


def kamcmd(*args):
    subprocess.run(["kamcmd", "-s", CTL, *args], check=True, capture_output=True, timeout=10)


def child_env(**extra):
    return dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, *(p for p in sys.path if p)]), PYTHONUTF8="1",
                **{k: str(v) for k, v in extra.items()})


def start_peer(directory):
    log = open(os.path.join(directory, "peer.log"), "w+")
    peer = subprocess.Popen([PY, os.path.join(ROOT, "examples", "python", "answering_peer.py"), "--user", str(PEER),
                             "--password", f"pass{PEER}"], stdout=log, stderr=subprocess.STDOUT, env=child_env())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        log.seek(0)
        if "registered" in log.read():
            return peer
        time.sleep(0.1)
    peer.kill()
    raise SystemExit("the answering peer did not register")


def run_locust(args, users, directory, common):
    port = 5557 + random.randrange(1000)
    base = [PY, "-m", "locust", "-f", os.path.join(HERE, "locust_bench_locustfile.py")]
    env = child_env(**common)
    master = subprocess.Popen([*base, "--master", "--headless", "--master-bind-host", "127.0.0.1",
                               "--master-bind-port", str(port), "--expect-workers", "1", "-u", str(users),
                               "-r", str(users), "--run-time", f"{int(args.run_time)}s", "--stop-timeout", "15",
                               "--only-summary"],
                              stdout=open(os.path.join(directory, "master.log"), "w"), stderr=subprocess.STDOUT, env=env)
    worker = subprocess.Popen([*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)],
                              stdout=open(os.path.join(directory, "worker.log"), "w"), stderr=subprocess.STDOUT, env=env)
    try:
        master.wait(args.run_time + 120)
        worker.wait(60)
    finally:
        for process in (master, worker):
            if process.poll() is None:
                process.kill()


def run_threads(args, users, directory, common):
    child = subprocess.Popen([PY, __file__, "--threads-child", str(users), "--run-time", str(args.run_time)],
                             stdout=open(os.path.join(directory, "threads.log"), "w"), stderr=subprocess.STDOUT,
                             env=child_env(**common))
    child.wait(args.run_time + 120)


def threads_child(users, run_time):
    """N plain threads, each a user running the same steps as SipUser (no Locust, no gevent)."""
    from sipworker import SipWorker
    from sipworker._calls import Call, register, unregister
    from load_window import Window, recording_path

    env = os.environ
    window = Window(env["SIPW_BENCH_RESULT"], float(env["SIPW_BENCH_WARMUP"]), float(env["SIPW_BENCH_WINDOW"]))
    stop = threading.Event()
    lock = threading.Lock()

    def report(name, ms, failure):
        with lock:
            window.report(name, ms, failure)

    def user(i):
        n = FIRST_CALLER + i
        with SipWorker() as w:
            config = {"uri": f"sip:{n}@127.0.0.1", "password": f"pass{n}", "sipServer": [env["SIPW_BENCH_SERVER"]],
                      "sipWorkerid": f"threads-{i}", "audio": {"input": "silence", "output": "null"}}
            if not register(w, config, 40.0, report):
                return
            calls = 0
            while not stop.is_set():
                options = {}
                if i == 0:
                    options["audio"] = {"input": "silence",
                                        "output": f"file:{recording_path(env['SIPW_BENCH_RECORDINGS'], 'threads', calls)}"}
                    calls += 1
                Call(w, report).run(env["SIPW_BENCH_TARGET"], float(env["SIPW_BENCH_DURATION"]), **options)
                stop.wait(float(env["SIPW_BENCH_WAIT"]))
            unregister(w, 10.0, report)

    threads = []
    for i in range(users):  # spawned at N users per second, as Locust's -r N does
        threads.append(threading.Thread(target=user, args=(i,)))
        threads[-1].start()
        time.sleep(1.0 / users)
    time.sleep(run_time - 1.0)
    stop.set()
    for t in threads:
        t.join()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", default="10,20", help="comma-separated numbers of users (default 10,20)")
    p.add_argument("--duration", type=float, default=3.0, help="seconds each call is held (default 3)")
    p.add_argument("--wait", type=float, default=1.0, help="seconds between a user's calls (default 1)")
    p.add_argument("--run-time", type=int, default=30, help="seconds of each run (default 30)")
    p.add_argument("--warmup", type=float, default=6.0, help="seconds from the first registration to the window")
    p.add_argument("--window", type=float, default=18.0, help="seconds measured (default 18)")
    p.add_argument("--repeat", type=int, default=2, help="runs of each mode per number of users (default 2)")
    p.add_argument("--threads-child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.threads_child:
        return threads_child(args.threads_child, args.run_time)

    users_list = [int(u) for u in args.users.split(",")]
    for n in [PEER, *range(FIRST_CALLER, FIRST_CALLER + max(users_list))]:
        kamcmd("htable.sets", "users", f"s:{n}", f"pass{n}")
    top = tempfile.mkdtemp(prefix="sipw-locust-bench-")
    peer = start_peer(top)
    rows = []
    try:
        for users, repeat in [(u, r) for u in users_list for r in range(args.repeat)]:
            # Alternating modes, so that a change in what else the machine runs hits both alike.
            for mode, run in (("locust", run_locust), ("threads", run_threads)):
                directory = os.path.join(top, f"{mode}-{users}-{repeat}")
                recordings = os.path.join(directory, "rec")
                os.makedirs(recordings)
                result = os.path.join(directory, "result.json")
                common = dict(SIPW_BENCH_RESULT=result, SIPW_BENCH_WARMUP=args.warmup, SIPW_BENCH_WINDOW=args.window,
                              SIPW_BENCH_RECORDINGS=recordings, SIPW_BENCH_TARGET=PEER, SIPW_BENCH_FIRST_USER=FIRST_CALLER,
                              SIPW_BENCH_ACCOUNTS=users, SIPW_BENCH_DURATION=args.duration, SIPW_BENCH_WAIT=args.wait,
                              SIPW_BENCH_SERVER="sip:127.0.0.1:5060;transport=udp")
                run(args, users, directory, common)
                with open(result) as f:
                    row = json.load(f)
                from load_window import recording_gaps
                checked = [recording_gaps(path) for path in sorted(glob.glob(os.path.join(recordings, "*.wav")))]
                row.update(mode=mode, users=users, repeat=repeat, recorded=len(checked),
                           gap_free=sum(1 for gaps, _ in checked if gaps == 0),
                           gap_blocks=sum(gaps or 0 for gaps, _ in checked), silent=sum(g is None for g, _ in checked))
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        peer.send_signal(signal.SIGTERM)
        peer.wait(30)
    print(f"\n{'mode':8} {'users':>5} {'CPU %':>6} {'calls/s':>7} {'concurrent':>10} {'CPU %/call':>10} "
          f"{'setup ms':>8} {'audio ms':>8} {'p95':>5} {'failed':>6} {'gap-free':>9}")
    for r in rows:
        per_call = r["cpu_percent"] / r["concurrent_calls"] if r["concurrent_calls"] else float("nan")
        print(f"{r['mode']:8} {r['users']:5d} {r['cpu_percent']:6.1f} {r['calls_per_s']:7.2f} {r['concurrent_calls']:10.1f} "
              f"{per_call:10.2f} {r['setup_median_ms'] or 0:8.0f} {r['first_audio_median_ms'] or 0:8.0f} "
              f"{r['first_audio_p95_ms'] or 0:5.0f} {r['failed']:6d} {r['gap_free']:4d}/{r['recorded']:<4d}")
    for users in users_list:
        # Per call (two runs need not complete exactly as many calls), median over the repeats.
        per_call = {mode: statistics.median(r["cpu_percent"] / max(r["concurrent_calls"], 1e-9)
                                            for r in rows if r["users"] == users and r["mode"] == mode)
                    for mode in ("locust", "threads")}
        print(f"{users} users: median CPU per concurrent call: Locust {per_call['locust']:.2f} %, threads "
              f"{per_call['threads']:.2f} % of a core: Locust {100 * (per_call['locust'] / per_call['threads'] - 1):+.1f} %")
    print(f"logs and recordings: {top}")


if __name__ == "__main__":
    sys.exit(main())
