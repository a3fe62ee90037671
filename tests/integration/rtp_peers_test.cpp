// Plain RTP and SRTP with peers that are not workers, through the loopback Kamailio: sipp playing
// real recordings (its own G.711 speech and RFC 4733 pcaps), sipp offers we cannot serve, a
// re-INVITE to port 0, and a 488 to our WebRTC offer.
//
// Users 3461..3499 (created in Kamailio at run time) and sipp ports 5401.. are this file's own.
#include "audio_analysis.hpp"
#include "call_helpers.hpp"

using namespace sipw_test;

namespace {

const char *kSippShare = "/usr/share/sip-tester";

// The newDTMF events of session `sid`, waiting until `count` arrived (or timeoutMs passed).
std::vector<Json> dtmfOf(TestWorker &w, const std::string &sid, size_t count, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        std::vector<Json> out;
        for (const auto &ev : w.history())
            if (ev.value("_channel", "") == "newDTMF" && ev.value("sessionId", "") == sid) out.push_back(ev);
        if (out.size() >= count || Clock::now() >= deadline) return out;
        w.waitFor("newDTMF", 200);
    }
}

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

class RtpPeers : public SippCalls {
protected:
    // `caller` (sipp) calls `p`, which answers with `options`; the session id once confirmed.
    std::string answer(Phone &p, Sipp &caller, const Json &options = Json::object()) {
        Json incoming = waitSession(p.w, "newRTCSession");
        if (incoming.is_null()) return ADD_FAILURE() << "no incoming call: " << caller.describe(), std::string();
        std::string sid = incoming["sessionId"];
        EXPECT_EQ(p.w.post("ANSWER", {{"sessionId", sid}, {"options", options}}), 0) << sipw_last_error();
        if (waitSession(p.w, "session_confirmed", sid).is_null())
            return ADD_FAILURE() << "call not confirmed: " << caller.describe(), std::string();
        return sid;
    }
};

// sipp sends its own recording of a G.711 call (PCMA speech, 30 ms packets) and two RFC 4733
// digits on another SSRC: the recording has the same speech (its loudness over time matches the
// pcap's), the digits arrive as newDTMF with their 280 ms.
TEST_F(RtpPeers, SippPlaysARealG711CallAndRfc4733Digits) {
    Phone &p = phone("3461");
    std::string heard = tempWav("sipp_pcap");
    Sipp &caller = uac("3462", 5401, "3461", "uac_rtp_pcap.xml", {"-mi", "127.0.0.1", "-mp", "16400"});
    std::string sid = answer(p, caller, {{"audio", {{"input", "silence"}, {"output", "file:" + heard}}}});
    ASSERT_FALSE(sid.empty());
    Json info = sessionInfo(p.w, sid);
    EXPECT_EQ(info["profile"], "rtp");
    EXPECT_EQ(info["codec"], "PCMA");  // the offer's first
    EXPECT_EQ(info["telephoneEvent"], true);
    auto digits = dtmfOf(p.w, sid, 2, 12000);
    ASSERT_EQ(digits.size(), 2u) << caller.describe();
    EXPECT_EQ(digits[0]["data"]["tone"], "1");
    EXPECT_EQ(digits[1]["data"]["tone"], "#");
    for (const auto &d : digits) {
        EXPECT_EQ(d["data"]["method"], "rfc4733");
        EXPECT_EQ(d["data"]["duration"], 280) << d.dump();
    }
    Json ended = waitSession(p.w, "session_ended", sid, 5000);
    ASSERT_FALSE(ended.is_null()) << caller.describe();
    EXPECT_EQ(ended["cause"], "Bye");
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
    std::string sid = answer(p, caller);
    ASSERT_FALSE(sid.empty());
    Json ended = waitSession(p.w, "session_ended", sid, 8000);
    ASSERT_FALSE(ended.is_null()) << caller.describe();
    EXPECT_EQ(ended["cause"], "Bye");
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
