"""Calls between two workers through the loopback Kamailio.

Skipped while the core answers CALL with -4 (calls not implemented yet): the `calls_available`
fixture checks at run time, so these tests turn on by themselves when calls land.
"""
import struct
import time
import wave

import pytest

from sipworker import ON_NEWDTMF, Cmd, On

from conftest import has_chinese, init_config

STATE = On.ON_RTCSESSION_STATE
END_STATES = (On.ON_SESSTION_ENDED, On.ON_SESSTION_FAILED)


@pytest.fixture
def registered(sip_server, calls_available, make_worker, user):
    """Factory: a registered worker for the next test account, returned as (worker, account)."""
    def make(**extra):
        account = user()
        w = make_worker()
        w.post(Cmd.INIT, init_config(account, **extra))
        assert w.wait_for(On.ON_REGISTERED, timeout=10) is not None, f"{account} did not register"
        return w, account
    return make


def wait_state(w, sid, msg, timeout=15):
    ev = w.wait_for(STATE, timeout=timeout, predicate={"sessionId": sid, "msg": str(msg)})
    assert ev is not None, f"no {msg} for session {sid}"
    return ev


def wait_end(w, sid, timeout=15):
    """The one terminal event of a session (session_ended or session_failed)."""
    ev = w.wait_for(STATE, timeout=timeout,
                    predicate=lambda e: e.sessionId == sid and e.msg in END_STATES)
    assert ev is not None, f"session {sid} did not end"
    return ev


def answer_incoming(callee, timeout=15, **options):
    incoming = callee.wait_for(STATE, timeout=timeout,
                               predicate={"msg": str(On.ON_NEWRTCSESSION), "sessionOrigin": "incoming"})
    assert incoming is not None, "no incoming call"
    callee.answer(incoming.sessionId, **options)
    return incoming


def connect(caller, callee, callee_account, caller_audio=None, callee_audio=None):
    sid = caller.call(callee_account, **({"audio": caller_audio} if caller_audio else {}))
    incoming = answer_incoming(callee, **({"audio": callee_audio} if callee_audio else {}))
    wait_state(caller, sid, On.ON_SESSTION_CONFIRMED)
    wait_state(callee, incoming.sessionId, On.ON_SESSTION_CONFIRMED)
    return sid, incoming


def dominant_frequency(path):
    """Frequency estimate by zero crossings of the first channel (enough for a pure tone)."""
    with wave.open(str(path)) as f:
        rate, channels, width, frames = f.getframerate(), f.getnchannels(), f.getsampwidth(), f.getnframes()
        assert width == 2
        raw = f.readframes(frames)
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)[::channels]
    loud = [s for s in samples if abs(s) > 500]
    assert len(loud) > rate // 2, "the recording is (nearly) silent"
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    return crossings / 2 / (len(samples) / rate), len(samples) / rate


def test_call_between_two_workers_with_recorded_tone(registered, tmp_path):
    caller, caller_account = registered()
    callee, callee_account = registered()
    out = tmp_path / "heard.wav"
    sid = caller.call(callee_account, audio={"input": "tone:440"})
    first = caller.wait_for(STATE, timeout=10, predicate={"sessionId": sid})
    assert first.msg == On.ON_NEWRTCSESSION and first.sessionOrigin == "outgoing"
    incoming = answer_incoming(callee, audio={"input": "silence", "output": f"file:{out}"})
    assert caller_account in (incoming.fromUri or "")
    wait_state(caller, sid, On.ON_SESSTION_CONFIRMED)
    wait_state(callee, incoming.sessionId, On.ON_SESSTION_CONFIRMED)

    info = caller.session_info(sid)
    assert info["sessionId"] == sid and info["direction"] == "outgoing"
    assert info["remoteUser"] == callee_account and info["held"] is False and info["muted"] is False
    assert callee.session_info(incoming.sessionId)["direction"] == "incoming"

    time.sleep(3)
    caller.hangup(sid)
    assert wait_end(caller, sid).msg == On.ON_SESSTION_ENDED
    assert wait_end(callee, incoming.sessionId).msg == On.ON_SESSTION_ENDED
    # Exactly one terminal event per session.
    assert caller.wait_for(STATE, timeout=0.5, predicate=lambda e: e.sessionId == sid and e.msg in END_STATES) is None

    freq, seconds = dominant_frequency(out)
    assert 420 < freq < 460, f"recorded tone at {freq:.0f} Hz"
    assert 2.0 < seconds < 6.0


def test_concurrent_calls(registered):
    pairs = [(registered(), registered()) for _ in range(3)]
    sids = []
    for (caller, _), (callee, callee_account) in pairs:
        sids.append(caller.call(callee_account))
    for ((caller, _), (callee, _)), sid in zip(pairs, sids):
        incoming = answer_incoming(callee)
        wait_state(caller, sid, On.ON_SESSTION_CONFIRMED)
        wait_state(callee, incoming.sessionId, On.ON_SESSTION_CONFIRMED)
    assert len(set(sids)) == 3
    for ((caller, _), _), sid in zip(pairs, sids):
        caller.hangup(sid)
    for ((caller, _), _), sid in zip(pairs, sids):
        assert wait_end(caller, sid).msg == On.ON_SESSTION_ENDED


def test_two_calls_on_one_worker(registered):
    caller, _ = registered()
    callee1, account1 = registered()
    callee2, account2 = registered()
    sid1, _ = connect(caller, callee1, account1)
    sid2, _ = connect(caller, callee2, account2)
    assert sid1 != sid2
    caller.hangup(sid1)
    caller.hangup(sid2)
    wait_end(caller, sid1)
    wait_end(caller, sid2)


def test_hold_and_mute_events(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid, _ = connect(caller, callee, callee_account)

    caller.hold(sid)
    assert caller.wait_for(On.ON_HOLD, timeout=10, predicate={"sessionId": sid}) is not None
    assert caller.session_info(sid)["held"] is True
    caller.unhold(sid)
    assert caller.wait_for(On.ON_RESUME, timeout=10, predicate={"sessionId": sid}) is not None
    assert caller.session_info(sid)["held"] is False

    caller.mute(sid)
    assert caller.wait_for(On.ON_MUTE, timeout=10, predicate={"sessionId": sid}) is not None
    assert caller.session_info(sid)["muted"] is True
    caller.unmute(sid)
    assert caller.wait_for(On.ON_UNMUTE, timeout=10, predicate={"sessionId": sid}) is not None
    caller.post(Cmd.UNHOLD, {"sessionId": sid})  # the seed's "ONHOLD" value is accepted too
    caller.hangup(sid)
    wait_end(caller, sid)


def test_dtmf_reaches_the_peer(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid, incoming = connect(caller, callee, callee_account)
    caller.dtmf(sid, "12#")
    tones = []
    for _ in range(3):
        ev = callee.wait_for(ON_NEWDTMF, timeout=10, predicate={"sessionId": incoming.sessionId})
        assert ev is not None, f"DTMF received so far: {tones}"
        tones.append(ev.data["tone"])
    assert tones == ["1", "2", "#"]
    caller.hangup(sid)
    wait_end(caller, sid)


@pytest.mark.parametrize("target, cause, status", [
    ("9999", "Not Found", 404),      # unknown user
    ("1020", "Unavailable", 480),    # known but never registered: conftest keeps 1020 out of its pool
])
def test_failure_causes_in_chinese(registered, target, cause, status):
    caller, _ = registered()
    sid = caller.call(target)
    ev = wait_end(caller, sid)
    assert ev.msg == On.ON_SESSTION_FAILED
    assert ev.cause == cause and ev.statusCode == status
    assert has_chinese(ev.causeCN), ev.causeCN


def test_rejected_incoming_call(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid = caller.call(callee_account)
    incoming = callee.wait_for(STATE, timeout=15, predicate={"msg": str(On.ON_NEWRTCSESSION), "sessionOrigin": "incoming"})
    assert incoming is not None
    callee.hangup(incoming.sessionId)  # reject
    ev = wait_end(caller, sid)
    assert ev.msg == On.ON_SESSTION_FAILED and ev.cause and has_chinese(ev.causeCN)
    assert wait_end(callee, incoming.sessionId).msg == On.ON_SESSTION_FAILED


def test_client_side_timeout_hangup(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid = caller.call(callee_account)
    assert callee.wait_for(STATE, timeout=15, predicate={"msg": str(On.ON_NEWRTCSESSION)}) is not None
    caller.hangup(sid, is_timeout=True)
    assert caller.wait_for(On.ON_TIME_OUT, timeout=10, predicate={"sessionId": sid}) is not None \
        or wait_end(caller, sid).cause == "Request Timeout"
