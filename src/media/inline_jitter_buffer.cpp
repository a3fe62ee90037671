#include "media/inline_jitter_buffer.hpp"

#include "media/pushed_source.hpp"
#include "media/ticker.hpp"

#include <gst/rtp/gstrtpbuffer.h>

#include <algorithm>
#include <atomic>
#include <vector>

namespace sipw {
namespace {

constexpr guint kDefaultLatencyMs = 40;
constexpr int kMostMisordered = 100;   // packets behind the expected one: late, not a new sender
constexpr int kMostDropped = 3000;     // packets ahead (a minute of 20 ms packets): a new sender
constexpr size_t kMostHeld = 64;       // behind one gap; then the gap is given up at once

struct Held {
    guint16 seq;
    GstBuffer *buffer;       // owned
    GstClockTime deadline;   // running time after which the gap before it is given up
};

// What the "stats" property reports (the fields webrtcbin's statistics read from a jitter
// buffer). Atomic: read from any thread while the stream lock may be held by a slow push.
struct Counters {
    std::atomic<guint64> pushed{0}, lost{0}, late{0}, duplicates{0};
};

}  // namespace
}  // namespace sipw

struct SipwInlineJitterBuffer {
    GstElement parent;
    GstPad *sink, *src;      // owned by the element
    gint latencyMs;          // atomic: read by queries from any thread
    // The stream lock: held while a packet is taken in or released and pushed, on the poller or
    // the ticker thread, so that buffers leave in order.
    GMutex lock;
    bool haveExpected;
    guint16 expected;        // the next sequence number to push
    bool discont;            // the next pushed buffer follows a gap or a restart
    GstClockTime lastPts;
    std::vector<sipw::Held> *held;  // owned; sorted by distance from `expected`
    sipw::Counters *counters;       // owned
    gboolean doRetransmission;      // atomic; kept for webrtcbin, which sets it: nothing is re-asked
};

struct SipwInlineJitterBufferClass {
    GstElementClass parent_class;
};

G_DEFINE_TYPE(SipwInlineJitterBuffer, sipw_inline_jitter_buffer, GST_TYPE_ELEMENT)

namespace sipw {
namespace {

enum { kPropLatency = 1, kPropDoRetransmission, kPropStats };

SipwInlineJitterBuffer *asBuffer(gpointer object) { return reinterpret_cast<SipwInlineJitterBuffer *>(object); }

// Signed distance from a to b in sequence-number space.
int seqDistance(guint16 from, guint16 to) { return gint16(guint16(to - from)); }

void dropHeld(SipwInlineJitterBuffer *jb) {
    for (Held &h : *jb->held) gst_buffer_unref(h.buffer);
    jb->held->clear();
}

void pushOut(SipwInlineJitterBuffer *jb, GstBuffer *buffer) {
    buffer = gst_buffer_make_writable(buffer);
    GstClockTime pts = GST_BUFFER_PTS(buffer);
    // In sequence order, the arrival times of reordered packets go back: never before the last.
    if (GST_CLOCK_TIME_IS_VALID(jb->lastPts) && (!GST_CLOCK_TIME_IS_VALID(pts) || pts < jb->lastPts)) pts = jb->lastPts;
    GST_BUFFER_PTS(buffer) = GST_BUFFER_DTS(buffer) = pts;
    jb->lastPts = pts;
    if (jb->discont) {
        GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
        jb->discont = false;
    }
    jb->counters->pushed.fetch_add(1, std::memory_order_relaxed);
    gst_pad_push(jb->src, buffer);  // not linked or flushing: the stream is going away
}

// Pushes the held packets that are next in sequence, from `expected` on.
void pushConsecutive(SipwInlineJitterBuffer *jb) {
    auto &held = *jb->held;
    size_t n = 0;
    while (n < held.size() && held[n].seq == jb->expected) {
        ++jb->expected;
        pushOut(jb, held[n].buffer);
        ++n;
    }
    held.erase(held.begin(), held.begin() + n);
}

// Gives up the gap before the first held packet: what is held up to the next gap goes on.
void giveUpGap(SipwInlineJitterBuffer *jb) {
    if (jb->held->empty()) return;
    jb->counters->lost.fetch_add(guint64(seqDistance(jb->expected, jb->held->front().seq)), std::memory_order_relaxed);
    jb->expected = jb->held->front().seq;
    jb->discont = true;
    pushConsecutive(jb);
}

GstFlowReturn onPacket(GstPad *, GstObject *parent, GstBuffer *buffer) {
    SipwInlineJitterBuffer *jb = asBuffer(parent);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) {  // rtpbin validated it: cannot happen
        gst_buffer_unref(buffer);
        return GST_FLOW_OK;
    }
    guint16 seq = gst_rtp_buffer_get_seq(&rtp);
    gst_rtp_buffer_unmap(&rtp);

    g_mutex_lock(&jb->lock);
    int ahead = jb->haveExpected ? seqDistance(jb->expected, seq) : 0;
    if (!jb->haveExpected || ahead < -kMostMisordered || ahead > kMostDropped) {
        // The first packet, or a sender that started again: what is held of the old run goes first.
        while (!jb->held->empty()) giveUpGap(jb);
        jb->haveExpected = true;
        jb->expected = seq;
        jb->discont = true;
        ahead = 0;
    }
    if (ahead < 0) {  // late (its gap was given up) or a duplicate of one pushed
        jb->counters->late.fetch_add(1, std::memory_order_relaxed);
        g_mutex_unlock(&jb->lock);
        gst_buffer_unref(buffer);
        return GST_FLOW_OK;
    }
    if (ahead == 0) {
        ++jb->expected;
        pushOut(jb, buffer);
        pushConsecutive(jb);
    } else {
        auto &held = *jb->held;
        auto at = std::find_if(held.begin(), held.end(),
                               [&](const Held &h) { return seqDistance(jb->expected, h.seq) >= ahead; });
        if (at != held.end() && at->seq == seq) {
            jb->counters->duplicates.fetch_add(1, std::memory_order_relaxed);
            gst_buffer_unref(buffer);  // a duplicate of a held one
        } else {
            GstClockTime arrival = GST_BUFFER_PTS(buffer);
            GstClockTime wait = guint(g_atomic_int_get(&jb->latencyMs)) * GST_MSECOND;
            GstClockTime deadline = GST_CLOCK_TIME_IS_VALID(arrival) ? arrival + wait : 0;
            held.insert(at, Held{seq, buffer, deadline});
            if (held.size() > kMostHeld) giveUpGap(jb);
        }
    }
    g_mutex_unlock(&jb->lock);
    return GST_FLOW_OK;
}

// On the ticker: a gap whose first held packet waited the latency is given up.
void onTick(GstElement *element) {
    SipwInlineJitterBuffer *jb = asBuffer(element);
    // Never wait for the stream lock here: its holder may be pushing into a slow downstream,
    // and the ticker drives every call. The next tick looks again.
    if (!g_mutex_trylock(&jb->lock)) return;
    GstClockTime now = 0;
    if (!jb->held->empty() && playingRunningTime(element, now)) {
        while (!jb->held->empty() && jb->held->front().deadline <= now) giveUpGap(jb);
    }
    g_mutex_unlock(&jb->lock);
}

void reset(SipwInlineJitterBuffer *jb) {
    g_mutex_lock(&jb->lock);
    dropHeld(jb);
    jb->haveExpected = false;
    jb->discont = true;
    jb->lastPts = GST_CLOCK_TIME_NONE;
    g_mutex_unlock(&jb->lock);
}

gboolean onSinkEvent(GstPad *pad, GstObject *parent, GstEvent *event) {
    SipwInlineJitterBuffer *jb = asBuffer(parent);
    switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_STOP:
        reset(jb);
        break;
    case GST_EVENT_EOS:  // what is held goes before the end
        g_mutex_lock(&jb->lock);
        while (!jb->held->empty()) giveUpGap(jb);
        g_mutex_unlock(&jb->lock);
        break;
    default:
        break;
    }
    return gst_pad_event_default(pad, parent, event);
}

gboolean onSourceQuery(GstPad *pad, GstObject *parent, GstQuery *query) {
    if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return gst_pad_query_default(pad, parent, query);
    // What upstream reports, plus what a gap may hold a packet back.
    SipwInlineJitterBuffer *jb = asBuffer(parent);
    if (!gst_pad_peer_query(jb->sink, query)) return FALSE;
    gboolean live = FALSE;
    GstClockTime min = 0, max = 0;
    gst_query_parse_latency(query, &live, &min, &max);
    // Not under the stream lock: a latency query may come up from downstream during a push.
    GstClockTime ours = guint(g_atomic_int_get(&jb->latencyMs)) * GST_MSECOND;
    gst_query_set_latency(query, live, min + ours, GST_CLOCK_TIME_IS_VALID(max) ? max + ours : max);
    return TRUE;
}

// RTCP for lip-sync, which a single audio stream does not need: taken and dropped.
GstFlowReturn onRtcp(GstPad *, GstObject *, GstBuffer *buffer) {
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
}

gboolean onRtcpEvent(GstPad *, GstObject *, GstEvent *event) {
    gst_event_unref(event);
    return TRUE;
}

GstStaticPadTemplate sinkTemplate =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));
GstStaticPadTemplate srcTemplate =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-rtp"));
GstStaticPadTemplate rtcpTemplate =
    GST_STATIC_PAD_TEMPLATE("sink_rtcp", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS("application/x-rtcp"));

GstPad *requestPad(GstElement *element, GstPadTemplate *templ, const gchar *, const GstCaps *) {
    GstPad *pad = gst_pad_new_from_template(templ, "sink_rtcp");
    gst_pad_set_chain_function(pad, onRtcp);
    gst_pad_set_event_function(pad, onRtcpEvent);
    gst_pad_set_active(pad, TRUE);
    gst_element_add_pad(element, pad);
    return pad;
}

void releasePad(GstElement *element, GstPad *pad) {
    gst_pad_set_active(pad, FALSE);
    gst_element_remove_pad(element, pad);
}

GstStateChangeReturn changeState(GstElement *element, GstStateChange transition) {
    SipwInlineJitterBuffer *jb = asBuffer(element);
    if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED) stopTicking(element);
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) reset(jb);
    GstStateChangeReturn result =
        GST_ELEMENT_CLASS(sipw_inline_jitter_buffer_parent_class)->change_state(element, transition);
    if (result == GST_STATE_CHANGE_FAILURE) return result;
    switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
        startTicking(element, onTick);
        return result;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
        reset(jb);
        return result;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
        return GST_STATE_CHANGE_NO_PREROLL;  // live: nothing to preroll
    default:
        return result;
    }
}

void setProperty(GObject *object, guint id, const GValue *value, GParamSpec *spec) {
    SipwInlineJitterBuffer *jb = asBuffer(object);
    switch (id) {
    case kPropLatency:
        g_atomic_int_set(&jb->latencyMs, gint(std::min(g_value_get_uint(value), guint(G_MAXINT))));
        break;
    case kPropDoRetransmission:
        g_atomic_int_set(&jb->doRetransmission, g_value_get_boolean(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
    }
}

GstStructure *statsOf(SipwInlineJitterBuffer *jb) {
    const Counters &c = *jb->counters;
    return gst_structure_new("application/x-rtp-jitterbuffer-stats",
                             "num-pushed", G_TYPE_UINT64, c.pushed.load(std::memory_order_relaxed),
                             "num-lost", G_TYPE_UINT64, c.lost.load(std::memory_order_relaxed),
                             "num-late", G_TYPE_UINT64, c.late.load(std::memory_order_relaxed),
                             "num-duplicates", G_TYPE_UINT64, c.duplicates.load(std::memory_order_relaxed),
                             "rtx-count", G_TYPE_UINT64, guint64(0), "rtx-success-count", G_TYPE_UINT64, guint64(0),
                             nullptr);
}

void getProperty(GObject *object, guint id, GValue *value, GParamSpec *spec) {
    SipwInlineJitterBuffer *jb = asBuffer(object);
    switch (id) {
    case kPropLatency:
        g_value_set_uint(value, guint(g_atomic_int_get(&jb->latencyMs)));
        break;
    case kPropDoRetransmission:
        g_value_set_boolean(value, g_atomic_int_get(&jb->doRetransmission));
        break;
    case kPropStats:
        g_value_take_boxed(value, statsOf(jb));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
    }
}

void finalize(GObject *object) {
    SipwInlineJitterBuffer *jb = asBuffer(object);
    dropHeld(jb);
    delete jb->held;
    delete jb->counters;
    g_mutex_clear(&jb->lock);
    G_OBJECT_CLASS(sipw_inline_jitter_buffer_parent_class)->finalize(object);
}

}  // namespace

GstElement *makeInlineJitterBuffer() {
    return GST_ELEMENT(g_object_new(sipw_inline_jitter_buffer_get_type(), nullptr));  // floating
}

}  // namespace sipw

static void sipw_inline_jitter_buffer_class_init(SipwInlineJitterBufferClass *klass) {
    GObjectClass *object = G_OBJECT_CLASS(klass);
    object->set_property = sipw::setProperty;
    object->get_property = sipw::getProperty;
    object->finalize = sipw::finalize;
    g_object_class_install_property(
        object, sipw::kPropLatency,
        g_param_spec_uint("latency", "Latency", "Longest wait for a missing packet, in ms", 0, G_MAXINT,
                          sipw::kDefaultLatencyMs, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
    // webrtcbin sets it from the negotiated NACK feedback; a voice stream conceals a loss rather
    // than waits for a retransmission, so it is kept and nothing is asked again.
    g_object_class_install_property(
        object, sipw::kPropDoRetransmission,
        g_param_spec_boolean("do-retransmission", "Do retransmission", "Kept; lost packets are not asked again",
                             FALSE, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
    // Read by webrtcbin's statistics (inbound-rtp "packets-duplicated" and the raw figures).
    g_object_class_install_property(
        object, sipw::kPropStats,
        g_param_spec_boxed("stats", "Statistics", "Packets pushed, lost, late and duplicated", GST_TYPE_STRUCTURE,
                           GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
    // rtpbin connects to it on every jitter buffer; never emitted (no lip-sync for one stream).
    g_signal_new("handle-sync", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                 G_TYPE_NONE, 1, GST_TYPE_STRUCTURE);
    GstElementClass *element = GST_ELEMENT_CLASS(klass);
    gst_element_class_add_static_pad_template(element, &sipw::sinkTemplate);
    gst_element_class_add_static_pad_template(element, &sipw::srcTemplate);
    gst_element_class_add_static_pad_template(element, &sipw::rtcpTemplate);
    gst_element_class_set_static_metadata(element, "Inline jitter buffer", "Filter/Network/RTP",
                                          "Reorders RTP packets on the thread that delivers them", "sipworker");
    element->change_state = sipw::changeState;
    element->request_new_pad = sipw::requestPad;
    element->release_pad = sipw::releasePad;
}

static void sipw_inline_jitter_buffer_init(SipwInlineJitterBuffer *self) {
    self->sink = gst_pad_new_from_static_template(&sipw::sinkTemplate, "sink");
    gst_pad_set_chain_function(self->sink, sipw::onPacket);
    gst_pad_set_event_function(self->sink, sipw::onSinkEvent);
    GST_PAD_SET_PROXY_CAPS(self->sink);
    GST_PAD_SET_PROXY_ALLOCATION(self->sink);
    gst_element_add_pad(GST_ELEMENT(self), self->sink);
    self->src = gst_pad_new_from_static_template(&sipw::srcTemplate, "src");
    gst_pad_set_query_function(self->src, sipw::onSourceQuery);
    GST_PAD_SET_PROXY_CAPS(self->src);
    gst_element_add_pad(GST_ELEMENT(self), self->src);
    self->latencyMs = gint(sipw::kDefaultLatencyMs);
    g_mutex_init(&self->lock);
    self->held = new std::vector<sipw::Held>();
    self->counters = new sipw::Counters();
    self->lastPts = GST_CLOCK_TIME_NONE;
    self->discont = true;
}
