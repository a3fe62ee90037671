// The webrtc profile on the shared transport (media.webrtcTransport "shared": ICE on the one ICE
// thread, DTLS-SRTP keys, rtpbin): with itself, with webrtcbin both ways, hold, DTMF, a wrong
// certificate, and what it costs in threads.
//
// Runs in the media test binary, inside a private network namespace (ICE gathers every address).
#include "media_fixture.hpp"

using namespace sipw;
using namespace sipw_media_test;

namespace {

std::string line(const std::string &sdp, const char *prefix) {
    auto p = sdp.find(prefix);
    return p == std::string::npos ? std::string() : sdp.substr(p, sdp.find('\r', p) - p);
}

class SharedWebRtc : public MediaTest {
protected:
    static MediaOptions sharedOptions(const std::string &input, const std::string &output) {
        MediaOptions o = options(input, output, MediaProfile::WebRtc);
        o.webrtcTransport = WebRtcTransportKind::Shared;
        return o;
    }
    static MediaOptions webrtcbinOptions(const std::string &input, const std::string &output) {
        MediaOptions o = options(input, output, MediaProfile::WebRtc);
        o.webrtcTransport = WebRtcTransportKind::Webrtcbin;
        return o;
    }

    // A call between `a` (offering) and `b` with tones 1000/440 Hz for 3.5 s, each recording what it
    // hears: each must hear the other's tone.
    void expectTonesBothWays(const MediaOptions &aOptions, const MediaOptions &bOptions, const char *name) {
        const std::string wavA = std::string("/tmp/sipw_shared_") + name + "_a.wav";
        const std::string wavB = std::string("/tmp/sipw_shared_") + name + "_b.wav";
        MediaOptions ao = aOptions, bo = bOptions;
        ASSERT_TRUE(AudioEndpoint::parseOutput("file:" + wavA, ao.output));
        ASSERT_TRUE(AudioEndpoint::parseOutput("file:" + wavB, bo.output));
        ASSERT_TRUE(AudioEndpoint::parseInput("tone:1000", ao.input));
        ASSERT_TRUE(AudioEndpoint::parseInput("tone:440", bo.input));
        auto a = makePeer(ao);
        auto b = makePeer(bo);
        double connectMs = negotiate(*a, *b);
        printf("[ timing   ] %s: offer -> connected %.1f ms\n", name, connectMs);
        ASSERT_TRUE(a->connected && b->connected);
        runFor(3500);
        a->media->close();
        double callA = msSince(a->created) / 1000;
        b->media->close();
        double callB = msSince(b->created) / 1000;
        expectRecording(wavA, callA, 440);
        expectRecording(wavB, callB, 1000);
        EXPECT_EQ(a->profile, "webrtc");
        EXPECT_EQ(b->profile, "webrtc");
    }
};

TEST_F(SharedWebRtc, TwoWayCallCarriesEachTone) {
    expectTonesBothWays(sharedOptions("silence", "null"), sharedOptions("silence", "null"), "both");
}

// Browsers and webrtcbin are the peers of this profile: the same call against webrtcbin, each
// side offering once.
TEST_F(SharedWebRtc, TalksToWebrtcbinBothWays) {
    expectTonesBothWays(sharedOptions("silence", "null"), webrtcbinOptions("silence", "null"), "offers");
    expectTonesBothWays(webrtcbinOptions("silence", "null"), sharedOptions("silence", "null"), "answers");
}

TEST_F(SharedWebRtc, DescriptionsCarryIceDtlsAndBundle) {
    auto a = makePeer(sharedOptions("silence", "null"));
    auto b = makePeer(sharedOptions("silence", "null"));
    negotiate(*a, *b);
    for (const std::string *sdp : {&a->localSdp, &b->localSdp}) {
        EXPECT_NE(sdp->find("m=audio "), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find(" UDP/TLS/RTP/SAVPF "), std::string::npos) << *sdp;
        EXPECT_EQ(sdp->find("m=audio 0 "), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("c=IN IP4 127.0.0.1"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=candidate:"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=ice-ufrag:"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=ice-pwd:"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=fingerprint:sha-256 "), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=rtcp-mux"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=group:BUNDLE 0"), std::string::npos) << *sdp;
        EXPECT_NE(sdp->find("a=mid:0"), std::string::npos) << *sdp;
        EXPECT_EQ(sdp->find("a=crypto"), std::string::npos) << *sdp;
    }
    EXPECT_NE(a->localSdp.find("a=setup:actpass"), std::string::npos);
    EXPECT_NE(b->localSdp.find("a=setup:active"), std::string::npos);
    // Every call of a process shows the same certificate: it is made once.
    EXPECT_EQ(line(a->localSdp, "a=fingerprint:"), line(b->localSdp, "a=fingerprint:"));
    a->media->close();
    b->media->close();
}

// A certificate that is not the one the SDP announced ends the call (a man in the middle).
TEST_F(SharedWebRtc, AFingerprintThatDoesNotMatchFailsTheCall) {
    auto a = makePeer(sharedOptions("tone:1000", "null"));
    auto b = makePeer(sharedOptions("silence", "null"));
    a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 0; }, 3000));
    b->media->acceptOffer(a->localSdp);
    ASSERT_TRUE(runUntil([&] { return b->descriptions > 0; }, 3000));
    std::string answer = b->localSdp;
    std::string fingerprint = line(answer, "a=fingerprint:sha-256 ");
    ASSERT_FALSE(fingerprint.empty());
    std::string forged = fingerprint;
    char &last = forged.back();
    last = last == 'A' ? 'B' : 'A';
    answer.replace(answer.find(fingerprint), fingerprint.size(), forged);
    a->media->acceptAnswer(answer);
    ASSERT_TRUE(runUntil([&] { return a->failed; }, 8000));
    EXPECT_EQ(a->error, MediaError::IceFailed);
    EXPECT_NE(a->errorDetail.find("fingerprint"), std::string::npos) << a->errorDetail;
    EXPECT_FALSE(a->connected);
    a->media->close();
    b->media->close();
}

// Hold and resume are re-offers on the same ICE and DTLS: nothing is negotiated again, the audio
// comes back.
TEST_F(SharedWebRtc, HoldAndResumeKeepIceAndDtls) {
    const std::string wav = "/tmp/sipw_shared_hold.wav";
    auto a = makePeer(sharedOptions("tone:1000", "file:" + wav));
    auto b = makePeer(sharedOptions("tone:440", "null"));
    negotiate(*a, *b);
    runFor(800);
    std::string first = a->localSdp;
    for (const char *direction : {"sendonly", "sendrecv"}) {
        int before = a->descriptions, beforeB = b->descriptions;
        a->media->createReoffer(direction);
        ASSERT_TRUE(runUntil([&] { return a->descriptions > before; }, 1000));
        EXPECT_EQ(line(a->localSdp, "a=ice-ufrag:"), line(first, "a=ice-ufrag:"));
        EXPECT_EQ(line(a->localSdp, "a=fingerprint:"), line(first, "a=fingerprint:"));
        b->media->acceptReoffer(a->localSdp);
        ASSERT_TRUE(runUntil([&] { return b->descriptions > beforeB; }, 1000));
        a->media->acceptAnswer(b->localSdp);
        runFor(1200);
        EXPECT_FALSE(a->failed) << a->errorDetail;
        EXPECT_FALSE(b->failed) << b->errorDetail;
    }
    a->media->close();
    b->media->close();
    EXPECT_NEAR(lastHeardFrequency(wav, 0.8), 440, 440 * 0.02);
}

TEST_F(SharedWebRtc, Rfc4733DtmfReachesThePeer) {
    auto a = makePeer(sharedOptions("tone:1000", "null"));
    auto b = makePeer(sharedOptions("tone:440", "null"));
    negotiate(*a, *b);
    ASSERT_TRUE(a->media->telephoneEventNegotiated());
    a->media->sendDtmf("159#", 200, 100);
    EXPECT_TRUE(runUntil([&] { return b->dtmf.size() >= 4; }, 6000));
    std::string tones;
    for (const auto &[tone, ms] : b->dtmf) tones += tone;
    EXPECT_EQ(tones, "159#");
    a->media->close();
    b->media->close();
}

// What this transport is for: ICE, DTLS, the tone and the jitter buffer run on threads every call
// shares, so a call end brings one thread (the queue in front of its output mixer, as the rtp
// profiles), against seven with webrtcbin.
TEST_F(SharedWebRtc, ACallEndBringsAtMostOneThread) {
    constexpr int kCalls = 4;
    double perEnd = threadsPerCallEnd(MediaProfile::WebRtc, kCalls, WebRtcTransportKind::Shared);
    printf("[ measure  ] %d shared webrtc calls: %.2f threads per call end\n", kCalls, perEnd);
    EXPECT_LE(perEnd, 1.0);
}

}  // namespace
