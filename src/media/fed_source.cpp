#include "media/fed_source.hpp"

#include "media/pushed_source.hpp"

struct SipwFedSource {
    GstElement parent;
    GstPad *src;     // owned by the element
    GstCaps *caps;   // owned
    GMutex feeding;  // held while a datagram is pushed: stopping waits for it
    gint accepting;  // playing (atomic: cleared without `feeding` as the pipeline stops)
    bool started;    // stream-start, caps and segment were pushed (under `feeding`)
};

struct SipwFedSourceClass {
    GstElementClass parent_class;
};

G_DEFINE_TYPE(SipwFedSource, sipw_fed_source, GST_TYPE_ELEMENT)

namespace sipw {
namespace {

SipwFedSource *asFed(gpointer object) { return reinterpret_cast<SipwFedSource *>(object); }

void setAccepting(SipwFedSource *source, bool accepting) {
    g_mutex_lock(&source->feeding);
    g_atomic_int_set(&source->accepting, accepting);
    if (accepting) source->started = false;
    g_mutex_unlock(&source->feeding);
}

GstStateChangeReturn changeState(GstElement *element, GstStateChange transition) {
    SipwFedSource *source = asFed(element);
    // Not waiting for a push under way when leaving PLAYING: a paused sink downstream may hold
    // it until that sink stops; from PAUSED to READY (after the sinks) it ends at once.
    if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED) g_atomic_int_set(&source->accepting, FALSE);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) setAccepting(source, false);
    GstStateChangeReturn result = GST_ELEMENT_CLASS(sipw_fed_source_parent_class)->change_state(element, transition);
    if (result == GST_STATE_CHANGE_FAILURE) return result;
    switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
        setAccepting(source, true);
        return result;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
        return GST_STATE_CHANGE_NO_PREROLL;
    default:
        return result;
    }
}

gboolean onSourceQuery(GstPad *pad, GstObject *parent, GstQuery *query) {
    return answerSourceQuery(pad, parent, query, asFed(parent)->caps);
}

GstStaticPadTemplate srcTemplate = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

void finalize(GObject *object) {
    SipwFedSource *source = asFed(object);
    gst_caps_replace(&source->caps, nullptr);
    g_mutex_clear(&source->feeding);
    G_OBJECT_CLASS(sipw_fed_source_parent_class)->finalize(object);
}

}  // namespace

GstElement *makeFedSource(GstCaps *caps, const char *name) {
    auto *source = asFed(g_object_new(sipw_fed_source_get_type(), "name", name, nullptr));
    source->caps = gst_caps_ref(caps);
    return GST_ELEMENT(source);  // floating
}

void feedDatagram(GstElement *fedSource, const guint8 *data, gsize size) {
    SipwFedSource *source = asFed(fedSource);
    g_mutex_lock(&source->feeding);
    GstClockTime now = 0;
    if (g_atomic_int_get(&source->accepting) && playingRunningTime(fedSource, now)) {
        GstBuffer *buffer = gst_buffer_new_memdup(data, size);
        if (!source->started) {
            pushStreamStart(fedSource, source->src, source->caps);
            source->started = true;
            GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
        }
        GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = now;  // the arrival time, for the jitter buffer
        gst_pad_push(source->src, buffer);
    }
    g_mutex_unlock(&source->feeding);
}

}  // namespace sipw

static void sipw_fed_source_class_init(SipwFedSourceClass *klass) {
    GstElementClass *element = GST_ELEMENT_CLASS(klass);
    gst_element_class_add_static_pad_template(element, &sipw::srcTemplate);
    gst_element_class_set_static_metadata(element, "Fed source", "Source/Network",
                                          "Datagrams pushed by the thread that received them", "sipworker");
    element->change_state = sipw::changeState;
    G_OBJECT_CLASS(klass)->finalize = sipw::finalize;
}

static void sipw_fed_source_init(SipwFedSource *self) {
    self->src = gst_pad_new_from_static_template(&sipw::srcTemplate, "src");
    gst_pad_set_query_function(self->src, sipw::onSourceQuery);
    gst_element_add_pad(GST_ELEMENT(self), self->src);
    g_mutex_init(&self->feeding);
    GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}
