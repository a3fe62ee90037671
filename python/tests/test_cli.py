"""``python -m sipworker`` end to end, with its documented exit codes."""
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time

from conftest import SERVER, cli


def test_cli_register_json(sip_server, user):
    account = user()
    r = cli("register", "--server", SERVER, "--user", account, "--password", f"pass{account}", "--json")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]  # one CauseData per line
    msgs = [e["msg"] for e in events]
    assert "registered" in msgs, msgs
    reg = events[msgs.index("registered")]
    assert reg["uri"] == f"sip:{account}@{SERVER}" and reg["statusCode"] == 200


def test_cli_register_tcp_human_output(sip_server, user):
    account = user()
    r = cli("register", "--server", SERVER, "--transport", "tcp", "--user", account,
            "--password", f"pass{account}")
    assert r.returncode == 0, r.stderr
    assert "registered" in r.stdout


def test_cli_wrong_password_exit_1_with_chinese_cause(sip_server, user):
    r = cli("register", "--server", SERVER, "--user", user(), "--password", "wrong")
    assert r.returncode == 1
    assert "Authentication Error" in r.stderr and "causeCN=" in r.stderr


def test_cli_silent_server_exit_3():
    """A UDP port that swallows every request: no outcome within --timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind((SERVER, 0))
        port = sink.getsockname()[1]
        r = cli("register", "--server", f"{SERVER}:{port}", "--user", "1001", "--password", "x",
                "--timeout", "1.5")
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "timeout" in r.stderr


def test_cli_usage_error_exit_2():
    assert cli("register").returncode == 2
    assert cli("no-such-subcommand").returncode == 2
    r = cli("register", "--server", SERVER, "--user", "1001", "--locale", "fr")
    assert r.returncode == 2


def test_cli_version():
    r = cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("sipworker ")


def test_cli_answer_robot_answers_cli_call(sip_server, calls_available, user):
    """`answer` in the background answers one call placed by `call`; both exit 0. The robot's
    `registered` line on stdout says when to call (no sleep)."""
    callee, caller = user(), user()
    robot = subprocess.Popen(
        [sys.executable, "-m", "sipworker", "answer", "--server", SERVER, "--user", callee,
         "--password", f"pass{callee}", "--count", "1", "--duration", "30", "--timeout", "30", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)))
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in robot.stdout] + [lines.put(None)])
    reader.start()
    robot_events = []
    try:
        deadline = time.monotonic() + 15
        while "registered" not in [e["msg"] for e in robot_events]:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"the robot exited: {robot.wait()} {robot.stderr.read()}"
            robot_events.append(json.loads(line))

        r = cli("call", callee, "--server", SERVER, "--user", caller, "--password", f"pass{caller}",
                "--duration", "1", "--json")
        assert r.returncode == 0, (r.stdout, r.stderr)
        msgs = [json.loads(line)["msg"] for line in r.stdout.splitlines()]
        assert msgs.index("session_confirmed") < msgs.index("session_ended"), msgs

        assert robot.wait(timeout=20) == 0, robot.stderr.read()
    finally:
        if robot.poll() is None:
            robot.kill()
            robot.wait()
        reader.join()
    while (line := lines.get()) is not None:
        robot_events.append(json.loads(line))
    ended = [e for e in robot_events if e["msg"] == "session_ended"]
    # A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    assert len(ended) == 1 and ended[0]["cause"] == "Terminated" and ended[0]["originator"] == "remote", robot_events
    assert any(e["msg"] == "session_confirmed" for e in robot_events)
