#include "media/polled_udp_source.hpp"

#include "media/pushed_source.hpp"

#include <gst/net/gstnetaddressmeta.h>

#include <sys/socket.h>

#include <thread>

struct SipwPolledUdpSource {
    GstElement parent;
    GstPad *src;            // owned by the element
    GSocket *socket;        // a reference; the fd is closed by its owner once the pipeline stopped
    GstCaps *caps;          // owned
    GSource *watch;         // owned reference while playing, attached to the poller
    GMutex reading;         // held while a datagram is read and pushed (the poller thread)
    bool started;           // stream-start, caps and segment were pushed (poller thread)
};

struct SipwPolledUdpSourceClass {
    GstElementClass parent_class;
};

G_DEFINE_TYPE(SipwPolledUdpSource, sipw_polled_udp_source, GST_TYPE_ELEMENT)

namespace sipw {
namespace {

constexpr gsize kLargestDatagram = 2048;  // RTP over UDP stays under the MTU; bigger is cut
constexpr int kDatagramsPerWake = 16;     // then the other sockets get their turn

SipwPolledUdpSource *asPolled(gpointer object) { return reinterpret_cast<SipwPolledUdpSource *>(object); }

// The one thread that watches every polled source's socket (its own GMainContext).
GMainContext *pollerContext() {
    static GMainContext *context = [] {
        GMainContext *c = g_main_context_new();
        std::thread([c] {
            g_main_context_push_thread_default(c);
            GMainLoop *loop = g_main_loop_new(c, FALSE);
            g_main_loop_run(loop);  // for the life of the process
        }).detach();
        return c;
    }();
    return context;
}

// One datagram from the socket, or null when none is waiting.
GstBuffer *readDatagram(SipwPolledUdpSource *source) {
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, kLargestDatagram, nullptr);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_WRITE);
    sockaddr_storage from{};
    socklen_t fromLength = sizeof from;
    // The socket stays in blocking mode for its udpsink: this one read must not wait.
    ssize_t size = recvfrom(g_socket_get_fd(source->socket), map.data, map.size, MSG_DONTWAIT,
                            reinterpret_cast<sockaddr *>(&from), &fromLength);
    gst_buffer_unmap(buffer, &map);
    if (size < 0) {
        gst_buffer_unref(buffer);
        return nullptr;
    }
    gst_buffer_resize(buffer, 0, size);
    if (GSocketAddress *address = g_socket_address_new_from_native(&from, fromLength)) {
        gst_buffer_add_net_address_meta(buffer, address);
        g_object_unref(address);
    }
    return buffer;
}

gboolean onReadable(GSocket *, GIOCondition, gpointer sourcePtr) {
    SipwPolledUdpSource *source = asPolled(sourcePtr);
    g_mutex_lock(&source->reading);
    for (int i = 0; i < kDatagramsPerWake; ++i) {
        GstBuffer *buffer = readDatagram(source);
        if (!buffer) break;
        GstClockTime now = 0;
        if (!playingRunningTime(GST_ELEMENT(source), now)) {  // stopping: the watch goes next
            gst_buffer_unref(buffer);
            continue;
        }
        if (!source->started) {
            pushStreamStart(GST_ELEMENT(source), source->src, source->caps);
            source->started = true;
            GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
        }
        GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = now;  // the arrival time, for the jitter buffer
        gst_pad_push(source->src, buffer);
    }
    g_mutex_unlock(&source->reading);
    return G_SOURCE_CONTINUE;
}

void startWatching(SipwPolledUdpSource *source) {
    if (source->watch) return;
    source->watch = g_socket_create_source(source->socket, G_IO_IN, nullptr);
    g_source_set_callback(source->watch, G_SOURCE_FUNC(onReadable), gst_object_ref(source), gst_object_unref);
    g_source_attach(source->watch, pollerContext());
}

// After it returns no read or push of this source is under way, and none starts.
void stopWatching(SipwPolledUdpSource *source) {
    if (!source->watch) return;
    g_source_destroy(source->watch);
    g_source_unref(source->watch);
    source->watch = nullptr;
    g_mutex_lock(&source->reading);  // waits out a read already dispatched
    g_mutex_unlock(&source->reading);
}

GstStateChangeReturn changeState(GstElement *element, GstStateChange transition) {
    // Read only while playing: until then datagrams wait in the socket, as with udpsrc.
    SipwPolledUdpSource *source = asPolled(element);
    if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED || transition == GST_STATE_CHANGE_PAUSED_TO_READY)
        stopWatching(source);
    GstStateChangeReturn result =
        GST_ELEMENT_CLASS(sipw_polled_udp_source_parent_class)->change_state(element, transition);
    if (result == GST_STATE_CHANGE_FAILURE) return result;
    switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
        source->started = false;
        return GST_STATE_CHANGE_NO_PREROLL;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
        startWatching(source);
        return result;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
        return GST_STATE_CHANGE_NO_PREROLL;
    default:
        return result;
    }
}

gboolean onSourceQuery(GstPad *pad, GstObject *parent, GstQuery *query) {
    if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
        gst_query_set_latency(query, TRUE, 0, GST_CLOCK_TIME_NONE);  // live, pushed as it arrives
        return TRUE;
    }
    if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
        GstCaps *filter = nullptr;
        gst_query_parse_caps(query, &filter);
        SipwPolledUdpSource *source = asPolled(parent);
        GstCaps *caps = filter ? gst_caps_intersect_full(filter, source->caps, GST_CAPS_INTERSECT_FIRST)
                               : gst_caps_ref(source->caps);
        gst_query_set_caps_result(query, caps);
        gst_caps_unref(caps);
        return TRUE;
    }
    return gst_pad_query_default(pad, parent, query);
}

GstStaticPadTemplate srcTemplate = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

void finalize(GObject *object) {
    SipwPolledUdpSource *source = asPolled(object);
    g_clear_object(&source->socket);
    gst_caps_replace(&source->caps, nullptr);
    g_mutex_clear(&source->reading);
    G_OBJECT_CLASS(sipw_polled_udp_source_parent_class)->finalize(object);
}

}  // namespace

GstElement *makePolledUdpSource(GSocket *socket, GstCaps *caps, const char *name) {
    auto *source = asPolled(g_object_new(sipw_polled_udp_source_get_type(), "name", name, nullptr));
    source->socket = G_SOCKET(g_object_ref(socket));
    source->caps = gst_caps_ref(caps);
    return GST_ELEMENT(source);  // floating
}

}  // namespace sipw

static void sipw_polled_udp_source_class_init(SipwPolledUdpSourceClass *klass) {
    GstElementClass *element = GST_ELEMENT_CLASS(klass);
    gst_element_class_add_static_pad_template(element, &sipw::srcTemplate);
    gst_element_class_set_static_metadata(element, "Polled UDP source", "Source/Network",
                                          "Datagrams read by a thread shared by every such source", "sipworker");
    element->change_state = sipw::changeState;
    G_OBJECT_CLASS(klass)->finalize = sipw::finalize;
}

static void sipw_polled_udp_source_init(SipwPolledUdpSource *self) {
    self->src = gst_pad_new_from_static_template(&sipw::srcTemplate, "src");
    gst_pad_set_query_function(self->src, sipw::onSourceQuery);
    gst_element_add_pad(GST_ELEMENT(self), self->src);
    g_mutex_init(&self->reading);
    GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}
