// Ticked sources: tones and silence pushed by one shared thread instead of a thread per source.
#include "media/ticked_source.hpp"

#include "media_fixture.hpp"

#include <unistd.h>

#include <cmath>

using namespace sipw;
using namespace sipw_media_test;

namespace {

std::string tempWavPath(const std::string &name) {
    return "/tmp/sipw_ticked_" + name + "_" + std::to_string(getpid()) + ".wav";
}

// source → volume → wavenc → filesink (no clock sync: the ticker must never wait downstream).
// Returns the wavenc, for finishRecording.
GstElement *addRecordedBranch(GstElement *pipeline, GstElement *source, bool muted, const std::string &path) {
    GstElement *volume = gst_element_factory_make("volume", nullptr);
    g_object_set(volume, "mute", muted, nullptr);
    GstElement *wavenc = gst_element_factory_make("wavenc", nullptr);
    GstElement *sink = gst_element_factory_make("filesink", nullptr);
    g_object_set(sink, "location", path.c_str(), "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(pipeline), source, volume, wavenc, sink, nullptr);
    EXPECT_TRUE(gst_element_link_many(source, volume, wavenc, sink, nullptr));
    return wavenc;
}

// EOS into the playing branch: wavenc writes the WAV header's sizes (the ticker's next push into
// it returns EOS, and nothing else changes for it).
void finishRecording(GstElement *wavenc) {
    GstPad *pad = gst_element_get_static_pad(wavenc, "sink");
    gst_pad_send_event(pad, gst_event_new_eos());
    gst_object_unref(pad);
}

}  // namespace

// Five sources, one thread: each plays its own tone in real time, and a muted one (the volume
// writes its silence over a copy) leaves the shared table of the same tone intact.
TEST_F(MediaTest, TickedSourcesShareOneThreadAndPlayInRealTime) {
    struct Branch {
        double hz;
        bool muted;
        std::string path;
    };
    std::vector<Branch> branches = {{440, false, tempWavPath("440")},   {440, true, tempWavPath("440_muted")},
                                    {660, false, tempWavPath("660")},   {1000, false, tempWavPath("1000")},
                                    {697.5, false, tempWavPath("697_5")}, {0, false, tempWavPath("silence")}};
    int threadsBefore = countEntries("/proc/self/task");
    GstElement *pipeline = gst_pipeline_new(nullptr);
    std::vector<GstElement *> encoders;
    for (const Branch &b : branches) encoders.push_back(addRecordedBranch(pipeline, makeTickedSource(b.hz), b.muted, b.path));
    // A live pipeline: PAUSED without waiting for a preroll buffer.
    EXPECT_EQ(gst_element_set_state(pipeline, GST_STATE_PAUSED), GST_STATE_CHANGE_NO_PREROLL);
    EXPECT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    runFor(1000);
    int threadsPlaying = countEntries("/proc/self/task");
    for (GstElement *encoder : encoders) finishRecording(encoder);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);

    // The ticker, started by the first source of the process (at most one more thread); five live
    // audiotestsrc elements would have brought five.
    EXPECT_LE(threadsPlaying - threadsBefore, 1);
    for (const Branch &b : branches) {
        test::Wav wav;
        std::string error;
        ASSERT_TRUE(test::readWav(b.path, wav, error)) << b.path << ": " << error;
        EXPECT_NEAR(wav.durationSeconds(), 1.0, 0.25) << b.path << ": paced in real time";
        auto levels = test::windowLevels(wav, 100);
        double loudest = 0;
        for (double level : levels) loudest = std::max(loudest, level);
        if (b.hz == 0 || b.muted) {
            EXPECT_LT(loudest, 0.001) << b.path;
        } else {
            EXPECT_GT(loudest, 0.3) << b.path;
            EXPECT_NEAR(test::dominantFrequency(wav, 0, wav.samples.size()), b.hz, b.hz * 0.02) << b.path;
            if (b.hz == std::round(b.hz)) {
                // A whole number of Hz comes from a table of whole periods, much shorter than the
                // recording: where it wraps, the sine goes on without a jump.
                double largestStep = 0;
                for (size_t i = 1; i < wav.samples.size(); ++i)
                    largestStep = std::max(largestStep, double(std::fabs(wav.samples[i] - wav.samples[i - 1])));
                EXPECT_LT(largestStep, 0.8 * 2 * M_PI * b.hz / wav.sampleRate * 1.05 + 2.0 / 32768) << b.path;
            }
        }
        std::remove(b.path.c_str());
    }
}

// Stopped and started again, and two pipelines at once: each source starts its stream anew and
// neither disturbs the other.
TEST_F(MediaTest, TickedSourcesComeAndGoIndependently) {
    std::string first = tempWavPath("first"), second = tempWavPath("second");
    GstElement *a = gst_pipeline_new(nullptr), *b = gst_pipeline_new(nullptr);
    GstElement *firstEncoder = addRecordedBranch(a, makeTickedSource(500), false, first);
    GstElement *secondEncoder = addRecordedBranch(b, makeTickedSource(800), false, second);
    gst_element_set_state(a, GST_STATE_PLAYING);
    runFor(300);
    gst_element_set_state(b, GST_STATE_PLAYING);
    runFor(300);
    finishRecording(firstEncoder);
    gst_element_set_state(a, GST_STATE_NULL);  // the other one goes on
    runFor(500);
    finishRecording(secondEncoder);
    gst_element_set_state(b, GST_STATE_NULL);
    gst_object_unref(a);
    gst_object_unref(b);
    for (auto [path, seconds, hz] : {std::tuple{first, 0.6, 500.0}, std::tuple{second, 0.8, 800.0}}) {
        test::Wav wav;
        std::string error;
        ASSERT_TRUE(test::readWav(path, wav, error)) << path << ": " << error;
        EXPECT_NEAR(wav.durationSeconds(), seconds, 0.2) << path;
        EXPECT_NEAR(test::dominantFrequency(wav, 0, wav.samples.size()), hz, hz * 0.02) << path;
        std::remove(path.c_str());
    }
}
