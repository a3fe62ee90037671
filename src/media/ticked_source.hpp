// A live tone or silence source without a thread of its own (private to the media layer).
//
// A live audiotestsrc owns a streaming thread that the clock wakes 50 times a second; with one per
// call, those wake-ups were half of what a G.711 call end cost (bench/README.md). Every ticked
// source of the process is instead driven by the shared ticker (ticker.hpp): every 20 ms it pushes
// the next buffer of each playing source, read from a shared table (no sample is computed per call).
//
// The push runs the source's downstream chain on that thread, so it must never block there:
// use it only where downstream is non-blocking (the call's send path: converters, a selector that
// does not sync streams, encoders, RTP and UDP sinks that do not sync to the clock, queues).
#pragma once

#include <gst/gst.h>

namespace sipw {

// Raw S16LE mono audio at kAudioRate in 20 ms buffers: a sine at `hz` (0: silence), at the level
// of audiotestsrc's default volume. Floating reference; a live source (no preroll, 20 ms latency).
GstElement *makeTickedSource(double hz);

}  // namespace sipw
