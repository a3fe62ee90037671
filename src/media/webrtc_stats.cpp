#include "media/webrtc_stats.hpp"

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace sipw {

namespace {

std::optional<double> number(const GstStructure *s, const char *field) {
    const GValue *v = gst_structure_get_value(s, field);
    if (!v) return std::nullopt;
    switch (G_VALUE_TYPE(v)) {
    case G_TYPE_UINT64: return static_cast<double>(g_value_get_uint64(v));
    case G_TYPE_INT64: return static_cast<double>(g_value_get_int64(v));
    case G_TYPE_UINT: return static_cast<double>(g_value_get_uint(v));
    case G_TYPE_INT: return static_cast<double>(g_value_get_int(v));
    case G_TYPE_DOUBLE: return g_value_get_double(v);
    case G_TYPE_FLOAT: return static_cast<double>(g_value_get_float(v));
    default: return std::nullopt;
    }
}

long long count(const GstStructure *s, const char *field) {
    auto n = number(s, field);
    return n ? static_cast<long long>(*n) : 0;
}

// "audio/OPUS" → "opus"; "audio/PCMU" → "PCMU" (the names SDP and sipw_session_info use).
std::string codecName(const char *mimeType) {
    std::string name = mimeType ? mimeType : "";
    auto slash = name.find('/');
    if (slash != std::string::npos) name = name.substr(slash + 1);
    if (g_ascii_strcasecmp(name.c_str(), "opus") == 0) return "opus";
    return name;
}

struct Totals {
    MediaStats stats;
    bool any = false;
};

gboolean addOne(GQuark, const GValue *value, gpointer data) {
    auto *totals = static_cast<Totals *>(data);
    if (!GST_VALUE_HOLDS_STRUCTURE(value)) return TRUE;
    const GstStructure *s = gst_value_get_structure(value);
    GstWebRTCStatsType type;
    if (!gst_structure_get_enum(s, "type", GST_TYPE_WEBRTC_STATS_TYPE, reinterpret_cast<gint *>(&type)))
        return TRUE;
    MediaStats &m = totals->stats;
    switch (type) {
    case GST_WEBRTC_STATS_INBOUND_RTP: {
        totals->any = true;
        m.packetsReceived += count(s, "packets-received");
        m.bytesReceived += count(s, "bytes-received");
        m.packetsLost += std::max(0LL, count(s, "packets-lost"));
        if (auto jitter = number(s, "jitter")) m.jitterMs = std::max(m.jitterMs, *jitter * 1000.0);
        break;
    }
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
        totals->any = true;
        m.packetsSent += count(s, "packets-sent");
        m.bytesSent += count(s, "bytes-sent");
        break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
        // Present once the peer's first receiver report about our stream arrived.
        if (auto rtt = number(s, "round-trip-time"); rtt && *rtt >= 0) m.rttMs = std::max(m.rttMs, *rtt * 1000.0);
        break;
    case GST_WEBRTC_STATS_CODEC:
        if (m.codec.empty()) {
            if (const gchar *mime = gst_structure_get_string(s, "mime-type")) {
                std::string name = codecName(mime);
                if (g_ascii_strcasecmp(name.c_str(), "telephone-event") != 0) m.codec = name;
            }
        }
        break;
    default:
        break;
    }
    return TRUE;
}

struct Waiter {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    MediaStats result;
};

}  // namespace

MediaStats parseWebRtcStats(const GstStructure *reply) {
    Totals totals;
    if (reply) gst_structure_foreach(reply, addOne, &totals);
    totals.stats.valid = totals.any;
    return totals.stats;
}

void requestWebRtcStats(GstElement *webrtc, std::function<void(const MediaStats &)> done) {
    using Done = std::function<void(const MediaStats &)>;
    GstPromise *promise = gst_promise_new_with_change_func(
        [](GstPromise *p, gpointer data) {
            MediaStats stats;
            if (gst_promise_wait(p) == GST_PROMISE_RESULT_REPLIED) stats = parseWebRtcStats(gst_promise_get_reply(p));
            (*static_cast<Done *>(data))(stats);
        },
        new Done(std::move(done)), [](gpointer p) { delete static_cast<Done *>(p); });
    g_signal_emit_by_name(webrtc, "get-stats", nullptr, promise);
    gst_promise_unref(promise);
}

MediaStats readWebRtcStats(GstElement *webrtc, int timeoutMs) {
    auto waiter = std::make_shared<Waiter>();
    requestWebRtcStats(webrtc, [waiter](const MediaStats &stats) {
        std::lock_guard<std::mutex> lock(waiter->mutex);
        waiter->result = stats;
        waiter->done = true;
        waiter->cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(waiter->mutex);
    waiter->cv.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return waiter->done; });
    return waiter->done ? waiter->result : MediaStats{};
}

}  // namespace sipw
