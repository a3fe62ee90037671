#include "media/rtp_transport.hpp"

#include "media/audio_bins.hpp"
#include "media/polled_udp_source.hpp"

#include <gst/net/gstnetaddressmeta.h>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace sipw {
namespace {

constexpr size_t kMaxStreams = 4;             // SSRCs taken from the peer at once
constexpr gint64 kStreamIdleUs = 2 * G_USEC_PER_SEC;  // a stream this quiet makes room for a new one
constexpr int kPortAttempts = 64;
constexpr int kFirstPort = 16384, kLastPort = 32766;  // even RTP ports are drawn from here

// A sender's address as text and port.
bool endpointOf(GSocketAddress *address, UdpEndpoint &out) {
    sockaddr_storage native;
    if (!g_socket_address_to_native(address, &native, sizeof native, nullptr)) return false;
    char text[INET6_ADDRSTRLEN];
    if (native.ss_family == AF_INET) {
        auto *v4 = reinterpret_cast<sockaddr_in *>(&native);
        out.port = ntohs(v4->sin_port);
        if (!inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text)) return false;
    } else if (native.ss_family == AF_INET6) {
        auto *v6 = reinterpret_cast<sockaddr_in6 *>(&native);
        out.port = ntohs(v6->sin6_port);
        if (!inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text)) return false;
    } else {
        return false;
    }
    out.address.assign(text);
    return true;
}

}  // namespace

SenderCache::~SenderCache() {
    if (address_) g_object_unref(address_);
}

// Every received packet goes through here: no heap (an IPv4 address fits std::string's own buffer).
bool SenderCache::lookUp(GstBuffer *buffer, UdpEndpoint &out) {
    GstNetAddressMeta *meta = gst_buffer_get_net_address_meta(buffer);
    if (!meta || !meta->addr) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    if (meta->addr != address_) {
        UdpEndpoint endpoint;
        if (!endpointOf(meta->addr, endpoint)) return false;
        if (address_) g_object_unref(address_);
        address_ = G_SOCKET_ADDRESS(g_object_ref(meta->addr));
        endpoint_ = std::move(endpoint);
    }
    out = endpoint_;
    return true;
}

namespace {

GSocket *bindUdp(const std::string &address, int port) {
    GInetAddress *ip = address.empty() ? nullptr : g_inet_address_new_from_string(address.c_str());
    if (!ip) ip = g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
    GSocket *socket = g_socket_new(g_inet_address_get_family(ip), G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, nullptr);
    GSocketAddress *where = g_inet_socket_address_new(ip, guint16(port));
    // No address reuse: another process on our port must fail the bind, not share the port.
    bool bound = socket && g_socket_bind(socket, where, FALSE, nullptr);
    g_object_unref(where);
    g_object_unref(ip);
    if (bound) return socket;
    if (socket) g_object_unref(socket);
    return nullptr;
}

GstElement *makeUdp(const char *factory, GSocket *socket, std::string &error) {
    GstElement *e = makeElement(factory, error);
    if (!e) return nullptr;
    // Our socket, closed by us once the pipeline has stopped.
    g_object_set(e, "socket", socket, "close-socket", FALSE, nullptr);
    return e;
}

}  // namespace

// ---- SourceFilter ---------------------------------------------------------------------------

void SourceFilter::expect(const UdpEndpoint &rtp) {
    std::lock_guard<std::mutex> lock(mutex_);
    expected_ = rtp;
    latched_ = latchedRtcp_ = {};
}

void SourceFilter::acceptPayloads(const std::set<int> &payloadTypes) {
    std::lock_guard<std::mutex> lock(mutex_);
    payloadTypes_ = payloadTypes;
}

bool SourceFilter::isPeer(const UdpEndpoint &from) const {
    return latched_.address.empty() || from == latched_ || from == expected_;
}

SourceFilter::Verdict SourceFilter::onRtpPort(const UdpEndpoint &from, const guint8 *data, gsize size, bool latchHere,
                                              Drop &why) {
    why = Drop::None;
    if (size < 12 || (data[0] >> 6) != 2) return Verdict::Drop;  // not RTP or RTCP version 2
    std::lock_guard<std::mutex> lock(mutex_);
    bool rtcp = data[1] >= 192 && data[1] <= 223;  // RFC 5761 §4: RTCP packet types 192..223
    if (!isPeer(from)) {
        why = Drop::ForeignSource;
        return Verdict::Drop;
    }
    if (rtcp) return Verdict::Accept;
    if (!payloadTypes_.count(data[1] & 0x7f)) {
        why = Drop::UnexpectedPayload;
        return Verdict::Drop;
    }
    guint32 ssrc = GST_READ_UINT32_BE(data + 8);
    gint64 now = g_get_monotonic_time();
    auto known = streams_.find(ssrc);
    if (known == streams_.end()) {
        for (auto it = streams_.begin(); it != streams_.end();)
            it = now - it->second > kStreamIdleUs ? streams_.erase(it) : std::next(it);
        if (streams_.size() >= kMaxStreams) {
            why = Drop::TooManyStreams;
            return Verdict::Drop;
        }
        known = streams_.emplace(ssrc, now).first;
    }
    known->second = now;
    // The SDP address wins over a source latched before the peer's own packets came.
    bool moves = latched_.address.empty() || (from == expected_ && latched_ != expected_);
    if (!latchHere || !moves) return Verdict::Accept;
    latched_ = from;
    return Verdict::Latch;
}

bool SourceFilter::onRtcpPort(const UdpEndpoint &from, bool &moved) {
    std::lock_guard<std::mutex> lock(mutex_);
    moved = false;
    bool peer = latched_.address.empty() || from.address == latched_.address || from.address == expected_.address;
    if (peer && from != latchedRtcp_) {
        latchedRtcp_ = from;
        moved = true;
    }
    return peer;
}

bool SourceFilter::latched(const UdpEndpoint &from) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!latched_.address.empty() && !(from == expected_ && latched_ != expected_)) return false;
    latched_ = from;
    return true;
}

// ---- RtpTransport ---------------------------------------------------------------------------

bool RtpTransport::open(const std::string &address, std::string &error) {
    for (const std::string &where : {address, std::string()}) {
        for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
            int port = g_random_int_range(kFirstPort / 2, kLastPort / 2 + 1) * 2;
            GSocket *rtp = bindUdp(where, port);
            if (!rtp) continue;
            GSocket *rtcp = bindUdp(where, port + 1);
            if (!rtcp) {
                g_object_unref(rtp);
                continue;
            }
            rtpSocket_ = rtp;
            rtcpSocket_ = rtcp;
            port_ = port;
            return true;
        }
        if (address.empty()) break;
    }
    error = "no free pair of UDP ports for RTP and RTCP on " + (address.empty() ? std::string("any address") : address);
    return false;
}

bool RtpTransport::addReceivers(GstElement *bin, GstElement *rtpbin, bool secure, std::string &error) {
    secure_ = secure;
    GstElement *funnel = makeElement("funnel", error);
    if (!funnel) return false;
    // Both sockets feed rtpbin's RTP input, which takes what is not RTP as RTCP (RFC 5761): one
    // path whether or not the peer multiplexes. rtpbin takes the codecs from request-pt-map.
    // Read by the process's one poller thread, not a udpsrc thread per socket; what arrives goes
    // on through rtpbin on that thread (its jitter buffer has no thread: inline_jitter_buffer.hpp).
    GstCaps *caps = gst_caps_new_empty_simple(secure ? "application/x-srtp" : "application/x-rtp");
    GstElement *rtpSource = makePolledUdpSource(rtpSocket_, caps, "udp-rtp-in");
    GstElement *rtcpSource = makePolledUdpSource(rtcpSocket_, caps, "udp-rtcp-in");
    gst_caps_unref(caps);
    gst_bin_add_many(GST_BIN(bin), rtpSource, rtcpSource, funnel, nullptr);
    GstPad *rtpOut = gst_element_get_static_pad(rtpSource, "src");
    GstPad *rtcpOut = gst_element_get_static_pad(rtcpSource, "src");
    gst_pad_add_probe(rtpOut, GST_PAD_PROBE_TYPE_BUFFER, &RtpTransport::onRtpPacket, this, nullptr);
    gst_pad_add_probe(rtcpOut, GST_PAD_PROBE_TYPE_BUFFER, &RtpTransport::onRtcpPacket, this, nullptr);
    gst_object_unref(rtpOut);
    gst_object_unref(rtcpOut);
    bool linked = gst_element_link(rtpSource, funnel) && gst_element_link(rtcpSource, funnel) &&
                  gst_element_link_pads(funnel, "src", rtpbin, "recv_rtp_sink_0");
    if (!linked) error = "could not link the UDP sources to rtpbin";
    // srtpdec hands the SRTCP it finds among the packets to its RTCP output, which rtpbin only
    // connects to the session when the session has an RTCP input (left unfed).
    if (linked && secure) {
        GstPad *rtcpInput = gst_element_request_pad_simple(rtpbin, "recv_rtcp_sink_0");
        if (rtcpInput) gst_object_unref(rtcpInput);
        else linked = false, error = "rtpbin has no RTCP input";
    }
    return linked;
}

bool RtpTransport::addSenders(GstElement *bin, GstElement *rtpbin, std::string &error) {
    rtpSink_ = makeUdp("udpsink", rtpSocket_, error);
    rtcpSink_ = makeUdp("udpsink", rtcpMux_ ? rtpSocket_ : rtcpSocket_, error);
    if (!rtpSink_ || !rtcpSink_) {
        for (GstElement *e : {rtpSink_, rtcpSink_})
            if (e) gst_object_unref(gst_object_ref_sink(e));
        rtpSink_ = rtcpSink_ = nullptr;
        return false;
    }
    // Targets before they start: udpsink's default one (localhost:5004) would fail to start.
    sendTo(false, rtpTarget_);
    sendTo(true, rtcpTarget_);
    for (GstElement *sink : {rtpSink_, rtcpSink_}) {
        // RTCP is not timed against the clock; neither waits for preroll.
        g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
        gst_bin_add(GST_BIN(bin), sink);
        gst_element_sync_state_with_parent(sink);
    }
    bool linked = gst_element_link_pads(rtpbin, "send_rtp_src_0", rtpSink_, "sink") &&
                  gst_element_link_pads(rtpbin, "send_rtcp_src_0", rtcpSink_, "sink");
    if (!linked) error = "could not link rtpbin to the UDP sinks";
    return linked;
}

void RtpTransport::setRemote(const UdpEndpoint &rtp, const UdpEndpoint &rtcp, bool rtcpMux) {
    // Whether RTCP shares the RTP socket is settled once the senders exist.
    if (!rtpSink_) rtcpMux_ = rtcpMux;
    filter_.expect(rtp);
    sendTo(false, rtp);
    if (!rtcpMux_) sendTo(true, rtcp);
}

void RtpTransport::sendTo(bool rtcp, const UdpEndpoint &to) {
    (rtcp ? rtcpTarget_ : rtpTarget_) = to;
    if (GstElement *sink = rtcp ? rtcpSink_ : rtpSink_) {
        // No address to send to (yet): nothing goes out, rather than to udpsink's default.
        if (to.address.empty()) g_signal_emit_by_name(sink, "clear");
        else g_object_set(sink, "host", to.address.c_str(), "port", to.port, nullptr);
    }
    // With rtcp-mux, RTCP follows the RTP latch.
    if (!rtcp && rtcpMux_) sendTo(true, to);
}

GstPadProbeReturn RtpTransport::onRtpPacket(GstPad *, GstPadProbeInfo *info, gpointer selfPtr) {
    auto *self = static_cast<RtpTransport *>(selfPtr);
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    UdpEndpoint from;
    if (!self->rtpSenders_.lookUp(buffer, from)) return GST_PAD_PROBE_DROP;
    guint8 header[12];
    gsize size = gst_buffer_extract(buffer, 0, header, sizeof header);
    SourceFilter::Drop why;
    // SRTP latches only on authenticated packets, after srtpdec (confirmSource).
    auto verdict = self->filter_.onRtpPort(from, header, size, !self->secure_, why);
    if (verdict == SourceFilter::Verdict::Drop) {
        if (why != SourceFilter::Drop::None && self->hooks_.onDropped) {
            std::lock_guard<std::mutex> lock(self->dropsMutex_);
            if (self->reportedDrops_.insert(why).second) self->hooks_.onDropped(why, from);
        }
        return GST_PAD_PROBE_DROP;
    }
    if (verdict == SourceFilter::Verdict::Latch && self->hooks_.onLatched) self->hooks_.onLatched(false, from);
    return GST_PAD_PROBE_OK;
}

GstPadProbeReturn RtpTransport::onRtcpPacket(GstPad *, GstPadProbeInfo *info, gpointer selfPtr) {
    auto *self = static_cast<RtpTransport *>(selfPtr);
    UdpEndpoint from;
    bool moved = false;
    if (!self->rtcpSenders_.lookUp(GST_PAD_PROBE_INFO_BUFFER(info), from) || !self->filter_.onRtcpPort(from, moved))
        return GST_PAD_PROBE_DROP;
    // Symmetric RTCP: answer from where the peer's RTCP comes.
    if (moved && !self->rtcpMux_ && self->hooks_.onLatched) self->hooks_.onLatched(true, from);
    return GST_PAD_PROBE_OK;
}

void RtpTransport::confirmSource(GstBuffer *packet) {
    UdpEndpoint from;
    if (rtpSenders_.lookUp(packet, from) && filter_.latched(from) && hooks_.onLatched) hooks_.onLatched(false, from);
}

void RtpTransport::close() {
    for (GSocket **socket : {&rtpSocket_, &rtcpSocket_}) {
        if (!*socket) continue;
        g_socket_close(*socket, nullptr);
        g_object_unref(*socket);
        *socket = nullptr;
    }
    rtpSink_ = rtcpSink_ = nullptr;
}

}  // namespace sipw
