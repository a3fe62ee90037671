"""Call control through the Python binding, between workers on the loopback Kamailio: reject with
a code, blind transfer (REFER), instant messages (MESSAGE) and call statistics."""
import time

from sipworker import On, SipwError

from test_calls import STATE, registered, wait_end, wait_media_connected, wait_state  # noqa: F401 (fixture)


def incoming(w, timeout=15):
    ev = w.wait_for(On.ON_NEWRTCSESSION, timeout=timeout, match={"sessionOrigin": "incoming"})
    assert ev is not None, "no incoming call"
    return ev


def test_reject_with_a_code_gets_jssips_cause(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid = caller.call(callee_account, audio={"input": "silence", "output": "null"})
    ringing = incoming(callee)
    callee.reject(ringing.sessionId, 486, extra_headers=["X-Reason: robot"])
    failed = wait_end(caller, sid)
    assert (failed.msg, failed.cause, failed.statusCode) == (On.ON_SESSTION_FAILED, "Busy", 486)
    mine = wait_end(callee, ringing.sessionId)
    assert (mine.cause, mine.originator) == ("Busy", "local")


def test_blind_transfer_by_refer(registered):
    a, _ = registered()
    b, b_account = registered()
    c, c_account = registered()
    silent = {"input": "silence", "output": "null"}
    sid = a.call(b_account, audio=silent)
    at_b = incoming(b)
    b.answer(at_b.sessionId, audio=silent)
    wait_state(a, sid, On.ON_SESSTION_CONFIRMED)
    wait_state(b, at_b.sessionId, On.ON_SESSTION_CONFIRMED)

    a.refer(sid, target=c_account)
    try:
        a.refer(sid, target=c_account)
        raise AssertionError("a second REFER while the first is under way was accepted")
    except SipwError as e:
        assert e.code == SipwError.ESTATE
    refer = b.wait_for(On.ON_REFER, timeout=10, match={"sessionId": at_b.sessionId})
    assert refer is not None and c_account in refer.data["target"], refer
    new_sid = b.refer_accept(at_b.sessionId, audio=silent)
    placed = b.wait_for(On.ON_NEWRTCSESSION, timeout=10, match={"sessionId": new_sid})
    assert placed.data["referredFrom"] == at_b.sessionId
    at_c = incoming(c)
    c.answer(at_c.sessionId, audio=silent)
    accepted = a.wait_for(On.ON_REFER_ACCEPTED, timeout=15, match={"sessionId": sid})
    assert accepted is not None and accepted.data["statusCode"] == 200, accepted
    for w, s in ((a, sid), (c, at_c.sessionId)):
        w.hangup(s)
    wait_end(b, new_sid)
    wait_end(b, at_b.sessionId)


def test_messages(registered):
    a, a_account = registered()
    b, b_account = registered()
    mid = a.message(b_account, "你好，sipworker")
    ok = a.wait_for(On.ON_MESSAGE_SUCCEEDED, timeout=10, match={"messageId": mid})
    assert ok is not None and ok.statusCode == 200
    got = b.wait_for(On.ON_NEWMESSAGE, timeout=10, match={"originator": "remote"})
    assert got.data["body"] == "你好，sipworker" and a_account in got.fromUri, got
    failed_id = a.message("9999", "nobody")
    failed = a.wait_for(On.ON_MESSAGE_FAILED, timeout=10, match={"messageId": failed_id})
    assert (failed.statusCode, failed.cause) == (404, "Not Found")
    try:
        a.message(b_account, "x" * (16 * 1024 + 1))
        raise AssertionError("an oversized MESSAGE was accepted")
    except SipwError as e:
        assert e.code == SipwError.EINVAL


def test_call_statistics(registered):
    a, _ = registered()
    b, b_account = registered()
    sid = a.call(b_account, audio={"input": "tone:500", "output": "null"})
    at_b = incoming(b)
    b.answer(at_b.sessionId, audio={"input": "tone:700", "output": "null"})
    wait_state(a, sid, On.ON_SESSTION_CONFIRMED)
    wait_media_connected(a, sid)
    time.sleep(2.5)
    live = a.session_info(sid)["stats"]
    assert live["codec"] == "opus" and live["packetsSent"] > 50 and live["packetsReceived"] > 50, live
    assert live["jitterMs"] is not None and live["packetsLost"] >= 0, live
    a.hangup(sid)
    wait_end(a, sid)
    final = a.session_info(sid)["stats"]
    assert final["packetsSent"] >= live["packetsSent"], (live, final)
