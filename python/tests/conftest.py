"""Fixtures for the sipworker Python tests.

Integration tests talk to a real Kamailio on 127.0.0.1 (UDP/TCP 5060, TLS 5061; users 1001..1020,
password pass<user>), normally started by the project's test runner in a private network namespace
(tests/servers/start.sh, tests/netns-run.sh), which sets SIPW_TEST_SERVERS_STARTED=1. Without it,
a server that answers SIP OPTIONS is used if there is one; otherwise the integration tests skip.
No test sends traffic anywhere but 127.0.0.1.
"""
import itertools
import os
import random
import socket
import threading
import sys
import time

import pytest

import sipworker
from sipworker import SipWorker, SipwError

SERVER = "127.0.0.1"
SIP_PORT = 5060
TLS_PORT = 5061
SERVER_PORTS = {"udp": SIP_PORT, "tcp": SIP_PORT, "tls": TLS_PORT}
SERVER_URIS = {"ws": f"ws://{SERVER}:8080/ws", "wss": f"wss://{SERVER}:8443/ws"}  # Kamailio's WebSocket listeners
# 1020 stays out of the pool: tests use it as a known account that is never registered (480).
USERS = [str(n) for n in range(1001, 1020)]


def sip_options_ping(host=SERVER, port=SIP_PORT, timeout=3.0):
    """True once a SIP server answers OPTIONS over UDP (readiness check, never a sleep)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((SERVER, 0))
        s.settimeout(0.1)
        local_port = s.getsockname()[1]
        while time.monotonic() < deadline:
            tag = "%08x" % random.getrandbits(32)
            msg = (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {SERVER}:{local_port};branch=z9hG4bK{tag};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:ping@{SERVER}>;tag={tag}\r\nTo: <sip:{host}:{port}>\r\n"
                   f"Call-ID: {tag}@sipworker-pytest\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
            s.sendto(msg.encode(), (host, port))
            try:
                data, _ = s.recvfrom(4096)
                if data.startswith(b"SIP/2.0 "):
                    return True
            except (socket.timeout, ConnectionRefusedError):
                time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def sip_server():
    """The loopback Kamailio, or a skip saying how to get one."""
    started = bool(os.environ.get("SIPW_TEST_SERVERS_STARTED"))
    if sip_options_ping(timeout=10.0 if started else 2.0):
        return SERVER
    if started:
        pytest.fail("SIPW_TEST_SERVERS_STARTED is set but no SIP server answers OPTIONS on "
                    f"{SERVER}:{SIP_PORT}")
    pytest.skip(f"no SIP server answers OPTIONS on {SERVER}:{SIP_PORT}: run inside the project's "
                "network-namespace runner with the test Kamailio (users 1001..1020, password pass<user>)")


_user_cycle = itertools.cycle(USERS)


@pytest.fixture
def user():
    """A factory of test accounts: each call returns the next user of 1001..1019 (round robin), so
    tests close to each other do not share a registration."""
    return lambda: next(_user_cycle)


def init_config(user, transport="udp", password=None, **extra):
    """INIT payload for a test account on the loopback Kamailio."""
    config = {
        "uri": f"sip:{user}@{SERVER}",
        "password": f"pass{user}" if password is None else password,
        "sipServer": [SERVER_URIS[transport] if transport in SERVER_URIS
                      else f"sip:{SERVER}:{SERVER_PORTS[transport]};transport={transport}"],
        "sipWorkerid": f"pytest-{user}",
        "register": True,
        "locale": "zh-CN",
    }
    if transport in ("tls", "wss"):
        config["tls"] = {"verify": False}  # the test server's certificate is self-signed
    config.update(extra)
    return config


def offline_config(**extra):
    """INIT payload that configures the user agent without connecting (register: false): enough for
    commands that are answered locally, e.g. UNREGISTER emitting a `warning` event."""
    return init_config("1001", register=False, **extra)


@pytest.fixture
def ticking_thread():
    """A Python thread that ticks every 10 ms; returns its tick list. A test that blocks in native
    code with the GIL released sees the ticks grow; with the GIL held they would stop."""
    ticks, stop = [], threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    thread = threading.Thread(target=spin)
    thread.start()
    yield ticks
    stop.set()
    thread.join()


@pytest.fixture
def make_worker():
    """Creates SipWorkers and closes them after the test, whatever happens."""
    workers = []

    def make(options=None):
        w = SipWorker(options)
        workers.append(w)
        return w

    yield make
    for w in workers:
        w.close()


@pytest.fixture(scope="session")
def calls_available():
    """Skips call tests while the core rejects CALL as unsupported (-4); they turn on by themselves
    when calls land in the core.

    The probe worker never connects, so its call fails asynchronously (Connection Error) and may
    already be over by the time we clean up: SESSTION_DEL forgets a session in any state, where
    HANGUP of an ended session would be refused (-2)."""
    with SipWorker() as w:
        w.post("INIT", offline_config())
        try:
            sid = w.call("1999")
        except SipwError as e:
            if e.code == SipwError.ENOCMD:
                pytest.skip("calls are not implemented in the core yet: sipw_post(CALL) returns -4 "
                            f"({e.message})")
            raise
        w.delete_session(sid)
        assert w.session_info(sid) is None


@pytest.fixture(scope="session")
def dtmf_available(calls_available):
    """Skips DTMF tests while the core rejects DTMF as unsupported (-4). Probed on an offline worker
    with a session id nobody knows: once DTMF lands that is -3 (unknown session), and the tests run."""
    with SipWorker() as w:
        w.post("INIT", offline_config())
        try:
            w.dtmf("no-such-session", "1")
        except SipwError as e:
            if e.code == SipwError.ENOCMD:
                pytest.skip("DTMF is not implemented in the core yet: sipw_post(DTMF) returns -4 "
                            f"({e.message})")
            if e.code != SipwError.ENOSESSION:
                raise
        else:
            pytest.fail("DTMF for an unknown session was accepted (expected -3)")


def has_chinese(text):
    return bool(text) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def cli(*args, timeout=60):
    """Runs ``python -m sipworker`` with this interpreter and the current sys.path."""
    import subprocess
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.run([sys.executable, "-m", "sipworker", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)
