// What the sources pushed from a shared thread (ticked_source, polled_udp_source, fed_source) have
// in common
// (private to the media layer).
#pragma once

#include <gst/gst.h>

namespace sipw {

// The running time of `element` now, if it is playing with a clock; false otherwise (a live
// source pushes nothing then).
bool playingRunningTime(GstElement *element, GstClockTime &now);
// The events that open the stream of `pad`, a source pad of `element`: stream-start, `caps`, a
// TIME segment from 0 (buffers carry running times).
void pushStreamStart(GstElement *element, GstPad *pad, GstCaps *caps);
// A pushed source's answer to a query on its pad: live without latency (what arrives is pushed
// at once), and `caps` only; other queries go to the default handler.
gboolean answerSourceQuery(GstPad *pad, GstObject *parent, GstQuery *query, GstCaps *caps);

}  // namespace sipw
