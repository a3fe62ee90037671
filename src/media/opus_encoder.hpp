// The calls' Opus encoder: libopus's single-stream API in a GstAudioEncoder.
//
// GStreamer's opusenc encodes through the multistream API, which runs libopus's run-time CPU
// detection (`cpuid`) on every frame; on a virtual machine `cpuid` traps to the hypervisor. A
// mono frame at complexity 5 took 138 µs there against 122 µs single-stream (5000 frames on the
// 2-core bench machine), and the instructions after the two `cpuid`s were 10 % of a loaded
// caller's samples. Same settings as opusenc's defaults otherwise: generic audio, 64 kbit/s,
// constrained VBR, full band, no DTX, no in-band FEC.
#pragma once

#include <gst/gst.h>

namespace sipw {

// S16LE at 8, 12, 16, 24 or 48 kHz, one or two channels, in; audio/x-opus (channel mapping
// family 0, what rtpopuspay takes) out, one packet per `frameMs` (2.5 is not offered: 5, 10, 20,
// 40 or 60). `complexity` 0..10. Floating reference.
GstElement *makeOpusEncoder(int complexity, int frameMs);

}  // namespace sipw
