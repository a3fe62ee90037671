// Two WebRTC media sessions in one process, on one loop thread, talking over loopback: every test
// on both transports of the webrtc profile (ours on the shared threads, and webrtcbin).
//
// Run inside a private network namespace so ICE never leaves loopback:
//   unshare --net bash -c 'ip link set lo up; ./sipw_media_tests'
#include "media_fixture.hpp"

using namespace sipw;
using namespace sipw_media_test;

namespace {

class WebRtcMedia : public MediaTest, public ::testing::WithParamInterface<WebRtcTransportKind> {
protected:
    void SetUp() override {
        MediaTest::SetUp();
        webrtcTransport_ = GetParam();
    }
    void TearDown() override {
        webrtcTransport_ = MediaOptions{}.webrtcTransport;
        MediaTest::TearDown();
    }
    bool onWebrtcbin() const { return GetParam() == WebRtcTransportKind::Webrtcbin; }
};

INSTANTIATE_TEST_SUITE_P(Transports, WebRtcMedia,
                         ::testing::Values(WebRtcTransportKind::Shared, WebRtcTransportKind::Webrtcbin),
                         [](const ::testing::TestParamInfo<WebRtcTransportKind> &info) {
                             return std::string(webrtcTransportName(info.param));
                         });

// Whether `sdp` has `line` (letter case aside: webrtcbin writes "OPUS", we write "opus").
bool hasLine(const std::string &sdp, const std::string &line) {
    auto lower = [](std::string text) {
        for (char &c : text) c = g_ascii_tolower(c);
        return text;
    };
    return lower(sdp).find(lower(line)) != std::string::npos;
}

TEST_P(WebRtcMedia, TwoWayCallCarriesEachTone) {
    const std::string wavA = "/tmp/sipw_media_test_a.wav", wavB = "/tmp/sipw_media_test_b.wav";
    auto a = makePeer(options("tone:1000", "file:" + wavA));
    auto b = makePeer(options("tone:440", "file:" + wavB));
    double connectMs = negotiate(*a, *b);
    printf("[ timing   ] offer -> connected: %.1f ms\n", connectMs);

    // What sessions will put in SIP: candidates, a real address, Opus 111, DTLS, BUNDLE.
    for (const std::string *sdp : {&a->localSdp, &b->localSdp}) {
        EXPECT_NE(sdp->find("a=candidate:"), std::string::npos) << *sdp;
        EXPECT_EQ(sdp->find("m=audio 9 "), std::string::npos) << *sdp;
        EXPECT_EQ(sdp->find("c=IN IP4 0.0.0.0"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("c=IN IP4 127.0.0.1"), std::string::npos) << *sdp;
        EXPECT_TRUE(hasLine(*sdp, "a=rtpmap:111 OPUS/48000/2")) << *sdp;
        EXPECT_NE(sdp->find("a=fingerprint:"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=group:BUNDLE"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=rtcp-mux"), std::string::npos) << *sdp;
    }

    runFor(3000);
    auto closing = Clock::now();
    a->media->close();
    double callA = msSince(a->created) / 1000;
    b->media->close();
    double callB = msSince(b->created) / 1000;
    printf("[ timing   ] close both: %.1f ms\n", msSince(closing));
    expectRecording(wavA, callA, 440);
    expectRecording(wavB, callB, 1000);
}

// webrtcbin carries G.722 and G.711 too: A offers one codec, B (every codec) answers with it.
TEST_P(WebRtcMedia, EveryCodecOverWebRtc) {
    struct Call {
        AudioCodec codec;
        std::unique_ptr<Peer> a, b;
        std::string wavA, wavB;
    };
    std::vector<Call> calls;
    for (AudioCodec codec : {AudioCodec::Opus, AudioCodec::G722, AudioCodec::Pcmu, AudioCodec::Pcma}) {
        Call c{codec, nullptr, nullptr, "/tmp/sipw_webrtc_" + std::string(codecName(codec)) + "_a.wav",
               "/tmp/sipw_webrtc_" + std::string(codecName(codec)) + "_b.wav"};
        c.a = makePeer(options("tone:1000", "file:" + c.wavA, MediaProfile::WebRtc, {codec}));
        c.b = makePeer(options("tone:440", "file:" + c.wavB));
        calls.push_back(std::move(c));
    }
    for (Call &c : calls) negotiate(*c.a, *c.b);
    runFor(2500);
    for (Call &c : calls) {
        c.a->media->close();
        c.b->media->close();
    }
    for (Call &c : calls) {
        SCOPED_TRACE(codecName(c.codec));
        EXPECT_TRUE(hasLine(c.b->localSdp, std::string(codecName(c.codec)) == "opus"
                                               ? "OPUS/48000/2"
                                               : std::string(codecName(c.codec)) + "/8000"))
            << c.b->localSdp;
        EXPECT_EQ(c.a->codec, codecName(c.codec));
        EXPECT_EQ(c.b->codec, codecName(c.codec));
        EXPECT_EQ(c.b->profile, "webrtc");
        double heardByA = lastHeardFrequency(c.wavA), heardByB = lastHeardFrequency(c.wavB);
        printf("[ measure  ] webrtc %s: A heard %.1f Hz, B heard %.1f Hz\n", codecName(c.codec), heardByA, heardByB);
        EXPECT_NEAR(heardByA, 440, 440 * 0.03);
        EXPECT_NEAR(heardByB, 1000, 1000 * 0.03);
    }
}

// media.ptimeMs and opusComplexity over WebRTC: the offer asks for the packet time, the offerer
// sends that many packets a second (from its statistics, refreshed every second), and the
// answerer hears its tone.
TEST_P(WebRtcMedia, PacketTimeIsWhatTheOptionsSay) {
    for (auto [codec, ptime] : {std::pair{AudioCodec::Opus, 60}, std::pair{AudioCodec::Pcma, 40}}) {
        SCOPED_TRACE(std::string(codecName(codec)) + " at " + std::to_string(ptime) + " ms");
        const std::string wavB = std::string("/tmp/sipw_media_ptime_") + codecName(codec) + ".wav";
        MediaOptions o = options("tone:1000", "null");
        o.codecs = {codec};
        o.ptimeMs = ptime;
        o.opusComplexity = 1;
        auto a = makePeer(o);
        auto b = makePeer(options("silence", "file:" + wavB));
        negotiate(*a, *b);
        EXPECT_NE(a->localSdp.find("a=ptime:" + std::to_string(ptime) + "\r\n"), std::string::npos) << a->localSdp;
        runUntil([&] { return a->stats.size() >= 4 || a->failed; }, 6000);
        a->media->close();
        double callB = msSince(b->created) / 1000;
        b->media->close();
        ASSERT_GE(a->stats.size(), 3u);
        // From the second report on: the first may come before audio flows.
        const auto &[t0, first] = a->stats[1];
        const auto &[t1, last] = a->stats.back();
        double seconds = std::chrono::duration<double>(t1 - t0).count();
        double perSecond = (last.packetsSent - first.packetsSent) / seconds, expected = 1000.0 / ptime;
        printf("[ measure  ] webrtc %s at %d ms: %.1f packets/s (expected %.1f)\n", codecName(codec), ptime, perSecond,
               expected);
        EXPECT_NEAR(perSecond, expected, expected * 0.2);
        expectRecording(wavB, callB, 1000);
    }
}

// The offerer encodes its first codec before the answer comes; an answer with another one (a
// G.711-only peer) swaps the encoder in webrtcbin's input.
TEST_P(WebRtcMedia, AnswerWithAnotherCodecSwapsTheEncoder) {
    const std::string wavA = "/tmp/sipw_webrtc_swap_a.wav", wavB = "/tmp/sipw_webrtc_swap_b.wav";
    auto a = makePeer(options("tone:1000", "file:" + wavA));
    auto b = makePeer(options("tone:440", "file:" + wavB, MediaProfile::WebRtc, {AudioCodec::Pcma}));
    negotiate(*a, *b);
    runFor(2500);
    a->media->close();
    b->media->close();
    EXPECT_EQ(a->codec, "PCMA");
    EXPECT_NEAR(lastHeardFrequency(wavA), 440, 440 * 0.03);
    EXPECT_NEAR(lastHeardFrequency(wavB), 1000, 1000 * 0.03);
}

TEST_P(WebRtcMedia, MutedWindowIsSilentThenAudioReturns) {
    const std::string wav = "/tmp/sipw_media_test_mute.wav";
    auto a = makePeer(options("tone:1000", "null"));
    auto b = makePeer(options("silence", "file:" + wav));
    negotiate(*a, *b);
    runFor(1000);
    double muteAt = msSince(b->created) / 1000;
    a->media->setMuted(true);
    runFor(1200);
    double unmuteAt = msSince(b->created) / 1000;
    a->media->setMuted(false);
    runFor(1200);
    a->media->close();
    b->media->close();

    test::Wav rec;
    std::string error;
    ASSERT_TRUE(test::readWav(wav, rec, error)) << error;
    auto levels = test::windowLevels(rec, 100);
    const double settle = 0.4;  // network + jitterbuffer + mixer latency, generously
    int loudBefore = 0, silentDuring = 0, during = 0, loudAfter = 0;
    for (size_t i = 0; i < levels.size(); ++i) {
        double t = i * 0.1;
        if (t > muteAt - 0.6 && t + 0.1 < muteAt) loudBefore += levels[i] > 0.05;
        if (t > muteAt + settle && t + 0.1 < unmuteAt) ++during, silentDuring += levels[i] < 0.005;
        if (t > unmuteAt + settle && i + 2 < levels.size()) loudAfter += levels[i] > 0.05;
    }
    printf("[ measure  ] mute: loud before %d, silent during %d/%d, loud after %d windows\n",
           loudBefore, silentDuring, during, loudAfter);
    EXPECT_GE(loudBefore, 4);
    EXPECT_GT(during, 5);
    EXPECT_EQ(silentDuring, during);
    EXPECT_GE(loudAfter, 4);
}

TEST_P(WebRtcMedia, PlainRtpAvpOfferIsIncompatible) {
    auto b = makePeer(options("silence", "null"));
    b->media->acceptOffer(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n");
    ASSERT_TRUE(runUntil([&] { return b->failed; }, 2000));
    EXPECT_EQ(b->error, MediaError::IncompatibleSdp);
    EXPECT_EQ(b->descriptions, 0);
    printf("[ detail   ] %s\n", b->errorDetail.c_str());
}

TEST_P(WebRtcMedia, GarbageSdpIsAnErrorNotACrash) {
    auto b = makePeer(options("silence", "null"));
    b->media->acceptOffer("this is not SDP\r\n\x01\x02 m=audio");
    ASSERT_TRUE(runUntil([&] { return b->failed; }, 2000));
    EXPECT_EQ(b->error, MediaError::IncompatibleSdp);

    auto a = makePeer(options("silence", "null"));
    a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 0; }, 2000));
    a->media->acceptAnswer("v=0\r\ngarbage");
    ASSERT_TRUE(runUntil([&] { return a->failed; }, 2000));
    EXPECT_EQ(a->error, MediaError::BadMediaDescription);
}

TEST_P(WebRtcMedia, DeadStunServerDoesNotDelayTheOffer) {
    auto o = options("silence", "null");
    o.ice.servers = {{"stun:127.0.0.1:3479", "", ""}};  // nothing listens there
    o.ice.gatheringTimeoutMs = 300;
    auto a = makePeer(o);
    auto start = Clock::now();
    a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 0 || a->failed; }, 3000));
    double ms = msSince(start);
    printf("[ timing   ] offer with a dead STUN server: %.1f ms\n", ms);
    EXPECT_LT(ms, 600);
    EXPECT_NE(a->localSdp.find("typ host"), std::string::npos);
}

TEST_P(WebRtcMedia, NoSoundCardFallsBackWithWarnings) {
    auto a = makePeer(options("device", "device"));
    a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 0 || a->failed; }, 3000));
    EXPECT_FALSE(a->failed) << a->errorDetail;
    // This machine has no sound card; on one with a card there are simply no warnings.
    for (const auto &w : a->warnings) printf("[ warning  ] %s\n", w.c_str());
    if (!a->warnings.empty()) {
        EXPECT_NE(std::find(a->warnings.begin(), a->warnings.end(), "no_sound_device:input"), a->warnings.end());
        EXPECT_NE(std::find(a->warnings.begin(), a->warnings.end(), "no_sound_device:output"), a->warnings.end());
    }
}

TEST_P(WebRtcMedia, HoldReofferKeepsIceAndDtls) {
    const std::string wav = "/tmp/sipw_media_test_hold.wav";
    auto a = makePeer(options("tone:1000", "file:" + wav));
    auto b = makePeer(options("tone:440", "null"));
    negotiate(*a, *b);
    runFor(800);
    double holdAt = msSince(a->created) / 1000;
    printf("[ timing   ] created -> first audio at A: %.0f ms, connected at %.0f ms, hold at %.0f ms\n",
           std::chrono::duration<double, std::milli>(a->firstAudioAt - a->created).count(),
           std::chrono::duration<double, std::milli>(a->connectedAt - a->created).count(), holdAt * 1000);
    std::string first = a->localSdp;
    a->media->createReoffer("sendonly");
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 1; }, 1000));
    const std::string &reoffer = a->localSdp;
    EXPECT_NE(reoffer.find("a=sendonly"), std::string::npos) << reoffer;
    EXPECT_EQ(reoffer.find("a=sendrecv"), std::string::npos) << reoffer;
    EXPECT_NE(reoffer.find("a=candidate:"), std::string::npos);
    auto line = [](const std::string &sdp, const char *prefix) {
        auto p = sdp.find(prefix);
        return p == std::string::npos ? std::string() : sdp.substr(p, sdp.find('\r', p) - p);
    };
    EXPECT_EQ(line(reoffer, "a=ice-ufrag:"), line(first, "a=ice-ufrag:"));
    EXPECT_EQ(line(reoffer, "a=fingerprint:"), line(first, "a=fingerprint:"));
    EXPECT_NE(line(reoffer, "o="), line(first, "o="));
    b->media->acceptReoffer(reoffer);
    ASSERT_TRUE(runUntil([&] { return b->descriptions > 1; }, 1000));
    EXPECT_NE(b->localSdp.find("a=recvonly"), std::string::npos) << b->localSdp;
    EXPECT_EQ(b->localSdp.find("a=actpass"), std::string::npos);
    a->media->acceptAnswer(b->localSdp);
    runFor(1500);
    EXPECT_FALSE(a->failed) << a->errorDetail;
    EXPECT_FALSE(b->failed) << b->errorDetail;
    a->media->close();
    b->media->close();

    // Holding (sendonly) we drop what the peer sends: the recording is silent from then on.
    test::Wav rec;
    std::string error;
    ASSERT_TRUE(test::readWav(wav, rec, error)) << error;
    auto levels = test::windowLevels(rec, 100);
    int loudBefore = 0, silentAfter = 0, after = 0;
    for (size_t i = 0; i < levels.size(); ++i) {
        double t = i * 0.1;
        if (t > holdAt - 0.5 && t + 0.1 < holdAt) loudBefore += levels[i] > 0.05;
        if (t > holdAt + 0.3 && i + 1 < levels.size()) ++after, silentAfter += levels[i] < 0.005;
    }
    EXPECT_GE(loudBefore, 3);
    EXPECT_GT(after, 5);
    EXPECT_EQ(silentAfter, after);
}

TEST_P(WebRtcMedia, AnswerUsesTheOfferedOpusPayloadType) {
    auto a = makePeer(options("silence", "null"));
    a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 0; }, 2000));
    // A PBX may number Opus differently (e.g. 109): the answer must use the offer's number.
    std::string offer = a->localSdp;
    for (const char *from : {" 111", ":111 "}) {
        std::string to = std::string(from).replace(std::string(from).find("111"), 3, "109");
        for (auto p = offer.find(from); p != std::string::npos; p = offer.find(from, p + 1))
            offer.replace(p, strlen(from), to);
    }
    auto b = makePeer(options("silence", "null"));
    b->media->acceptOffer(offer);
    ASSERT_TRUE(runUntil([&] { return b->descriptions > 0 || b->failed; }, 2000));
    ASSERT_FALSE(b->failed) << b->errorDetail;
    EXPECT_TRUE(hasLine(b->localSdp, "a=rtpmap:109 OPUS/48000/2")) << b->localSdp;
}

TEST_P(WebRtcMedia, Rfc4733DtmfBothWaysInOrderWithDurations) {
    auto a = makePeer(options("tone:1000", "null"));
    auto b = makePeer(options("tone:440", "null"));
    negotiate(*a, *b);
    for (const std::string *sdp : {&a->localSdp, &b->localSdp}) {
        EXPECT_NE(sdp->find("a=rtpmap:110 telephone-event/48000"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=fmtp:110 0-16"), std::string::npos) << *sdp;
    }
    EXPECT_TRUE(a->media->telephoneEventNegotiated());
    EXPECT_TRUE(b->media->telephoneEventNegotiated());

    const std::string all = "0123456789*#ABCD";
    a->media->sendDtmf(all, 300, 100);
    b->media->sendDtmf("#1", 400, 100);
    EXPECT_TRUE(runUntil([&] { return a->dtmf.size() >= 2 && b->dtmf.size() >= all.size(); }, 12000));
    EXPECT_EQ(receivedTones(*b), all);
    EXPECT_EQ(receivedTones(*a), "#1");
    for (const auto &[tone, ms] : b->dtmf) {
        EXPECT_GE(ms, 280) << tone;
        EXPECT_LE(ms, 500) << tone;
    }
    for (const auto &[tone, ms] : a->dtmf) {
        EXPECT_GE(ms, 380) << tone;
        EXPECT_LE(ms, 600) << tone;
    }
    EXPECT_TRUE(a->dtmfFailures.empty());
    EXPECT_TRUE(b->dtmfFailures.empty());
    // Short tones are stretched to rtpdtmfsrc's 250 ms minimum, not dropped.
    b->dtmf.clear();
    a->media->sendDtmf("5", 40, 50);
    EXPECT_TRUE(runUntil([&] { return !b->dtmf.empty(); }, 3000));
    ASSERT_EQ(receivedTones(*b), "5");
    EXPECT_GE(b->dtmf[0].second, 240);
    a->media->close();
    b->media->close();
}

// Only telephone-event/8000 offered beside Opus: not taken (its clock would differ from the
// Opus stream it shares), the call goes on, and DTMF is left to SIP INFO.
TEST_P(WebRtcMedia, TelephoneEventAt8000IsNotAnswered) {
    auto a = makePeer(options("silence", "null"));
    a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 0 || a->failed; }, 2000));
    ASSERT_FALSE(a->failed) << a->errorDetail;
    std::string offer = a->localSdp;
    auto at = offer.find("telephone-event/48000");
    ASSERT_NE(at, std::string::npos) << offer;
    offer.replace(at, strlen("telephone-event/48000"), "telephone-event/8000");
    auto b = makePeer(options("silence", "null"));
    b->media->acceptOffer(offer);
    ASSERT_TRUE(runUntil([&] { return b->descriptions > 0 || b->failed; }, 2000));
    ASSERT_FALSE(b->failed) << b->errorDetail;
    EXPECT_EQ(b->localSdp.find("telephone-event"), std::string::npos) << b->localSdp;
    EXPECT_FALSE(b->media->telephoneEventNegotiated());
    b->media->sendDtmf("1", 100, 100);
    ASSERT_TRUE(runUntil([&] { return !b->dtmfFailures.empty(); }, 1000));
    a->media->acceptAnswer(b->localSdp);
    EXPECT_TRUE(runUntil([&] { return (a->connected && b->connected) || a->failed || b->failed; }, 5000));
    EXPECT_FALSE(a->failed) << a->errorDetail;
    EXPECT_FALSE(a->media->telephoneEventNegotiated());
}

TEST_P(WebRtcMedia, FiftyCallsLeaveNothingBehind) {
    auto cycle = [&](bool checkCounting) {
        auto a = makePeer(options("tone:1000", "file:/tmp/sipw_media_test_leak.wav"));
        auto b = makePeer(options("tone:440", "null"));
        negotiate(*a, *b);
        if (checkCounting) {
            // A pipeline per session, and webrtcbin's own.
            EXPECT_EQ(liveMediaObjects(), onWebrtcbin() ? 4 : 2);
        }
        a->media->close();
        b->media->close();
        a.reset();
        b.reset();
        while (g_main_context_iteration(context_, FALSE)) {}
    };
    cycle(true);  // warm-up: plugin loading, the DTLS certificate, GStreamer's thread pool
    runFor(200);
    int fds = countEntries("/proc/self/fd"), threads = countEntries("/proc/self/task");
    int objects = liveMediaObjects();
    auto start = Clock::now();
    for (int i = 0; i < 50; ++i) cycle(false);
    double perCall = msSince(start) / 50;
    runFor(500);  // let exiting threads finish
    int fdsAfter = countEntries("/proc/self/fd"), threadsAfter = countEntries("/proc/self/task");
    int objectsAfter = liveMediaObjects();
    test::Wav wav;
    std::string error;
    EXPECT_TRUE(test::readWav("/tmp/sipw_media_test_leak.wav", wav, error)) << error;
    printf("[ measure  ] 50 calls (%.1f ms each): fds %d -> %d, threads %d -> %d, live GStreamer objects %d -> %d\n",
           perCall, fds, fdsAfter, threads, threadsAfter, objects, objectsAfter);
    EXPECT_EQ(fdsAfter, fds);
    EXPECT_LE(threadsAfter, threads);
    EXPECT_EQ(objectsAfter, objects);
    EXPECT_EQ(objects, 0);
}

// What a WebRTC call end brings in threads, beyond what the process already runs: webrtcbin's
// own (its `pc` and `ice` loops, nicesrc, the DTLS sender, the queue in front of the DTLS
// receiver, rtpbin's RTCP timer) and the tone's source. The jitter buffer has no thread of its
// own and the DTMF source comes at the first tone: they were three more (ten per end).
TEST_F(MediaTest, ACallEndOnWebrtcbinBringsAtMostSevenThreads) {
    constexpr int kCalls = 4;
    double perEnd = threadsPerCallEnd(MediaProfile::WebRtc, kCalls, WebRtcTransportKind::Webrtcbin);
    printf("[ measure  ] %d webrtc calls: %.2f threads per call end\n", kCalls, perEnd);
    EXPECT_LE(perEnd, 7.0);
}

// Tones asked for right after the answer, before DTLS is up and before the codec's first packet:
// they wait for the codec (a tone's packet reaching webrtcbin first stalled the DTMF source for
// good; seen on the second call of a process, where set-up is fast).
TEST_P(WebRtcMedia, DtmfRightAfterTheAnswerWaitsForTheCodec) {
    for (int call = 0; call < 2; ++call) {
        auto a = makePeer(options("tone:1000", "null"));
        auto b = makePeer(options("tone:440", "null"));
        a->media->createOffer();
        ASSERT_TRUE(runUntil([&] { return a->descriptions > 0; }, 3000));
        b->media->acceptOffer(a->localSdp);
        ASSERT_TRUE(runUntil([&] { return b->descriptions > 0; }, 3000));
        a->media->acceptAnswer(b->localSdp);
        a->media->sendDtmf("12#", 160, 100);
        EXPECT_TRUE(runUntil([&] { return b->dtmf.size() >= 3 || !a->dtmfFailures.empty(); }, 5000));
        EXPECT_EQ(receivedTones(*b), "12#") << "call " << call;
        EXPECT_TRUE(a->dtmfFailures.empty()) << a->dtmfFailures.front();
        a->media->close();
        b->media->close();
    }
}

}  // namespace

int main(int argc, char **argv) {
    ::testing::InitGoogleTest(&argc, argv);
    auto start = Clock::now();
    if (!getenv("SIPW_NO_PREWARM")) prewarmMedia();
    printf("[ timing   ] prewarmMedia: %.1f ms%s\n", msSince(start),
           getenv("SIPW_NO_PREWARM") ? " (skipped)" : "");
    return RUN_ALL_TESTS();
}
