// RECORD started mid-call: each recording holds the audio that flows at that time, and starting
// one never stops what it records (a branch that is not playing yet answers a tee's push with
// FLUSHING, which stops the tee's streaming thread for good).
#include "media/call_recorder.hpp"

#include "media_fixture.hpp"

#include <atomic>

using namespace sipw;
using namespace sipw_media_test;

namespace {

struct RecordingCheck {
    double seconds = 0, hz = 0;
    int loud = 0, windows = 0;
};

// Length, dominant frequency after the first 300 ms, and how many 100 ms windows after them are
// loud, of the WAV at `path`.
RecordingCheck checkRecording(const std::string &path) {
    RecordingCheck r;
    test::Wav wav;
    std::string error;
    EXPECT_TRUE(test::readWav(path, wav, error)) << path << ": " << error;
    r.seconds = wav.durationSeconds();
    auto levels = test::windowLevels(wav, 100);
    for (size_t i = 3; i + 1 < levels.size(); ++i) ++r.windows, r.loud += levels[i] > 0.05;
    if (wav.samples.size() > size_t(0.6 * wav.sampleRate))
        r.hz = test::dominantFrequency(wav, size_t(0.3 * wav.sampleRate), wav.samples.size());
    return r;
}

// A tee carrying a live 1000 Hz tone in 0.25 ms buffers (so a push is always close) to a fakesink,
// and recordings of it started and stopped while it plays: the tone must reach the fakesink all
// along and be in every recording.
TEST_F(MediaTest, RecorderStartedOnABusyTeeKeepsItFlowing) {
    GstElement *pipeline = gst_pipeline_new(nullptr);
    GstElement *src = gst_element_factory_make("audiotestsrc", nullptr);
    g_object_set(src, "is-live", TRUE, "freq", 1000.0, "samplesperbuffer", 12, nullptr);
    GstElement *caps = gst_element_factory_make("capsfilter", nullptr);
    GstCaps *raw = gst_caps_from_string("audio/x-raw,format=S16LE,rate=48000,channels=1");
    g_object_set(caps, "caps", raw, nullptr);
    gst_caps_unref(raw);
    GstElement *tee = gst_element_factory_make("tee", nullptr);
    g_object_set(tee, "allow-not-linked", TRUE, nullptr);
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(pipeline), src, caps, tee, sink, nullptr);
    ASSERT_TRUE(gst_element_link_many(src, caps, tee, sink, nullptr));
    std::atomic<int> flowed{0};
    GstPad *sinkPad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(sinkPad, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer n) {
        ++*static_cast<std::atomic<int> *>(n);
        return GST_PAD_PROBE_OK;
    }, &flowed, nullptr);
    gst_object_unref(sinkPad);
    ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    runFor(300);

    CallRecorder recorder;
    constexpr int kRounds = 10;
    int complete = 0;
    for (int round = 0; round < kRounds; ++round) {
        const std::string path = "/tmp/sipw_media_recorder_" + std::to_string(round) + ".wav";
        std::string error;
        ASSERT_TRUE(recorder.start(pipeline, {tee}, 100 * GST_MSECOND, path, error)) << error;
        int before = flowed;
        runFor(800);
        int during = flowed - before;
        recorder.stop();
        RecordingCheck r = checkRecording(path);
        printf("[ measure  ] round %d: %d buffers passed while recording, %.2f s, %d of %d windows loud, %.1f Hz\n",
               round, during, r.seconds, r.loud, r.windows, r.hz);
        // 800 ms of 0.25 ms buffers: 3200; the tee must not have stopped.
        EXPECT_GT(during, 2000) << "round " << round << ": starting the recorder stopped the tee";
        EXPECT_NEAR(r.seconds, 0.8, 0.25) << path;
        EXPECT_GE(r.loud, r.windows - 1) << path;
        EXPECT_NEAR(r.hz, 1000, 20) << path;
        complete += during > 2000 && r.loud >= r.windows - 1 && r.windows >= 3;
    }
    EXPECT_EQ(complete, kRounds);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
}

// The same through a call whose output is `null` (no mixer of its own): rounds of RECORD of the
// received audio, each with the peer's tone (before the fix: pure silence or empty files, more
// often the busier the machine, and the callee heard nothing more). Between the rounds the
// decoders are parked (stopped, their state freed), and each recording wakes them.
TEST_F(MediaTest, RecordMidCallWithNullOutputHasTheTone) {
    auto a = makePeer(options("tone:1000", "null"));
    auto b = makePeer(options("tone:440", "null"));
    negotiate(*a, *b);
    runFor(500);
    constexpr int kRounds = 4;
    for (int round = 0; round < kRounds; ++round) {
        const std::string path = "/tmp/sipw_media_record_null_" + std::to_string(round) + ".wav";
        std::string error;
        ASSERT_TRUE(b->media->startRecording(path, MediaSession::RecordWhat::Received, error)) << error;
        runFor(1200);
        b->media->stopRecording();
        runFor(200);
        RecordingCheck r = checkRecording(path);
        printf("[ measure  ] round %d: %.2f s, %d of %d windows loud, %.1f Hz\n", round, r.seconds, r.loud, r.windows,
               r.hz);
        EXPECT_NEAR(r.seconds, 1.2, 0.4) << path;
        // Most of it: a loaded machine may lose a window or two, never the whole recording.
        EXPECT_GE(r.loud, r.windows / 2) << path << ": silent although audio flows";
        EXPECT_NEAR(r.hz, 1000, 20) << path;
    }
    EXPECT_FALSE(a->failed) << a->errorDetail;
    EXPECT_FALSE(b->failed) << b->errorDetail;
    a->media->close();
    b->media->close();
}

}  // namespace
