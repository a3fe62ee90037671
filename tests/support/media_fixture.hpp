// The fixture of the media tests: media sessions of any profile in one process, on one loop
// thread, talking over loopback, and what each one reported.
//
// Run inside a private network namespace so nothing leaves loopback:
//   unshare --net bash -c 'ip link set lo up; ./sipw_media_tests'
#pragma once

#include "media/media_factory.hpp"

#include "audio_analysis.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace sipw_media_test {

using namespace sipw;
using Clock = std::chrono::steady_clock;


inline double msSince(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

inline int countEntries(const char *dir) {
    int n = 0;
    if (DIR *d = opendir(dir)) {
        while (struct dirent *e = readdir(d)) n += e->d_name[0] != '.';
        closedir(d);
    }
    return n;
}

// The ids of the process's threads, but GLib's shared worker pool ("pool-…": a few threads for
// all asynchronous GIO work of the process, which grows and shrinks by itself) and the media
// layer's shared threads ("sipw-…": one each per process, started by the first call that needs it).
inline std::set<std::string> threadsOfCalls() {
    std::set<std::string> ids;
    if (DIR *d = opendir("/proc/self/task")) {
        while (struct dirent *e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            char name[32] = "";
            std::string path = std::string("/proc/self/task/") + e->d_name + "/comm";
            if (FILE *f = fopen(path.c_str(), "r")) {
                if (!fgets(name, sizeof name, f)) name[0] = 0;
                fclose(f);
            }
            if (strncmp(name, "pool-", 5) != 0 && strncmp(name, "sipw-", 5) != 0) ids.insert(e->d_name);
        }
        closedir(d);
    }
    return ids;
}

// One media session and everything it reported.
struct Peer {
    std::unique_ptr<MediaSession> media;
    Clock::time_point created;
    std::string localSdp;
    int descriptions = 0;
    bool connected = false;
    Clock::time_point connectedAt;
    bool failed = false;
    MediaError error = MediaError::Internal;
    std::string errorDetail;
    std::vector<std::string> warnings;
    std::vector<std::pair<char, int>> dtmf;  // received: tone, duration ms
    Clock::time_point firstAudioAt;
    std::vector<std::string> dtmfFailures;
    std::string profile, codec;  // as onNegotiated last said
    std::vector<std::pair<Clock::time_point, MediaStats>> stats;  // each onStats, when it came
    bool warned(const std::string &key) const {
        for (const auto &w : warnings)
            if (w.rfind(key + ":", 0) == 0) return true;
        return false;
    }
};

class MediaTest : public ::testing::Test {
protected:
    void SetUp() override {
        context_ = g_main_context_new();
        g_main_context_push_thread_default(context_);
    }
    void TearDown() override {
        g_main_context_pop_thread_default(context_);
        // Drain what is still queued (tasks for closed sessions are dropped, not run).
        while (g_main_context_iteration(context_, FALSE)) {}
        g_main_context_unref(context_);
    }

    // Options of a session on loopback, in `profile` with `codecs` (empty: the defaults).
    static MediaOptions options(const std::string &input, const std::string &output,
                                MediaProfile profile = MediaProfile::WebRtc, std::vector<AudioCodec> codecs = {}) {
        MediaOptions o;
        EXPECT_TRUE(AudioEndpoint::parseInput(input, o.input)) << input;
        EXPECT_TRUE(AudioEndpoint::parseOutput(output, o.output)) << output;
        o.ice.addresses = {"127.0.0.1"};
        o.localAddress = "127.0.0.1";
        o.profile = profile;
        o.webrtcTransport = webrtcTransport_;
        if (!codecs.empty()) o.codecs = codecs;
        return o;
    }

    std::unique_ptr<Peer> makePeer(const MediaOptions &o) {
        auto peer = std::make_unique<Peer>();
        Peer *p = peer.get();
        MediaSession::Callbacks cb;
        cb.onLocalDescription = [p](const std::string &sdp) { p->localSdp = sdp; ++p->descriptions; };
        cb.onConnected = [p] { p->connected = true; p->connectedAt = Clock::now(); };
        cb.onError = [p](MediaError e, const std::string &detail) {
            p->failed = true;
            p->error = e;
            p->errorDetail = detail;
        };
        cb.onWarning = [p](const std::string &key, const std::string &arg) {
            p->warnings.push_back(key + ":" + arg);
        };
        cb.onDtmf = [p](char tone, int ms) { p->dtmf.emplace_back(tone, ms); };
        cb.onFirstAudio = [p] { p->firstAudioAt = Clock::now(); };
        cb.onDtmfFailed = [p](const std::string &detail) { p->dtmfFailures.push_back(detail); };
        cb.onStats = [p](const MediaStats &stats) { p->stats.emplace_back(Clock::now(), stats); };
        cb.onNegotiated = [p](const std::string &profile, const std::string &codec) {
            p->profile = profile;
            p->codec = codec;
        };
        p->created = Clock::now();
        bool webrtcbin = o.profile == MediaProfile::WebRtc && o.webrtcTransport == WebRtcTransportKind::Webrtcbin;
        p->media = webrtcbin ? createWebRtcMedia(context_, o, cb) : createRtpMedia(context_, o, cb);
        return peer;
    }

    // Runs the loop until `done` or `timeoutMs`; true if done.
    bool runUntil(const std::function<bool()> &done, int timeoutMs) {
        auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
        while (!done()) {
            if (Clock::now() >= deadline) return false;
            GSource *wake = g_timeout_source_new(5);  // bounds each blocking iteration
            g_source_set_callback(wake, [](gpointer) { return G_SOURCE_REMOVE; }, nullptr, nullptr);
            g_source_attach(wake, context_);
            g_main_context_iteration(context_, TRUE);
            g_source_destroy(wake);
            g_source_unref(wake);
        }
        return true;
    }
    void runFor(int ms) { runUntil([] { return false; }, ms); }

    // A offers, B answers, A applies the answer; both connect. Returns offer→connected ms.
    double negotiate(Peer &a, Peer &b) {
        auto start = Clock::now();
        a.media->createOffer();
        EXPECT_TRUE(runUntil([&] { return a.descriptions > 0 || a.failed; }, 3000));
        double offerMs = msSince(start);
        b.media->acceptOffer(a.localSdp);
        EXPECT_TRUE(runUntil([&] { return b.descriptions > 0 || b.failed; }, 3000));
        double answerMs = msSince(start);
        a.media->acceptAnswer(b.localSdp);
        EXPECT_TRUE(runUntil([&] { return (a.connected && b.connected) || a.failed || b.failed; }, 5000))
            << "offer:\n" << a.localSdp << "answer:\n" << b.localSdp;
        EXPECT_FALSE(a.failed) << a.errorDetail;
        EXPECT_FALSE(b.failed) << b.errorDetail;
        if (getenv("SIPW_TEST_VERBOSE") || firstNegotiation_)
            printf("[ timing   ] offer %.1f ms, answer %.1f ms, connected A %.1f B %.1f ms\n", offerMs,
                   answerMs,
                   std::chrono::duration<double, std::milli>(a.connectedAt - start).count(),
                   std::chrono::duration<double, std::milli>(b.connectedAt - start).count());
        firstNegotiation_ = false;
        return std::chrono::duration<double, std::milli>(std::max(a.connectedAt, b.connectedAt) - start).count();
    }

    // Threads a call end brings beyond what the process already runs: `calls` calls of `profile`
    // (a tone one way, silence the other, null outputs), after one call that starts the shared
    // threads and loads the plugins.
    double threadsPerCallEnd(MediaProfile profile, int calls,
                             WebRtcTransportKind transport = WebRtcTransportKind::Webrtcbin) {
        auto options = [transport](const std::string &input, const std::string &output, MediaProfile profile) {
            MediaOptions o = MediaTest::options(input, output, profile);
            o.webrtcTransport = transport;
            return o;
        };
        auto warmUp = makePeer(options("tone:1000", "null", profile));
        auto warmUpPeer = makePeer(options("silence", "null", profile));
        negotiate(*warmUp, *warmUpPeer);
        // Counted by id: threads of earlier tests that end meanwhile (pipelines closing in the
        // background) do not make up for new ones.
        std::set<std::string> before = threadsOfCalls();
        std::vector<std::unique_ptr<Peer>> peers;
        for (int i = 0; i < calls; ++i) {
            peers.push_back(makePeer(options("tone:1000", "null", profile)));
            peers.push_back(makePeer(options("silence", "null", profile)));
            negotiate(*peers[peers.size() - 2], *peers.back());
        }
        runFor(500);
        int added = 0;
        for (const std::string &id : threadsOfCalls()) {
            if (before.count(id)) continue;
            ++added;
            if (getenv("SIPW_TEST_VERBOSE")) {
                char name[32] = "";
                if (FILE *f = fopen(("/proc/self/task/" + id + "/comm").c_str(), "r")) {
                    if (!fgets(name, sizeof name, f)) name[0] = 0;
                    fclose(f);
                }
                printf("[ thread   ] %s %s", id.c_str(), name);
            }
        }
        double perEnd = double(added) / (2 * calls);
        for (auto &peer : peers) EXPECT_FALSE(peer->failed) << peer->errorDetail;
        for (auto &peer : peers) peer->media->close();
        warmUp->media->close();
        warmUpPeer->media->close();
        return perEnd;
    }

    GMainContext *context_ = nullptr;
    static bool firstNegotiation_;  // the process's first call: print its timing
    // What options() asks to carry the webrtc profile: the library's default, unless a test of
    // both transports says otherwise.
    static WebRtcTransportKind webrtcTransport_;
};
inline bool MediaTest::firstNegotiation_ = true;
inline WebRtcTransportKind MediaTest::webrtcTransport_ = MediaOptions{}.webrtcTransport;

// The recording is valid, lasts as long as the call (±15 %) and carries `hz` (±2 %).
inline void expectRecording(const std::string &path, double callSeconds, double hz) {
    test::Wav wav;
    std::string error;
    ASSERT_TRUE(test::readWav(path, wav, error)) << path << ": " << error;
    EXPECT_EQ(wav.sampleRate, 48000);
    EXPECT_NEAR(wav.durationSeconds(), callSeconds, callSeconds * 0.15) << path;
    // Skip setup (before media flows) and measure ≥ 2 s of the call.
    size_t begin = size_t(0.8 * wav.sampleRate);
    size_t end = begin + size_t(2 * wav.sampleRate);
    ASSERT_LT(end, wav.samples.size()) << "recording too short";
    double measured = test::dominantFrequency(wav, begin, end);
    printf("[ measure  ] %s: %.1f Hz (expected %.0f), %.2f s for a %.2f s call\n", path.c_str(),
           measured, hz, wav.durationSeconds(), callSeconds);
    EXPECT_NEAR(measured, hz, hz * 0.02) << path;
}

// The dominant frequency of the recording at `path` in [fromEnd + 1.5 s, fromEnd] seconds before
// its end (what was heard last), 0 if unreadable.
inline double lastHeardFrequency(const std::string &path, double seconds = 1.5) {
    test::Wav wav;
    std::string error;
    EXPECT_TRUE(test::readWav(path, wav, error)) << path << ": " << error;
    size_t window = size_t(seconds * wav.sampleRate);
    if (wav.samples.size() < window + size_t(wav.sampleRate / 5)) return 0;
    size_t end = wav.samples.size() - size_t(wav.sampleRate / 10);  // the last 100 ms may be the close
    return test::dominantFrequency(wav, end - window, end);
}

// `sdp` with every `from` replaced by `to`.
inline std::string replaced(std::string sdp, const std::string &from, const std::string &to) {
    for (auto p = sdp.find(from); p != std::string::npos; p = sdp.find(from, p + to.size())) sdp.replace(p, from.size(), to);
    return sdp;
}

// The port of the m=audio line.
inline int audioPort(const std::string &sdp) {
    auto m = sdp.find("m=audio ");
    return m == std::string::npos ? 0 : std::atoi(sdp.c_str() + m + 8);
}

inline std::string receivedTones(const Peer &p) {
    std::string out;
    for (const auto &[tone, ms] : p.dtmf) out += tone;
    return out;
}


}  // namespace sipw_media_test
