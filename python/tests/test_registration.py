"""Registration against the real Kamailio on 127.0.0.1."""
import time

import pytest

from sipworker import Cmd, On

from conftest import has_chinese, init_config


@pytest.mark.parametrize("transport", ["udp", "tcp", "tls", "ws", "wss"])
def test_register_and_unregister(sip_server, make_worker, user, transport):
    w = make_worker()
    account = user()
    w.post(Cmd.INIT, init_config(account, transport))
    connected = w.wait_for(On.ON_CONNECTED, timeout=10)
    assert connected is not None
    ev = w.wait_for(On.ON_REGISTERED, timeout=10)
    assert ev is not None, "no registered event"
    assert ev.channel == "registered" and ev.msg == "registered"
    assert ev.statusCode == 200 and ev.uri == f"sip:{account}@127.0.0.1" and ev.id == f"pytest-{account}"
    assert has_chinese(ev.msgCN)
    w.post(Cmd.UNREGISTER)
    gone = w.wait_for(On.ON_UNREGISTERED, timeout=10)
    assert gone is not None and gone.statusCode == 200
    w.post(Cmd.REGISTER)
    assert w.wait_for(On.ON_REGISTERED, timeout=10) is not None
    w.post(Cmd.LOGOUT)
    assert w.wait_for(On.ON_UNREGISTERED, timeout=10) is not None


def test_wait_for_registered_after_init_never_misses(sip_server, make_worker, user):
    """The event may well be over before wait_for starts: the core's backlog still returns it."""
    w = make_worker()
    w.post(Cmd.INIT, init_config(user()))
    time.sleep(1.0)
    assert w.wait_for(On.ON_REGISTERED, timeout=0.1) is not None


def test_listeners_see_registration_in_order(sip_server, make_worker, user):
    w = make_worker()
    seen = []
    w.on("*", lambda ev: seen.append(ev.channel))
    w.post(Cmd.INIT, init_config(user()))
    assert w.wait_for(On.ON_REGISTERED, timeout=10) is not None
    deadline = time.monotonic() + 5
    while "registered" not in seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen[:3] == ["connecting", "connected", "registered"]


def test_wrong_password_fails_with_authentication_error_in_chinese(sip_server, make_worker, user):
    w = make_worker()
    w.post(Cmd.INIT, init_config(user(), password="wrong-password"))
    ev = w.wait_for(On.ON_REGISTRATIONFAILED, timeout=10)
    assert ev is not None, "no registrationFailed event"
    assert ev.cause == "Authentication Error"
    assert ev.statusCode in (401, 407)
    assert has_chinese(ev.causeCN), ev.causeCN
    assert w.wait_for(On.ON_REGISTERED, timeout=0.5) is None
