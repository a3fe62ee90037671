#include "media/polled_udp_source.hpp"

#include "media/pushed_source.hpp"

#include <gst/net/gstnetaddressmeta.h>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

struct SipwPolledUdpSource {
    GstElement parent;
    GstPad *src;            // owned by the element
    GSocket *socket;        // a reference; the fd is closed by its owner once the pipeline stopped
    GstCaps *caps;          // owned
    guint64 watchId;        // the poller's key for this source while watched, else 0
    GMutex reading;         // held while a datagram is read and pushed (the poller thread)
    bool started;           // stream-start, caps and segment were pushed (poller thread)
    // The last sender, reused while it does not change (poller thread): one peer sends nearly
    // every packet, and a GSocketAddress per packet was a GObject allocation each.
    sockaddr_storage lastFrom;
    socklen_t lastFromLength;
    GSocketAddress *lastAddress;  // owned
};

struct SipwPolledUdpSourceClass {
    GstElementClass parent_class;
};

G_DEFINE_TYPE(SipwPolledUdpSource, sipw_polled_udp_source, GST_TYPE_ELEMENT)

namespace sipw {
namespace {

constexpr gsize kLargestDatagram = 2048;  // RTP over UDP stays under the MTU; bigger is cut
constexpr int kDatagramsPerWake = 16;     // then the other sockets get their turn
constexpr int kEventsPerWait = 64;

SipwPolledUdpSource *asPolled(gpointer object) { return reinterpret_cast<SipwPolledUdpSource *>(object); }

void readAndPush(SipwPolledUdpSource *source);

// The one thread that watches every polled source's socket. epoll, not a GMainContext: a wake-up
// costs what is ready, not what is watched (with 120 sockets the context's per-wake scan of every
// source was most of the thread's time).
class Poller {
public:
    static Poller &instance() {
        static Poller *poller = new Poller();  // never destroyed: its thread may outlive main()
        return *poller;
    }

    bool watch(SipwPolledUdpSource *source) {
        std::lock_guard<std::mutex> lock(mutex_);
        guint64 id = ++lastId_;
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = id;
        if (epoll_ctl(epoll_, EPOLL_CTL_ADD, g_socket_get_fd(source->socket), &event) != 0) return false;
        watched_.emplace(id, source);
        source->watchId = id;
        return true;
    }

    // After it returns no new read of this source starts; one under way may still be pushing
    // (waitForRead waits it out).
    void unwatch(SipwPolledUdpSource *source) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!source->watchId) return;
        watched_.erase(source->watchId);
        source->watchId = 0;
        epoll_ctl(epoll_, EPOLL_CTL_DEL, g_socket_get_fd(source->socket), nullptr);
    }

private:
    Poller() : epoll_(epoll_create1(EPOLL_CLOEXEC)) {
        std::thread([this] {
            pthread_setname_np(pthread_self(), "sipw-poller");  // named in top, perf and gdb
            run();
        }).detach();
    }

    void run() {
        epoll_event events[kEventsPerWait];
        for (;;) {
            int ready = epoll_wait(epoll_, events, kEventsPerWait, -1);
            for (int i = 0; i < ready; ++i) {
                SipwPolledUdpSource *source = nullptr;
                {
                    // Found under the lock and its reading lock taken before letting go: a source
                    // that stops waits for this read (waitForRead) before it can go.
                    std::lock_guard<std::mutex> lock(mutex_);
                    auto it = watched_.find(events[i].data.u64);
                    if (it == watched_.end()) continue;  // unwatched since the wait returned
                    source = it->second;
                    g_mutex_lock(&source->reading);
                }
                readAndPush(source);
                g_mutex_unlock(&source->reading);
            }
        }
    }

    int epoll_;
    std::mutex mutex_;
    guint64 lastId_ = 0;
    std::unordered_map<guint64, SipwPolledUdpSource *> watched_;  // not references: see waitForRead
};

// The sender's address as a GSocketAddress, new only when the sender changed.
GSocketAddress *senderAddress(SipwPolledUdpSource *source, const sockaddr_storage &from, socklen_t length) {
    if (!source->lastAddress || length != source->lastFromLength || memcmp(&from, &source->lastFrom, length) != 0) {
        g_clear_object(&source->lastAddress);
        source->lastAddress = g_socket_address_new_from_native(const_cast<sockaddr_storage *>(&from), length);
        source->lastFrom = from;
        source->lastFromLength = length;
    }
    return source->lastAddress;
}

// One datagram from the socket, or null when none is waiting.
GstBuffer *readDatagram(SipwPolledUdpSource *source) {
    guint8 data[kLargestDatagram];
    sockaddr_storage from{};
    socklen_t fromLength = sizeof from;
    // The socket stays in blocking mode for its udpsink: this one read must not wait.
    ssize_t size = recvfrom(g_socket_get_fd(source->socket), data, sizeof data, MSG_DONTWAIT,
                            reinterpret_cast<sockaddr *>(&from), &fromLength);
    if (size < 0) return nullptr;
    GstBuffer *buffer = gst_buffer_new_memdup(data, gsize(size));  // the packet's size, not the largest
    if (GSocketAddress *address = senderAddress(source, from, fromLength))
        gst_buffer_add_net_address_meta(buffer, address);
    return buffer;
}

void readAndPush(SipwPolledUdpSource *source) {
    for (int i = 0; i < kDatagramsPerWake; ++i) {
        GstBuffer *buffer = readDatagram(source);
        if (!buffer) break;
        GstClockTime now = 0;
        if (!playingRunningTime(GST_ELEMENT(source), now)) {  // stopping: the unwatch comes next
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
}

void startWatching(SipwPolledUdpSource *source) {
    if (source->watchId) return;
    if (!Poller::instance().watch(source))
        GST_ELEMENT_ERROR(source, RESOURCE, READ, ("could not watch the socket"), ("epoll_ctl: %s", g_strerror(errno)));
}

// Not waiting for a read under way: its push may be held by a sink downstream that is already
// paused (a pipeline stops sinks first), which only lets go once that sink stops too.
void stopWatching(SipwPolledUdpSource *source) { Poller::instance().unwatch(source); }

// After it returns no read or push of this source is under way: once downstream stopped (from
// PAUSED to READY, after the sinks), a push under way ends at once.
void waitForRead(SipwPolledUdpSource *source) {
    g_mutex_lock(&source->reading);
    g_mutex_unlock(&source->reading);
}

GstStateChangeReturn changeState(GstElement *element, GstStateChange transition) {
    // Read only while playing: until then datagrams wait in the socket, as with udpsrc.
    SipwPolledUdpSource *source = asPolled(element);
    if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED || transition == GST_STATE_CHANGE_PAUSED_TO_READY)
        stopWatching(source);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) waitForRead(source);
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
    return answerSourceQuery(pad, parent, query, asPolled(parent)->caps);
}

GstStaticPadTemplate srcTemplate = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

void finalize(GObject *object) {
    SipwPolledUdpSource *source = asPolled(object);
    g_clear_object(&source->socket);
    g_clear_object(&source->lastAddress);
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
