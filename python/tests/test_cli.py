"""``python -m sipworker`` end to end, with its documented exit codes."""
import json
import socket

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
