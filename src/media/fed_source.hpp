// A source without a thread of its own, fed datagrams by whoever receives them (private to the
// media layer).
//
// The shared WebRTC transport receives on the ICE thread that serves every call; that thread
// hands each RTP or RTCP datagram to the call's fed source, which pushes it downstream at once,
// stamped with the running time, as the polled UDP source does for its sockets. The push runs
// downstream on the feeding thread, so downstream must never block (see polled_udp_source.hpp).
#pragma once

#include <gst/gst.h>

namespace sipw {

// A live source of `caps` (floating reference); `name` must be unique in its bin.
GstElement *makeFedSource(GstCaps *caps, const char *name);

// Pushes one datagram if the source is playing (dropped otherwise, as a socket not yet read
// would hold it). Any thread; never concurrently with itself for one source.
void feedDatagram(GstElement *fedSource, const guint8 *data, gsize size);

}  // namespace sipw
