#include "media/opus_encoder.hpp"

#include <gst/audio/audio.h>
#include <opus/opus.h>

#include <cstring>
#include <vector>

struct SipwOpusEncoder {
    GstAudioEncoder parent;
    int complexity;
    int frameMs;
    OpusEncoder *encoder;  // owned; made by set_format, freed by stop
    int channels;
    int frameSamples;      // per channel
};

struct SipwOpusEncoderClass {
    GstAudioEncoderClass parent_class;
};

G_DEFINE_TYPE(SipwOpusEncoder, sipw_opus_encoder, GST_TYPE_AUDIO_ENCODER)

namespace sipw {
namespace {

constexpr opus_int32 kBitrate = 64000;
constexpr int kMaxPacketBytes = 4000;  // what an RTP packet of ours could never exceed anyway

#define SIPW_OPUS_RATES "(int){ 48000, 24000, 16000, 12000, 8000 }"

GstStaticPadTemplate sinkTemplate = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=(string)" GST_AUDIO_NE(S16) ", layout=(string)interleaved, "
                    "rate=" SIPW_OPUS_RATES ", channels=(int)[ 1, 2 ]"));
GstStaticPadTemplate srcTemplate = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-opus, rate=" SIPW_OPUS_RATES ", channels=(int)[ 1, 2 ], "
                    "channel-mapping-family=(int)0"));

SipwOpusEncoder *asEncoder(gpointer object) { return reinterpret_cast<SipwOpusEncoder *>(object); }

void destroyEncoder(SipwOpusEncoder *self) {
    if (self->encoder) opus_encoder_destroy(self->encoder);
    self->encoder = nullptr;
}

gboolean stop(GstAudioEncoder *base) {
    destroyEncoder(asEncoder(base));
    return TRUE;
}

gboolean setFormat(GstAudioEncoder *base, GstAudioInfo *info) {
    SipwOpusEncoder *self = asEncoder(base);
    destroyEncoder(self);
    const int rate = GST_AUDIO_INFO_RATE(info), channels = GST_AUDIO_INFO_CHANNELS(info);
    int error = OPUS_OK;
    self->encoder = opus_encoder_create(rate, channels, OPUS_APPLICATION_AUDIO, &error);
    if (!self->encoder) {
        GST_ELEMENT_ERROR(base, LIBRARY, INIT, (nullptr), ("opus_encoder_create: %s", opus_strerror(error)));
        return FALSE;
    }
    opus_encoder_ctl(self->encoder, OPUS_SET_COMPLEXITY(self->complexity));
    opus_encoder_ctl(self->encoder, OPUS_SET_BITRATE(kBitrate));
    opus_encoder_ctl(self->encoder, OPUS_SET_VBR(1));
    opus_encoder_ctl(self->encoder, OPUS_SET_VBR_CONSTRAINT(1));
    opus_encoder_ctl(self->encoder, OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_FULLBAND));
    self->channels = channels;
    // 2.5 ms frames (a fraction of a millisecond) are not offered: frameMs is whole.
    self->frameSamples = rate * self->frameMs / 1000;

    GstCaps *caps = gst_caps_new_simple("audio/x-opus", "rate", G_TYPE_INT, rate, "channels", G_TYPE_INT, channels,
                                        "channel-mapping-family", G_TYPE_INT, 0, nullptr);
    gboolean set = gst_audio_encoder_set_output_format(base, caps);
    gst_caps_unref(caps);
    // Exactly one frame per call: what is left at the end is padded (handleFrame).
    gst_audio_encoder_set_frame_samples_min(base, self->frameSamples);
    gst_audio_encoder_set_frame_samples_max(base, self->frameSamples);
    gst_audio_encoder_set_frame_max(base, 1);
    GstClockTime frame = gst_util_uint64_scale_int(self->frameSamples, GST_SECOND, rate);
    gst_audio_encoder_set_latency(base, frame, frame);
    return set;
}

GstFlowReturn handleFrame(GstAudioEncoder *base, GstBuffer *input) {
    SipwOpusEncoder *self = asEncoder(base);
    if (!input) return GST_FLOW_OK;  // draining: nothing is held back
    if (!self->encoder) return GST_FLOW_NOT_NEGOTIATED;
    GstMapInfo map;
    if (!gst_buffer_map(input, &map, GST_MAP_READ)) return GST_FLOW_ERROR;
    const size_t frameBytes = size_t(self->frameSamples) * self->channels * sizeof(opus_int16);
    const auto *pcm = reinterpret_cast<const opus_int16 *>(map.data);
    std::vector<opus_int16> padded;
    if (map.size < frameBytes) {  // the last, short piece of a stream: completed with silence
        padded.assign(frameBytes / sizeof(opus_int16), 0);
        memcpy(padded.data(), map.data, map.size);
        pcm = padded.data();
    }
    unsigned char packet[kMaxPacketBytes];
    opus_int32 bytes = opus_encode(self->encoder, pcm, self->frameSamples, packet, sizeof packet);
    gst_buffer_unmap(input, &map);
    if (bytes < 0) {
        GST_ELEMENT_ERROR(base, STREAM, ENCODE, (nullptr), ("opus_encode: %s", opus_strerror(bytes)));
        return GST_FLOW_ERROR;
    }
    GstBuffer *output = gst_audio_encoder_allocate_output_buffer(base, bytes);
    gst_buffer_fill(output, 0, packet, bytes);
    return gst_audio_encoder_finish_frame(base, output, self->frameSamples);
}

}  // namespace

GstElement *makeOpusEncoder(int complexity, int frameMs) {
    SipwOpusEncoder *self = asEncoder(g_object_new(sipw_opus_encoder_get_type(), nullptr));
    self->complexity = CLAMP(complexity, 0, 10);
    self->frameMs = frameMs == 5 || frameMs == 10 || frameMs == 40 || frameMs == 60 ? frameMs : 20;
    return GST_ELEMENT(self);  // floating
}

}  // namespace sipw

static void sipw_opus_encoder_init(SipwOpusEncoder *self) {
    self->complexity = 5;
    self->frameMs = 20;
    self->encoder = nullptr;
    self->channels = 1;
    self->frameSamples = 960;
}

static void sipw_opus_encoder_finalize(GObject *object) {
    sipw::destroyEncoder(sipw::asEncoder(object));
    G_OBJECT_CLASS(sipw_opus_encoder_parent_class)->finalize(object);
}

static void sipw_opus_encoder_class_init(SipwOpusEncoderClass *klass) {
    G_OBJECT_CLASS(klass)->finalize = sipw_opus_encoder_finalize;
    auto *element = GST_ELEMENT_CLASS(klass);
    gst_element_class_add_static_pad_template(element, &sipw::sinkTemplate);
    gst_element_class_add_static_pad_template(element, &sipw::srcTemplate);
    gst_element_class_set_static_metadata(element, "Single-stream Opus encoder", "Codec/Encoder/Audio",
                                          "Opus through libopus's single-stream API", "sipworker");
    auto *encoder = GST_AUDIO_ENCODER_CLASS(klass);
    encoder->stop = sipw::stop;
    encoder->set_format = sipw::setFormat;
    encoder->handle_frame = sipw::handleFrame;
}
