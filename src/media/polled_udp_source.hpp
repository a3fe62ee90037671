// A UDP source without a thread of its own (private to the media layer).
//
// udpsrc owns a streaming thread per socket that wakes for every packet; the rtp and srtp profiles
// have two sockets per call. Every polled source of the process is instead watched by one shared
// thread, which reads each datagram as it arrives and pushes it downstream, stamped with the
// running time and its sender's address (GstNetAddressMeta), as udpsrc does.
//
// The push runs the source's downstream chain on that thread, so it must never block there: use
// it where downstream does not wait (rtpbin with the inline jitter buffer, decoders, selectors
// that do not sync streams, sinks that do not sync to the clock). A push held by a sink that is
// paused while the pipeline stops is let go when the sink stops: only then is it waited for.
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

namespace sipw {

// Reads `socket` (not owned: the caller closes it, after the pipeline has stopped) and pushes what
// arrives with `caps`. `name` must be unique in its bin. Floating reference; a live source.
GstElement *makePolledUdpSource(GSocket *socket, GstCaps *caps, const char *name);

}  // namespace sipw
