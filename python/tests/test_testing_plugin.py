"""The pytest plugin sipworker.testing, run as users run it: pytest in a child process."""
import os
import subprocess
import sys

import pytest

from sipworker.testing import find_kamailio

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "python", "test_call_flow.py")


def run_pytest(*args, cwd, **env):
    command = [sys.executable, "-m", "pytest", "-p", "sipworker.testing", "-p", "no:cacheprovider",
               "-q", "-rs", *args]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), **env)
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180, env=environment)


@pytest.fixture
def kamailio():
    if find_kamailio() is None:
        if os.environ.get("SIPW_TEST_SERVERS_STARTED"):
            pytest.fail("Kamailio is not installed although the test servers were started")
        pytest.skip("Kamailio is not installed")


def test_the_example_passes(kamailio, tmp_path):
    done = run_pytest(EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_without_kamailio_the_server_tests_skip_saying_why(tmp_path):
    done = run_pytest(EXAMPLE, cwd=tmp_path, SIPW_KAMAILIO=str(tmp_path / "no-kamailio"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 skipped" in done.stdout and "Kamailio is not installed" in done.stdout


def test_failures_explain_themselves(kamailio, tmp_path):
    (tmp_path / "test_mistakes.py").write_text('''
from sipworker import On

def test_forgets_to_hang_up(phone):
    alice, bob = phone(), phone()
    alice.call(bob.number)
    bob.expect_event(On.ON_NEWRTCSESSION, timeout=10)

def test_expects_what_never_comes(phone):
    alice = phone()
    alice.expect_event(On.ON_SESSTION_CONFIRMED, timeout=0.3)

def test_sees_what_it_said_would_not_come(phone):
    alice = phone()
    alice.post("UNREGISTER")
    alice.expect_no_event(On.ON_UNREGISTERED, within=5)
''')
    done = run_pytest(str(tmp_path / "test_mistakes.py"), cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 1, out
    assert "2 failed, 1 passed, 1 error" in out, out
    assert "sessions still live at teardown" in out and "ringing" in out
    assert "no event 'session_confirmed' within 0.3 s; events seen: " in out and "registered" in out
    assert "unexpected event 'unregistered'" in out
