// The media helpers: PLAY / PLAY_STOP to the local output, CALL_PLAY / CALL_PLAY_STOP
// into a call, RECORD / RECORD_STOP of a call. Everything goes to `file:` outputs and is measured.
#include "audio_analysis.hpp"
#include "call_helpers.hpp"
#include "script_server.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

using namespace sipw_test;

namespace {

sipw::test::Wav readRecording(const std::string &path) {
    sipw::test::Wav wav;
    std::string error;
    EXPECT_TRUE(sipw::test::readWav(path, wav, error)) << path << ": " << error;
    return wav;
}

// The event on `channel` whose data.playId is `id` (waiting up to timeoutMs).
Json playEvent(TestWorker &w, const std::string &channel, const std::string &id, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        for (const auto &ev : w.history())
            if (ev.value("_channel", "") == channel && ev.contains("data") && ev["data"].value("playId", "") == id)
                return ev;
        if (Clock::now() >= deadline) return nullptr;
        w.waitFor(channel, 100);
    }
}

}  // namespace

// PLAY needs no SIP server: a worker without INIT plays.
TEST(Play, FileToAFileOutputInRealTimeAtItsFrequency) {
    std::string tone = writeToneWav("play_src", 660, 1.5), out = tempWav("play_out");
    TestWorker w;
    auto t0 = Clock::now();
    ASSERT_EQ(w.post("PLAY", {{"file", tone}, {"output", "file:" + out}, {"playId", "ring"}}), 0) << sipw_last_error();
    Json started = playEvent(w, "playStarted", "ring", 3000);
    ASSERT_FALSE(started.is_null());
    EXPECT_EQ(started["data"]["file"], tone);
    EXPECT_FALSE(started.value("msgCN", "").empty());
    Json ended = playEvent(w, "playEnded", "ring", 5000);
    ASSERT_FALSE(ended.is_null());
    EXPECT_EQ(ended["data"]["reason"], "finished") << ended.dump();
    double seconds = secondsSince(t0);
    EXPECT_GE(seconds, 1.4);  // paced in real time, not decoded at once
    EXPECT_LT(seconds, 3.0);
    auto wav = readRecording(out);
    EXPECT_EQ(wav.sampleRate, 48000);
    EXPECT_NEAR(wav.durationSeconds(), 1.5, 0.3);
    EXPECT_NEAR(sipw::test::dominantFrequency(wav, 0, wav.samples.size()), 660, 660 * 0.02);
    // Stopping an ended playback: it is gone.
    expectError(w.post("PLAY_STOP", {{"playId", "ring"}}), -3, "ring");
    std::remove(tone.c_str());
    std::remove(out.c_str());
}

TEST(Play, LoopRepeatsUntilStoppedAndTheWavIsComplete) {
    std::string tone = writeToneWav("loop_src", 440, 0.5), out = tempWav("loop_out");
    TestWorker w;
    ASSERT_EQ(w.post("PLAY", {{"file", tone}, {"output", "file:" + out}, {"loop", true}}), 0) << sipw_last_error();
    Json started = w.waitFor("playStarted", 3000);
    ASSERT_FALSE(started.is_null());
    std::string id = started["data"]["playId"];  // generated
    EXPECT_FALSE(id.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    EXPECT_TRUE(playEvent(w, "playEnded", id, 0).is_null()) << "a looping playback ended by itself";
    ASSERT_EQ(w.post("PLAY_STOP", {{"playId", id}}), 0) << sipw_last_error();
    Json ended = playEvent(w, "playEnded", id, 3000);
    ASSERT_FALSE(ended.is_null());
    EXPECT_EQ(ended["data"]["reason"], "stopped");
    auto wav = readRecording(out);
    EXPECT_NEAR(wav.durationSeconds(), 2.0, 0.4);
    // The tone is there in every 100 ms after the first round (≥ 3 rounds of 0.5 s).
    auto levels = sipw::test::windowLevels(wav, 100);
    int loud = 0;
    for (size_t i = 1; i + 1 < levels.size(); ++i) loud += levels[i] > 0.1;
    EXPECT_GE(loud, int(levels.size()) - 4) << "gaps between rounds";
    EXPECT_NEAR(sipw::test::dominantFrequency(wav, 0, wav.samples.size()), 440, 440 * 0.02);
    std::remove(tone.c_str());
    std::remove(out.c_str());
}

TEST(Play, DestroyingTheWorkerFinalizesThePlayback) {
    std::string tone = writeToneWav("destroy_src", 500, 0.4), out = tempWav("destroy_out");
    {
        TestWorker w;
        ASSERT_EQ(w.post("PLAY", {{"file", tone}, {"output", "file:" + out}, {"loop", true}, {"playId", "p"}}), 0);
        ASSERT_FALSE(playEvent(w, "playStarted", "p", 3000).is_null());
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
    }
    auto wav = readRecording(out);
    EXPECT_GT(wav.durationSeconds(), 0.4);
    std::remove(tone.c_str());
    std::remove(out.c_str());
}

// PLAY of an http:// URL served on loopback. With the server holding its answer back 800 ms the
// file still plays whole: it starts when its first buffer is decoded, not when it was linked
// (the mixer has mixed silence meanwhile and would drop the start). A missing URL ends in error.
TEST(Play, HttpUrlPlaysWholeAlsoFromASlowServer) {
    namespace fs = std::filesystem;
    std::string tone = writeToneWav("http_src", 660, 1.5);
    std::string dir = fs::path(tone).parent_path().string(), name = fs::path(tone).filename().string();
    for (int delayMs : {0, 800}) {
        SCOPED_TRACE("server delay " + std::to_string(delayMs) + " ms");
        sipw::test::ScriptServer server("http_file_server.py", {"--dir", dir, "--delay-ms", std::to_string(delayMs)});
        ASSERT_NE(server.port(), 0);
        std::string base = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
        std::string out = tempWav("http_out");
        TestWorker w;
        auto t0 = Clock::now();
        ASSERT_EQ(w.post("PLAY", {{"file", base + name}, {"output", "file:" + out}, {"playId", "url"}}), 0)
            << sipw_last_error();
        ASSERT_FALSE(playEvent(w, "playStarted", "url", 3000).is_null());
        Json ended = playEvent(w, "playEnded", "url", 8000);
        ASSERT_FALSE(ended.is_null());
        EXPECT_EQ(ended["data"]["reason"], "finished") << ended.dump();
        EXPECT_GE(secondsSince(t0), delayMs / 1000.0 + 1.4);
        auto wav = readRecording(out);
        auto levels = sipw::test::windowLevels(wav, 100);
        size_t loud = 0, first = levels.size();
        for (size_t i = 0; i < levels.size(); ++i)
            if (levels[i] > 0.05) loud++, first = std::min(first, i);
        EXPECT_GE(loud, 14u) << "the tone lasts 1.5 s; heard " << loud * 100 << " ms";
        EXPECT_LE(loud, 16u);
        if (first < levels.size())
            EXPECT_NEAR(sipw::test::dominantFrequency(wav, first * wav.sampleRate / 10, wav.samples.size()), 660, 13);
        std::remove(out.c_str());

        ASSERT_EQ(w.post("PLAY", {{"file", base + "missing.wav"}, {"output", "null"}, {"playId", "404"}}), 0);
        Json failed = playEvent(w, "playEnded", "404", 5000);
        ASSERT_FALSE(failed.is_null());
        EXPECT_EQ(failed["data"]["reason"], "error") << failed.dump();
        EXPECT_FALSE(failed["data"].value("detail", "").empty()) << failed.dump();
    }
    std::remove(tone.c_str());
}

TEST(Play, NullOutputAndBadInput) {
    std::string tone = writeToneWav("bad_src", 500, 0.3);
    TestWorker w;
    ASSERT_EQ(w.post("PLAY", {{"file", tone}, {"output", "null"}, {"playId", "n"}}), 0);
    Json ended = playEvent(w, "playEnded", "n", 3000);
    ASSERT_FALSE(ended.is_null());
    EXPECT_EQ(ended["data"]["reason"], "finished");
    // A file that is not audio: accepted (it exists), then ends with reason "error".
    std::string notAudio = tempWav("not_audio");
    FILE *f = fopen(notAudio.c_str(), "w");
    fputs("this is not audio", f);
    fclose(f);
    ASSERT_EQ(w.post("PLAY", {{"file", notAudio}, {"output", "null"}, {"playId", "bad"}}), 0);
    Json failed = playEvent(w, "playEnded", "bad", 3000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["data"]["reason"], "error") << failed.dump();
    EXPECT_FALSE(failed["data"].value("detail", "").empty());

    expectError(w.post("PLAY", Json::object()), -1, "file");
    expectError(w.post("PLAY", {{"file", ""}}), -1, "file");
    expectError(w.post("PLAY", {{"file", 7}}), -1, "file");
    expectError(w.post("PLAY", {{"file", "/no/such/file.wav"}}), -1, "/no/such/file.wav");
    expectError(w.post("PLAY", {{"file", tone}, {"output", "speaker"}}), -1, "output");
    expectError(w.post("PLAY", {{"file", tone}, {"output", 1}}), -1, "output");
    expectError(w.post("PLAY", {{"file", tone}, {"loop", "yes"}}), -1, "loop");
    expectError(w.post("PLAY", {{"file", tone}, {"playId", ""}}), -1, "playId");
    expectError(w.post("PLAY", "[]"), -1, "PLAY");
    ASSERT_EQ(w.post("PLAY", {{"file", tone}, {"output", "null"}, {"playId", "twice"}, {"loop", true}}), 0);
    ASSERT_FALSE(playEvent(w, "playStarted", "twice", 3000).is_null());
    expectError(w.post("PLAY", {{"file", tone}, {"output", "null"}, {"playId", "twice"}}), -1, "twice");
    expectError(w.post("PLAY_STOP", Json::object()), -1, "playId");
    expectError(w.post("PLAY_STOP", {{"playId", "nobody"}}), -3, "nobody");
    EXPECT_EQ(w.post("PLAY_STOP", {{"playId", "twice"}}), 0);
    Json stopped = playEvent(w, "playEnded", "twice", 3000);
    ASSERT_FALSE(stopped.is_null());
    EXPECT_EQ(stopped["data"]["reason"], "stopped");
    std::remove(tone.c_str());
    std::remove(notAudio.c_str());
}

namespace {

double frequencyBetween(const sipw::test::Wav &wav, double from, double to, double minHz = 50, double maxHz = 4000) {
    size_t begin = size_t(std::max(0.0, from) * wav.sampleRate);
    size_t end = std::min(wav.samples.size(), size_t(to * wav.sampleRate));
    if (end <= begin + 1000) {
        ADD_FAILURE() << "recording too short for [" << from << ", " << to << "] s: " << wav.durationSeconds() << " s";
        return 0;
    }
    return sipw::test::dominantFrequency(wav, begin, end, minHz, maxHz);
}

}  // namespace

// Two workers in a call: A sends a 1000 Hz tone, B 440 Hz; both discard what they hear.
class CallMedia : public SippCalls {
protected:
    void connect(const std::string &a, const std::string &b) {
        a_ = &phone(a);
        b_ = &phone(b);
        ASSERT_EQ(a_->w.post("CALL", {{"target", b}, {"sessionId", "media-call"},
                                      {"options", {{"audio", {{"input", "tone:1000"}, {"output", "null"}}}}}}), 0);
        Json incoming = waitSession(b_->w, "newRTCSession");
        ASSERT_FALSE(incoming.is_null());
        bSid_ = incoming["sessionId"];
        ASSERT_EQ(b_->w.post("ANSWER", {{"sessionId", bSid_}, {"options", {{"audio", {{"input", "tone:440"}, {"output", "null"}}}}}}), 0);
        ASSERT_FALSE(waitSession(a_->w, "session_confirmed", "media-call").is_null());
        ASSERT_TRUE(infoBecomes(a_->w, "media-call", "mediaConnected", true));
        ASSERT_TRUE(infoBecomes(b_->w, bSid_, "mediaConnected", true));
    }
    void hangUp() {
        ASSERT_EQ(a_->w.post("HANGUP", {{"sessionId", "media-call"}}), 0);
        EXPECT_FALSE(waitSession(b_->w, "session_ended", bSid_).is_null());
    }
    Phone *a_ = nullptr;
    Phone *b_ = nullptr;
    std::string bSid_;
};

TEST_F(CallMedia, FilePlayedIntoTheCallIsHeardAtThePeerThenTheInputReturns) {
    connect("3311", "3312");
    std::string prompt = writeToneWav("prompt", 660, 2.0);
    std::string heardByB = tempWav("heard_b"), sentByA = tempWav("sent_a");
    auto t0 = Clock::now();
    ASSERT_EQ(b_->w.post("RECORD", {{"sessionId", bSid_}, {"file", heardByB}, {"what", "received"}}), 0) << sipw_last_error();
    ASSERT_EQ(a_->w.post("RECORD", {{"sessionId", "media-call"}, {"file", "file:" + sentByA}, {"what", "sent"}}), 0);
    ASSERT_TRUE(infoBecomes(b_->w, bSid_, "recording", true));
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    double playAt = secondsSince(t0);
    ASSERT_EQ(a_->w.post("CALL_PLAY", {{"sessionId", "media-call"}, {"file", prompt}}), 0) << sipw_last_error();
    Json started = waitSession(a_->w, "playStarted", "media-call", 3000);
    ASSERT_FALSE(started.is_null());
    Json ended = waitSession(a_->w, "playEnded", "media-call", 5000);
    ASSERT_FALSE(ended.is_null());
    EXPECT_EQ(ended["data"]["reason"], "finished");
    double endAt = secondsSince(t0);
    EXPECT_NEAR(endAt - playAt, 2.0, 0.5);
    EXPECT_EQ(sessionInfo(a_->w, "media-call").value("playingFile", true), false);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_EQ(b_->w.post("RECORD_STOP", {{"sessionId", bSid_}}), 0) << sipw_last_error();
    ASSERT_EQ(a_->w.post("RECORD_STOP", {{"sessionId", "media-call"}}), 0) << sipw_last_error();
    ASSERT_TRUE(infoBecomes(b_->w, bSid_, "recording", false));
    ASSERT_TRUE(infoBecomes(a_->w, "media-call", "recording", false));

    for (const std::string *path : {&heardByB, &sentByA}) {
        auto wav = readRecording(*path);
        double before = frequencyBetween(wav, 0.4, playAt - 0.1);
        double during = frequencyBetween(wav, playAt + 0.5, playAt + 1.5);
        double after = frequencyBetween(wav, endAt + 0.5, wav.durationSeconds() - 0.2);
        printf("[ measure  ] %s: %.1f Hz before, %.1f during the file, %.1f after (%.2f s)\n", path->c_str(), before,
               during, after, wav.durationSeconds());
        EXPECT_NEAR(before, 1000, 20) << *path;
        EXPECT_NEAR(during, 660, 13) << *path;
        EXPECT_NEAR(after, 1000, 20) << *path;
    }
    hangUp();
    if (!HasFailure()) for (auto *p : {&prompt, &heardByB, &sentByA}) std::remove(p->c_str());  // else kept to listen to
}

TEST_F(CallMedia, RecordBothMixesEachSideAndLoopedPlayStopsOnRequest) {
    connect("3313", "3314");
    std::string both = tempWav("both"), prompt = writeToneWav("loop_prompt", 300, 0.4);
    ASSERT_EQ(a_->w.post("RECORD", {{"sessionId", "media-call"}, {"file", both}, {"what", "both"}}), 0) << sipw_last_error();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_EQ(a_->w.post("RECORD_STOP", {{"sessionId", "media-call"}}), 0);
    ASSERT_TRUE(infoBecomes(a_->w, "media-call", "recording", false));
    auto wav = readRecording(both);
    EXPECT_NEAR(frequencyBetween(wav, 0.5, wav.durationSeconds(), 800, 1200), 1000, 20);  // sent
    EXPECT_NEAR(frequencyBetween(wav, 0.5, wav.durationSeconds(), 300, 600), 440, 9);     // received
    auto levels = sipw::test::windowLevels(wav, 100);
    EXPECT_GT(levels.size(), 12u);

    // A looping file plays until CALL_PLAY_STOP.
    ASSERT_EQ(a_->w.post("CALL_PLAY", {{"sessionId", "media-call"}, {"file", prompt}, {"loop", true}}), 0);
    ASSERT_FALSE(waitSession(a_->w, "playStarted", "media-call", 3000).is_null());
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    EXPECT_TRUE(waitSession(a_->w, "playEnded", "media-call", 0).is_null()) << "the loop ended by itself";
    ASSERT_EQ(a_->w.post("CALL_PLAY_STOP", {{"sessionId", "media-call"}}), 0) << sipw_last_error();
    Json ended = waitSession(a_->w, "playEnded", "media-call", 3000);
    ASSERT_FALSE(ended.is_null());
    EXPECT_EQ(ended["data"]["reason"], "stopped");
    hangUp();
    if (!HasFailure()) for (auto *p : {&both, &prompt}) std::remove(p->c_str());  // else kept to listen to
}

TEST_F(CallMedia, BadInputForTheCallHelpers) {
    Phone &p = phone("3315");
    std::string prompt = writeToneWav("bad_prompt", 500, 0.2), rec = tempWav("bad_rec");
    TestWorker &w = p.w;
    expectError(w.post("RECORD", {{"sessionId", "nobody"}, {"file", rec}}), -3, "nobody");
    expectError(w.post("CALL_PLAY", {{"sessionId", "nobody"}, {"file", prompt}}), -3, "nobody");
    ASSERT_EQ(w.post("CALL", {{"target", "3398"}, {"sessionId", "gone"}}), 0);
    ASSERT_FALSE(waitSession(w, "newRTCSession", "gone").is_null());
    expectError(w.post("RECORD", {{"sessionId", "gone"}}), -1, "file");
    expectError(w.post("RECORD", {{"sessionId", "gone"}, {"file", "/no/such/dir/x.wav"}}), -1, "file");
    expectError(w.post("RECORD", {{"sessionId", "gone"}, {"file", rec}, {"what", "all"}}), -1, "what");
    expectError(w.post("RECORD", {{"sessionId", "gone"}, {"file", rec}, {"what", 2}}), -1, "what");
    expectError(w.post("CALL_PLAY", {{"sessionId", "gone"}, {"file", "/no/such.wav"}}), -1, "/no/such.wav");
    expectError(w.post("CALL_PLAY", {{"sessionId", "gone"}, {"file", prompt}, {"loop", 1}}), -1, "loop");
    expectError(w.post("CALL_PLAY", {{"sessionId", "gone"}}), -1, "file");
    // Well-formed, but the call is not confirmed / nothing to stop.
    expectError(w.post("RECORD", {{"sessionId", "gone"}, {"file", rec}}), -2, "RECORD");
    expectError(w.post("CALL_PLAY", {{"sessionId", "gone"}, {"file", prompt}}), -2, "CALL_PLAY");
    expectError(w.post("RECORD_STOP", {{"sessionId", "gone"}}), -2, "recorded");
    expectError(w.post("CALL_PLAY_STOP", {{"sessionId", "gone"}}), -2, "file");
    EXPECT_FALSE(waitSession(w, "session_failed", "gone", 10000).is_null());
    std::remove(prompt.c_str());
}
