"""sipworker.testing — a pytest plugin for testing your own SIP code with sipworker.

Installed with the package and loaded by pytest automatically (entry point ``pytest11``; in a
source tree: ``pytest -p sipworker.testing``). Fixtures:

``sip_server`` (session)
    A Kamailio started for the test session on a free port of 127.0.0.1 (UDP and TCP) with
    generated accounts; tests skip, saying why, when Kamailio is not installed. ``$SIPW_KAMAILIO``
    names another binary.
``phone`` (factory)
    ``phone(transport="udp", register=True, **init)`` returns a registered :class:`Phone` (a
    SipWorker that records its events) holding an account of its own; ``a.call(b.number)``.
    At teardown every phone is closed, and the test fails if one still has a live session.
``event_recorder`` (factory)
    ``event_recorder(worker)`` gives any SipWorker ``expect_event`` / ``expect_no_event``.
"""
import pytest

from .phone import EventRecorder, Phone
from .server import Account, SipServer, find_kamailio

__all__ = ["Account", "EventRecorder", "Phone", "SipServer", "find_kamailio"]


@pytest.fixture(scope="session")
def sip_server(tmp_path_factory):
    binary = find_kamailio()
    if binary is None:
        pytest.skip("Kamailio is not installed (Debian: apt install kamailio), or $SIPW_KAMAILIO "
                    "does not name an executable: the sip_server fixture needs it")
    server = SipServer(binary, tmp_path_factory.mktemp("kamailio")).start()
    yield server
    server.stop()


@pytest.fixture
def phone(sip_server):
    made = []

    def make(transport="udp", register=True, **init):
        account = sip_server.take_account()
        p = Phone(account)
        made.append(p)
        config = {"uri": account.uri(), "password": account.password, "register": register,
                  "sipServer": [sip_server.uri(transport)], "sipWorkerid": f"phone-{account.user}",
                  "audio": {"input": "silence", "output": "null"}}
        p.init({**config, **init})
        if register:
            p.expect_event("registered", timeout=10)  # its failure lists registrationFailed's cause
        return p

    yield make
    # All checked before any is closed: closing one ends its peers' sessions too.
    leftovers = {p.number: p.live_sessions() for p in made}
    leftovers = {number: live for number, live in leftovers.items() if live}
    for p in made:
        p.close()
        sip_server.give_back(p.account)
    if leftovers:
        pytest.fail(f"sessions still live at teardown (hang them up in the test): {leftovers}")


@pytest.fixture
def event_recorder():
    return EventRecorder
