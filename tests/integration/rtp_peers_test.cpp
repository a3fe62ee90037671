// Plain RTP and SRTP with peers that are not workers, through the loopback Kamailio: sipp playing
// real recordings (its own G.711 speech and RFC 4733 pcaps), sipp offers we cannot serve, a
// re-INVITE to port 0, and a 488 to our WebRTC offer.
//
// Users 3461..3499 (created in Kamailio at run time) and sipp ports 5401.. are this file's own.
#include "audio_analysis.hpp"
#include "call_helpers.hpp"
#include "peers.hpp"

using namespace sipw_test;

namespace {

const char *kSippShare = "/usr/share/sip-tester";

// The warnings of session `sid` with data.key `key`.
std::vector<Json> warningsOf(const TestWorker &w, const std::string &key, const std::string &sid = {}) {
    std::vector<Json> out;
    for (const auto &ev : w.history())
        if (ev.value("_channel", "") == "warning" && ev["data"].value("key", "") == key &&
            (sid.empty() || ev["data"].value("sessionId", "") == sid))
            out.push_back(ev);
    return out;
}

}  // namespace

class RtpPeers : public SippCalls {};

// sipp sends its own recording of a G.711 call (PCMA speech, 30 ms packets) and two RFC 4733
// digits on another SSRC: the recording has the same speech (its loudness over time matches the
// pcap's), the digits arrive as newDTMF with their 280 ms.
TEST_F(RtpPeers, SippPlaysARealG711CallAndRfc4733Digits) {
    Phone &p = phone("3461");
    std::string heard = tempWav("sipp_pcap");
    Sipp &caller = uac("3462", 5401, "3461", "uac_rtp_pcap.xml", {"-mi", "127.0.0.1", "-mp", "16400"});
    std::string sid = answerSippCall(p, caller, {{"audio", {{"input", "silence"}, {"output", "file:" + heard}}}});
    ASSERT_FALSE(sid.empty());
    Json info = sessionInfo(p.w, sid);
    EXPECT_EQ(info["profile"], "rtp");
    EXPECT_EQ(info["codec"], "PCMA");  // the offer's first
    EXPECT_EQ(info["telephoneEvent"], true);
    auto digits = receivedDtmf(p.w, sid, 2, 12000);
    ASSERT_EQ(digits.size(), 2u) << caller.describe();
    EXPECT_EQ(digits[0]["data"]["tone"], "1");
    EXPECT_EQ(digits[1]["data"]["tone"], "#");
    for (const auto &d : digits) {
        EXPECT_EQ(d["data"]["method"], "rfc4733");
        EXPECT_EQ(d["data"]["duration"], 280) << d.dump();
    }
    Json ended = waitSession(p.w, "session_ended", sid, 5000);
    ASSERT_FALSE(ended.is_null()) << caller.describe();
    EXPECT_EQ(ended["cause"], "Terminated");
    EXPECT_EQ(caller.wait(), 0) << caller.describe();

    sipw::test::Wav reference, recording;
    std::string error;
    ASSERT_TRUE(sipw::test::readPcapAudio(std::string(kSippShare) + "/g711a.pcap", reference, error)) << error;
    ASSERT_TRUE(sipw::test::readWav(heard, recording, error)) << error;
    double lag = 0, similarity = sipw::test::envelopeCorrelation(recording, reference, 20, 3.0, &lag);
    printf("[ measure  ] recording %.2f s vs the pcap's %.2f s of speech: envelope correlation %.3f at %.2f s\n",
           recording.durationSeconds(), reference.durationSeconds(), similarity, lag);
    EXPECT_GT(similarity, 0.9);
    EXPECT_GE(recording.durationSeconds(), reference.durationSeconds());
    std::remove(heard.c_str());
}

// A re-INVITE with m=audio 0 turns the audio off: the answer refuses the stream too (sipp checks),
// a warning says so, and the call goes on until the BYE.
TEST_F(RtpPeers, ReinviteToPortZeroIsAnsweredWithPortZero) {
    Phone &p = phone("3463");
    Sipp &caller = uac("3464", 5402, "3463", "uac_rtp_port0.xml");
    std::string sid = answerSippCall(p, caller);
    ASSERT_FALSE(sid.empty());
    Json ended = waitSession(p.w, "session_ended", sid, 8000);
    ASSERT_FALSE(ended.is_null()) << caller.describe();
    EXPECT_EQ(ended["cause"], "Terminated");
    EXPECT_EQ(caller.wait(), 0) << caller.describe() << caller.messages();
    EXPECT_NE(caller.log().find("port 0 answered"), std::string::npos) << caller.log();
    auto warnings = warningsOf(p.w, "media_stream_disabled", sid);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_TRUE(hasChinese(warnings[0]["data"].value("textCN", ""))) << warnings[0].dump();
}

// Offers we cannot serve get 488 at once, with the reason in a Warning header and the event.
TEST_F(RtpPeers, UnservableOffersGet488WithTheReason) {
    struct Case {
        const char *caller;
        int port;
        std::vector<std::string> offer;
        const char *reason;
    } cases[] = {
        {"3466", 5403, {"-set", "fmt", "18", "-set", "rtpmap", "G729/8000"}, "no common codec (offered G729; allowed opus, G722, PCMU, PCMA)"},
        {"3467", 5404, {"-set", "proto", "RTP/SAVP", "-set", "extra",
                        "a=crypto:1 AEAD_AES_256_GCM inline:MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MA=="},
         "no a=crypto suite we support (offered AEAD_AES_256_GCM;"},
        {"3468", 5405, {"-set", "proto", "RTP/SAVP"}, "RTP/SAVP without a=crypto"},
        {"3469", 5406, {"-set", "proto", "TCP/MRCPv2"}, "unknown media transport"},
    };
    Phone &p = phone("3465");
    for (const Case &c : cases) {
        SCOPED_TRACE(c.reason);
        std::vector<std::string> args = c.offer;
        args.insert(args.end(), {"-set", "expect", "488"});
        Sipp &caller = uac(c.caller, c.port, "3465", "uac_rtp_offer.xml", args);
        EXPECT_EQ(caller.wait(), 0) << caller.describe() << caller.log();
        EXPECT_NE(caller.log().find(c.reason), std::string::npos) << "Warning header: " << caller.log();
        Json failed;
        auto deadline = Clock::now() + std::chrono::seconds(3);
        while (failed.is_null() && Clock::now() < deadline) {
            settle(p.w, 50);
            for (const auto &ev : p.w.history())
                if (ev.value("msg", "") == "session_failed" && ev.value("reason", "").find(c.reason) != std::string::npos)
                    failed = ev;
        }
        ASSERT_FALSE(failed.is_null()) << "no session_failed with the reason";
        EXPECT_EQ(failed["cause"], "Incompatible SDP");
        EXPECT_EQ(failed["statusCode"], 488);
    }
}

// Our WebRTC offer refused with 488 (a plain SIP phone): a warning tells what to change.
TEST_F(RtpPeers, A488ToOurWebRtcOfferHintsAtTheRtpProfile) {
    Sipp &uas = registeredUas("3470", 5407, "uas_reply.xml", {"-key", "code", "488"});
    Phone &p = phone("3471");
    Json failed = callAndWaitForEnd(p, "3470", "webrtc-refused");
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["cause"], "Incompatible SDP");
    EXPECT_EQ(uas.wait(), 0) << uas.describe();
    auto hints = warningsOf(p.w, "webrtc_offer_refused", "webrtc-refused");
    ASSERT_EQ(hints.size(), 1u);
    EXPECT_NE(hints[0]["data"].value("text", "").find("media.profile \"rtp\""), std::string::npos) << hints[0].dump();
    EXPECT_NE(hints[0]["data"].value("textCN", "").find("media.profile"), std::string::npos) << hints[0].dump();
    EXPECT_TRUE(hasChinese(hints[0]["data"].value("textCN", "")));
}

namespace {

// The caller offers, the callee answers; both send their tone and record. Returns the callee's
// session id once both are confirmed and both have decoded audio (empty on failure).
std::string callBetween(Phone &caller, Phone &callee, const std::string &target, const std::string &sid,
                        const std::string &heardByCaller, const std::string &heardByCallee) {
    Json callOptions = {{"audio", {{"input", "tone:1000"}, {"output", "file:" + heardByCaller}}}};
    EXPECT_EQ(caller.w.post("CALL", {{"target", target}, {"sessionId", sid}, {"options", callOptions}}), 0)
        << sipw_last_error();
    std::string calleeSid;
    auto deadline = Clock::now() + std::chrono::seconds(8);
    while (calleeSid.empty() && Clock::now() < deadline) {
        for (const auto &ev : callee.w.history())
            if (ev.value("msg", "") == "newRTCSession" && ev.value("sessionOrigin", "") == "incoming" &&
                sessionInfo(callee.w, ev["sessionId"]).value("state", "") == "ringing")
                calleeSid = ev["sessionId"];
        if (calleeSid.empty()) callee.w.waitFor("newRTCSession", 200);
    }
    if (calleeSid.empty()) return ADD_FAILURE() << "no incoming call", std::string();
    Json answerOptions = {{"audio", {{"input", "tone:440"}, {"output", "file:" + heardByCallee}}}};
    EXPECT_EQ(callee.w.post("ANSWER", {{"sessionId", calleeSid}, {"options", answerOptions}}), 0) << sipw_last_error();
    if (waitSession(caller.w, "session_confirmed", sid).is_null()) return ADD_FAILURE() << "not confirmed", std::string();
    auto audioIn = [](TestWorker &w, const std::string &s) {
        return waitForInfo(w, s, [](const Json &info) { return !info["firstAudioTime"].is_null(); }, 8000);
    };
    EXPECT_TRUE(audioIn(caller.w, sid)) << "no audio reached the caller";
    EXPECT_TRUE(audioIn(callee.w, calleeSid)) << "no audio reached the callee";
    return calleeSid;
}

}  // namespace

// baresip (an independent softphone, plain RTP, G.711 only): the worker calls it, then it calls the
// worker; each side hears the other's tone, in the worker's recordings and in baresip's.
TEST_F(RtpPeers, BaresipBothWaysWithG711) {
    Baresip baresip("3481", 5481, "10000-10099", 4481, 660, "PCMU");
    ASSERT_EQ(std::system((sourcePath("tests/servers/wait_reg.sh") + " 3481 5").c_str()), 0) << baresip.log();
    Phone &p = phone("3482", {{"media", {{"profile", "rtp"}}}});

    std::string heardOut = tempWav("baresip_out");
    ASSERT_EQ(p.w.post("CALL", {{"target", "3481"}, {"sessionId", "to-baresip"},
                                {"options", {{"audio", {{"input", "tone:1000"}, {"output", "file:" + heardOut}}}}}}),
              0) << sipw_last_error();
    ASSERT_FALSE(waitSession(p.w, "session_confirmed", "to-baresip").is_null()) << baresip.log();
    // Our offer lists opus first; baresip takes the G.711 it has.
    EXPECT_TRUE(waitForInfo(p.w, "to-baresip", [](const Json &i) { return i["profile"] == "rtp" && i["codec"] == "PCMU"; }))
        << sessionInfo(p.w, "to-baresip").dump();
    settle(p.w, 2500);
    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", "to-baresip"}}), 0);
    EXPECT_FALSE(waitSession(p.w, "session_ended", "to-baresip").is_null());
    std::string baresipHeardOut = baresip.lastHeard();

    std::string heardIn = tempWav("baresip_in");
    ASSERT_TRUE(baresip.command("dial", "sip:3482@127.0.0.1")) << baresip.log();
    // The history's first newRTCSession is our own call: the next one is baresip's.
    Json incomingCall = p.w.waitFor("newRTCSession", 8000);
    ASSERT_FALSE(incomingCall.is_null()) << baresip.log();
    ASSERT_EQ(incomingCall["sessionOrigin"], "incoming");
    std::string sid = incomingCall["sessionId"];
    EXPECT_EQ(sessionInfo(p.w, sid)["profile"], "rtp");
    ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", sid},
                                  {"options", {{"audio", {{"input", "tone:440"}, {"output", "file:" + heardIn}}}}}}),
              0) << sipw_last_error();
    ASSERT_FALSE(waitSession(p.w, "session_confirmed", sid).is_null()) << baresip.log();
    EXPECT_TRUE(infoBecomes(p.w, sid, "codec", "PCMU"));
    settle(p.w, 2500);
    ASSERT_TRUE(baresip.command("hangup"));
    Json ended = waitSession(p.w, "session_ended", sid);
    ASSERT_FALSE(ended.is_null());
    EXPECT_EQ(ended["cause"], "Terminated");
    std::string baresipHeardIn = baresip.lastHeard();

    ASSERT_FALSE(baresipHeardOut.empty() || baresipHeardIn.empty() || baresipHeardOut == baresipHeardIn)
        << "baresip's recordings: " << baresipHeardOut << ", " << baresipHeardIn;
    struct Heard {
        const char *who;
        std::string path;
        double hz;
    } heard[] = {{"the worker, calling", heardOut, 660}, {"baresip, called", baresipHeardOut, 1000},
                 {"the worker, called", heardIn, 660}, {"baresip, calling", baresipHeardIn, 440}};
    for (const Heard &h : heard) {
        double hz = recordedFrequency(h.path);
        printf("[ measure  ] %s heard %.1f Hz (expected %.0f)\n", h.who, hz, h.hz);
        EXPECT_NEAR(hz, h.hz, h.hz * 0.03) << h.who;
    }
    std::remove(heardOut.c_str());
    std::remove(heardIn.c_str());
}

// rtpengine (userspace) behind a Kamailio of its own, as a WebRTC gateway: a webrtc worker calls
// an rtp worker (G.711 only) and the rtp worker calls the webrtc one; rtpengine turns ICE/DTLS-SRTP
// into plain RTP and back, and transcodes. Each side hears the other's tone.
TEST_F(RtpPeers, WebRtcAndPlainRtpWorkersThroughRtpengine) {
    RtpengineBridge bridge;
    ASSERT_TRUE(bridge.ready()) << bridge.logs();
    std::string server = "udp://127.0.0.1:" + std::to_string(RtpengineBridge::kSipPort);
    Phone webrtc("3491", server.c_str());
    Phone plain("3492", server.c_str(), {{"media", {{"profile", "rtp"}, {"codecs", {"PCMU", "PCMA"}}}}});
    struct Call {
        Phone *caller, *callee;
        std::string target, sid, heardByCaller, heardByCallee, calleeSid;
    } calls[] = {{&webrtc, &plain, "3492", "webrtc-to-rtp", tempWav("rtpe_wr_caller"), tempWav("rtpe_wr_callee"), {}},
                 {&plain, &webrtc, "webrtc-3491", "rtp-to-webrtc", tempWav("rtpe_rw_caller"), tempWav("rtpe_rw_callee"), {}}};
    for (Call &c : calls) {
        SCOPED_TRACE(c.sid);
        c.calleeSid = callBetween(*c.caller, *c.callee, c.target, c.sid, c.heardByCaller, c.heardByCallee);
        ASSERT_FALSE(c.calleeSid.empty()) << bridge.logs();
        EXPECT_EQ(sessionInfo(c.caller->w, c.sid)["profile"], c.caller == &webrtc ? "webrtc" : "rtp");
        EXPECT_EQ(sessionInfo(c.callee->w, c.calleeSid)["profile"], c.callee == &webrtc ? "webrtc" : "rtp");
        EXPECT_EQ(sessionInfo(plain.w, c.caller == &plain ? c.sid : c.calleeSid)["codec"], "PCMU");
        settle(c.caller->w, 2500);
        ASSERT_EQ(c.caller->w.post("HANGUP", {{"sessionId", c.sid}}), 0);
        EXPECT_FALSE(waitSession(c.callee->w, "session_ended", c.calleeSid).is_null());
        double byCaller = recordedFrequency(c.heardByCaller), byCallee = recordedFrequency(c.heardByCallee);
        printf("[ measure  ] %s through rtpengine: the caller heard %.1f Hz, the callee %.1f Hz\n", c.sid.c_str(),
               byCaller, byCallee);
        EXPECT_NEAR(byCaller, 440, 440 * 0.03);
        EXPECT_NEAR(byCallee, 1000, 1000 * 0.03);
        std::remove(c.heardByCaller.c_str());
        std::remove(c.heardByCallee.c_str());
    }
    for (Call &c : calls) EXPECT_FALSE(waitSession(c.caller->w, "session_ended", c.sid).is_null());
    expectOneTerminalPerSession(webrtc.w, "webrtc");
    expectOneTerminalPerSession(plain.w, "plain");
}
