// The media layer's one shared 20 ms ticker thread (private to the media layer).
//
// Elements without threads of their own (a tone or silence source, the inline jitter buffer) are
// driven from here instead of a thread per call: every 20 ms the ticker calls each registered
// element's tick function, one after the other, so a tick function must never block.
#pragma once

#include <gst/gst.h>

namespace sipw {

constexpr GstClockTime kTickInterval = 20 * GST_MSECOND;

using TickFunction = void (*)(GstElement *element);

// `tick(element)` every kTickInterval from now on; the ticker holds a reference meanwhile. The
// thread starts with the first element and sleeps while there is none.
void startTicking(GstElement *element, TickFunction tick);

// After it returns no new tick of `element` starts; one already under way may still finish.
void stopTicking(GstElement *element);

}  // namespace sipw
