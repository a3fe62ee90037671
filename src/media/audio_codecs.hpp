// The audio codecs of every profile: how each is named in SDP and in GStreamer caps, its RTP clock
// and payload type, and the GStreamer chains that turn the call's raw audio into its RTP packets
// and back.
#pragma once

#include "media_api/media_options.hpp"

#include <gst/gst.h>

#include <string>
#include <vector>

namespace sipw {

struct CodecSpec {
    AudioCodec codec;
    const char *sdpName;       // rtpmap encoding name as we write it ("opus", "PCMU", ...)
    const char *capsName;      // encoding-name of GStreamer's application/x-rtp caps ("OPUS", ...)
    int payloadType;           // RFC 3551 static type, or the dynamic one our offers use (opus: 111)
    int clockRate;             // RTP clock: 8000 for G.722 too (RFC 3551 §4.5.2), though it samples 16 kHz
    int sdpChannels;           // the "/2" of opus/48000/2; 1 elsewhere (not written)
    int sampleRate;            // raw audio the encoder takes and the decoder gives
    const char *encoder;       // GStreamer factory; null for Opus, whose encoder is ours (opus_encoder.hpp)
    const char *payloader;
    const char *depayloader;
    const char *decoder;
};

const CodecSpec &codecSpec(AudioCodec codec);
// The codec of RTP caps (their encoding-name), or null (telephone-event, unknown).
const CodecSpec *codecOfCaps(const GstCaps *caps);
bool isTelephoneEventCaps(const GstCaps *caps);

// application/x-rtp caps of `spec` at `payloadType` (rtpbin's payload map, webrtcbin's codec
// preferences). Transfer full.
GstCaps *rtpCaps(const CodecSpec &spec, int payloadType);
// The payload type our offers give telephone-event at `clockRate`: 101 at 8000 Hz (what PBXs
// and phones use beside G.711), 110 at 48000 Hz (beside Opus, as browsers offer it).
int telephoneEventPayloadType(int clockRate);
// The RTP clocks of `codecs`, each once, in order.
std::vector<int> clockRatesOf(const std::vector<AudioCodec> &codecs);
// application/x-rtp caps of RFC 4733 telephone-event at `clockRate`. Transfer full.
GstCaps *telephoneEventCaps(int payloadType, int clockRate);

// The call's raw audio (kAudioRate mono) → RTP packets of `spec` at `payloadType`, one per
// `ptimeMs`: a bin (floating) with ghost pads "sink" and "src"; null with `error` set if a plugin
// is missing. Opus encodes at `opusComplexity` (0..10).
GstElement *makeEncoderBin(const CodecSpec &spec, int payloadType, int ptimeMs, int opusComplexity,
                           std::string &error);
// RTP packets of `spec` → raw audio at kAudioRate, mono: a bin (floating) with "sink" and "src".
GstElement *makeDecoderBin(const CodecSpec &spec, std::string &error);

}  // namespace sipw
