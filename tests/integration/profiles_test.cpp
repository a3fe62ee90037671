// The media profiles between workers through the loopback Kamailio: every profile with every
// codec (the caller offers one codec of one profile, the callee's defaults answer it), tones
// measured in both recordings, and what sipw_session_info says.
//
// Users 3401..3449 (created in Kamailio at run time) are this file's own.
#include "call_helpers.hpp"

using namespace sipw_test;

namespace {

constexpr double kTolerance = 0.03;  // of a tone's frequency

struct Leg {
    std::string codec;
    Phone *caller = nullptr;
    Phone *callee = nullptr;
    std::string sid, calleeSid;
    std::string heardByCaller, heardByCallee;
};

bool firstAudioArrived(TestWorker &w, const std::string &sid) {
    return waitForInfo(w, sid, [](const Json &info) { return !info["firstAudioTime"].is_null(); }, 6000);
}

}  // namespace

class ProfileCalls : public SippCalls {
protected:
    // One call per codec, all at once: the caller (tone 1000 Hz) offers only that codec in
    // `profile`, the callee (tone 440 Hz) answers with its defaults.
    void everyCodec(const std::string &profile, int firstUser) {
        std::vector<Leg> legs;
        int user = firstUser;
        for (const char *codec : {"opus", "G722", "PCMU", "PCMA"}) {
            Leg leg;
            leg.codec = codec;
            leg.caller = &phone(std::to_string(user++));
            leg.callee = &phone(std::to_string(user++));
            leg.sid = profile + "-" + codec;
            leg.heardByCaller = tempWav(leg.sid + "_caller");
            leg.heardByCallee = tempWav(leg.sid + "_callee");
            Json options = {{"media", {{"profile", profile}, {"codecs", {codec}}}},
                            {"audio", {{"input", "tone:1000"}, {"output", "file:" + leg.heardByCaller}}}};
            ASSERT_EQ(leg.caller->w.post("CALL", {{"target", leg.callee->user}, {"sessionId", leg.sid}, {"options", options}}), 0)
                << sipw_last_error();
            legs.push_back(leg);
        }
        for (Leg &leg : legs) {
            Json incoming = waitSession(leg.callee->w, "newRTCSession");
            ASSERT_FALSE(incoming.is_null()) << leg.sid;
            leg.calleeSid = incoming["sessionId"];
            // What the offer asks for is known while it rings.
            EXPECT_EQ(sessionInfo(leg.callee->w, leg.calleeSid)["profile"], profile);
            Json answer = {{"audio", {{"input", "tone:440"}, {"output", "file:" + leg.heardByCallee}}}};
            ASSERT_EQ(leg.callee->w.post("ANSWER", {{"sessionId", leg.calleeSid}, {"options", answer}}), 0)
                << sipw_last_error();
        }
        for (Leg &leg : legs) {
            SCOPED_TRACE(leg.sid);
            ASSERT_FALSE(waitSession(leg.caller->w, "session_confirmed", leg.sid).is_null());
            EXPECT_TRUE(firstAudioArrived(leg.caller->w, leg.sid));
            EXPECT_TRUE(firstAudioArrived(leg.callee->w, leg.calleeSid));
            for (auto [w, sid] : {std::pair{&leg.caller->w, leg.sid}, std::pair{&leg.callee->w, leg.calleeSid}}) {
                Json info = sessionInfo(*w, sid);
                EXPECT_EQ(info["profile"], profile) << info.dump();
                EXPECT_EQ(info["codec"], leg.codec) << info.dump();
                EXPECT_EQ(info["mediaConnected"], true) << info.dump();
                EXPECT_EQ(info["telephoneEvent"], true) << info.dump();
            }
        }
        settle(legs.front().caller->w, 2000);
        for (Leg &leg : legs) ASSERT_EQ(leg.caller->w.post("HANGUP", {{"sessionId", leg.sid}}), 0);
        for (Leg &leg : legs) {
            SCOPED_TRACE(leg.sid);
            EXPECT_FALSE(waitSession(leg.callee->w, "session_ended", leg.calleeSid).is_null());
            EXPECT_FALSE(waitSession(leg.caller->w, "session_ended", leg.sid).is_null());
            double byCaller = recordedFrequency(leg.heardByCaller), byCallee = recordedFrequency(leg.heardByCallee);
            printf("[ measure  ] %s: the caller heard %.1f Hz, the callee %.1f Hz\n", leg.sid.c_str(), byCaller, byCallee);
            EXPECT_NEAR(byCaller, 440, 440 * kTolerance);
            EXPECT_NEAR(byCallee, 1000, 1000 * kTolerance);
            for (auto *p : {leg.caller, leg.callee})
                for (const auto &ev : p->w.history()) EXPECT_NE(ev.value("_channel", ""), "warning") << ev.dump();
            std::remove(leg.heardByCaller.c_str());
            std::remove(leg.heardByCallee.c_str());
        }
    }
};

TEST_F(ProfileCalls, WebRtcWithEveryCodec) { everyCodec("webrtc", 3401); }
TEST_F(ProfileCalls, RtpWithEveryCodec) { everyCodec("rtp", 3411); }
TEST_F(ProfileCalls, SrtpWithEveryCodec) { everyCodec("srtp", 3421); }

// INIT media sets the profile of every call; the callee, whatever its own INIT says, answers in
// the profile of the offer.
TEST_F(ProfileCalls, InitMediaChoosesTheProfileOfOurOffers) {
    Phone &caller = phone("3431", {{"media", {{"profile", "srtp"}, {"codecs", {"PCMA", "PCMU"}}}}});
    Phone &callee = phone("3432", {{"media", {{"profile", "webrtc"}, {"codecs", {"PCMU", "PCMA"}}}}});
    ASSERT_EQ(caller.w.post("CALL", {{"target", "3432"}, {"sessionId", "init-srtp"}}), 0) << sipw_last_error();
    Json incoming = waitSession(callee.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null());
    std::string calleeSid = incoming["sessionId"];
    ASSERT_EQ(callee.w.post("ANSWER", {{"sessionId", calleeSid}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(caller.w, "session_confirmed", "init-srtp").is_null());
    // The answer takes the offerer's most preferred codec the callee allows.
    EXPECT_TRUE(waitForInfo(callee.w, calleeSid, [](const Json &i) { return i["codec"] == "PCMA"; }));
    EXPECT_EQ(sessionInfo(callee.w, calleeSid)["profile"], "srtp");
    // The caller reports the answer's codec on its own loop: waited for too, not read at once.
    EXPECT_TRUE(waitForInfo(caller.w, "init-srtp", [](const Json &i) { return i["codec"] == "PCMA"; }));
    ASSERT_EQ(callee.w.post("HANGUP", {{"sessionId", calleeSid}}), 0);
    EXPECT_FALSE(waitSession(caller.w, "session_ended", "init-srtp").is_null());
}

// An incoming offer with no codec the callee allows gets 488 at once, with the reason.
TEST_F(ProfileCalls, NoCommonCodecIsRefusedWithTheCodecsNamed) {
    Phone &caller = phone("3433");
    Phone &callee = phone("3434", {{"media", {{"codecs", {"opus"}}}}});
    ASSERT_EQ(caller.w.post("CALL", {{"target", "3434"}, {"sessionId", "no-codec"},
                                     {"options", {{"media", {{"profile", "rtp"}, {"codecs", {"PCMU", "PCMA"}}}}}}}),
              0);
    Json failed = waitSession(caller.w, "session_failed", "no-codec");
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["cause"], "Incompatible SDP") << failed.dump();
    EXPECT_EQ(failed["statusCode"], 488) << failed.dump();
    Json refused = waitSession(callee.w, "session_failed");
    ASSERT_FALSE(refused.is_null());
    EXPECT_EQ(refused["cause"], "Incompatible SDP");
    EXPECT_NE(refused.value("reason", "").find("no common codec (offered PCMU, PCMA, telephone-event; allowed opus)"),
              std::string::npos) << refused.dump();
    // A rtp offer refused with 488 says nothing about profiles (only a WebRTC offer does).
    for (const auto &ev : caller.w.history()) EXPECT_NE(ev.value("_channel", ""), "warning") << ev.dump();
}
