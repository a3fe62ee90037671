#include "media/audio_codecs.hpp"

#include "media/audio_bins.hpp"
#include "media/opus_encoder.hpp"

#include <algorithm>
#include <strings.h>

namespace sipw {
namespace {

constexpr CodecSpec kCodecs[] = {
    {AudioCodec::Opus, "opus", "OPUS", 111, 48000, 2, 48000, nullptr, "rtpopuspay", "rtpopusdepay", "opusdec"},
    {AudioCodec::G722, "G722", "G722", 9, 8000, 1, 16000, "avenc_g722", "rtpg722pay", "rtpg722depay", "avdec_g722"},
    {AudioCodec::Pcmu, "PCMU", "PCMU", 0, 8000, 1, 8000, "mulawenc", "rtppcmupay", "rtppcmudepay", "mulawdec"},
    {AudioCodec::Pcma, "PCMA", "PCMA", 8, 8000, 1, 8000, "alawenc", "rtppcmapay", "rtppcmadepay", "alawdec"},
};

const char *encodingName(const GstCaps *caps) {
    if (!caps || gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return nullptr;
    return gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name");
}

GstElement *rawCapsFilter(int rate, bool withFormat, std::string &error) {
    GstElement *filter = makeElement("capsfilter", error);
    if (!filter) return nullptr;
    GstCaps *caps = gst_caps_new_simple("audio/x-raw", "channels", G_TYPE_INT, 1, nullptr);
    if (rate) gst_caps_set_simple(caps, "rate", G_TYPE_INT, rate, nullptr);
    if (withFormat) gst_caps_set_simple(caps, "format", G_TYPE_STRING, "S16LE", nullptr);
    g_object_set(filter, "caps", caps, nullptr);
    gst_caps_unref(caps);
    return filter;
}

}  // namespace

const CodecSpec &codecSpec(AudioCodec codec) {
    for (const CodecSpec &spec : kCodecs)
        if (spec.codec == codec) return spec;
    return kCodecs[0];
}

const CodecSpec *codecOfCaps(const GstCaps *caps) {
    const char *name = encodingName(caps);
    if (!name) return nullptr;
    for (const CodecSpec &spec : kCodecs)
        if (strcasecmp(name, spec.capsName) == 0) return &spec;
    return nullptr;
}

bool isTelephoneEventCaps(const GstCaps *caps) {
    const char *name = encodingName(caps);
    return name && strcasecmp(name, "TELEPHONE-EVENT") == 0;
}

GstCaps *rtpCaps(const CodecSpec &spec, int payloadType) {
    GstCaps *caps = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name",
                                        G_TYPE_STRING, spec.capsName, "clock-rate", G_TYPE_INT, spec.clockRate,
                                        "payload", G_TYPE_INT, payloadType, nullptr);
    if (spec.codec == AudioCodec::Opus) {
        // minptime/useinbandfec become the a=fmtp line, as browsers write it.
        gst_caps_set_simple(caps, "encoding-params", G_TYPE_STRING, "2", "minptime", G_TYPE_STRING, "10",
                            "useinbandfec", G_TYPE_STRING, "1", nullptr);
    }
    return caps;
}

int telephoneEventPayloadType(int clockRate) { return clockRate == 48000 ? 110 : 101; }

std::vector<int> clockRatesOf(const std::vector<AudioCodec> &codecs) {
    std::vector<int> rates;
    for (AudioCodec codec : codecs) {
        int rate = codecSpec(codec).clockRate;
        if (std::find(rates.begin(), rates.end(), rate) == rates.end()) rates.push_back(rate);
    }
    return rates;
}

GstCaps *telephoneEventCaps(int payloadType, int clockRate) {
    return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name", G_TYPE_STRING,
                               "TELEPHONE-EVENT", "clock-rate", G_TYPE_INT, clockRate, "payload", G_TYPE_INT,
                               payloadType, nullptr);
}

// Between the call's rate and a codec's: plain telephony needs no more than a short filter, and a
// resampler is a large share of a G.711 call's CPU (quality 4, GStreamer's default, cost twice as
// much for no audible difference at 8 kHz).
GstElement *makeResampler(std::string &error) {
    GstElement *resample = makeElement("audioresample", error);
    if (resample) g_object_set(resample, "quality", 2, nullptr);
    return resample;
}

GstElement *makeEncoderBin(const CodecSpec &spec, int payloadType, int ptimeMs, int opusComplexity,
                           std::string &error) {
    // Opus: complexity 10 (libopus's default) makes encoding most of a call's CPU; 5 keeps voice
    // quality and halves it (measured with bench/call_bench).
    GstElement *encoder = spec.encoder ? makeElement(spec.encoder, error) : makeOpusEncoder(opusComplexity, ptimeMs);
    GstElement *payloader = makeElement(spec.payloader, error);
    if (payloader) g_object_set(payloader, "pt", guint(payloadType), nullptr);
    if (spec.codec != AudioCodec::Opus && payloader) {
        // The audio payloaders pack whole input buffers unless told the packet time (measured:
        // 100 ms buffers gave 800-byte G.711 packets). No minimum up to 20 ms: the resampler's
        // first buffer is a few samples short of 20 ms, and waiting for a second one delayed the
        // first packet by 20 ms; the source's buffers are 20 ms, so the packets are too. Longer
        // packets gather several buffers: then the minimum is the packet time.
        gint64 ptime = gint64(guint64(ptimeMs) * GST_MSECOND);
        g_object_set(payloader, "max-ptime", ptime, nullptr);
        if (ptimeMs > 20) g_object_set(payloader, "min-ptime", ptime, nullptr);
    }
    // The call's audio is already S16LE mono (the send path's caps): only the rate may change.
    if (spec.sampleRate == kAudioRate) return chainBin({encoder, payloader}, error);
    return chainBin({makeResampler(error), rawCapsFilter(spec.sampleRate, true, error), encoder, payloader}, error);
}

GstElement *makeDecoderBin(const CodecSpec &spec, std::string &error) {
    GstElement *decoder = makeElement(spec.decoder, error);
    if (spec.codec == AudioCodec::Opus) {
        // Opus packet loss concealment, where a lost packet would otherwise be a gap; mono right
        // after the decoder: the SDP says opus/48000/2, but a call is mono, and the decoder then
        // decodes one channel (half the work).
        if (decoder) g_object_set(decoder, "plc", TRUE, nullptr);
        return chainBin({makeElement(spec.depayloader, error), decoder, rawCapsFilter(kAudioRate, true, error)}, error);
    }
    // The decoders give S16LE mono: only the rate changes.
    return chainBin({makeElement(spec.depayloader, error), decoder, makeResampler(error), rawCapsFilter(kAudioRate, true, error)},
                    error);
}

}  // namespace sipw
