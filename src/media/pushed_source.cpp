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

gboolean answerSourceQuery(GstPad *pad, GstObject *parent, GstQuery *query, GstCaps *caps) {
    if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
        gst_query_set_latency(query, TRUE, 0, GST_CLOCK_TIME_NONE);
        return TRUE;
    }
    if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
        GstCaps *filter = nullptr;
        gst_query_parse_caps(query, &filter);
        GstCaps *result = filter ? gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST) : gst_caps_ref(caps);
        gst_query_set_caps_result(query, result);
        gst_caps_unref(result);
        return TRUE;
    }
    return gst_pad_query_default(pad, parent, query);
}

}  // namespace sipw
