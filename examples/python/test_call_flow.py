"""Testing call flows with sipworker's pytest plugin (sipworker.testing).

With the package installed the plugin loads by itself; Kamailio must be installed (the tests skip
otherwise), and it runs on a free port of 127.0.0.1 with generated accounts:

    pytest examples/python/test_call_flow.py
    # in a source tree: PYTHONPATH=build/python pytest -p sipworker.testing examples/python/test_call_flow.py
"""
from sipworker import On


def test_a_call_is_answered_then_hung_up(phone):
    alice, bob = phone(), phone()  # registered, each with an account of its own
    sid = alice.call(bob.number)
    ringing = bob.expect_event(On.ON_NEWRTCSESSION, timeout=10)
    bob.answer(ringing.sessionId)
    alice.expect_event(On.ON_SESSTION_CONFIRMED, timeout=10, sessionId=sid)
    bob.expect_event(On.ON_SESSTION_CONFIRMED, timeout=10, sessionId=ringing.sessionId)

    alice.hangup(sid)
    ended = bob.expect_event(On.ON_SESSTION_ENDED, timeout=10, sessionId=ringing.sessionId)
    assert ended.originator == "remote"
    alice.expect_event(On.ON_SESSTION_ENDED, timeout=10, sessionId=sid)
    alice.expect_no_event(On.ON_SESSTION_FAILED, within=0.5)


def test_calling_an_unknown_number_fails_with_a_chinese_cause(phone, sip_server):
    alice = phone()
    sid = alice.call(sip_server.unknown_user)
    failed = alice.expect_event(On.ON_SESSTION_FAILED, timeout=10, sessionId=sid)
    assert failed.statusCode == 404 and failed.cause == "Not Found"
    assert failed.causeCN  # the same cause in Chinese
