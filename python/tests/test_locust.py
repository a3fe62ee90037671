"""Load tests on Locust (Debian's python3-locust) with sipworker.locust.SipUser.

Everything Locust runs in child processes: importing locust monkey-patches a whole process with
gevent, which this pytest process must not be. The runs use the example locustfile
(examples/python/locustfile.py) and answering peer (examples/python/answering_peer.py) against the
loopback Kamailio of tests/netns-run.sh, whose control socket is asked which bindings exist.
"""
import csv
import glob
import importlib.util
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import SERVER, has_chinese

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "examples", "python")
CTL = "unix:" + os.path.join(ROOT, "tests", "servers", "run", "kamailio_ctl")
PY = sys.executable
# Accounts of their own, added to the running Kamailio: 7000 answers, 7001..7020 call.
PEER = "7000"
CALLERS = [str(n) for n in range(7001, 7021)]
NEVER_REGISTERED = "1020"  # known to the server, never registered: calls to it get 480
REQUESTS = ("register", "call_setup", "first_audio", "call", "unregister")


def skip_unless_ci(reason):
    """Skips, or fails where the servers and packages are required (SIPW_REQUIRE_SERVERS=1, as CI does)."""
    if os.environ.get("SIPW_REQUIRE_SERVERS"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def locust_installed():
    if importlib.util.find_spec("locust") is None:
        skip_unless_ci("Locust is not installed (Debian: apt install python3-locust; scripts/install-deps.sh)")


def child_env(**extra):
    # PYTHONUTF8: Locust opens its CSVs in the locale's encoding; the causes are Chinese.
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), PYTHONUTF8="1", **extra)


def fresh_python(code):
    done = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60, env=child_env())
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def debian_locust_version():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-locust"],
                         capture_output=True, text=True).stdout.strip()
    return out.split(":", 1)[-1].rsplit("-", 1)[0] if out else None


# ---- the version workaround ---------------------------------------------------------------------
def test_debian_locust_still_ships_an_empty_version():
    """Fails once locust has a version of its own: then sipworker.locust's workaround does nothing
    and should go, with this test."""
    raw = fresh_python("import locust.runners; print(repr(locust.runners.__version__))")
    assert raw == "''", (f"locust.runners.__version__ is {raw} without sipworker: the version workaround "
                         "in sipworker/locust.py is no longer needed; remove it and this test")


def test_importing_sipworker_locust_gives_locust_its_real_version():
    out = json.loads(fresh_python(
        "import json, inspect, locust, locust.runners, sipworker.locust as s;"
        "src = inspect.getsource(locust.runners);"
        "print(json.dumps([locust.runners.__version__, locust.__version__, s.LOCUST_VERSION_PATCHED,"
        " 'Message(\"client_ready\", __version__, self.client_id)' in src, 'if not msg.data:' in src]))"))
    runner_version, package_version, patched, worker_sends_it, master_checks_it = out
    assert patched is True and runner_version and runner_version == package_version, out
    expected = debian_locust_version()
    if expected:
        assert runner_version == expected, out
    # The workaround sets the module global that the worker sends and the master checks: if locust
    # stopped reading it there, setting it would silently do nothing.
    assert worker_sends_it and master_checks_it, "locust.runners no longer sends/checks __version__ as it did"


def test_init_is_merged_over_the_defaults():
    config = json.loads(fresh_python(
        "import json; from locust.env import Environment; from sipworker.locust import SipUser\n"
        "class U(SipUser):\n"
        "    sip_server = 'sip:127.0.0.1:5060'\n"
        "    init = {'audio': {'input': 'tone:440'}, 'register': False, 'locale': 'en'}\n"
        "u = U(Environment(user_classes=[U]))\n"
        "u.account, u.account_index = {'uri': 'sip:7001@127.0.0.1', 'password': 'p'}, 3\n"
        "print(json.dumps(u._init_config()))"))
    assert config == {"uri": "sip:7001@127.0.0.1", "password": "p", "sipServer": ["sip:127.0.0.1:5060"],
                      "sipWorkerid": "locust-3", "audio": {"input": "tone:440", "output": "null"},
                      "register": False, "locale": "en"}, config


# ---- helpers for the runs ---------------------------------------------------------------------------
def kamcmd(*args):
    done = subprocess.run(["kamcmd", "-s", CTL, *args], capture_output=True, text=True, timeout=10)
    assert done.returncode == 0, done.stderr
    return done.stdout


def bindings():
    """{user: number of contacts} of every AoR Kamailio holds."""
    found = {}
    for chunk in kamcmd("ul.dump").split("AoR:")[1:]:
        aor = chunk.split()[0]
        found[aor.split("@")[0]] = chunk.count("Address:")
    return found


@pytest.fixture(scope="module")
def load_server(sip_server):
    if shutil.which("kamcmd") is None or not os.path.exists(CTL[len("unix:"):]):
        skip_unless_ci("needs the loopback Kamailio of tests/netns-run.sh and its control socket "
                       f"({CTL}) to add accounts and read bindings")
    for user in [PEER, *CALLERS]:
        kamcmd("htable.sets", "users", f"s:{user}", f"pass{user}")
    return sip_server


@pytest.fixture(scope="module")
def answering_peer(load_server):
    peer = subprocess.Popen([PY, os.path.join(EXAMPLES, "answering_peer.py"), "--server", SERVER,
                             "--user", PEER, "--password", f"pass{PEER}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env())
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in peer.stdout], daemon=True)
    reader.start()
    said, deadline = [], time.monotonic() + 20
    while "registered\n" not in said and time.monotonic() < deadline and peer.poll() is None:
        try:
            said.append(lines.get(timeout=0.2))
        except queue.Empty:
            pass
    if "registered\n" not in said:
        peer.kill()
        pytest.fail(f"the answering peer did not register: {''.join(said)}")
    yield peer
    peer.send_signal(signal.SIGTERM)
    peer.wait(30)
    reader.join(10)  # the rest of its output
    while not lines.empty():
        said.append(lines.get())
    assert peer.returncode == 0 and "unregistered" in said[-1], said


LOCUSTFILE = '''
import json, os, sys
sys.path.insert(0, {examples!r})
from locustfile import Caller  # noqa: F401  (the example, unchanged: locust collects it from here)
from locust import events

# Every request a process fires, for comparison with what the master's CSV counted.
@events.request.add_listener
def _fired(request_type, name, exception=None, **_):
    with open(os.path.join(os.environ["SIPW_TEST_FIRED"], f"{{os.getpid()}}.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps({{"type": request_type, "name": name, "error": None if exception is None else str(exception)}},
                           ensure_ascii=False) + "\\n")
'''


class Run:
    def __init__(self, directory, processes, csv_prefix, fired_dir):
        self.directory, self.processes, self.csv_prefix, self.fired_dir = directory, processes, csv_prefix, fired_dir

    def log(self, name):
        with open(os.path.join(self.directory, f"{name}.log"), encoding="utf-8") as f:
            return f.read()

    def stats(self):
        with open(self.csv_prefix + "_stats.csv", encoding="utf-8") as f:
            return {(row["Type"], row["Name"]): row for row in csv.DictReader(f)}

    def failures(self):
        with open(self.csv_prefix + "_failures.csv", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def fired(self):
        """{pid: [fired request, ...]} from every process that fired requests."""
        out = {}
        for path in glob.glob(os.path.join(self.fired_dir, "*.jsonl")):
            with open(path, encoding="utf-8") as f:
                out[os.path.basename(path)[:-6]] = [json.loads(line) for line in f]
        return out


def run_locust(tmp_path, locust_args, workers=0, timeout=120, **env):
    """Runs the example locustfile headless, alone or as a master with ``workers`` worker processes
    on 127.0.0.1; returns a Run once every process exited."""
    locustfile = tmp_path / "sip_locustfile.py"
    locustfile.write_text(LOCUSTFILE.format(examples=EXAMPLES))
    fired_dir = tmp_path / "fired"
    fired_dir.mkdir()
    environment = child_env(**{"SIPW_TEST_FIRED": str(fired_dir), "SIPW_LOAD_SERVER": f"sip:{SERVER}:5060;transport=udp",
                               "SIPW_LOAD_USERS": f"{CALLERS[0]}-{CALLERS[-1]}", "SIPW_LOAD_TARGET": PEER, **env})
    base = [PY, "-m", "locust", "-f", str(locustfile)]
    csv_prefix = str(tmp_path / "run")
    main = [*base, "--headless", "--csv", csv_prefix, "--only-summary", *locust_args]
    commands = {"main": main}
    if workers:
        port = free_tcp_port()
        main += ["--master", "--master-bind-host", SERVER, "--master-bind-port", str(port),
                 "--expect-workers", str(workers), "--expect-workers-max-wait", "30"]
        for n in range(workers):
            commands[f"worker{n}"] = [*base, "--worker", "--master-host", SERVER, "--master-port", str(port)]
    processes = {}
    for name, command in commands.items():
        with open(tmp_path / f"{name}.log", "w") as log:
            processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                               cwd=tmp_path)
    deadline = time.monotonic() + timeout
    try:
        for name, process in processes.items():
            process.wait(max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        for process in processes.values():
            process.kill()
        pytest.fail(f"locust did not finish within {timeout} s: " + (tmp_path / "main.log").read_text()[-3000:])
    run = Run(str(tmp_path), processes, csv_prefix, str(fired_dir))
    return run


def free_tcp_port():
    import socket
    with socket.socket() as s:
        s.bind((SERVER, 0))
        return s.getsockname()[1]


def assert_counted_once(run):
    """Every request fired by any process is in the CSV exactly once."""
    fired = [r for requests in run.fired().values() for r in requests]
    stats = run.stats()
    for name in {r["name"] for r in fired}:
        row = stats.get(("SIP", name))
        assert row is not None, f"{name} fired but not in the CSV: {sorted(stats)}"
        assert int(row["Request Count"]) == sum(r["name"] == name for r in fired), (name, row)
        assert int(row["Failure Count"]) == sum(r["name"] == name and r["error"] is not None for r in fired), (name, row)
    assert int(stats[("", "Aggregated")]["Request Count"]) == len(fired)


def load_bindings():
    return {user: n for user, n in bindings().items() if user in CALLERS}


# ---- the runs ---------------------------------------------------------------------------------------
def test_twenty_users_on_two_locust_workers_call_for_thirty_seconds(answering_peer, tmp_path):
    seen_during = {}

    def look_mid_run():
        time.sleep(20)  # well after all users registered (spawn rate 10/s), well before the end
        seen_during.update(load_bindings())

    looker = threading.Thread(target=look_mid_run)
    looker.start()
    run = run_locust(tmp_path, ["-u", "20", "-r", "10", "--run-time", "30s", "--stop-timeout", "15"], workers=2,
                     SIPW_LOAD_DURATION="2", SIPW_LOAD_WAIT="1-2")
    looker.join()
    master = run.log("main")
    assert "old (pre 2.0) worker" not in master, "the master rejected a worker: the version workaround failed"
    assert run.processes["main"].returncode == 0, master[-3000:]
    for n in range(2):
        assert run.processes[f"worker{n}"].returncode == 0, run.log(f"worker{n}")[-3000:]

    # Each user held its own account: 20 different AoRs, one contact each, while the test ran.
    assert seen_during == {user: 1 for user in CALLERS}, seen_during
    # ... and left none behind.
    assert load_bindings() == {}, "bindings left on the registrar after the run"

    fired = run.fired()
    assert len(fired) == 2, f"requests came from {len(fired)} processes, expected the 2 workers"
    assert_counted_once(run)
    stats = run.stats()
    count = {name: int(stats[("SIP", name)]["Request Count"]) if ("SIP", name) in stats else 0 for name in REQUESTS}
    assert count["register"] == 20 and count["unregister"] == 20, count
    assert count["call_setup"] >= 40 and count["call"] == count["call_setup"] == count["first_audio"], count
    assert all(int(row["Failure Count"]) == 0 for row in stats.values()), \
        [(k, row["Failure Count"]) for k, row in stats.items()] + [run.failures()]
    # Response times in ms, in the range the bench measures (set-up and first audio well under 2 s).
    for name in ("call_setup", "first_audio"):
        assert 0 < float(stats[("SIP", name)]["Median Response Time"]) < 2000, stats[("SIP", name)]
    assert float(stats[("SIP", "call")]["Median Response Time"]) >= 2000  # held 2 s once confirmed


def test_more_users_than_accounts_fail_register_instead_of_sharing_one(answering_peer, tmp_path):
    run = run_locust(tmp_path, ["-u", "3", "-r", "3", "--run-time", "4s", "--stop-timeout", "10"],
                     SIPW_LOAD_USERS=f"{CALLERS[0]}-{CALLERS[1]}", SIPW_LOAD_DURATION="1")
    assert run.processes["main"].returncode == 1, run.log("main")[-3000:]
    assert_counted_once(run)
    stats = run.stats()
    assert (stats[("SIP", "register")]["Request Count"], stats[("SIP", "register")]["Failure Count"]) == ("3", "1")
    assert stats[("SIP", "unregister")]["Request Count"] == "2"  # the two registered users
    assert int(stats[("SIP", "call")]["Request Count"]) >= 2 and stats[("SIP", "call")]["Failure Count"] == "0"
    failures = run.failures()
    assert [row["Name"] for row in failures] == ["register"], failures
    assert "No account left" in failures[0]["Error"] and "账号不足" in failures[0]["Error"], failures
    assert load_bindings() == {}


def test_a_wrong_password_fails_register_with_the_chinese_cause(load_server, tmp_path):
    run = run_locust(tmp_path, ["-u", "3", "-r", "3", "--run-time", "4s"], SIPW_LOAD_PASSWORD="wrong{user}")
    assert run.processes["main"].returncode == 1, run.log("main")[-3000:]  # failures: --exit-code-on-error
    assert_counted_once(run)
    stats = run.stats()
    assert (stats[("SIP", "register")]["Request Count"], stats[("SIP", "register")]["Failure Count"]) == ("3", "3")
    assert ("SIP", "call") not in stats  # a user that did not register stops
    failures = run.failures()
    assert {row["Name"] for row in failures} == {"register"}, failures
    error = failures[0]["Error"]
    assert has_chinese(error) and "401" in error, error
    assert load_bindings() == {}


def test_calling_an_unregistered_user_fails_with_the_chinese_cause(load_server, tmp_path):
    run = run_locust(tmp_path, ["-u", "2", "-r", "2", "--run-time", "4s", "--stop-timeout", "10"],
                     SIPW_LOAD_TARGET=NEVER_REGISTERED, SIPW_LOAD_USERS=f"{CALLERS[0]}-{CALLERS[1]}")
    assert run.processes["main"].returncode == 1, run.log("main")[-3000:]
    assert_counted_once(run)
    stats = run.stats()
    for name in ("call_setup", "call"):
        row = stats[("SIP", name)]
        assert int(row["Request Count"]) >= 2 and row["Failure Count"] == row["Request Count"], row
    assert ("SIP", "first_audio") not in stats  # only calls that were set up wait for audio
    failures = {row["Name"]: row["Error"] for row in run.failures()}
    assert set(failures) == {"call_setup", "call"}, failures
    for error in failures.values():
        assert has_chinese(error) and "480" in error, error
    assert stats[("SIP", "unregister")]["Failure Count"] == "0"
    assert load_bindings() == {}
