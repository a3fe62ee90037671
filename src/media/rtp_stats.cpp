#include "media/rtp_stats.hpp"

#include <gst/gst.h>

#include <algorithm>

namespace sipw {

namespace {

long long count(const GstStructure *s, const char *field) {
    const GValue *v = gst_structure_get_value(s, field);
    if (!v) return 0;
    switch (G_VALUE_TYPE(v)) {
    case G_TYPE_UINT64: return static_cast<long long>(g_value_get_uint64(v));
    case G_TYPE_INT64: return static_cast<long long>(g_value_get_int64(v));
    case G_TYPE_UINT: return static_cast<long long>(g_value_get_uint(v));
    case G_TYPE_INT: return static_cast<long long>(g_value_get_int(v));
    default: return 0;
    }
}

bool flag(const GstStructure *s, const char *field) {
    gboolean value = FALSE;
    return gst_structure_get_boolean(s, field, &value) && value;
}

void addSource(const GstStructure *s, MediaStats &m) {
    if (flag(s, "internal")) {
        m.packetsSent += count(s, "packets-sent");
        m.bytesSent += count(s, "octets-sent");
        return;
    }
    // The peer's last report block about our stream: its LSR/DLSR turned into a round trip
    // (0 until it has received one of our sender reports).
    guint roundTrip = 0;
    if (flag(s, "have-rb") && gst_structure_get_uint(s, "rb-round-trip", &roundTrip) && roundTrip > 0)
        m.rttMs = std::max(m.rttMs, roundTrip * 1000.0 / 65536.0);
    // A source we only learnt of from RTCP, or a CSRC, has sent us nothing.
    if (!flag(s, "is-sender") && count(s, "packets-received") == 0) return;
    m.packetsReceived += count(s, "packets-received");
    m.bytesReceived += count(s, "octets-received");
    m.packetsLost += std::max(0LL, count(s, "packets-lost"));
    gint clockRate = 0;
    if (gst_structure_get_int(s, "clock-rate", &clockRate) && clockRate > 0)
        m.jitterMs = std::max(m.jitterMs, count(s, "jitter") * 1000.0 / clockRate);
}

}  // namespace

MediaStats parseRtpSessionStats(const GstStructure *stats) {
    MediaStats m;
    const GValue *sources = stats ? gst_structure_get_value(stats, "source-stats") : nullptr;
    if (!sources || !G_VALUE_HOLDS(sources, G_TYPE_VALUE_ARRAY)) return m;
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS  // GValueArray is what rtpsession gives
    GValueArray *array = static_cast<GValueArray *>(g_value_get_boxed(sources));
    for (guint i = 0; array && i < array->n_values; ++i) {
        const GValue *source = g_value_array_get_nth(array, i);
        if (!GST_VALUE_HOLDS_STRUCTURE(source)) continue;
        addSource(gst_value_get_structure(source), m);
        m.valid = true;
    }
    G_GNUC_END_IGNORE_DEPRECATIONS
    return m;
}

MediaStats readRtpSessionStats(GstElement *rtpbin) {
    GstElement *session = nullptr;
    g_signal_emit_by_name(rtpbin, "get-session", 0u, &session);  // transfer full
    if (!session) return {};
    GstStructure *stats = nullptr;
    g_object_get(session, "stats", &stats, nullptr);  // transfer full
    gst_object_unref(session);
    MediaStats m = parseRtpSessionStats(stats);
    if (stats) gst_structure_free(stats);
    return m;
}

}  // namespace sipw
