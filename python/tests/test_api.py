"""The Python surface without a SIP server: enums, CauseData, errors, version."""
import json
import wave

import pytest

import sipworker
from sipworker import CauseData, Cmd, On, SipwError, SipWorker, sipw

from conftest import has_chinese, offline_config

SEED_CMD = {
    "INIT": "INIT", "LOGIN": "LOGIN", "CALL": "CALL", "ANSWER": "ANSWER", "LOGOUT": "LOGOUT",
    "HANGUP": "HANGUP", "HOLD": "HOLD", "UNHOLD": "ONHOLD", "MUTE": "MUTE", "UNMUTE": "UNMUTE",
    "REGISTER": "REGISTER", "SESSTION_DEL": "SESSTION_DEL", "UNREGISTER": "UNREGISTER",
    "NOTIFY": "NOTIFY", "EMPTY": "EMPTY",
}
SEED_ON = {
    "ON_TIME_OUT": "Request Timeout", "ON_REGISTERED": "registered", "ON_UNREGISTERED": "unregistered",
    "ON_REGISTRATIONFAILED": "registrationFailed", "ON_REGISTRATIONEXPIRING": "registrationExpiring",
    "ON_CONNECTING": "connecting", "ON_CONNECTED": "connected", "ON_DISCONNECTED": "disconnected",
    "ON_NEWRTCSESSION": "newRTCSession", "ON_RTCSESSION_STATE": "new_RTCSession_state",
    "ON_SESSION_PROGRESS": "session_progress", "ON_SESSTION_CONNECTING": "session_connecting",
    "ON_SESSTION_ACCEPTED": "session_accepted", "ON_SESSTION_CONFIRMED": "session_confirmed",
    "ON_SESSTION_ENDED": "session_ended", "ON_SESSTION_FAILED": "session_failed",
    "ON_SESSION_ANSWER_FAILED": "session_answer_failed", "ON_RESUME": "onResume", "ON_HOLD": "onHold",
    "ON_MUTE": "onMute", "ON_UNMUTE": "onUnmute", "ON_EVENT": "event", "ON_NEWOPTIONS": "newOptions",
    "ON_SIPEVENT": "sipEvent", "ON_NEWMESSAGE": "newMessage", "ON_SESSION_RECALL": "session_recall",
    "ON_RE_REGISTERED": "re_register", "ON_RE_LOGIN": "re_login",
    "ON_SESSION_TIMEOUT": "session_req_timeout", "ON_LISTEN_EVENT": "call_event",
}


def test_enums_keep_the_original_members_exactly():
    # Every member of the original library, with its exact value; extensions come on top.
    assert SEED_CMD.items() <= {m.name: m.value for m in Cmd}.items()
    assert SEED_ON.items() <= {m.name: m.value for m in On}.items()
    assert Cmd.UNHOLD == "ONHOLD"
    assert On.ON_SESSTION_CONFIRMED == "session_confirmed"
    assert f"{Cmd.UNHOLD}" == str(Cmd.UNHOLD) == "ONHOLD"
    assert json.dumps({"cmd": Cmd.UNHOLD}) == '{"cmd": "ONHOLD"}'


def test_version_comes_from_the_library():
    assert sipworker.__version__ == sipw.sipw_version()
    assert sipworker.__version__.count(".") == 2


def test_cause_data_fields():
    ev = CauseData("new_RTCSession_state",
                   '{"id":"w1","uri":"sip:1001@h","msg":"session_failed","code":486,'
                   '"sessionId":"s1","cause":"Busy","causeCN":"忙"}')
    assert ev.channel == "new_RTCSession_state"
    assert (ev.msg, ev.code, ev.sessionId, ev.cause, ev.causeCN) == ("session_failed", 486, "s1", "Busy", "忙")
    assert ev.fromUri is None and ev.statusCode is None  # seed fields an event does not carry
    assert ev["cause"] == "Busy" and ev.json["id"] == "w1" and "uri" in ev
    assert ev.matches("*") and ev.matches("session_failed") and ev.matches(On.ON_RTCSESSION_STATE)
    assert not ev.matches("registered")
    with pytest.raises(AttributeError):
        ev.notAField


def test_unknown_command_raises_with_both_texts(make_worker):
    w = make_worker()
    with pytest.raises(SipwError) as ei:
        w.post("BOGUS", None)
    e = ei.value
    assert e.code == SipwError.ENOCMD == -4
    assert "BOGUS" in e.message and has_chinese(e.message_cn)
    assert e.message in str(e) and e.message_cn in str(e)


@pytest.mark.parametrize("cmd", [Cmd.NOTIFY, Cmd.EMPTY])
def test_unused_seed_commands_are_rejected(make_worker, cmd):
    with pytest.raises(SipwError) as ei:
        make_worker().post(cmd)
    assert ei.value.code == SipwError.ENOCMD


def test_malformed_json_raises_with_both_texts(make_worker):
    w = make_worker()
    with pytest.raises(SipwError) as ei:
        w.post_raw(Cmd.INIT, '{"uri": "sip:1001@127.0.0.1",')
    assert ei.value.code == SipwError.EINVAL
    assert ei.value.message and has_chinese(ei.value.message_cn)


def test_ill_typed_field_raises(make_worker):
    w = make_worker()
    with pytest.raises(SipwError) as ei:
        w.post(Cmd.INIT, {"uri": 1001})
    assert ei.value.code == SipwError.EINVAL
    assert "uri" in ei.value.message and has_chinese(ei.value.message_cn)


def test_command_in_the_wrong_state_raises(make_worker):
    with pytest.raises(SipwError) as ei:
        make_worker().post(Cmd.LOGIN)  # before INIT
    assert ei.value.code == SipwError.ESTATE and has_chinese(ei.value.message_cn)


def test_post_after_close_raises(make_worker):
    w = make_worker()
    w.close()
    w.close()  # idempotent
    with pytest.raises(SipwError) as ei:
        w.post(Cmd.INIT, offline_config())
    assert ei.value.code == SipwError.ESHUTDOWN
    assert ei.value.message and has_chinese(ei.value.message_cn)
    with pytest.raises(SipwError):
        w.wait_for(On.ON_REGISTERED, timeout=0.1)


def test_bad_create_options_raise():
    with pytest.raises(SipwError) as ei:
        SipWorker({"queueCapacity": "many"})
    assert has_chinese(ei.value.message_cn)


def test_session_info_of_unknown_session_is_none(make_worker):
    assert make_worker().session_info("no-such-session") is None


def test_raw_module_wait_event_releases_the_gil(ticking_thread):
    """sipw_wait_event blocks with the GIL released: another Python thread keeps running."""
    handle = sipw.sipw_create('{"eventQueue": true}')
    try:
        assert sipw.sipw_wait_event(handle, 1000) is None
    finally:
        sipw.sipw_destroy(handle)
    assert len(ticking_thread) > 30


def test_a_destroyed_handle_answers_shutting_down_even_after_reuse():
    """The core's handle safety, seen from the raw module: no lease or guess in the binding."""
    stale = sipw.sipw_create('{"eventQueue": true}')
    sipw.sipw_destroy(stale)
    fresh = sipw.sipw_create('{"eventQueue": true}')
    try:
        assert sipw.sipw_post(stale, "INIT", '{"uri": "sip:1001@127.0.0.1"}') == SipwError.ESHUTDOWN
        assert has_chinese(sipw.sipw_last_error_text("zh-CN"))
        assert sipw.sipw_next_event(stale, 0) == [SipwError.ESHUTDOWN, None]
        assert sipw.sipw_event_fd(stale) == -1 and sipw.sipw_last_error_code() == SipwError.ESHUTDOWN
        assert sipw.sipw_post(fresh, "INIT", '{"uri": "sip:1001@127.0.0.1", "register": false}') == 0
    finally:
        sipw.sipw_destroy(fresh)


def test_pull_functions_say_event_timeout_or_closed():
    handle = sipw.sipw_create('{"eventQueue": true}')
    try:
        assert sipw.sipw_next_event(handle, 10) == [0, None]
        assert sipw.sipw_post(handle, "INIT", '{"uri": "sip:1001@127.0.0.1", "register": false}') == 0
        assert sipw.sipw_post(handle, "UNREGISTER", None) == 0
        rc, ev = sipw.sipw_next_match(handle, "warning", '{"originator": "system"}', 5000)
        assert rc == 1 and sipw.sipw_event_name(ev) == "warning"
        rc, ev = sipw.sipw_next_event(handle, 5000)
        assert rc == 1 and sipw.sipw_event_msg(ev) == "warning"
    finally:
        sipw.sipw_destroy(handle)
    assert sipw.sipw_next_event(handle, 10) == [SipwError.ESHUTDOWN, None]


def test_command_methods_post_their_command(make_worker, tmp_path):
    """The generated methods post the command with the fields named in the catalogue: the core's
    answers show it (an unknown session, a missing file), and a generated id is the one the core uses."""
    w = make_worker()
    w.init(offline_config())
    for refused in (lambda: w.hold("no-such-session"), lambda: w.dtmf("no-such-session", 12),
                    lambda: w.record("no-such-session", str(tmp_path / "r.wav"), what="both")):
        with pytest.raises(SipwError) as ei:
            refused()
        assert ei.value.code == SipwError.ENOSESSION and has_chinese(ei.value.message_cn)
    with pytest.raises(SipwError) as ei:
        w.play(str(tmp_path / "missing.wav"), output="null")
    assert ei.value.code == SipwError.EINVAL and "missing.wav" in ei.value.message

    tone = tmp_path / "tone.wav"
    with wave.open(str(tone), "wb") as f:  # 0.2 s of silence is enough to start and end a playback
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(8000), f.writeframes(b"\0\0" * 1600)
    play_id = w.play(str(tone), output="null")
    started = w.wait_for(On.ON_PLAY_STARTED, timeout=5, match={"playId": play_id})
    assert started is not None and started.data["file"] == str(tone)
    ended = w.wait_for(On.ON_PLAY_ENDED, timeout=5, match={"playId": play_id})
    assert ended is not None and ended.data["reason"] == "finished"
    assert w.play(str(tone), output="null", play_id="mine") == "mine"
    w.play_stop("mine")
