// The process-wide side of the media layer: GStreamer initialization, the count of live media
// objects (liveMediaObjects), and the warm-up (declared in media_factory.hpp).
#pragma once

#include <gst/gst.h>

namespace sipw {

// gst_init, once per process.
void ensureGstInitialized();
// Counts `object` in liveMediaObjects() until GObject finalizes it.
void countUntilFinalized(gpointer object);

}  // namespace sipw
