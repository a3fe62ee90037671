// The rtp and srtp profiles: media sessions in one process talking plain RTP or SDES-SRTP over
// loopback (rtpbin over their own UDP sockets), and a socket of the test playing a hostile peer.
#include "media/rtp_stats.hpp"
#include "media_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <thread>

using namespace sipw;
using namespace sipw_media_test;

namespace {

constexpr double kTolerance = 0.03;  // of a tone's frequency, in the other side's recording

// A UDP socket of the test that sends RTP packets of its own making (PCMU of a tone) to a port.
class RogueSender {
public:
    RogueSender() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd_, reinterpret_cast<sockaddr *>(&local), sizeof local);
    }
    ~RogueSender() { close(fd_); }
    // `packets` 20 ms PCMU packets of `hz` to 127.0.0.1:port, a new SSRC every `perSsrc` packets.
    void send(int port, int packets, int perSsrc, double hz, int gapMs = 0) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(uint16_t(port));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int i = 0; i < packets; ++i) {
            uint8_t packet[12 + 160];
            uint32_t ssrc = 0x5000 + uint32_t(i / perSsrc), timestamp = uint32_t(i) * 160;
            packet[0] = 0x80;
            packet[1] = 0;  // PCMU
            packet[2] = uint8_t(seq_ >> 8), packet[3] = uint8_t(seq_);
            ++seq_;
            for (int b = 0; b < 4; ++b) {
                packet[4 + b] = uint8_t(timestamp >> (24 - 8 * b));
                packet[8 + b] = uint8_t(ssrc >> (24 - 8 * b));
            }
            for (int s = 0; s < 160; ++s) packet[12 + s] = mulaw(0.5 * std::sin(2 * M_PI * hz * (i * 160 + s) / 8000));
            sendto(fd_, packet, sizeof packet, 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
            if (gapMs) std::this_thread::sleep_for(std::chrono::milliseconds(gapMs));
        }
    }

private:
    static uint8_t mulaw(double x) {  // G.711 µ-law of a sample in -1..1
        int sample = int(x * 32124), sign = sample < 0 ? 0x80 : 0;
        if (sample < 0) sample = -sample;
        sample += 132;
        int exponent = 7;
        for (int mask = 0x4000; (sample & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
        int mantissa = (sample >> (exponent + 3)) & 0x0f;
        return uint8_t(~(sign | (exponent << 4) | mantissa));
    }
    int fd_;
    uint16_t seq_ = 1;
};

struct Pair {
    std::unique_ptr<Peer> a, b;
    std::string wavA, wavB;
};

class RtpMedia : public MediaTest {
protected:
    // A (tone 1000 Hz, only `codec`) calls B (tone 440 Hz, every codec), both recording.
    Pair call(MediaProfile profile, AudioCodec codec, const std::string &name) {
        Pair p;
        p.wavA = "/tmp/sipw_rtp_" + name + "_a.wav";
        p.wavB = "/tmp/sipw_rtp_" + name + "_b.wav";
        p.a = makePeer(options("tone:1000", "file:" + p.wavA, profile, {codec}));
        p.b = makePeer(options("tone:440", "file:" + p.wavB, profile));
        return p;
    }
    void start(Pair &p) {
        p.a->media->createOffer();
        ASSERT_TRUE(runUntil([&] { return p.a->descriptions > 0 || p.a->failed; }, 3000));
        p.b->media->acceptOffer(p.a->localSdp);
        ASSERT_TRUE(runUntil([&] { return p.b->descriptions > 0 || p.b->failed; }, 3000));
        p.a->media->acceptAnswer(p.b->localSdp);
    }
};

// Every codec in both profiles, all calls at once: each side hears the other's tone, both report
// the codec, and the SDP says what the profile is.
TEST_F(RtpMedia, EveryCodecInRtpAndSrtpCarriesAToneBothWays) {
    std::vector<std::pair<MediaProfile, AudioCodec>> cases;
    for (MediaProfile profile : {MediaProfile::Rtp, MediaProfile::Srtp})
        for (AudioCodec codec : {AudioCodec::Opus, AudioCodec::G722, AudioCodec::Pcmu, AudioCodec::Pcma})
            cases.emplace_back(profile, codec);
    std::vector<Pair> pairs;
    for (auto [profile, codec] : cases)
        pairs.push_back(call(profile, codec, std::string(profileName(profile)) + "_" + codecName(codec)));
    for (Pair &p : pairs) start(p);
    ASSERT_TRUE(runUntil([&] {
        for (Pair &p : pairs)
            if (!(p.a->connected && p.b->connected) && !p.a->failed && !p.b->failed) return false;
        return true;
    }, 5000));
    runFor(2500);
    for (Pair &p : pairs) {
        p.a->media->close();
        p.b->media->close();
    }
    for (size_t i = 0; i < pairs.size(); ++i) {
        auto [profile, codec] = cases[i];
        Pair &p = pairs[i];
        SCOPED_TRACE(std::string(profileName(profile)) + " " + codecName(codec));
        EXPECT_FALSE(p.a->failed) << p.a->errorDetail;
        EXPECT_FALSE(p.b->failed) << p.b->errorDetail;
        EXPECT_EQ(p.a->codec, codecName(codec));
        EXPECT_EQ(p.b->codec, codecName(codec));
        EXPECT_EQ(p.b->profile, profileName(profile));
        bool secure = profile == MediaProfile::Srtp;
        EXPECT_NE(p.b->localSdp.find(secure ? "RTP/SAVP" : "RTP/AVP"), std::string::npos) << p.b->localSdp;
        EXPECT_EQ(p.b->localSdp.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != std::string::npos, secure)
            << p.b->localSdp;
        double heardByA = lastHeardFrequency(p.wavA), heardByB = lastHeardFrequency(p.wavB);
        printf("[ measure  ] %s %s: A heard %.1f Hz, B heard %.1f Hz\n", profileName(profile), codecName(codec),
               heardByA, heardByB);
        EXPECT_NEAR(heardByA, 440, 440 * kTolerance);
        EXPECT_NEAR(heardByB, 1000, 1000 * kTolerance);
    }
}

// The offerer encodes its first codec (opus) before the answer comes; a G.711-only answer swaps it.
TEST_F(RtpMedia, AnswerWithAnotherCodecSwapsTheEncoder) {
    Pair p;
    p.wavA = "/tmp/sipw_rtp_swap_a.wav";
    p.wavB = "/tmp/sipw_rtp_swap_b.wav";
    p.a = makePeer(options("tone:1000", "file:" + p.wavA, MediaProfile::Rtp));
    p.b = makePeer(options("tone:440", "file:" + p.wavB, MediaProfile::Rtp, {AudioCodec::Pcma}));
    negotiate(*p.a, *p.b);
    runFor(2500);
    p.a->media->close();
    p.b->media->close();
    EXPECT_EQ(p.a->codec, "PCMA");
    EXPECT_NEAR(lastHeardFrequency(p.wavA), 440, 440 * kTolerance);
    EXPECT_NEAR(lastHeardFrequency(p.wavB), 1000, 1000 * kTolerance);
}

// media.ptimeMs over plain RTP: the offer asks for that packet time (a=ptime) and the packets
// sent to the answer's address (a socket of the test) carry that much audio each, in every codec.
TEST_F(RtpMedia, PacketTimeIsWhatTheOptionsSay) {
    struct Case {
        AudioCodec codec;
        int ptimeMs;
        const char *answerFormat;  // the answer's payload type and rtpmap
        int clockRate;
    };
    const std::vector<Case> cases = {{AudioCodec::Pcmu, 40, "0 PCMU/8000", 8000},
                                     {AudioCodec::G722, 60, "9 G722/8000", 8000},
                                     {AudioCodec::Opus, 10, "111 opus/48000/2", 48000},
                                     {AudioCodec::Pcma, 20, "8 PCMA/8000", 8000}};
    for (const Case &c : cases) {
        SCOPED_TRACE(std::string(codecName(c.codec)) + " at " + std::to_string(c.ptimeMs) + " ms");
        MediaOptions o = options("tone:1000", "null", MediaProfile::Rtp, {c.codec});
        o.ptimeMs = c.ptimeMs;
        o.opusComplexity = 1;
        auto a = makePeer(o);
        a->media->createOffer();
        ASSERT_TRUE(runUntil([&] { return a->descriptions > 0 || a->failed; }, 2000));
        EXPECT_NE(a->localSdp.find("a=ptime:" + std::to_string(c.ptimeMs) + "\r\n"), std::string::npos) << a->localSdp;

        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof local;
        ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&local), sizeof local), 0);
        getsockname(fd, reinterpret_cast<sockaddr *>(&local), &len);
        std::string format = c.answerFormat;
        std::string pt = format.substr(0, format.find(' '));
        a->media->acceptAnswer("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
                               std::to_string(ntohs(local.sin_port)) + " RTP/AVP " + pt + "\r\na=rtpmap:" + format +
                               "\r\na=sendrecv\r\n");
        ASSERT_TRUE(runUntil([&] { return a->connected || a->failed; }, 2000)) << a->errorDetail;
        // What arrives in a second (the loop runs meanwhile, on this thread).
        std::vector<std::vector<uint8_t>> packets;
        std::thread reader([&] {
            auto until = Clock::now() + std::chrono::milliseconds(1500);
            timeval wait{0, 100000};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
            while (Clock::now() < until) {
                uint8_t buffer[2048];
                ssize_t n = recv(fd, buffer, sizeof buffer, 0);
                if (n >= 12 && (buffer[1] & 0x7f) == std::stoi(pt)) packets.emplace_back(buffer, buffer + n);
            }
        });
        runFor(1600);
        reader.join();
        close(fd);
        a->media->close();
        EXPECT_FALSE(a->failed) << a->errorDetail;
        // The first packets may be short of the packet time (the encoder's first buffer): skip them.
        ASSERT_GT(packets.size(), 5u);
        auto timestamp = [](const std::vector<uint8_t> &p) {
            return uint32_t(p[4]) << 24 | uint32_t(p[5]) << 16 | uint32_t(p[6]) << 8 | uint32_t(p[7]);
        };
        uint32_t step = uint32_t(c.clockRate / 1000 * c.ptimeMs);
        int wrongSteps = 0, wrongSizes = 0;
        for (size_t i = 3; i < packets.size(); ++i) {
            wrongSteps += timestamp(packets[i]) - timestamp(packets[i - 1]) != step;
            // G.711 and G.722 (64 kbit/s) carry 8 bytes per ms.
            if (c.codec != AudioCodec::Opus) wrongSizes += packets[i].size() - 12 != size_t(8 * c.ptimeMs);
        }
        double perSecond = packets.size() / 1.5, expected = 1000.0 / c.ptimeMs;
        printf("[ measure  ] %s at %d ms: %zu packets in 1.5 s (%.1f/s, expected %.1f), timestamp steps of %u\n",
               codecName(c.codec), c.ptimeMs, packets.size(), perSecond, expected, step);
        EXPECT_NEAR(perSecond, expected, expected * 0.2);
        EXPECT_EQ(wrongSteps, 0);
        EXPECT_EQ(wrongSizes, 0);
    }
}

// Call quality in both profiles: live readings every second, then the final one; what one side
// sent the other received (G.711: 160 payload bytes per 20 ms packet), nothing lost on loopback,
// and a round trip once the peer's report about our stream came (RTCP every ~5 s: it may not in
// this time; the conversion is checked below).
TEST_F(RtpMedia, StatsCountWhatEachSideSentAndReceived) {
    for (MediaProfile profile : {MediaProfile::Rtp, MediaProfile::Srtp}) {
        SCOPED_TRACE(profileName(profile));
        Pair p = call(profile, AudioCodec::Pcmu, std::string("stats_") + profileName(profile));
        EXPECT_FALSE(p.a->media->stats().valid) << "statistics before any media";
        start(p);
        ASSERT_TRUE(runUntil([&] { return (p.a->connected && p.b->connected) || p.a->failed || p.b->failed; }, 3000));
        runUntil([&] { return p.a->media->stats().rttMs >= 0; }, 3000);
        p.a->media->close();
        p.b->media->close();
        MediaStats a = p.a->media->stats(), b = p.b->media->stats();
        printf("[ measure  ] %s: A sent %lld (%lld bytes), received %lld, lost %lld, jitter %.2f ms, rtt %.2f ms; "
               "B sent %lld, received %lld; %zu live readings at A\n",
               profileName(profile), a.packetsSent, a.bytesSent, a.packetsReceived, a.packetsLost, a.jitterMs, a.rttMs,
               b.packetsSent, b.packetsReceived, p.a->stats.size());
        ASSERT_TRUE(a.valid && b.valid);
        EXPECT_EQ(a.codec, "PCMU");
        EXPECT_GE(p.a->stats.size(), 2u) << "live readings";
        EXPECT_GE(a.packetsSent, 50) << "a second of audio at least";
        // 160 payload bytes per packet, but the first, a few samples short (the resampler's start).
        EXPECT_LE(a.bytesSent, a.packetsSent * 160);
        EXPECT_GT(a.bytesSent, (a.packetsSent - 1) * 160);
        // Both read as the media stopped: at most the packets of a few ms in flight between them,
        // each of them 160 bytes.
        EXPECT_NEAR(double(b.packetsReceived), double(a.packetsSent), 3);
        EXPECT_NEAR(double(a.packetsReceived), double(b.packetsSent), 3);
        EXPECT_EQ(a.bytesSent - b.bytesReceived, (a.packetsSent - b.packetsReceived) * 160);
        EXPECT_EQ(a.packetsLost, 0);
        EXPECT_GE(a.jitterMs, 0);
        EXPECT_LT(a.jitterMs, 20);
        EXPECT_TRUE(a.rttMs == -1 || (a.rttMs >= 0 && a.rttMs < 50)) << a.rttMs;
    }
}

// rtpbin's session statistics as the rtp profiles read them: ours counts what we sent, the peer's
// what we received (its negative "lost", a duplicate, counts as none), jitter from its clock's
// units, and the round trip from the peer's report block (1/65536 s units).
TEST_F(RtpMedia, SessionStatisticsAreReadAsMediaStats) {
    GstStructure *ours = gst_structure_new("application/x-rtp-source-stats", "internal", G_TYPE_BOOLEAN, TRUE,
                                           "is-sender", G_TYPE_BOOLEAN, TRUE, "clock-rate", G_TYPE_INT, 8000,
                                           "packets-sent", G_TYPE_UINT64, guint64(500), "octets-sent", G_TYPE_UINT64,
                                           guint64(80000), "packets-received", G_TYPE_UINT64, guint64(500), nullptr);
    GstStructure *peer = gst_structure_new(
        "application/x-rtp-source-stats", "internal", G_TYPE_BOOLEAN, FALSE, "is-sender", G_TYPE_BOOLEAN, TRUE,
        "clock-rate", G_TYPE_INT, 8000, "packets-received", G_TYPE_UINT64, guint64(490), "octets-received",
        G_TYPE_UINT64, guint64(78400), "packets-lost", G_TYPE_INT, 7, "jitter", G_TYPE_UINT, 80u, "have-rb",
        G_TYPE_BOOLEAN, TRUE, "rb-round-trip", G_TYPE_UINT, 6554u, nullptr);
    GstStructure *duplicating = gst_structure_new(
        "application/x-rtp-source-stats", "internal", G_TYPE_BOOLEAN, FALSE, "is-sender", G_TYPE_BOOLEAN, TRUE,
        "clock-rate", G_TYPE_INT, 48000, "packets-received", G_TYPE_UINT64, guint64(10), "octets-received",
        G_TYPE_UINT64, guint64(1000), "packets-lost", G_TYPE_INT, -2, "jitter", G_TYPE_UINT, 48u, nullptr);
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    GValueArray *sources = g_value_array_new(3);
    for (GstStructure *source : {ours, peer, duplicating}) {
        GValue v = G_VALUE_INIT;
        g_value_init(&v, GST_TYPE_STRUCTURE);
        g_value_take_boxed(&v, source);
        g_value_array_append(sources, &v);
        g_value_unset(&v);
    }
    GstStructure *stats = gst_structure_new("application/x-rtp-session-stats", "source-stats",
                                            G_TYPE_VALUE_ARRAY, sources, nullptr);
    g_value_array_free(sources);
    G_GNUC_END_IGNORE_DEPRECATIONS
    MediaStats m = parseRtpSessionStats(stats);
    gst_structure_free(stats);
    EXPECT_TRUE(m.valid);
    EXPECT_EQ(m.packetsSent, 500);
    EXPECT_EQ(m.bytesSent, 80000);
    EXPECT_EQ(m.packetsReceived, 500);
    EXPECT_EQ(m.bytesReceived, 79400);
    EXPECT_EQ(m.packetsLost, 7);
    EXPECT_DOUBLE_EQ(m.jitterMs, 10.0);        // 80 at 8000 Hz; the other, 48 at 48 kHz, is 1 ms
    EXPECT_NEAR(m.rttMs, 100.0, 0.01);         // 6554 / 65536 s
    EXPECT_FALSE(parseRtpSessionStats(nullptr).valid);
}

// G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551); telephone-event runs at 8000 too.
TEST_F(RtpMedia, OffersListEveryCodecWithTelephoneEventAtEachClock) {
    auto a = makePeer(options("silence", "null", MediaProfile::Rtp));
    a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return a->descriptions > 0; }, 2000));
    const std::string &sdp = a->localSdp;
    EXPECT_NE(sdp.find("m=audio " + std::to_string(audioPort(sdp)) + " RTP/AVP 111 9 0 8 110 101\r\n"), std::string::npos) << sdp;
    for (const char *line : {"a=rtpmap:111 opus/48000/2", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
                             "a=rtpmap:8 PCMA/8000", "a=rtpmap:110 telephone-event/48000",
                             "a=rtpmap:101 telephone-event/8000", "a=ptime:20", "a=rtcp-mux", "a=sendrecv"})
        EXPECT_NE(sdp.find(line), std::string::npos) << line << " in\n" << sdp;
    EXPECT_EQ(sdp.find("a=crypto"), std::string::npos) << "keys in a plain RTP offer:\n" << sdp;
    EXPECT_EQ(audioPort(sdp) % 2, 0);
    EXPECT_NE(sdp.find("a=rtcp:" + std::to_string(audioPort(sdp) + 1)), std::string::npos) << sdp;
}

// DTMF by RFC 4733 beside G.711 and G.722 (8000 Hz events) and beside Opus (48000 Hz), both ways.
TEST_F(RtpMedia, Rfc4733AtTheCodecsClockBothWays) {
    for (AudioCodec codec : {AudioCodec::Pcmu, AudioCodec::G722, AudioCodec::Opus}) {
        SCOPED_TRACE(codecName(codec));
        auto a = makePeer(options("tone:1000", "null", MediaProfile::Rtp, {codec}));
        auto b = makePeer(options("tone:440", "null", MediaProfile::Rtp));
        negotiate(*a, *b);
        int rate = codec == AudioCodec::Opus ? 48000 : 8000;
        EXPECT_NE(b->localSdp.find("telephone-event/" + std::to_string(rate)), std::string::npos) << b->localSdp;
        ASSERT_TRUE(a->media->telephoneEventNegotiated());
        ASSERT_TRUE(b->media->telephoneEventNegotiated());
        a->media->sendDtmf("159#", 250, 100);
        b->media->sendDtmf("*0", 250, 100);
        EXPECT_TRUE(runUntil([&] { return b->dtmf.size() >= 4 && a->dtmf.size() >= 2; }, 6000));
        EXPECT_EQ(receivedTones(*b), "159#");
        EXPECT_EQ(receivedTones(*a), "*0");
        for (auto [tone, ms] : b->dtmf) EXPECT_NEAR(ms, 300, 100) << tone;
        a->media->close();
        b->media->close();
    }
}

// Comedia: A's SDP names a port where nobody listens (a NATed phone's private address would do
// the same). B sends there until A's packets arrive, then to where they come from.
TEST_F(RtpMedia, SymmetricRtpLatchesToWherePacketsComeFrom) {
    Pair p = call(MediaProfile::Rtp, AudioCodec::Pcmu, "latch");
    p.a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return p.a->descriptions > 0; }, 2000));
    int port = audioPort(p.a->localSdp);
    std::string wrongPort = replaced(p.a->localSdp, "m=audio " + std::to_string(port), "m=audio " + std::to_string(port + 1000));
    p.b->media->acceptOffer(replaced(wrongPort, "a=rtcp:" + std::to_string(port + 1), "a=rtcp:" + std::to_string(port + 1001)));
    ASSERT_TRUE(runUntil([&] { return p.b->descriptions > 0 || p.b->failed; }, 2000));
    p.a->media->acceptAnswer(p.b->localSdp);
    runFor(2500);
    p.a->media->close();
    p.b->media->close();
    EXPECT_NEAR(lastHeardFrequency(p.wavA), 440, 440 * kTolerance) << "B never reached A's real port";
    EXPECT_NEAR(lastHeardFrequency(p.wavB), 1000, 1000 * kTolerance);
}

// Before A sends, a rogue source floods B's port with many SSRCs: B takes a few streams and says
// so. A's packets then come from the address in A's SDP, which wins; a rogue source afterwards is
// dropped and said once. B hears A's tone, never the rogue's 2500 Hz.
TEST_F(RtpMedia, RogueSourceAndSsrcFloodDoNotTakeTheCall) {
    Pair p = call(MediaProfile::Rtp, AudioCodec::Pcmu, "rogue");
    p.a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return p.a->descriptions > 0; }, 2000));
    p.b->media->acceptOffer(p.a->localSdp);
    ASSERT_TRUE(runUntil([&] { return p.b->descriptions > 0 || p.b->failed; }, 2000));
    int bPort = audioPort(p.b->localSdp);
    RogueSender rogue;
    rogue.send(bPort, 200, 1, 2500);  // 200 SSRCs, one packet each
    runFor(300);
    EXPECT_TRUE(p.b->warned("rtp_too_many_streams")) << testing::PrintToString(p.b->warnings);
    p.a->media->acceptAnswer(p.b->localSdp);
    runFor(1000);
    std::thread later([&] { rogue.send(bPort, 100, 100, 2500, 10); });  // 1 s of a rogue stream mid-call
    runFor(2200);
    later.join();
    p.a->media->close();
    p.b->media->close();
    EXPECT_TRUE(p.b->warned("rtp_foreign_source")) << testing::PrintToString(p.b->warnings);
    EXPECT_FALSE(p.b->failed) << p.b->errorDetail;
    EXPECT_NEAR(lastHeardFrequency(p.wavB, 2.0), 1000, 1000 * kTolerance);
    EXPECT_NEAR(lastHeardFrequency(p.wavA), 440, 440 * kTolerance);
}

// A PBX re-anchors the call: B gets a re-offer from another media endpoint (C) and from then on
// hears C, and C hears B; A, still sending to B, is ignored.
TEST_F(RtpMedia, ReofferMovesTheMediaToANewAddress) {
    for (MediaProfile profile : {MediaProfile::Rtp, MediaProfile::Srtp}) {
        SCOPED_TRACE(profileName(profile));
        Pair p = call(profile, AudioCodec::Pcma, std::string("move_") + profileName(profile));
        negotiate(*p.a, *p.b);
        runFor(500);
        const std::string wavC = "/tmp/sipw_rtp_move_c.wav";
        auto c = makePeer(options("tone:660", "file:" + wavC, profile, {AudioCodec::Pcmu}));
        c->media->createOffer();
        ASSERT_TRUE(runUntil([&] { return c->descriptions > 0; }, 2000));
        p.b->media->acceptReoffer(c->localSdp);
        ASSERT_TRUE(runUntil([&] { return p.b->descriptions > 1 || p.b->failed; }, 2000));
        c->media->acceptAnswer(p.b->localSdp);
        runFor(2000);
        EXPECT_EQ(p.b->codec, "PCMU");  // C offered only PCMU: B moved to it
        c->media->close();
        p.a->media->close();
        p.b->media->close();
        EXPECT_FALSE(p.b->failed) << p.b->errorDetail;
        EXPECT_NEAR(lastHeardFrequency(p.wavB), 660, 660 * kTolerance);
        EXPECT_NEAR(lastHeardFrequency(wavC), 440, 440 * kTolerance);
    }
}

// A re-offer with port 0 turns the audio off: B answers port 0, warns, and neither fails nor
// times out; a later re-offer turns it back on.
TEST_F(RtpMedia, ReofferToPortZeroDisablesTheAudioUntilTheNext) {
    Pair p = call(MediaProfile::Rtp, AudioCodec::Pcmu, "port0");
    MediaOptions o = options("silence", "file:" + p.wavB, MediaProfile::Rtp);
    o.rtpTimeoutMs = 1000;
    p.b = makePeer(o);
    negotiate(*p.a, *p.b);
    runFor(500);
    std::string first = p.a->localSdp;
    std::string off = replaced(first, "m=audio " + std::to_string(audioPort(first)), "m=audio 0");
    p.b->media->acceptReoffer(off);
    ASSERT_TRUE(runUntil([&] { return p.b->descriptions > 1 || p.b->failed; }, 2000));
    EXPECT_EQ(audioPort(p.b->localSdp), 0) << p.b->localSdp;
    EXPECT_TRUE(p.b->warned("media_stream_disabled"));
    runFor(2500);  // longer than B's RTP timeout
    EXPECT_FALSE(p.b->failed) << p.b->errorDetail;
    p.a->media->createReoffer("sendrecv");
    ASSERT_TRUE(runUntil([&] { return p.a->descriptions > 1; }, 2000));
    p.b->media->acceptReoffer(p.a->localSdp);
    ASSERT_TRUE(runUntil([&] { return p.b->descriptions > 2 || p.b->failed; }, 2000));
    EXPECT_NE(audioPort(p.b->localSdp), 0) << p.b->localSdp;
    p.a->media->acceptAnswer(p.b->localSdp);
    runFor(2000);
    p.a->media->close();
    p.b->media->close();
    EXPECT_FALSE(p.b->failed) << p.b->errorDetail;
    EXPECT_NEAR(lastHeardFrequency(p.wavB), 1000, 1000 * kTolerance);
}

// No RTP for the configured time while not on hold ends the call (MediaTimeout); held, it does not.
TEST_F(RtpMedia, RtpTimeoutUnlessHeld) {
    auto quiet = [&](bool held) {
        MediaOptions o = options("silence", "null", MediaProfile::Rtp);
        o.rtpTimeoutMs = 1000;
        auto a = makePeer(options("tone:1000", "null", MediaProfile::Rtp));
        auto b = makePeer(o);
        negotiate(*a, *b);
        runFor(500);
        if (held) b->media->setHeld(true);
        a->media->close();  // A stops sending
        auto stopped = Clock::now();
        runUntil([&] { return b->failed; }, 2500);
        double after = msSince(stopped);
        b->media->close();
        return std::make_pair(b->failed ? after : -1.0, b->error);
    };
    auto [afterMs, error] = quiet(false);
    printf("[ timing   ] RTP timeout 1000 ms: reported %.0f ms after the peer stopped\n", afterMs);
    EXPECT_GE(afterMs, 900);
    EXPECT_LE(afterMs, 2000);
    EXPECT_EQ(error, MediaError::MediaTimeout);
    EXPECT_LT(quiet(true).first, 0) << "a held call timed out";
}

TEST_F(RtpMedia, SrtpTakesTheSuiteOfTheOffer) {
    Pair p = call(MediaProfile::Srtp, AudioCodec::G722, "srtp32");
    p.a->media->createOffer();
    ASSERT_TRUE(runUntil([&] { return p.a->descriptions > 0; }, 2000));
    // Only the 32-bit tag offered (under tag 2), as some phones do.
    std::string offer = p.a->localSdp;
    auto first = offer.find("a=crypto:1 ");
    offer.erase(first, offer.find("\r\n", first) + 2 - first);
    p.b->media->acceptOffer(offer);
    ASSERT_TRUE(runUntil([&] { return p.b->descriptions > 0 || p.b->failed; }, 2000));
    ASSERT_FALSE(p.b->failed) << p.b->errorDetail;
    EXPECT_NE(p.b->localSdp.find("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"), std::string::npos) << p.b->localSdp;
    EXPECT_EQ(p.b->localSdp.find("_80"), std::string::npos) << p.b->localSdp;
    p.a->media->acceptAnswer(p.b->localSdp);
    runFor(2000);
    p.a->media->close();
    p.b->media->close();
    EXPECT_NEAR(lastHeardFrequency(p.wavA), 440, 440 * kTolerance);
    EXPECT_NEAR(lastHeardFrequency(p.wavB), 1000, 1000 * kTolerance);
}

// Offers we cannot serve are refused with the reason, before anything is sent.
TEST_F(RtpMedia, UnservableOffersAreRefusedWithTheReason) {
    auto offerOf = [&](MediaProfile profile, std::vector<AudioCodec> codecs) {
        auto a = makePeer(options("silence", "null", profile, codecs));
        a->media->createOffer();
        EXPECT_TRUE(runUntil([&] { return a->descriptions > 0; }, 2000));
        return a->localSdp;
    };
    auto refusal = [&](MediaProfile profile, std::vector<AudioCodec> codecs, const std::string &offer) {
        auto b = makePeer(options("silence", "null", profile, codecs));
        b->media->acceptOffer(offer);
        EXPECT_TRUE(runUntil([&] { return b->failed || b->descriptions > 0; }, 2000));
        EXPECT_EQ(b->descriptions, 0) << b->localSdp;
        EXPECT_EQ(b->error, MediaError::IncompatibleSdp);
        printf("[ refused  ] %s\n", b->errorDetail.c_str());
        return b->errorDetail;
    };
    std::string pcmu = offerOf(MediaProfile::Rtp, {AudioCodec::Pcmu});
    EXPECT_NE(refusal(MediaProfile::Rtp, {AudioCodec::Opus}, pcmu).find("no common codec (offered PCMU, telephone-event; allowed opus)"),
              std::string::npos);
    std::string srtp = offerOf(MediaProfile::Srtp, {});
    std::string gcm = replaced(replaced(srtp, "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_256_GCM"), "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM");
    EXPECT_NE(refusal(MediaProfile::Srtp, {}, gcm).find("no a=crypto suite we support (offered AEAD_AES_256_GCM, AEAD_AES_128_GCM"),
              std::string::npos);
    auto keyEnd = srtp.find("\r\n", srtp.find("a=crypto:2"));
    std::string mki = srtp.substr(0, keyEnd) + "|2^31|1:4" + srtp.substr(keyEnd);
    mki = mki.erase(mki.find("a=crypto:1 "), mki.find("\r\n", mki.find("a=crypto:1 ")) + 2 - mki.find("a=crypto:1 "));
    EXPECT_NE(refusal(MediaProfile::Srtp, {}, mki).find("with MKI"), std::string::npos);
    EXPECT_NE(refusal(MediaProfile::Srtp, {}, replaced(srtp, "a=crypto:", "a=x-crypto:")).find("without a=crypto"),
              std::string::npos);
    EXPECT_NE(refusal(MediaProfile::Rtp, {}, replaced(pcmu, "RTP/AVP", "RTP/XYZ")).find("unknown media transport \"RTP/XYZ\""),
              std::string::npos);
}

}  // namespace

namespace {

// Sockets, threads and pipelines of finished calls are all given back (rtp and srtp alike, hung
// up at once or after media flowed).
// The rtp profiles' tones, sockets and jitter buffers have no threads of their own (one shared
// ticker and one shared poller for the process), and the DTMF source comes at the first tone:
// what a call end still brings is rtpbin's RTCP timer. A udpsrc per socket, a live audiotestsrc,
// rtpjitterbuffer's two and the DTMF source were six more (seven per end).
TEST_F(RtpMedia, ACallEndBringsAtMostOneThread) {
    constexpr int kCalls = 6;
    double perEnd = threadsPerCallEnd(MediaProfile::Rtp, kCalls);
    printf("[ measure  ] %d rtp calls: %.2f threads per call end\n", kCalls, perEnd);
    EXPECT_LE(perEnd, 1.0);
}

TEST_F(RtpMedia, CallsLeaveNothingBehind) {
    auto cycle = [&](MediaProfile profile, bool flow) {
        auto a = makePeer(options("tone:1000", "file:/tmp/sipw_rtp_leak.wav", profile));
        auto b = makePeer(options("tone:440", "null", profile));
        if (flow) {
            negotiate(*a, *b);
            EXPECT_EQ(liveMediaObjects(), 2);  // a pipeline per session
            runFor(100);
        } else {
            a->media->createOffer();  // hung up before the answer
        }
        a->media->close();
        b->media->close();
        a.reset();
        b.reset();
        while (g_main_context_iteration(context_, FALSE)) {}
    };
    cycle(MediaProfile::Srtp, true);  // warm-up: plugins, GStreamer's thread pool
    runFor(200);
    int fds = countEntries("/proc/self/fd"), threads = countEntries("/proc/self/task");
    for (int i = 0; i < 30; ++i) cycle(i % 2 ? MediaProfile::Srtp : MediaProfile::Rtp, i % 3 != 0);
    runFor(500);  // let exiting threads finish
    int fdsAfter = countEntries("/proc/self/fd"), threadsAfter = countEntries("/proc/self/task");
    printf("[ measure  ] 30 rtp/srtp calls: fds %d -> %d, threads %d -> %d, live GStreamer objects %d\n", fds,
           fdsAfter, threads, threadsAfter, liveMediaObjects());
    EXPECT_EQ(fdsAfter, fds);
    EXPECT_LE(threadsAfter, threads);
    EXPECT_EQ(liveMediaObjects(), 0);
}

// libsrtp2 runs on NSS, which unloads its crypto module when the last SRTP stream closes; the
// warm-up holds NSS open, so that a call after a quiet moment does not load it again (a dlopen on
// the shared ticker, holding glibc's loader lock).
TEST_F(RtpMedia, SrtpCryptoStaysLoadedBetweenCalls) {
    auto mapped = [] {
        std::ifstream maps("/proc/self/maps");
        std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
        return text.find("libsoftokn3.so") != std::string::npos;
    };
    {
        Pair p = call(MediaProfile::Srtp, AudioCodec::Pcmu, "nss");
        start(p);
        ASSERT_TRUE(runUntil([&] { return p.b->media->stats().packetsReceived > 0; }, 3000));
        EXPECT_TRUE(mapped()) << "an SRTP call runs on NSS's softoken";
        p.a->media->close();
        p.b->media->close();
    }
    runFor(200);
    EXPECT_EQ(liveMediaObjects(), 0);
    EXPECT_TRUE(mapped()) << "NSS was unloaded with the last SRTP stream";
}

}  // namespace
