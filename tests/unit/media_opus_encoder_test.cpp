// The calls' single-stream Opus encoder: one packet per frame of the asked length, whatever the
// size of the buffers it is given, the last short piece padded rather than lost, and what it
// makes is Opus that GStreamer's opusdec decodes back to the tone that went in.
#include "media/opus_encoder.hpp"

#include "audio_analysis.hpp"
#include "media_fixture.hpp"

#include <unistd.h>

using namespace sipw;
using namespace sipw_media_test;

namespace {

struct Encoded {
    int packets = 0;
    int wrongDurations = 0;  // packets whose duration is not the frame's
    GstClockTime frame = 0;
};

GstPadProbeReturn countPacket(GstPad *, GstPadProbeInfo *info, gpointer encodedPtr) {
    auto *encoded = static_cast<Encoded *>(encodedPtr);
    ++encoded->packets;
    if (GST_BUFFER_DURATION(GST_PAD_PROBE_INFO_BUFFER(info)) != encoded->frame) ++encoded->wrongDurations;
    return GST_PAD_PROBE_OK;
}

// 200 buffers of 441 samples (not a whole number of frames) of a 1000 Hz tone, 48 kHz mono,
// through the encoder and opusdec into a WAV file; false if the pipeline did not reach its end.
bool encodeAndDecode(int complexity, int frameMs, const std::string &wavPath, Encoded &encoded) {
    GError *error = nullptr;
    gchar *description = g_strdup_printf(
        "audiotestsrc name=src num-buffers=200 samplesperbuffer=441 freq=1000 "
        "! audio/x-raw,format=S16LE,rate=48000,channels=1 ! identity name=in "
        "opusdec name=dec ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! wavenc "
        "! filesink location=%s",
        wavPath.c_str());
    GstElement *pipeline = gst_parse_launch(description, &error);
    g_free(description);
    EXPECT_EQ(error, nullptr) << (error ? error->message : "");
    g_clear_error(&error);
    if (!pipeline) return false;
    GstElement *encoder = makeOpusEncoder(complexity, frameMs);
    gst_bin_add(GST_BIN(pipeline), encoder);
    GstElement *in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
    GstElement *dec = gst_bin_get_by_name(GST_BIN(pipeline), "dec");
    EXPECT_TRUE(gst_element_link(in, encoder));
    EXPECT_TRUE(gst_element_link(encoder, dec));
    gst_object_unref(in);
    gst_object_unref(dec);
    encoded.frame = GstClockTime(frameMs) * GST_MSECOND;
    GstPad *out = gst_element_get_static_pad(encoder, "src");
    gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER, countPacket, &encoded, nullptr);
    gst_object_unref(out);

    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *message = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND,
                                                     GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    bool ended = message && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
    if (message && GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
        GError *failure = nullptr;
        gst_message_parse_error(message, &failure, nullptr);
        ADD_FAILURE() << failure->message;
        g_clear_error(&failure);
    }
    if (message) gst_message_unref(message);
    gst_object_unref(bus);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
    return ended;
}

}  // namespace

TEST_F(MediaTest, OpusEncoderMakesOnePacketPerFrameThatDecodesToTheTone) {
    constexpr int kSamples = 200 * 441;
    for (int frameMs : {20, 40}) {
        for (int complexity : {0, 5, 10}) {
            const std::string path = "/tmp/sipw_opus_encoder_" + std::to_string(frameMs) + "_" +
                                     std::to_string(complexity) + "_" + std::to_string(getpid()) + ".wav";
            Encoded encoded;
            ASSERT_TRUE(encodeAndDecode(complexity, frameMs, path, encoded)) << frameMs << " ms, " << complexity;
            const int frameSamples = 48 * frameMs;
            EXPECT_EQ(encoded.packets, (kSamples + frameSamples - 1) / frameSamples)
                << frameMs << " ms: one packet per frame, the last short one padded";
            EXPECT_EQ(encoded.wrongDurations, 0) << frameMs << " ms";
            test::Wav wav;
            std::string error;
            ASSERT_TRUE(test::readWav(path, wav, error)) << error;
            double hz = test::dominantFrequency(wav, wav.sampleRate / 10, wav.samples.size());
            printf("[ measure  ] %d ms frames, complexity %d: %d packets, %.2f s decoded, %.1f Hz\n", frameMs,
                   complexity, encoded.packets, wav.durationSeconds(), hz);
            EXPECT_NEAR(hz, 1000, 20) << path;
            EXPECT_NEAR(wav.durationSeconds(), double(kSamples) / 48000, 0.1) << path;
            unlink(path.c_str());
        }
    }
}
