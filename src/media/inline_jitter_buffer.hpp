// A jitter buffer without threads of its own, for rtpbin (private to the media layer).
//
// rtpjitterbuffer runs two threads per stream and wakes them for every packet; with a call end
// carrying one stream, they were a third of what an rtp call end cost (bench/README.md). This one
// reorders on the thread that delivers each packet (the shared UDP poller): a packet that is next
// in sequence goes on at once, with the ones held behind it; one that comes after a gap waits for
// the missing packet at most the latency, after which the shared ticker (ticker.hpp) gives the gap
// up and lets the held ones go. Late and duplicate packets are dropped; a jump in sequence numbers
// far out of any reordering (a restarted sender) starts afresh.
//
// Buffers keep their arrival time as timestamp (never later than now), so a downstream that
// waits on timestamps (a mixer) does not hold the delivering thread.
#pragma once

#include <gst/gst.h>

namespace sipw {

// For rtpbin's "request-jitterbuffer" (which sets "latency", in ms; webrtcbin also sets
// "do-retransmission" and reads "stats"). Floating reference.
GstElement *makeInlineJitterBuffer();

}  // namespace sipw
