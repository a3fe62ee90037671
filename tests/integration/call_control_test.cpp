// Call control between workers through the loopback Kamailio: incoming call details and JsSIP's
// event order, rejects with a chosen code, early media (PROGRESS), blind and attended transfer,
// instant messages and call statistics. Audio is checked by frequency.
#include "audio_analysis.hpp"
#include "call_helpers.hpp"

#include <cstdio>
#include <map>
#include <set>
#include <thread>

using namespace sipw_test;

namespace {

void sleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

Json audio(const std::string &input, const std::string &output) {
    return {{"audio", {{"input", input}, {"output", output}}}};
}

// The next incoming session of `p` not returned before (its newRTCSession event).
Json incoming(Phone &p, int timeoutMs = 8000) {
    static std::map<const Phone *, std::set<std::string>> taken;
    auto &seen = taken[&p];
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (Clock::now() < deadline) {
        for (const auto &ev : p.w.history()) {
            if (ev.value("msg", "") == "newRTCSession" && ev.value("sessionOrigin", "") == "incoming" &&
                seen.insert(ev.value("sessionId", "")).second)
                return ev;
        }
        p.w.waitFor("newRTCSession", 200);
    }
    return nullptr;
}

// The msgs of session `sid`'s events on channel new_RTCSession_state, in order.
std::vector<std::string> sessionMsgs(const TestWorker &w, const std::string &sid) {
    std::vector<std::string> msgs;
    for (const auto &ev : w.history())
        if (ev.value("_channel", "") == "new_RTCSession_state" && ev.value("sessionId", "") == sid)
            msgs.push_back(ev.value("msg", ""));
    return msgs;
}

// The first event of session `sid` with this msg and statusCode, waiting for it.
Json waitStatus(TestWorker &w, const std::string &msg, const std::string &sid, int status, int timeoutMs = 8000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        for (const auto &ev : w.history())
            if (ev.value("msg", "") == msg && ev.value("sessionId", "") == sid && ev.value("statusCode", 0) == status)
                return ev;
        if (Clock::now() >= deadline) return nullptr;
        w.waitFor(msg, 200);
    }
}

// A warning with data.key `key` (and data.args[0] `arg` when given).
Json waitWarning(TestWorker &w, const std::string &key, const std::string &arg = {}, int timeoutMs = 3000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        for (const auto &ev : w.history()) {
            if (ev.value("msg", "") != "warning" || !ev.contains("data")) continue;
            const Json &d = ev["data"];
            if (d.value("key", "") != key) continue;
            if (arg.empty() || (d.contains("args") && d["args"][0] == arg)) return ev;
        }
        if (Clock::now() >= deadline) return nullptr;
        w.waitFor("warning", 200);
    }
}

// Event `msg` of channel newMessage whose data.messageId is `id`.
Json waitMessage(TestWorker &w, const std::string &msg, const std::string &id, int timeoutMs = 8000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        for (const auto &ev : w.history())
            if (ev.value("msg", "") == msg && ev.contains("data") && ev["data"].value("messageId", "") == id) return ev;
        if (Clock::now() >= deadline) return nullptr;
        w.waitFor(msg, 200);
    }
}

// Records what `p` receives on session `sid` for `ms`, returns the dominant frequency.
double heardFor(Phone &p, const std::string &sid, const std::string &name, int ms) {
    std::string path = tempWav(name);
    EXPECT_EQ(p.w.post("RECORD", {{"sessionId", sid}, {"file", path}}), 0) << sipw_last_error();
    sleepMs(ms);
    EXPECT_EQ(p.w.post("RECORD_STOP", {{"sessionId", sid}}), 0) << sipw_last_error();
    EXPECT_TRUE(infoBecomes(p.w, sid, "recording", false));  // finalized on the loop
    double hz = recordedFrequency(path);
    std::remove(path.c_str());
    return hz;
}

class CallControl : public SippCalls {};

}  // namespace

TEST_F(CallControl, IncomingDetailsJsSipEventOrderAndRemoteByeIsTerminated) {
    Phone &a = phone("4101"), &b = phone("4102");
    Json options = audio("silence", "null");
    options["extraHeaders"] = {"x-queue-id: sales", "X-Customer: 42", "X-Customer: vip"};
    options["pcConfig"] = Json::object();
    options["colour"] = "blue";
    ASSERT_EQ(a.w.post("CALL", {{"target", "4102"}, {"sessionId", "det"}, {"options", options}}), 0) << sipw_last_error();
    // Options that do nothing are said, as INIT's unknown fields are.
    Json browser = waitWarning(a.w, "browser_option_ignored", "options.pcConfig");
    ASSERT_FALSE(browser.is_null());
    EXPECT_EQ(browser["data"]["sessionId"], "det");
    EXPECT_FALSE(waitWarning(a.w, "unknown_field", "options.colour").is_null());

    Json in = incoming(b);
    ASSERT_FALSE(in.is_null());
    std::string bid = in["sessionId"];
    const Json &d = in["data"];
    EXPECT_FALSE(d.value("callId", "").empty());
    EXPECT_NE(d.value("toUri", "").find("4102"), std::string::npos) << d.dump();
    EXPECT_NE(d.value("requestUri", "").find("4102"), std::string::npos) << d.dump();
    EXPECT_EQ(d["headers"]["X-Queue-Id"], Json::array({"sales"})) << d.dump();
    EXPECT_EQ(d["headers"]["X-Customer"], Json::array({"42", "vip"})) << d.dump();
    Json info = sessionInfo(b.w, bid);
    EXPECT_EQ(info["callId"], d["callId"]);
    EXPECT_EQ(info["toUri"], d["toUri"]);
    EXPECT_EQ(info["requestUri"], d["requestUri"]);
    EXPECT_EQ(info["headers"]["X-Customer"], Json::array({"42", "vip"}));

    // JsSIP's init_incoming: the 180 goes out and `progress` (originator local) follows at once.
    Json ringing = waitSession(b.w, "session_progress", bid);
    ASSERT_FALSE(ringing.is_null());
    EXPECT_EQ(ringing["originator"], "local");
    EXPECT_EQ(ringing["statusCode"], 180);
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}, {"options", audio("silence", "null")}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(b.w, "session_confirmed", bid).is_null());
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "det").is_null());
    EXPECT_EQ(sessionMsgs(b.w, bid), (std::vector<std::string>{"newRTCSession", "session_progress", "session_connecting",
                                                               "session_accepted", "session_confirmed"}));
    EXPECT_EQ(sessionInfo(a.w, "det")["callId"], d["callId"]);  // the outgoing side knows it from the answer

    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "det"}}), 0);
    Json endedB = waitSession(b.w, "session_ended", bid), endedA = waitSession(a.w, "session_ended", "det");
    ASSERT_FALSE(endedB.is_null());
    ASSERT_FALSE(endedA.is_null());
    // JsSIP's causes.BYE on both sides; the originator and causeCN say who hung up.
    EXPECT_EQ(endedB["cause"], "Terminated");
    EXPECT_EQ(endedB["originator"], "remote");
    EXPECT_EQ(endedB["causeCN"], "对方已挂断");
    EXPECT_EQ(endedA["cause"], "Terminated");
    EXPECT_EQ(endedA["originator"], "local");
    EXPECT_EQ(endedA["causeCN"], "通话已结束");
}

TEST_F(CallControl, RejectWithAChosenCodeGetsJsSipsCause) {
    Phone &a = phone("4111"), &b = phone("4112");
    struct Case {
        int status;
        const char *phrase;
        const char *cause;
    };
    for (Case c : {Case{486, "Busy Here", "Busy"}, Case{603, "Not Today", "Rejected"}, Case{404, "", "Not Found"}}) {
        std::string sid = "rj" + std::to_string(c.status);
        ASSERT_EQ(a.w.post("CALL", {{"target", "4112"}, {"sessionId", sid}, {"options", audio("silence", "null")}}), 0);
        Json in = incoming(b);
        ASSERT_FALSE(in.is_null());
        std::string bid = in["sessionId"];
        // Bad reject requests first: each refused, the call still rings.
        expectError(b.w.post("HANGUP", {{"sessionId", bid}, {"statusCode", 200}}), SIPW_EINVAL, "statusCode");
        expectError(b.w.post("HANGUP", {{"sessionId", bid}, {"statusCode", 486}, {"isTimeout", true}}), SIPW_EINVAL);
        Json hangup = {{"sessionId", bid}, {"statusCode", c.status}, {"extraHeaders", {"X-Reject: robot"}}};
        if (*c.phrase) hangup["reasonPhrase"] = c.phrase;
        ASSERT_EQ(b.w.post("HANGUP", hangup), 0) << sipw_last_error();
        Json atB = waitSession(b.w, "session_failed", bid), atA = waitSession(a.w, "session_failed", sid);
        ASSERT_FALSE(atB.is_null());
        ASSERT_FALSE(atA.is_null()) << c.status;
        EXPECT_EQ(atB["originator"], "local");
        EXPECT_EQ(atB["statusCode"], c.status);
        EXPECT_EQ(atB["cause"], c.cause);
        EXPECT_EQ(atA["originator"], "remote");
        EXPECT_EQ(atA["statusCode"], c.status);
        EXPECT_EQ(atA["cause"], c.cause);
        if (*c.phrase) EXPECT_EQ(atA["reason"], c.phrase);
    }
}

TEST_F(CallControl, EarlyMediaFlowsBeforeAnswerAndAnswerKeepsIt) {
    Phone &a = phone("4121"), &b = phone("4122");
    std::string prompt = writeToneWav("early_prompt", 660, 6.0);
    std::string bHears = tempWav("early_b");
    ASSERT_EQ(a.w.post("CALL", {{"target", "4122"}, {"sessionId", "em"}, {"options", audio("tone:1000", "null")}}), 0);
    Json in = incoming(b);
    ASSERT_FALSE(in.is_null());
    std::string bid = in["sessionId"];
    expectError(a.w.post("PROGRESS", {{"sessionId", "em"}}), SIPW_ESTATE, "PROGRESS");  // outgoing
    expectError(b.w.post("PROGRESS", {{"sessionId", bid}, {"statusCode", 200}}), SIPW_EINVAL, "statusCode");
    ASSERT_EQ(b.w.post("PROGRESS", {{"sessionId", bid}, {"options", audio("tone:440", "null")}}), 0) << sipw_last_error();
    Json early = waitStatus(a.w, "session_progress", "em", 183);
    ASSERT_FALSE(early.is_null());
    EXPECT_EQ(early["originator"], "remote");
    EXPECT_FALSE(waitStatus(b.w, "session_progress", bid, 183).is_null());
    ASSERT_TRUE(infoBecomes(a.w, "em", "earlyMedia", true));
    ASSERT_TRUE(infoBecomes(b.w, bid, "earlyMedia", true));
    EXPECT_EQ(sessionInfo(b.w, bid)["state"], "ringing");
    ASSERT_TRUE(infoBecomes(a.w, "em", "mediaConnected", true, 8000));

    // RECORD and CALL_PLAY before ANSWER, on both sides.
    ASSERT_EQ(b.w.post("RECORD", {{"sessionId", bid}, {"file", bHears}}), 0) << sipw_last_error();
    EXPECT_NEAR(heardFor(a, "em", "early_a1", 2500), 440, 9);
    ASSERT_EQ(b.w.post("RECORD_STOP", {{"sessionId", bid}}), 0);
    ASSERT_TRUE(infoBecomes(b.w, bid, "recording", false));
    EXPECT_NEAR(recordedFrequency(bHears), 1000, 20);  // B hears A before answering too
    ASSERT_EQ(b.w.post("CALL_PLAY", {{"sessionId", bid}, {"file", prompt}}), 0) << sipw_last_error();
    EXPECT_FALSE(waitSession(b.w, "playStarted", bid).is_null());
    EXPECT_NEAR(heardFor(a, "em", "early_a2", 2000), 660, 13);
    ASSERT_EQ(b.w.post("CALL_PLAY_STOP", {{"sessionId", bid}}), 0);

    // ANSWER confirms the same media: its own audio options are said to be ignored.
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}, {"options", audio("tone:300", "null")}}), 0);
    EXPECT_FALSE(waitWarning(b.w, "answer_keeps_early_media").is_null());
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "em").is_null());
    ASSERT_FALSE(waitSession(b.w, "session_confirmed", bid).is_null());
    expectError(b.w.post("PROGRESS", {{"sessionId", bid}}), SIPW_ESTATE, "PROGRESS");  // answered
    EXPECT_NEAR(heardFor(a, "em", "early_a3", 2000), 440, 9);  // the early media's input goes on

    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "em"}}), 0);
    EXPECT_FALSE(waitSession(b.w, "session_ended", bid).is_null());
    std::remove(prompt.c_str());
    std::remove(bHears.c_str());
}

TEST_F(CallControl, BlindTransferCallsTheTargetAndNotifiesTheReferrer) {
    Phone &a = phone("4131"), &b = phone("4132"), &c = phone("4133");
    std::string cHears = tempWav("blind_c");
    ASSERT_EQ(a.w.post("CALL", {{"target", "4132"}, {"sessionId", "t1"}, {"options", audio("silence", "null")}}), 0);
    Json in = incoming(b);
    ASSERT_FALSE(in.is_null());
    std::string bid = in["sessionId"];
    expectError(a.w.post("REFER", {{"sessionId", "t1"}, {"target", "4133"}}), SIPW_ESTATE, "REFER");  // not confirmed
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}, {"options", audio("silence", "null")}}), 0);
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "t1").is_null());
    ASSERT_FALSE(waitSession(b.w, "session_confirmed", bid).is_null());

    expectError(a.w.post("REFER", {{"sessionId", "t1"}, {"target", "sip:"}}), SIPW_EINVAL, "target");
    expectError(a.w.post("REFER", {{"sessionId", "t1"}}), SIPW_EINVAL, "target");
    expectError(a.w.post("REFER", {{"sessionId", "t1"}, {"replaces", "no-such"}}), SIPW_ENOSESSION);
    expectError(b.w.post("REFER_ACCEPT", {{"sessionId", bid}}), SIPW_ESTATE);  // nothing received yet
    ASSERT_EQ(a.w.post("REFER", {{"sessionId", "t1"}, {"target", "4133"}}), 0) << sipw_last_error();
    expectError(a.w.post("REFER", {{"sessionId", "t1"}, {"target", "4133"}}), SIPW_ESTATE);  // one at a time

    Json refer = waitSession(b.w, "refer", bid);
    ASSERT_FALSE(refer.is_null());
    EXPECT_EQ(refer["originator"], "remote");
    EXPECT_NE(refer["data"].value("target", "").find("4133"), std::string::npos) << refer.dump();
    EXPECT_NE(refer["data"].value("referredBy", "").find("4131"), std::string::npos) << refer.dump();
    EXPECT_NE(sessionInfo(b.w, bid)["referTarget"].dump().find("4133"), std::string::npos);
    // JsSIP's ReferNotifier says "100 Trying" at once.
    Json trying = waitSession(a.w, "refer_progress", "t1");
    ASSERT_FALSE(trying.is_null());
    EXPECT_EQ(trying["data"]["statusCode"], 100);

    ASSERT_EQ(b.w.post("REFER_ACCEPT", {{"sessionId", bid}, {"newSessionId", "b-to-c"},
                                        {"options", audio("tone:700", "null")}}), 0) << sipw_last_error();
    expectError(b.w.post("REFER_ACCEPT", {{"sessionId", bid}}), SIPW_ESTATE);
    expectError(b.w.post("REFER_REJECT", {{"sessionId", bid}}), SIPW_ESTATE);
    Json placed = waitSession(b.w, "newRTCSession", "b-to-c");
    ASSERT_FALSE(placed.is_null());
    EXPECT_EQ(placed["data"]["referredFrom"], bid);
    EXPECT_EQ(sessionInfo(b.w, "b-to-c")["referredFrom"], bid);
    Json atC = incoming(c);
    ASSERT_FALSE(atC.is_null());
    std::string cid = atC["sessionId"];
    ASSERT_EQ(c.w.post("ANSWER", {{"sessionId", cid}, {"options", audio("silence", "file:" + cHears)}}), 0);
    Json accepted = waitSession(a.w, "refer_accepted", "t1");
    ASSERT_FALSE(accepted.is_null());
    EXPECT_EQ(accepted["data"]["statusCode"], 200);
    EXPECT_FALSE(waitStatus(a.w, "refer_progress", "t1", 180).is_null());  // the target rang

    ASSERT_FALSE(waitSession(c.w, "session_confirmed", cid).is_null());
    sleepMs(3000);
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "t1"}}), 0);
    ASSERT_EQ(c.w.post("HANGUP", {{"sessionId", cid}}), 0);
    EXPECT_FALSE(waitSession(b.w, "session_ended", "b-to-c").is_null());
    EXPECT_FALSE(waitSession(b.w, "session_ended", bid).is_null());
    EXPECT_NEAR(recordedFrequency(cHears), 700, 14);  // C hears B after the transfer
    std::remove(cHears.c_str());
}

TEST_F(CallControl, RejectedTransferFailsWithTheNotifiedStatus) {
    Phone &a = phone("4134"), &b = phone("4135");
    ASSERT_EQ(a.w.post("CALL", {{"target", "4135"}, {"sessionId", "t2"}, {"options", audio("silence", "null")}}), 0);
    Json in = incoming(b);
    ASSERT_FALSE(in.is_null());
    std::string bid = in["sessionId"];
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}, {"options", audio("silence", "null")}}), 0);
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "t2").is_null());
    ASSERT_FALSE(waitSession(b.w, "session_confirmed", bid).is_null());
    ASSERT_EQ(a.w.post("REFER", {{"sessionId", "t2"}, {"target", "sip:nobody@127.0.0.1"}}), 0);
    ASSERT_FALSE(waitSession(b.w, "refer", bid).is_null());
    ASSERT_EQ(b.w.post("REFER_REJECT", {{"sessionId", bid}}), 0) << sipw_last_error();
    Json failed = waitSession(a.w, "refer_failed", "t2");
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["data"]["statusCode"], 603);
    EXPECT_EQ(failed["cause"], "Rejected");
    // The call goes on, and a new REFER may be sent.
    EXPECT_EQ(sessionInfo(a.w, "t2")["state"], "confirmed");
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "t2"}}), 0);
    EXPECT_FALSE(waitSession(b.w, "session_ended", bid).is_null());
}

TEST_F(CallControl, AttendedTransferReplacesTheCallWithTheTarget) {
    Phone &a = phone("4141"), &b = phone("4142"), &c = phone("4143");
    std::string cHears = tempWav("attended_c");
    ASSERT_EQ(a.w.post("CALL", {{"target", "4142"}, {"sessionId", "ab"}, {"options", audio("silence", "null")}}), 0);
    Json inB = incoming(b);
    ASSERT_FALSE(inB.is_null());
    std::string bid = inB["sessionId"];
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}, {"options", audio("silence", "null")}}), 0);
    ASSERT_EQ(a.w.post("CALL", {{"target", "4143"}, {"sessionId", "ac"}, {"options", audio("silence", "null")}}), 0);
    Json inC = incoming(c);
    ASSERT_FALSE(inC.is_null());
    std::string cOld = inC["sessionId"];
    ASSERT_EQ(c.w.post("ANSWER", {{"sessionId", cOld}, {"options", audio("silence", "null")}}), 0);
    for (const char *sid : {"ab", "ac"}) ASSERT_FALSE(waitSession(a.w, "session_confirmed", sid).is_null());
    ASSERT_FALSE(waitSession(c.w, "session_confirmed", cOld).is_null());
    ASSERT_FALSE(waitSession(b.w, "session_confirmed", bid).is_null());

    expectError(a.w.post("REFER", {{"sessionId", "ab"}, {"replaces", "ab"}}), SIPW_EINVAL, "replaces");
    ASSERT_EQ(a.w.post("REFER", {{"sessionId", "ab"}, {"replaces", "ac"}}), 0) << sipw_last_error();
    Json refer = waitSession(b.w, "refer", bid);
    ASSERT_FALSE(refer.is_null());
    EXPECT_NE(refer["data"].value("target", "").find("4143"), std::string::npos) << refer.dump();
    EXPECT_FALSE(refer["data"].value("replaces", "").empty()) << refer.dump();
    ASSERT_EQ(b.w.post("REFER_ACCEPT", {{"sessionId", bid}, {"newSessionId", "b-c"},
                                        {"options", audio("tone:500", "null")}}), 0);
    Json inC2 = incoming(c);
    ASSERT_FALSE(inC2.is_null());
    std::string cNew = inC2["sessionId"];
    EXPECT_EQ(inC2["data"]["replaces"], cOld);
    EXPECT_EQ(sessionInfo(c.w, cNew)["replaces"], cOld);
    ASSERT_EQ(c.w.post("ANSWER", {{"sessionId", cNew}, {"options", audio("silence", "file:" + cHears)}}), 0);
    // Once the new call is confirmed, the one it replaces ends, from C's side (JsSIP: terminate()).
    Json replaced = waitSession(c.w, "session_ended", cOld);
    ASSERT_FALSE(replaced.is_null());
    EXPECT_EQ(replaced["originator"], "local");
    EXPECT_EQ(replaced["cause"], "Terminated");
    Json atA = waitSession(a.w, "session_ended", "ac");
    ASSERT_FALSE(atA.is_null());
    EXPECT_EQ(atA["originator"], "remote");
    EXPECT_FALSE(waitSession(a.w, "refer_accepted", "ab").is_null());

    sleepMs(3000);
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "ab"}}), 0);
    ASSERT_EQ(c.w.post("HANGUP", {{"sessionId", cNew}}), 0);
    EXPECT_FALSE(waitSession(b.w, "session_ended", "b-c").is_null());
    EXPECT_NEAR(recordedFrequency(cHears), 500, 10);  // C now talks with B
    std::remove(cHears.c_str());
}

TEST_F(CallControl, MessagesAreDeliveredAndFailuresSaid) {
    Phone &a = phone("4151"), &b = phone("4152");
    addKamailioUser("4159");  // known, never registered: 480
    ASSERT_EQ(a.w.post("MESSAGE", {{"target", "4152"}, {"body", "你好, sipworker"}, {"messageId", "m1"}}), 0)
        << sipw_last_error();
    Json sent = waitMessage(a.w, "newMessage", "m1");
    ASSERT_FALSE(sent.is_null());
    EXPECT_EQ(sent["_channel"], "newMessage");
    EXPECT_EQ(sent["originator"], "local");
    Json ok = waitMessage(a.w, "message_succeeded", "m1");
    ASSERT_FALSE(ok.is_null());
    EXPECT_EQ(ok["statusCode"], 200);
    Json got = b.w.waitFor("newMessage", 5000);
    ASSERT_FALSE(got.is_null());
    EXPECT_EQ(got["originator"], "remote");
    EXPECT_EQ(got["data"]["body"], "你好, sipworker");
    EXPECT_EQ(got["data"]["contentType"], "text/plain");
    EXPECT_NE(got.value("fromUri", "").find("4151"), std::string::npos) << got.dump();
    EXPECT_FALSE(got["data"].contains("bodyBase64"));

    ASSERT_EQ(a.w.post("MESSAGE", {{"target", "9999"}, {"body", "x"}, {"messageId", "m404"}}), 0);
    Json notFound = waitMessage(a.w, "message_failed", "m404");
    ASSERT_FALSE(notFound.is_null());
    EXPECT_EQ(notFound["statusCode"], 404);
    EXPECT_EQ(notFound["cause"], "Not Found");
    ASSERT_EQ(a.w.post("MESSAGE", {{"target", "4159"}, {"body", "x"}, {"messageId", "m480"}}), 0);
    Json offline = waitMessage(a.w, "message_failed", "m480");
    ASSERT_FALSE(offline.is_null());
    EXPECT_EQ(offline["cause"], "Unavailable");

    expectError(a.w.post("MESSAGE", {{"target", "4152"}, {"body", std::string(16 * 1024 + 1, 'x')}}), SIPW_EINVAL);
    expectError(a.w.post("MESSAGE", {{"target", "4152"}, {"body", "x"}, {"contentType", "plain"}}), SIPW_EINVAL,
                "contentType");
    expectError(a.w.post("MESSAGE", {{"target", "4152"}}), SIPW_EINVAL, "body");
    expectError(a.w.post("MESSAGE", {{"target", "<>"}, {"body", "x"}}), SIPW_EINVAL, "target");
    expectError(a.w.post("MESSAGE", R"({"target":"4152","body":"\ud800"})"), SIPW_EINVAL);
    // The largest body goes through (one UDP datagram through Kamailio).
    ASSERT_EQ(a.w.post("MESSAGE", {{"target", "4152"}, {"body", std::string(16 * 1024, 'y')}, {"messageId", "big"}}), 0);
    EXPECT_FALSE(waitMessage(a.w, "message_succeeded", "big").is_null());
    TestWorker fresh;
    expectError(fresh.post("MESSAGE", {{"target", "4152"}, {"body", "x"}}), SIPW_ESTATE);
}

TEST_F(CallControl, StatisticsLiveDuringTheCallAndKeptAfterIt) {
    Phone &a = phone("4161"), &b = phone("4162");
    for (const char *profile : {"webrtc", "rtp"}) {
        SCOPED_TRACE(profile);
        std::string sid = std::string("st-") + profile;
        Json options = audio("tone:800", "null");
        bool webrtc = std::string(profile) == "webrtc";
        if (!webrtc) options["media"] = {{"profile", profile}, {"codecs", {"PCMU"}}};
        ASSERT_EQ(a.w.post("CALL", {{"target", "4162"}, {"sessionId", sid}, {"options", options}}), 0);
        Json in = incoming(b);
        ASSERT_FALSE(in.is_null());
        std::string bid = in["sessionId"];
        EXPECT_TRUE(sessionInfo(b.w, bid)["stats"].is_null());  // nothing measured before media
        ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}, {"options", audio("tone:400", "null")}}), 0);
        ASSERT_FALSE(waitSession(a.w, "session_confirmed", sid).is_null());
        sleepMs(3000);
        Json live = sessionInfo(a.w, sid)["stats"];
        ASSERT_TRUE(live.is_object()) << sessionInfo(a.w, sid).dump();
        EXPECT_EQ(live["codec"], webrtc ? "opus" : "PCMU");
        EXPECT_GT(live["packetsSent"].get<long long>(), 80) << live.dump();  // 50 packets a second
        EXPECT_GT(live["packetsReceived"].get<long long>(), 80) << live.dump();
        EXPECT_GT(live["bytesSent"].get<long long>(), live["packetsSent"].get<long long>()) << live.dump();
        EXPECT_GT(live["bytesReceived"].get<long long>(), 0) << live.dump();
        EXPECT_GE(live["packetsLost"].get<long long>(), 0);
        EXPECT_LE(live["packetsLost"].get<long long>(), 5) << live.dump();  // loopback
        ASSERT_TRUE(live["jitterMs"].is_number()) << live.dump();
        EXPECT_LT(live["jitterMs"].get<double>(), 50) << live.dump();
        EXPECT_TRUE(live["rttMs"].is_null() || live["rttMs"].get<double>() >= 0) << live.dump();
        ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", sid}}), 0);
        ASSERT_FALSE(waitSession(a.w, "session_ended", sid).is_null());
        ASSERT_FALSE(waitSession(b.w, "session_ended", bid).is_null());
        Json final = sessionInfo(a.w, sid)["stats"];
        ASSERT_TRUE(final.is_object());
        EXPECT_GE(final["packetsSent"].get<long long>(), live["packetsSent"].get<long long>());
        EXPECT_GE(final["packetsReceived"].get<long long>(), live["packetsReceived"].get<long long>());
        Json finalB = sessionInfo(b.w, bid)["stats"];
        ASSERT_TRUE(finalB.is_object());
        EXPECT_GT(finalB["packetsReceived"].get<long long>(), 80);
        printf("stats at A (%s): live %s, final %s\n", profile, live.dump().c_str(), final.dump().c_str());
    }
}
