"""Calls between two workers through the loopback Kamailio.

Skipped while the core answers CALL with -4 (calls not implemented): the `calls_available`
fixture checks at run time. DTMF tests skip the same way (`dtmf_available`) until DTMF lands.
"""
import struct
import time
import wave

import pytest

from sipworker import Cmd, On, SipwError

from conftest import has_chinese, init_config, offline_config

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
    ev = w.wait_for(STATE, timeout=timeout, match={"sessionId": sid, "msg": str(msg)})
    assert ev is not None, f"no {msg} for session {sid}"
    return ev


def wait_end(w, sid, timeout=15):
    """The one terminal event of a session (session_ended or session_failed).

    Matched by session in the core, so other sessions' events stay for their own waits."""
    deadline = time.monotonic() + timeout
    while True:
        ev = w.wait_for(STATE, timeout=max(0.0, deadline - time.monotonic()), match={"sessionId": sid})
        assert ev is not None, f"session {sid} did not end"
        if ev.msg in END_STATES:
            return ev


def answer_incoming(callee, timeout=15, **options):
    incoming = callee.wait_for(STATE, timeout=timeout,
                               match={"msg": str(On.ON_NEWRTCSESSION), "sessionOrigin": "incoming"})
    assert incoming is not None, "no incoming call"
    callee.answer(incoming.sessionId, **options)
    return incoming


def connect(caller, callee, callee_account, caller_audio=None, callee_audio=None):
    sid = caller.call(callee_account, **({"audio": caller_audio} if caller_audio else {}))
    incoming = answer_incoming(callee, **({"audio": callee_audio} if callee_audio else {}))
    wait_state(caller, sid, On.ON_SESSTION_CONFIRMED)
    wait_state(callee, incoming.sessionId, On.ON_SESSTION_CONFIRMED)
    return sid, incoming


def wait_media_connected(w, sid, timeout=15):
    """Polls session_info until ICE + DTLS are up (the core has no event for it): what a recording
    test records only starts once media flows, which can take seconds on a loaded machine."""
    deadline = time.monotonic() + timeout
    while not w.session_info(sid)["mediaConnected"]:
        assert time.monotonic() < deadline, f"media of session {sid} did not connect: {w.session_info(sid)}"
        time.sleep(0.05)


def tone_frequency(path):
    """(frequency, tone seconds, file seconds) of a recorded pure tone, first channel.

    Zero crossings, counted inside 20 ms blocks that carry the tone throughout (every 2.5 ms of the
    block has a loud sample): the recording is real time, so the silence before media flows and any
    gap the jitter buffer fills with silence on a loaded machine are left out instead of being
    counted as time without crossings."""
    with wave.open(str(path)) as f:
        rate, channels, width, frames = f.getframerate(), f.getnchannels(), f.getsampwidth(), f.getnframes()
        assert width == 2
        raw = f.readframes(frames)
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)[::channels]
    block, part = rate // 50, rate // 400
    crossings = intervals = 0
    for start in range(0, len(samples) - block + 1, block):
        b = samples[start:start + block]
        if all(max(abs(s) for s in b[i:i + part]) > 500 for i in range(0, block, part)):
            b = samples[max(0, start - 1):start + block]  # with the interval from the previous block
            crossings += sum(1 for x, y in zip(b, b[1:]) if (x < 0) != (y < 0))
            intervals += len(b) - 1
    assert intervals > 2 * rate, f"{intervals / rate:.1f} s of tone in {len(samples) / rate:.1f} s of recording"
    return crossings / 2 / (intervals / rate), intervals / rate, len(samples) / rate


def assert_tone(path, hz):
    freq, tone_seconds, seconds = tone_frequency(path)
    assert abs(freq - hz) <= 0.02 * hz, \
        f"{path.name}: recorded tone at {freq:.1f} Hz over {tone_seconds:.1f} s, expected {hz} Hz ±2 %"
    assert 2.0 < seconds < 10.0, f"{path.name}: {seconds:.1f} s recorded"


def test_call_between_two_workers_with_recorded_tone(registered, tmp_path):
    """Both directions at once: the caller sends 440 Hz and records, the callee sends 660 Hz and
    records; each hears the other's tone (±2 %)."""
    caller, caller_account = registered()
    callee, callee_account = registered()
    heard_by_callee, heard_by_caller = tmp_path / "callee-heard.wav", tmp_path / "caller-heard.wav"
    sid = caller.call(callee_account, audio={"input": "tone:440", "output": f"file:{heard_by_caller}"})
    first = caller.wait_for(STATE, timeout=10, match={"sessionId": sid})
    assert first.msg == On.ON_NEWRTCSESSION and first.sessionOrigin == "outgoing"
    incoming = answer_incoming(callee, audio={"input": "tone:660", "output": f"file:{heard_by_callee}"})
    assert incoming.originator == "remote"
    assert caller_account in (incoming.fromUri or "")
    wait_state(caller, sid, On.ON_SESSTION_CONFIRMED)
    wait_state(callee, incoming.sessionId, On.ON_SESSTION_CONFIRMED)

    info = caller.session_info(sid)
    assert info["sessionId"] == sid and info["direction"] == "outgoing" and info["state"] == "confirmed"
    assert info["remoteUser"] == callee_account and info["localUri"] == f"sip:{caller_account}@127.0.0.1"
    assert info["held"] is False and info["remoteHeld"] is False and info["muted"] is False
    assert info["startTime"] > 0 and info["answerTime"] >= info["startTime"]
    callee_info = callee.session_info(incoming.sessionId)
    assert callee_info["direction"] == "incoming" and callee_info["remoteUser"] == caller_account

    wait_media_connected(caller, sid)
    wait_media_connected(callee, incoming.sessionId)
    time.sleep(3)  # the call's length (what gets recorded), not a synchronisation
    caller.hangup(sid)
    ended = wait_end(caller, sid)
    assert (ended.msg, ended.cause, ended.originator) == (On.ON_SESSTION_ENDED, "Terminated", "local")
    ended = wait_end(callee, incoming.sessionId)
    # A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    assert (ended.msg, ended.cause, ended.originator) == (On.ON_SESSTION_ENDED, "Terminated", "remote")
    assert has_chinese(ended.causeCN), ended.causeCN
    # Exactly one terminal event per session.
    assert caller.wait_for(STATE, timeout=0.5, match={"sessionId": sid, "msg": list(END_STATES)}) is None
    # Ended sessions stay known until SESSTION_DEL.
    info = caller.session_info(sid)
    assert info["state"] == "terminated" and info["endTime"] >= info["answerTime"]

    assert_tone(heard_by_callee, 440)
    assert_tone(heard_by_caller, 660)


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


def wait_session_event(w, name, sid, originator, timeout=10):
    ev = w.wait_for(name, timeout=timeout, match={"sessionId": sid})
    assert ev is not None, f"no {name} for session {sid}"
    assert (ev.channel, ev.msg, ev.originator) == (str(name), str(name), originator), ev
    return ev


def test_hold_and_mute_events(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid, incoming = connect(caller, callee, callee_account)
    peer = incoming.sessionId

    # HOLD right after session_confirmed: re-INVITE; onHold on both sides, each with its originator.
    caller.hold(sid)
    wait_session_event(caller, On.ON_HOLD, sid, "local")
    wait_session_event(callee, On.ON_HOLD, peer, "remote")
    assert caller.session_info(sid)["held"] is True
    assert callee.session_info(peer)["remoteHeld"] is True and callee.session_info(peer)["held"] is False
    caller.hold(sid)  # already held: onHold again, no re-INVITE
    wait_session_event(caller, On.ON_HOLD, sid, "local")
    caller.unhold(sid)
    wait_session_event(caller, On.ON_RESUME, sid, "local")
    wait_session_event(callee, On.ON_RESUME, peer, "remote")
    assert caller.session_info(sid)["held"] is False and callee.session_info(peer)["remoteHeld"] is False

    # The callee holds too; the "ONHOLD" value (UNHOLD's wire name) resumes.
    callee.hold(peer)
    wait_session_event(callee, On.ON_HOLD, peer, "local")
    wait_session_event(caller, On.ON_HOLD, sid, "remote")
    assert caller.session_info(sid)["remoteHeld"] is True
    callee.post("ONHOLD", {"sessionId": peer})
    wait_session_event(callee, On.ON_RESUME, peer, "local")
    wait_session_event(caller, On.ON_RESUME, sid, "remote")

    # MUTE / UNMUTE: local only (no renegotiation), immediate events, `muted` in session_info.
    caller.mute(sid)
    ev = wait_session_event(caller, On.ON_MUTE, sid, "local")
    assert ev.sessionOrigin == "outgoing"
    assert caller.session_info(sid)["muted"] is True
    caller.unmute(sid)
    wait_session_event(caller, On.ON_UNMUTE, sid, "local")
    assert caller.session_info(sid)["muted"] is False
    assert callee.wait_for(On.ON_MUTE, timeout=0.5, match={"sessionId": peer}) is None

    caller.hangup(sid)
    assert wait_end(caller, sid).msg == On.ON_SESSTION_ENDED
    assert wait_end(callee, peer).msg == On.ON_SESSTION_ENDED


def test_dtmf_reaches_the_peer(registered, dtmf_available):
    caller, _ = registered()
    callee, callee_account = registered()
    sid, incoming = connect(caller, callee, callee_account)
    caller.dtmf(sid, "12#")
    tones = []
    for _ in range(3):
        ev = callee.wait_for(On.ON_NEWDTMF, timeout=10, match={"sessionId": incoming.sessionId})
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
    incoming = callee.wait_for(STATE, timeout=15, match={"msg": str(On.ON_NEWRTCSESSION), "sessionOrigin": "incoming"})
    assert incoming is not None
    callee.hangup(incoming.sessionId)  # reject
    ev = wait_end(caller, sid)
    assert ev.msg == On.ON_SESSTION_FAILED and ev.cause and has_chinese(ev.causeCN)
    assert wait_end(callee, incoming.sessionId).msg == On.ON_SESSTION_FAILED


def test_client_side_timeout_hangup(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid = caller.call(callee_account)
    incoming = callee.wait_for(STATE, timeout=15, match={"msg": str(On.ON_NEWRTCSESSION)})
    assert incoming is not None
    caller.hangup(sid, is_timeout=True)
    timeout = caller.wait_for(On.ON_TIME_OUT, timeout=10, match={"sessionId": sid})
    assert timeout is not None and timeout.channel == On.ON_TIME_OUT
    ev = wait_end(caller, sid)
    assert (ev.msg, ev.cause) == (On.ON_SESSTION_FAILED, "Request Timeout") and has_chinese(ev.causeCN)
    assert wait_end(callee, incoming.sessionId).cause == "Canceled"


def test_cancel_before_answer(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid = caller.call(callee_account)
    incoming = callee.wait_for(STATE, timeout=15, match={"msg": str(On.ON_NEWRTCSESSION), "sessionOrigin": "incoming"})
    assert incoming is not None
    wait_state(caller, sid, On.ON_SESSION_PROGRESS)  # 180: the INVITE reached the callee
    caller.hangup(sid)  # CANCEL
    ev = wait_end(caller, sid)
    assert (ev.msg, ev.cause, ev.originator) == (On.ON_SESSTION_FAILED, "Canceled", "local")
    assert has_chinese(ev.causeCN)
    ev = wait_end(callee, incoming.sessionId)
    assert (ev.msg, ev.cause, ev.originator) == (On.ON_SESSTION_FAILED, "Canceled", "remote")
    assert callee.session_info(incoming.sessionId)["state"] == "terminated"


def test_session_del_ends_a_live_call_and_forgets_it(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    sid, incoming = connect(caller, callee, callee_account)
    caller.delete_session(sid)
    assert caller.session_info(sid) is None
    ev = wait_end(callee, incoming.sessionId)
    # A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    assert (ev.msg, ev.cause, ev.originator) == (On.ON_SESSTION_ENDED, "Terminated", "remote")
    with pytest.raises(SipwError) as e:
        caller.hangup(sid)
    assert e.value.code == SipwError.ENOSESSION


def test_close_during_a_call_hangs_up(registered):
    caller, _ = registered()
    callee, callee_account = registered()
    _, incoming = connect(caller, callee, callee_account)
    caller.close()
    ev = wait_end(callee, incoming.sessionId, timeout=10)
    # A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    assert (ev.msg, ev.cause, ev.originator) == (On.ON_SESSTION_ENDED, "Terminated", "remote")


SESSION_COMMANDS = [Cmd.ANSWER, Cmd.HANGUP, Cmd.SESSTION_DEL, Cmd.HOLD, Cmd.UNHOLD, Cmd.MUTE, Cmd.UNMUTE]


def raises(code, fn, *args, **kwargs):
    with pytest.raises(SipwError) as e:
        fn(*args, **kwargs)
    assert e.value.code == code, e.value
    assert e.value.message and has_chinese(e.value.message_cn), e.value
    return e.value


def test_session_commands_reject_bad_input(calls_available, make_worker):
    """Synchronous refusals need no network: an initialised, unconnected worker."""
    w = make_worker()
    raises(SipwError.ESTATE, w.call, "1002")  # before INIT
    w.post(Cmd.INIT, offline_config())
    for cmd in SESSION_COMMANDS:
        raises(SipwError.ENOSESSION, w.post, cmd, {"sessionId": "no-such-session"})
        raises(SipwError.EINVAL, w.post, cmd, {})            # sessionId missing
        raises(SipwError.EINVAL, w.post, cmd, {"sessionId": 7})
    raises(SipwError.EINVAL, w.post, Cmd.CALL, {})           # target missing
    raises(SipwError.EINVAL, w.post, Cmd.CALL, {"target": ["1002"]})
    raises(SipwError.EINVAL, w.call, "1002", audio={"input": "loudspeaker"})
    raises(SipwError.EINVAL, w.call, "1002", audio={"input": "tone:loud"})
    raises(SipwError.EINVAL, w.call, "1002", audio={"output": "speaker"})
    raises(SipwError.EINVAL, w.call, "1002", extraHeaders=["no colon"])

    sid = w.call("1002")
    raises(SipwError.EINVAL, w.call, "1003", session_id=sid)  # a sessionId must be unique
    raises(SipwError.EINVAL, w.post, Cmd.HANGUP, {"sessionId": sid, "isTimeout": "yes"})
    raises(SipwError.ESTATE, w.answer, sid)                  # an outgoing session
    raises(SipwError.ESTATE, w.hold, sid)                    # not confirmed
    w.delete_session(sid)                                    # any state
    assert w.session_info(sid) is None
    raises(SipwError.ENOSESSION, w.delete_session, sid)


def test_commands_on_an_ended_session(registered):
    caller, _ = registered()
    sid = caller.call("9999")
    assert wait_end(caller, sid).msg == On.ON_SESSTION_FAILED
    assert caller.session_info(sid)["state"] == "terminated"
    for fn in (caller.hangup, caller.hold, caller.unhold, caller.answer):
        raises(SipwError.ESTATE, fn, sid)
    caller.delete_session(sid)
    raises(SipwError.ENOSESSION, caller.hangup, sid)


def test_plain_rtp_profile_with_g711(registered, tmp_path):
    """CALL options.media picks plain RTP with G.711 for one call; the callee answers in the profile
    of the offer; session_info says which profile and codec; a bad profile raises with both texts."""
    caller, caller_account = registered()
    callee, callee_account = registered()
    with pytest.raises(SipwError) as bad:
        caller.call(callee_account, media={"profile": "sip"})
    assert bad.value.code == SipwError.EINVAL and "options.media.profile" in str(bad.value)
    assert has_chinese(bad.value.message_cn)
    heard = tmp_path / "callee-heard.wav"
    sid = caller.call(callee_account, media={"profile": "rtp", "codecs": ["PCMA"]}, audio={"input": "tone:440"})
    incoming = answer_incoming(callee, audio={"input": "silence", "output": f"file:{heard}"})
    wait_state(caller, sid, On.ON_SESSTION_CONFIRMED)
    wait_media_connected(callee, incoming.sessionId)
    info = callee.session_info(incoming.sessionId)
    assert (info["profile"], info["codec"]) == ("rtp", "PCMA")
    time.sleep(3)  # the call's length (what gets recorded)
    caller.hangup(sid)
    wait_end(callee, incoming.sessionId)
    assert_tone(heard, 440)
