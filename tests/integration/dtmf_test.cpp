// DTMF between real workers through the loopback Kamailio, over RFC 4733 (in the media) and over
// SIP INFO, and SIP INFO with a sipp peer in both directions; bad DTMF input through the C ABI.
//
// Users 3301..3320 are created in Kamailio at run time (other test files use 3001..3099), so no
// registration left behind by another test routes these calls.
#include "call_helpers.hpp"

#include <thread>

using namespace sipw_test;

namespace {

const std::string kAllTones = "0123456789*#ABCD";

std::string tonesOf(const std::vector<Json> &events) {
    std::string out;
    for (const auto &ev : events) out += ev["data"].value("tone", "?");
    return out;
}

// True once sipw_session_info says the call's media is up (RFC 4733 is known then).
bool mediaUp(TestWorker &w, const std::string &sid) { return infoBecomes(w, sid, "mediaConnected", true, 5000); }

}  // namespace

// A call between two workers of this process, confirmed, with media up.
class Dtmf : public SippCalls {
protected:
    // `media`: CALL options.media (another profile, codecs), when given.
    void connect(const std::string &callerUser, const std::string &calleeUser, const Json &media = nullptr) {
        caller_ = &phone(callerUser);
        callee_ = &phone(calleeUser);
        Json call = {{"target", calleeUser}, {"sessionId", "dtmf-call"}};
        if (!media.is_null()) call["options"] = {{"media", media}};
        ASSERT_EQ(caller_->w.post("CALL", call), 0) << sipw_last_error();
        Json incoming = waitSession(callee_->w, "newRTCSession");
        ASSERT_FALSE(incoming.is_null());
        calleeSid_ = incoming["sessionId"];
        ASSERT_EQ(callee_->w.post("ANSWER", {{"sessionId", calleeSid_}}), 0) << sipw_last_error();
        ASSERT_FALSE(waitSession(caller_->w, "session_confirmed", "dtmf-call").is_null());
        ASSERT_FALSE(waitSession(callee_->w, "session_confirmed", calleeSid_).is_null());
        ASSERT_TRUE(mediaUp(caller_->w, "dtmf-call"));
        ASSERT_TRUE(mediaUp(callee_->w, calleeSid_));
    }

    void hangUp() {
        ASSERT_EQ(caller_->w.post("HANGUP", {{"sessionId", "dtmf-call"}}), 0);
        EXPECT_FALSE(waitSession(callee_->w, "session_ended", calleeSid_).is_null());
    }

    Phone *caller_ = nullptr;
    Phone *callee_ = nullptr;
    std::string calleeSid_;
};

TEST_F(Dtmf, AllSixteenTonesOverRfc4733InOrderWithDurations) {
    connect("3301", "3302");
    EXPECT_EQ(sessionInfo(caller_->w, "dtmf-call").value("telephoneEvent", false), true);
    EXPECT_EQ(sessionInfo(callee_->w, calleeSid_).value("telephoneEvent", false), true);
    ASSERT_EQ(caller_->w.post("DTMF", {{"sessionId", "dtmf-call"}, {"tones", kAllTones}, {"duration", 300},
                                       {"interToneGap", 60}, {"transport", "rfc4733"}}),
              0) << sipw_last_error();
    // auto picks RFC 4733 on this call; lower-case a-d are accepted.
    ASSERT_EQ(callee_->w.post("DTMF", {{"sessionId", calleeSid_}, {"tones", "d1"}}), 0) << sipw_last_error();

    auto atCallee = receivedDtmf(callee_->w, calleeSid_, kAllTones.size(), 15000);
    auto atCaller = receivedDtmf(caller_->w, "dtmf-call", 2, 3000);
    EXPECT_EQ(tonesOf(atCallee), kAllTones);
    EXPECT_EQ(tonesOf(atCaller), "D1");
    for (const auto &ev : atCallee) {
        EXPECT_EQ(ev["data"]["method"], "rfc4733") << ev.dump();
        EXPECT_EQ(ev["originator"], "remote") << ev.dump();
        EXPECT_EQ(ev["msg"], "newDTMF") << ev.dump();
        EXPECT_FALSE(ev.value("msgCN", "").empty()) << ev.dump();
        int ms = ev["data"].value("duration", 0);
        EXPECT_GE(ms, 280) << ev.dump();
        EXPECT_LE(ms, 450) << ev.dump();
    }
    for (const auto &ev : atCaller) {
        // The default 160 ms is stretched to rtpdtmfsrc's 250 ms minimum.
        EXPECT_EQ(ev["data"]["method"], "rfc4733") << ev.dump();
        EXPECT_GE(ev["data"].value("duration", 0), 240) << ev.dump();
        EXPECT_LE(ev["data"].value("duration", 0), 400) << ev.dump();
    }
    hangUp();
}

// Plain RTP with G.711 and SDES-SRTP with G.722: RFC 4733 at 8000 Hz, then INFO, both ways.
TEST_F(Dtmf, RtpAndSrtpProfilesBothWaysByRfc4733AndInfo) {
    int user = 3321;
    for (Json media : {Json{{"profile", "rtp"}, {"codecs", {"PCMA"}}}, Json{{"profile", "srtp"}, {"codecs", {"G722"}}}}) {
        SCOPED_TRACE(media.dump());
        connect(std::to_string(user), std::to_string(user + 1), media);
        user += 2;
        EXPECT_EQ(sessionInfo(callee_->w, calleeSid_)["profile"], media["profile"]);
        EXPECT_EQ(sessionInfo(callee_->w, calleeSid_).value("telephoneEvent", false), true);
        for (const char *transport : {"rfc4733", "info"}) {
            size_t before = receivedDtmf(callee_->w, calleeSid_, 0, 0).size();
            size_t beforeCaller = receivedDtmf(caller_->w, "dtmf-call", 0, 0).size();
            ASSERT_EQ(caller_->w.post("DTMF", {{"sessionId", "dtmf-call"}, {"tones", "19#"}, {"transport", transport}}), 0)
                << sipw_last_error();
            ASSERT_EQ(callee_->w.post("DTMF", {{"sessionId", calleeSid_}, {"tones", "*0"}, {"transport", transport}}), 0)
                << sipw_last_error();
            auto atCallee = receivedDtmf(callee_->w, calleeSid_, before + 3, 6000);
            auto atCaller = receivedDtmf(caller_->w, "dtmf-call", beforeCaller + 2, 6000);
            ASSERT_EQ(atCallee.size(), before + 3) << transport;
            ASSERT_EQ(atCaller.size(), beforeCaller + 2) << transport;
            EXPECT_EQ(tonesOf({atCallee.begin() + long(before), atCallee.end()}), "19#") << transport;
            EXPECT_EQ(tonesOf({atCaller.begin() + long(beforeCaller), atCaller.end()}), "*0") << transport;
            EXPECT_EQ(atCallee.back()["data"]["method"], transport);
            EXPECT_EQ(atCaller.back()["data"]["method"], transport);
        }
        hangUp();
    }
}

TEST_F(Dtmf, AllSixteenTonesOverSipInfoInOrderWithDurations) {
    connect("3303", "3304");
    auto t0 = Clock::now();
    ASSERT_EQ(caller_->w.post("DTMF", {{"sessionId", "dtmf-call"}, {"tones", kAllTones}, {"duration", 120},
                                       {"interToneGap", 50}, {"transport", "info"}}),
              0) << sipw_last_error();
    ASSERT_EQ(callee_->w.post("DTMF", {{"sessionId", calleeSid_}, {"tones", "#9"}, {"transport", "info"}}), 0);
    auto atCallee = receivedDtmf(callee_->w, calleeSid_, kAllTones.size(), 10000);
    double seconds = secondsSince(t0);
    auto atCaller = receivedDtmf(caller_->w, "dtmf-call", 2, 3000);
    EXPECT_EQ(tonesOf(atCallee), kAllTones);
    EXPECT_EQ(tonesOf(atCaller), "#9");
    for (const auto &ev : atCallee) {
        EXPECT_EQ(ev["data"]["method"], "info") << ev.dump();
        EXPECT_EQ(ev["data"]["duration"], 120) << ev.dump();
    }
    for (const auto &ev : atCaller) EXPECT_EQ(ev["data"]["duration"], 160) << ev.dump();  // the default
    // Paced: each INFO waits for the tone and the gap before it (15 × 170 ms).
    EXPECT_GE(seconds, 15 * 0.170 - 0.05);
    printf("[ timing   ] 16 tones by INFO in %.2f s\n", seconds);
    hangUp();
}

// sipp calls the worker with a WebRTC-style offer without telephone-event, sends INFO with
// application/dtmf-relay and application/dtmf, then takes two INFOs from the worker.
TEST_F(Dtmf, SipInfoWithSippBothWays) {
    Phone &worker = phone("3305");
    Sipp &caller = uac("3306", 5121, "3305", "uac_info.xml");
    Json incoming = waitSession(worker.w, "newRTCSession", {}, 10000);
    ASSERT_FALSE(incoming.is_null()) << caller.describe();
    std::string sid = incoming["sessionId"];
    ASSERT_EQ(worker.w.post("ANSWER", {{"sessionId", sid}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(worker.w, "session_confirmed", sid).is_null()) << caller.describe();

    auto received = receivedDtmf(worker.w, sid, 2, 5000);
    ASSERT_EQ(tonesOf(received), "5#") << caller.describe();
    EXPECT_EQ(received[0]["data"]["method"], "info");
    EXPECT_EQ(received[0]["data"]["duration"], 200);
    EXPECT_EQ(received[1]["data"]["method"], "info");
    EXPECT_EQ(received[1]["data"]["duration"], 100);  // application/dtmf has none

    // No telephone-event in sipp's offer: RFC 4733 is refused at once, INFO (and auto) go.
    expectError(worker.w.post("DTMF", {{"sessionId", sid}, {"tones", "1"}, {"transport", "rfc4733"}}), -2,
                  "telephone-event");
    ASSERT_EQ(worker.w.post("DTMF", {{"sessionId", sid}, {"tones", "7"}, {"duration", 250}}), 0) << sipw_last_error();
    ASSERT_EQ(worker.w.post("DTMF", {{"sessionId", sid}, {"tones", "*"}, {"transport", "info"}}), 0);

    Json ended = waitSession(worker.w, "session_ended", sid, 8000);
    ASSERT_FALSE(ended.is_null()) << caller.describe();
    // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    EXPECT_EQ(ended["cause"], "Terminated");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();
    std::string log = caller.log();
    EXPECT_NE(log.find("INFO Signal=7 Duration=250"), std::string::npos) << log;
    EXPECT_NE(log.find("INFO Signal=* Duration=160"), std::string::npos) << log;
    EXPECT_LT(log.find("Signal=7"), log.find("Signal=*")) << log;
}

TEST_F(Dtmf, BadInputIsRefusedWithReasons) {
    Phone &p = phone("3307");
    TestWorker &w = p.w;
    expectError(w.post("DTMF", {{"sessionId", "nobody"}, {"tones", "1"}}), -3, "nobody");
    ASSERT_EQ(w.post("CALL", {{"target", "3399"}, {"sessionId", "unanswered"}}), 0);  // nobody registered: 404/480
    Json first = waitSession(w, "newRTCSession", "unanswered");
    ASSERT_FALSE(first.is_null());
    // Field checks come before the state check.
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}}), -1, "tones");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", ""}}), -1, "DTMF");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "12E"}}), -1, "12E");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1 2"}}), -1, "DTMF");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", std::string(65, '1')}}), -1, "DTMF");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", Json::array({"1"})}}), -1, "tones");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}, {"duration", 39}}), -1, "duration");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}, {"duration", 6001}}), -1, "duration");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}, {"duration", "100"}}), -1, "duration");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}, {"interToneGap", 49}}), -1, "interToneGap");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}, {"transport", "sms"}}), -1, "transport");
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}, {"transport", 1}}), -1, "transport");
    expectError(w.post("DTMF", R"({"sessionId": "unanswered", "tones": )"), -1, "JSON");
    expectError(w.post("DTMF", "[1]"), -1, "DTMF");
    // Well-formed, but the call is not confirmed.
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}}), -2, "DTMF");
    Json end = waitSession(w, "session_failed", "unanswered", 10000);
    EXPECT_FALSE(end.is_null());
    expectError(w.post("DTMF", {{"sessionId", "unanswered"}, {"tones", "1"}}), -2, "terminated");
}
