// Calls that do not go well: rejections, cancels, timeouts and broken peers (sipp through the
// loopback Kamailio), and bad input through the C ABI. Every session of every worker must end
// with exactly one terminal event; the fixtures check that after each test.
//
// Each test uses its own users (created in Kamailio at run time, 3001..3099) and its own sipp
// port, so registrations left behind by one test never route another test's calls.
#include "call_helpers.hpp"

#include <cstdio>
#include <thread>

using namespace sipw_test;

namespace {

const char *kUdp = kLoopbackUdp;

// The session events of `sid` in the history, in order.
std::vector<std::string> sessionMessages(const TestWorker &w, const std::string &sid) {
    std::vector<std::string> out;
    for (const auto &ev : w.history()) {
        if (ev.value("_channel", "") == "new_RTCSession_state" && ev.value("sessionId", "") == sid)
            out.push_back(ev.value("msg", ""));
    }
    return out;
}

// The event of session `sid` on `channel` in the history (null if none).
Json channelEvent(const TestWorker &w, const std::string &channel, const std::string &sid) {
    for (const auto &ev : w.history()) {
        if (ev.value("_channel", "") == channel && ev.value("sessionId", "") == sid) return ev;
    }
    return nullptr;
}

// The terminal event carries the cause, its Chinese text, the status and the originator.
void expectTerminal(const Json &ev, const std::string &msg, const std::string &cause, const std::string &causeCN,
                    int statusCode, const std::string &originator) {
    ASSERT_FALSE(ev.is_null()) << "no " << msg;
    EXPECT_EQ(ev.value("msg", ""), msg) << ev.dump();
    EXPECT_EQ(ev.value("cause", ""), cause) << ev.dump();
    EXPECT_EQ(ev.value("causeCN", ""), causeCN) << ev.dump();
    if (statusCode) EXPECT_EQ(ev.value("statusCode", 0), statusCode) << ev.dump();
    else EXPECT_FALSE(ev.contains("statusCode")) << ev.dump();
    EXPECT_EQ(ev.value("originator", ""), originator) << ev.dump();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Part 1: sipp as the far end, the causes JsSIP derives from its answers.

class CallFailures : public SippCalls {
protected:
    // Worker `caller` calls sipp `callee` (registered on `port`), which rejects with `code`.
    void expectRejection(const std::string &caller, const std::string &callee, int port, int code,
                         const std::string &cause, const std::string &causeCN) {
        Sipp &uas = registeredUas(callee, port, "uas_reply.xml", {"-key", "code", std::to_string(code)});
        Phone &p = phone(caller);
        Json failed = callAndWaitForEnd(p, callee, "reject-" + std::to_string(code));
        expectTerminal(failed, "session_failed", cause, causeCN, code, "remote");
        EXPECT_EQ(uas.wait(), 0) << uas.describe();
    }
};

TEST_F(CallFailures, Busy486) { expectRejection("3001", "3002", 5101, 486, "Busy", "对方正忙"); }
TEST_F(CallFailures, NotFound404) { expectRejection("3003", "3004", 5102, 404, "Not Found", "号码不存在"); }
TEST_F(CallFailures, Unavailable480) {
    expectRejection("3005", "3006", 5103, 480, "Unavailable", "对方暂时无法接通");
}
TEST_F(CallFailures, Declined603) { expectRejection("3007", "3008", 5104, 603, "Rejected", "对方拒绝了呼叫"); }

TEST_F(CallFailures, ProxyRejectsOfflineAndUnknownUsers) {
    addKamailioUser("3026");  // known to Kamailio, never registered: 480 from the proxy
    Phone &p = phone("3025");
    expectTerminal(callAndWaitForEnd(p, "3026", "offline"), "session_failed", "Unavailable", "对方暂时无法接通", 480,
                   "remote");
    expectTerminal(callAndWaitForEnd(p, "3999", "unknown"), "session_failed", "Not Found", "号码不存在", 404, "remote");
}

// HANGUPs at every point of an outgoing call's start (offer being built, INVITE out, 407
// challenge, re-INVITE, the proxy's 480): one terminal event each, and no dialog left behind.
TEST_F(CallFailures, HangupsRacingTheProxy) {
    addKamailioUser("3036");  // known, never registered: Kamailio answers 480
    Phone &p = phone("3035");
    constexpr int kCalls = 40;
    for (int i = 0; i < kCalls; ++i) {
        std::string sid = "race-" + std::to_string(i);
        ASSERT_EQ(p.w.post("CALL", {{"target", "3036"}, {"sessionId", sid}}), 0) << sipw_last_error();
        if (i % 4) std::this_thread::sleep_for(std::chrono::milliseconds(i * 3 % 50));
        int rc = p.w.post("HANGUP", {{"sessionId", sid}});
        EXPECT_TRUE(rc == 0 || rc == SIPW_ESTATE) << rc << " " << sipw_last_error();
        settle(p.w, 1);
    }
    auto terminals = [&] {
        return std::count_if(p.w.history().begin(), p.w.history().end(),
                             [](const Json &ev) { return isTerminal(ev.value("msg", "")); });
    };
    auto deadline = Clock::now() + std::chrono::seconds(15);
    while (terminals() < kCalls && Clock::now() < deadline) settle(p.w, 100);
    settle(p.w, 500);
    EXPECT_EQ(terminals(), kCalls);
    EXPECT_EQ(expectOneTerminalPerSession(p.w, p.user), static_cast<size_t>(kCalls));
    for (const auto &ev : p.w.history()) {
        if (!isTerminal(ev.value("msg", ""))) continue;
        std::string cause = ev.value("cause", "");
        EXPECT_TRUE(cause == "Canceled" || cause == "Unavailable") << ev.dump();
    }
    auto t0 = Clock::now();
    p.w.destroy();
    EXPECT_LT(secondsSince(t0), 2.0) << "dialogs were left open";
}

// Our HANGUP while the callee rings: CANCEL; the 487 that follows is no second terminal event.
TEST_F(CallFailures, LocalHangupWhileRingingCancels) {
    Sipp &uas = registeredUas("3010", 5105, "uas_ring.xml");
    Phone &p = phone("3009");
    ASSERT_EQ(p.w.post("CALL", {{"target", "3010"}, {"sessionId", "ring"}}), 0) << sipw_last_error();
    Json progress = waitSession(p.w, "session_progress", "ring");
    ASSERT_FALSE(progress.is_null());
    EXPECT_EQ(progress.value("statusCode", 0), 180);
    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", "ring"}}), 0) << sipw_last_error();
    expectTerminal(waitSession(p.w, "session_failed", "ring"), "session_failed", "Canceled", "呼叫已取消", 0, "local");
    EXPECT_EQ(uas.wait(), 0) << uas.describe();  // it got the CANCEL and the ACK of its 487
    settle(p.w, 500);
    EXPECT_EQ(waitSession(p.w, "session_ended", "ring", 1), nullptr);
    EXPECT_EQ(p.w.post("HANGUP", {{"sessionId", "ring"}}), SIPW_ESTATE);
    // The 487 reached the worker and closed the INVITE transaction: nothing holds up the
    // shutdown (a lost 487 makes it wait out its whole budget).
    expectOneTerminalPerSession(p.w, p.user);
    auto t0 = Clock::now();
    p.w.destroy();
    EXPECT_LT(secondsSince(t0), 2.0);
}

// HANGUP {isTimeout: true} while ringing: CANCEL too, but cause Request Timeout and its own event.
TEST_F(CallFailures, LocalTimeoutWhileRingingCancels) {
    Sipp &uas = registeredUas("3032", 5115, "uas_ring.xml");
    Phone &p = phone("3031");
    ASSERT_EQ(p.w.post("CALL", {{"target", "3032"}, {"sessionId", "ring-timeout"}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(p.w, "session_progress", "ring-timeout").is_null());
    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", "ring-timeout"}, {"isTimeout", true}}), 0) << sipw_last_error();
    expectTerminal(waitSession(p.w, "session_failed", "ring-timeout"), "session_failed", "Request Timeout", "请求超时",
                   0, "local");
    Json timeout = channelEvent(p.w, "Request Timeout", "ring-timeout");
    ASSERT_FALSE(timeout.is_null()) << "no event on channel Request Timeout";
    EXPECT_EQ(timeout.value("causeCN", ""), "请求超时");
    EXPECT_EQ(uas.wait(), 0) << uas.describe();
}

// Nobody answers an incoming call: after noAnswerTimeout we answer 408 ourselves.
TEST_F(CallFailures, IncomingNoAnswerTimesOut) {
    Phone &p = phone("3011", {{"noAnswerTimeout", 2}});
    Sipp &caller = uac("3012", 5106, "3011", "uac_offer.xml", {"-set", "expect", "408"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    auto rang = Clock::now();
    std::string sid = incoming["sessionId"];
    EXPECT_EQ(incoming["sessionOrigin"], "incoming");
    EXPECT_NE(incoming.value("fromUri", "").find("3012"), std::string::npos) << incoming.dump();
    Json failed = waitSession(p.w, "session_failed", sid, 6000);
    double after = secondsSince(rang);
    expectTerminal(failed, "session_failed", "No Answer", "无人接听", 408, "local");
    EXPECT_GT(after, 1.5);
    EXPECT_LT(after, 4.0);
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
    EXPECT_NE(caller.log().find("final response 408"), std::string::npos) << caller.log();
}

// A plain RTP/AVP offer (a SIP phone, a PBX) is answered in the rtp profile with its codec.
TEST_F(CallFailures, IncomingRtpAvpOfferIsAnswered) {
    Phone &p = phone("3013");
    Sipp &caller = uac("3014", 5107, "3013", "uac_rtpavp.xml", {"-set", "expect", "200"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    EXPECT_EQ(sessionInfo(p.w, sid)["profile"], "rtp");
    // The offer chose the profile: an answer cannot change it.
    expectError(p.w.post("ANSWER", {{"sessionId", sid}, {"options", {{"media", {{"profile", "webrtc"}}}}}}),
                SIPW_EINVAL, "options.media.profile");
    ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", sid}, {"options", {{"media", {{"profile", "rtp"}}}}}}), 0)
        << sipw_last_error();
    EXPECT_FALSE(waitSession(p.w, "session_confirmed", sid).is_null());
    EXPECT_EQ(sessionInfo(p.w, sid)["codec"], "PCMU");
    expectTerminal(waitSession(p.w, "session_ended", sid), "session_ended", "Terminated", "对方已挂断", 0, "remote");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
    EXPECT_NE(caller.log().find("final response 200"), std::string::npos) << caller.log();
    EXPECT_NE(caller.messages().find("RTP/AVP 0"), std::string::npos) << caller.messages();
}

// HANGUP of an unanswered incoming call rejects it with 480.
TEST_F(CallFailures, IncomingRejectedByHangup) {
    Phone &p = phone("3027");
    Sipp &caller = uac("3028", 5113, "3027", "uac_offer.xml", {"-set", "expect", "480"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    // Not answered yet: nothing to hold or mute.
    expectError(p.w.post("HOLD", {{"sessionId", sid}}), SIPW_ESTATE, "HOLD");
    expectError(p.w.post("MUTE", {{"sessionId", sid}}), SIPW_ESTATE, "MUTE");
    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", sid}}), 0) << sipw_last_error();
    expectTerminal(waitSession(p.w, "session_failed", sid), "session_failed", "Rejected", "对方拒绝了呼叫", 480, "local");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
}

// HANGUP {isTimeout: true} of an unanswered incoming call: 408 and cause Request Timeout.
TEST_F(CallFailures, IncomingHangupAsTimeout) {
    Phone &p = phone("3029");
    Sipp &caller = uac("3030", 5114, "3029", "uac_offer.xml", {"-set", "expect", "408"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", sid}, {"isTimeout", true}}), 0) << sipw_last_error();
    expectTerminal(waitSession(p.w, "session_failed", sid), "session_failed", "Request Timeout", "请求超时", 408,
                   "local");
    EXPECT_FALSE(channelEvent(p.w, "Request Timeout", sid).is_null()) << "no event on channel Request Timeout";
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
}

// ---------------------------------------------------------------------------------------------
// Part 2: peers that misbehave.

class HostilePeers : public SippCalls {};

TEST_F(HostilePeers, IncomingWithoutSdp) {
    Phone &p = phone("3015");
    Sipp &caller = uac("3016", 5108, "3015", "uac_offer.xml", {"-set", "offer", "none", "-set", "expect", "488"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    expectTerminal(waitSession(p.w, "session_failed", sid), "session_failed", "Missing SDP", "缺少媒体描述（SDP）", 488,
                   "system");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
}

TEST_F(HostilePeers, IncomingWithGarbageSdp) {
    Phone &p = phone("3017");
    Sipp &caller = uac("3018", 5109, "3017", "uac_offer.xml", {"-set", "offer", "garbage", "-set", "expect", "488"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    expectTerminal(waitSession(p.w, "session_failed", sid), "session_failed", "Incompatible SDP",
                   "与对方的媒体格式不兼容", 488, "system");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
}

// The caller gives up while we ring: its CANCEL ends the session (we answer 487).
TEST_F(HostilePeers, CallerCancelsWhileRinging) {
    Phone &p = phone("3019");
    Sipp &caller = uac("3020", 5110, "3019", "uac_offer.xml", {"-set", "mode", "cancel", "-set", "expect", "487"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    expectTerminal(waitSession(p.w, "session_failed", sid), "session_failed", "Canceled", "呼叫已取消", 487, "remote");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
    // Too late to answer or reject it now.
    EXPECT_EQ(p.w.post("ANSWER", {{"sessionId", sid}}), SIPW_ESTATE);
    EXPECT_EQ(p.w.post("HANGUP", {{"sessionId", sid}}), SIPW_ESTATE);
}

// A 200 OK without an SDP answer: we ACK it, then BYE, and the call fails (it was never up).
TEST_F(HostilePeers, AnswerWithoutSdp) {
    Sipp &uas = registeredUas("3022", 5111, "uas_answer_nosdp.xml");
    Phone &p = phone("3021");
    Json failed = callAndWaitForEnd(p, "3022", "no-sdp-answer");
    expectTerminal(failed, "session_failed", "Missing SDP", "缺少媒体描述（SDP）", 200, "remote");
    EXPECT_EQ(uas.wait(), 0) << uas.describe();  // 0 = it received our BYE
    EXPECT_NE(uas.log().find("ACK received"), std::string::npos) << "the 200 OK was not ACKed";
    EXPECT_EQ(waitSession(p.w, "session_accepted", "no-sdp-answer", 1), nullptr) << "accepted a call without media";
}

// A 200 OK with a plain RTP/AVP answer (no DTLS, no ICE) to our WebRTC offer: unusable, so the
// same as no answer at all, but cause Bad Media Description.
TEST_F(HostilePeers, AnswerWithPlainRtp) {
    Sipp &uas = registeredUas("3034", 5116, "uas_answer.xml");
    Phone &p = phone("3033");
    Json failed = callAndWaitForEnd(p, "3034", "rtpavp-answer");
    expectTerminal(failed, "session_failed", "Bad Media Description", "媒体描述无效", 200, "remote");
    EXPECT_EQ(uas.wait(), 0) << uas.describe();  // 0 = it received our BYE
    EXPECT_NE(uas.log().find("ACK received"), std::string::npos) << "the 200 OK was not ACKed";
    EXPECT_EQ(waitSession(p.w, "session_accepted", "rtpavp-answer", 1), nullptr) << "accepted a call without media";
}

// We answer; the caller hangs up 0.5 s after its ACK. No media flows (sipp answers no ICE), which
// the worker only notices after the ICE timeout, long after the BYE.
TEST_F(HostilePeers, RemoteByeAfterAnswer) {
    Phone &p = phone("3023");
    Sipp &caller = uac("3024", 5112, "3023", "uac_offer.xml", {"-set", "expect", "200"});
    Json incoming = waitSession(p.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    // Bad options are refused without using up the answer.
    expectError(p.w.post("ANSWER", {{"sessionId", sid}, {"options", {{"audio", {{"input", "bogus"}}}}}}), SIPW_EINVAL,
                "options.audio.input");
    ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", sid}}), 0) << sipw_last_error();
    // A second ANSWER is refused at once: the session is no longer ringing.
    EXPECT_EQ(p.w.post("ANSWER", {{"sessionId", sid}}), SIPW_ESTATE);
    Json accepted = waitSession(p.w, "session_accepted", sid);
    ASSERT_FALSE(accepted.is_null()) << caller.describe();
    EXPECT_EQ(accepted.value("originator", ""), "local");
    EXPECT_FALSE(waitSession(p.w, "session_confirmed", sid).is_null());
    // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    expectTerminal(waitSession(p.w, "session_ended", sid), "session_ended", "Terminated", "对方已挂断", 0, "remote");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
    EXPECT_NE(caller.log().find("final response 200"), std::string::npos) << caller.log();
}

// ---------------------------------------------------------------------------------------------
// Part 3: bad input through the C ABI. No server is needed: INIT with register:false never
// connects, so every CALL fails at once with Connection Error.

class CallInput : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(w.post("INIT", initFor("3090", kUdp, {{"register", false}})), 0) << sipw_last_error();
    }
    void TearDown() override {
        settle(w, 200);
        expectOneTerminalPerSession(w, "worker");
    }
    // CALL `sid` and wait until it failed (it cannot connect).
    void failedCall(const std::string &sid) {
        ASSERT_EQ(w.post("CALL", {{"target", "1002"}, {"sessionId", sid}}), 0) << sipw_last_error();
        expectTerminal(waitSession(w, "session_failed", sid), "session_failed", "Connection Error", "网络连接错误", 0,
                       "system");
    }
    TestWorker w;
};

TEST(CallInputBeforeInit, CallIsInTheWrongState) {
    TestWorker w;
    expectError(w.post("CALL", {{"target", "1002"}}), SIPW_ESTATE, "CALL");
    for (const char *cmd : {"ANSWER", "HANGUP", "HOLD", "UNHOLD", "MUTE", "SESSTION_DEL"})
        expectError(w.post(cmd, {{"sessionId", "x"}}), SIPW_ESTATE, cmd);
}

TEST_F(CallInput, CallArgumentsAreChecked) {
    expectError(w.post("CALL", Json::object()), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", nullptr}}), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", {{"user", "1002"}}}}), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", Json::array({"1002"})}}), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", ""}}), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", "sip:"}}), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", "a b"}}), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", -5}}), SIPW_EINVAL, "target");
    expectError(w.post("CALL", {{"target", "1002"}, {"sessionId", 7}}), SIPW_EINVAL, "sessionId");
    expectError(w.post("CALL", {{"target", "1002"}, {"sessionId", ""}}), SIPW_EINVAL, "sessionId");
    expectError(w.post("CALL", {{"target", "1002"}, {"sessionId", "a\nb"}}), SIPW_EINVAL, "sessionId");
    expectError(w.post("CALL", {{"target", "1002"}, {"sessionId", std::string(129, 'x')}}), SIPW_EINVAL, "sessionId");
    expectError(w.post("CALL", "[]"), SIPW_EINVAL);
    expectError(w.post("CALL", "null"), SIPW_EINVAL);
    EXPECT_EQ(expectOneTerminalPerSession(w, "worker"), 0u);  // nothing was started
}

TEST_F(CallInput, CallOptionsAreChecked) {
    auto call = [&](Json options) { return w.post("CALL", {{"target", "1002"}, {"options", options}}); };
    expectError(call("loud"), SIPW_EINVAL, "options");
    expectError(call({{"audio", "tone:440"}}), SIPW_EINVAL, "options.audio");
    expectError(call({{"audio", {{"input", "microphone"}}}}), SIPW_EINVAL, "options.audio.input");
    expectError(call({{"audio", {{"input", 440}}}}), SIPW_EINVAL, "options.audio.input");
    expectError(call({{"audio", {{"input", "tone:abc"}}}}), SIPW_EINVAL, "options.audio.input");
    expectError(call({{"audio", {{"input", "file:"}}}}), SIPW_EINVAL, "options.audio.input");
    expectError(call({{"audio", {{"output", "speaker"}}}}), SIPW_EINVAL, "options.audio.output");
    expectError(call({{"media", "rtp"}}), SIPW_EINVAL, "options.media");
    expectError(call({{"media", {{"profile", "sip"}}}}), SIPW_EINVAL, "options.media.profile");
    expectError(call({{"media", {{"codecs", {"G729"}}}}}), SIPW_EINVAL, "options.media.codecs");
    expectError(call({{"media", {{"codec", "PCMU"}}}}), SIPW_EINVAL, "options.media.codec");
    expectError(call({{"media", {{"rtpTimeoutMs", -1}}}}), SIPW_EINVAL, "options.media.rtpTimeoutMs");
    expectError(call({{"extraHeaders", "X-A: 1"}}), SIPW_EINVAL, "extraHeaders");
    expectError(call({{"extraHeaders", {1}}}), SIPW_EINVAL, "extraHeaders");
    expectError(call({{"extraHeaders", {"no colon"}}}), SIPW_EINVAL, "extraHeaders");
    expectError(call({{"extraHeaders", {": no name"}}}), SIPW_EINVAL, "extraHeaders");
    expectError(call({{"extraHeaders", {"X-A: 1\r\nX-Injected: 2"}}}), SIPW_EINVAL, "extraHeaders");
    expectError(call({{"extraHeaders", {"X-A: 1\nVia: evil"}}}), SIPW_EINVAL, "extraHeaders");
    expectError(call({{"extraHeaders", {"X-A: 1\r"}}}), SIPW_EINVAL, "extraHeaders");
    expectError(w.post("ANSWER", {{"sessionId", "x"}, {"options", {{"audio", {{"input", "bogus"}}}}}}),
                SIPW_ENOSESSION);
    EXPECT_EQ(expectOneTerminalPerSession(w, "worker"), 0u);
}

TEST_F(CallInput, DuplicateSessionIdIsRefused) {
    ASSERT_EQ(w.post("CALL", {{"target", "1002"}, {"sessionId", "dup"}}), 0) << sipw_last_error();
    expectError(w.post("CALL", {{"target", "1003"}, {"sessionId", "dup"}}), SIPW_EINVAL, "dup");
    ASSERT_FALSE(waitSession(w, "session_failed", "dup").is_null());
    // Ended but not deleted: the id is still taken.
    expectError(w.post("CALL", {{"target", "1003"}, {"sessionId", "dup"}}), SIPW_EINVAL, "dup");
}

TEST_F(CallInput, UnknownSessions) {
    for (const char *cmd : {"ANSWER", "HANGUP", "HOLD", "UNHOLD", "ONHOLD", "MUTE", "UNMUTE", "SESSTION_DEL"}) {
        expectError(w.post(cmd, {{"sessionId", "no-such-session"}}), SIPW_ENOSESSION, "no-such-session");
        expectError(w.post(cmd, Json::object()), SIPW_EINVAL, "sessionId");
        expectError(w.post(cmd, {{"sessionId", 12}}), SIPW_EINVAL, "sessionId");
        expectError(w.post(cmd, "null"), SIPW_EINVAL);
    }
    EXPECT_EQ(sipw_session_info(w.get(), "no-such-session"), nullptr);
}

TEST_F(CallInput, WrongStatesOfAnOutgoingCall) {
    failedCall("out");
    expectError(w.post("ANSWER", {{"sessionId", "out"}}), SIPW_ESTATE, "ANSWER");
    expectError(w.post("HOLD", {{"sessionId", "out"}}), SIPW_ESTATE, "HOLD");
    expectError(w.post("UNHOLD", {{"sessionId", "out"}}), SIPW_ESTATE, "UNHOLD");
    expectError(w.post("MUTE", {{"sessionId", "out"}}), SIPW_ESTATE, "MUTE");
    expectError(w.post("HANGUP", {{"sessionId", "out"}}), SIPW_ESTATE, "HANGUP");
    expectError(w.post("HANGUP", {{"sessionId", "out"}, {"isTimeout", "yes"}}), SIPW_EINVAL, "isTimeout");
    expectError(w.post("HANGUP", {{"sessionId", "out"}, {"isTimeout", 1}}), SIPW_EINVAL, "isTimeout");
}

TEST_F(CallInput, HoldBeforeConfirmedAndAnswerOfOutgoing) {
    // Right after CALL the session is "calling" (or already failed): neither may be held nor answered.
    ASSERT_EQ(w.post("CALL", {{"target", "1002"}, {"sessionId", "early"}}), 0) << sipw_last_error();
    expectError(w.post("HOLD", {{"sessionId", "early"}}), SIPW_ESTATE, "HOLD");
    expectError(w.post("ANSWER", {{"sessionId", "early"}}), SIPW_ESTATE, "ANSWER");
    ASSERT_FALSE(waitSession(w, "session_failed", "early").is_null());
}

TEST_F(CallInput, DeletedSessionIsForgotten) {
    failedCall("gone");
    char *info = sipw_session_info(w.get(), "gone");
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(Json::parse(info)["state"], "terminated");
    sipw_free(info);
    ASSERT_EQ(w.post("SESSTION_DEL", {{"sessionId", "gone"}}), 0) << sipw_last_error();
    EXPECT_EQ(sipw_session_info(w.get(), "gone"), nullptr);
    expectError(w.post("SESSTION_DEL", {{"sessionId", "gone"}}), SIPW_ENOSESSION);
    expectError(w.post("HANGUP", {{"sessionId", "gone"}}), SIPW_ENOSESSION);
    // The id is free again.
    failedCall("gone");
}

TEST_F(CallInput, DeleteWhileStillCalling) {
    ASSERT_EQ(w.post("CALL", {{"target", "1002"}, {"sessionId", "brief"}}), 0) << sipw_last_error();
    ASSERT_EQ(w.post("SESSTION_DEL", {{"sessionId", "brief"}}), 0) << sipw_last_error();
    EXPECT_EQ(sipw_session_info(w.get(), "brief"), nullptr);
    ASSERT_FALSE(waitSession(w, "session_failed", "brief").is_null());
    settle(w, 200);
    EXPECT_EQ(sipw_session_info(w.get(), "brief"), nullptr) << "a deleted session came back";
}

// 1000 CALL+HANGUP pairs as fast as they go: each session gets exactly one terminal event.
TEST_F(CallInput, RapidCallHangupPairs) {
    constexpr int kPairs = 1000;
    int refusedHangups = 0;
    for (int i = 0; i < kPairs; ++i) {
        std::string sid = "rapid-" + std::to_string(i);
        ASSERT_EQ(w.post("CALL", {{"target", "1002"}, {"sessionId", sid}}), 0) << i << ": " << sipw_last_error();
        int rc = w.post("HANGUP", {{"sessionId", sid}});
        // The call may already have failed (no transport) by the time HANGUP is checked.
        if (rc == SIPW_ESTATE) ++refusedHangups;
        else ASSERT_EQ(rc, 0) << i << ": " << sipw_last_error();
        if (i % 100 == 99) settle(w, 1);
    }
    auto deadline = Clock::now() + std::chrono::seconds(20);
    auto terminals = [&] {
        return std::count_if(w.history().begin(), w.history().end(), [](const Json &ev) { return isTerminal(ev.value("msg", "")); });
    };
    while (terminals() < kPairs && Clock::now() < deadline) settle(w, 100);
    settle(w, 300);
    EXPECT_EQ(terminals(), kPairs);
    EXPECT_EQ(expectOneTerminalPerSession(w, "worker"), static_cast<size_t>(kPairs));
    for (const auto &ev : w.history()) EXPECT_NE(ev.value("_channel", ""), "warning") << ev.dump();
    RecordProperty("refusedHangups", refusedHangups);
}
