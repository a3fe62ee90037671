#include "media/pushed_source.hpp"

namespace sipw {

bool playingRunningTime(GstElement *element, GstClockTime &now) {
    GST_OBJECT_LOCK(element);
    bool playing = GST_STATE(element) == GST_STATE_PLAYING && GST_ELEMENT_CLOCK(element);
    GstClock *clock = playing ? GST_CLOCK(gst_object_ref(GST_ELEMENT_CLOCK(element))) : nullptr;
    GstClockTime base = element->base_time;
    GST_OBJECT_UNLOCK(element);
    if (!clock) return false;
    GstClockTime t = gst_clock_get_time(clock);
    gst_object_unref(clock);
    now = t > base ? t - base : 0;
    return true;
}

void pushStreamStart(GstElement *element, GstPad *pad, GstCaps *caps) {
    gchar *streamId = gst_pad_create_stream_id(pad, element, nullptr);
    gst_pad_push_event(pad, gst_event_new_stream_start(streamId));
    g_free(streamId);
    gst_pad_push_event(pad, gst_event_new_caps(caps));
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(pad, gst_event_new_segment(&segment));
}

}  // namespace sipw
