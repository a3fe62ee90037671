// The UDP side of the rtp and srtp profiles: a pair of our own sockets (RTP on an even port, RTCP
// on the next), shared by the source and udpsink of each (symmetric RTP: what we send leaves from
// the port we receive on), and the filter that decides which received packets are the peer's.
//
//   polled UDP source(RTP socket)  → [SourceFilter probe] ─┬ funnel → rtpbin recv_rtp_sink_0 (RTP and RTCP)
//   polled UDP source(RTCP socket) → [SourceFilter probe] ─┘
//   rtpbin send_rtp_src_0  → udpsink(RTP socket)
//   rtpbin send_rtcp_src_0 → udpsink(RTCP socket; the RTP socket with rtcp-mux)
//
// Latching (RFC 4961 / "comedia"): we send to the address in the peer's SDP until its packets
// arrive, then to where they come from, so NATed phones are heard and reached. Packets from the
// SDP address are always the peer's; once latched, other sources are dropped.
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace sipw {

struct UdpEndpoint {
    std::string address;
    int port = 0;
    bool operator==(const UdpEndpoint &o) const { return address == o.address && port == o.port; }
    bool operator!=(const UdpEndpoint &o) const { return !(*this == o); }
    std::string text() const { return address + ":" + std::to_string(port); }
};

// Which received packets are the peer's (thread-safe: probes on streaming threads ask it).
class SourceFilter {
public:
    enum class Verdict { Accept, Latch, Drop };
    // Why packets were dropped, each said once per call (warnings).
    enum class Drop { None, ForeignSource, TooManyStreams, UnexpectedPayload };

    // The peer's SDP address; forgets the latched source.
    void expect(const UdpEndpoint &rtp);
    // The payload types the peer may send.
    void acceptPayloads(const std::set<int> &payloadTypes);
    // A packet (RTP, or RTCP with rtcp-mux) from `from` on the RTP socket. `latchHere`: plain RTP
    // latches on the first valid packets; SRTP latches only once one is authenticated (latched()).
    Verdict onRtpPort(const UdpEndpoint &from, const guint8 *data, gsize size, bool latchHere, Drop &why);
    // A packet on the RTCP socket: from the peer's host, or anyone before latching. `moved`: it
    // came from elsewhere than the RTCP before it (symmetric RTCP answers there).
    bool onRtcpPort(const UdpEndpoint &from, bool &moved);
    // An authenticated packet came from `from` (srtp): true if that moves the latch.
    bool latched(const UdpEndpoint &from);

private:
    bool isPeer(const UdpEndpoint &from) const;

    std::mutex mutex_;
    UdpEndpoint expected_;
    UdpEndpoint latched_;  // empty address: not yet
    UdpEndpoint latchedRtcp_;
    std::set<int> payloadTypes_;
    std::map<guint32, gint64> streams_;  // SSRC → monotonic time last seen
};

// Where received packets come from, read from each buffer's address meta (thread-safe). The
// polled source reuses one address object while its sender does not change, so that object's
// identity keeps the last sender: its text form is made once per sender, not per packet.
class SenderCache {
public:
    SenderCache() = default;
    SenderCache(const SenderCache &) = delete;
    SenderCache &operator=(const SenderCache &) = delete;
    ~SenderCache();
    bool lookUp(GstBuffer *buffer, UdpEndpoint &out);

private:
    std::mutex mutex_;
    GSocketAddress *address_ = nullptr;  // owned reference: alive, so never mistaken for a new one
    UdpEndpoint endpoint_;
};

class RtpTransport {
public:
    // Called on a streaming thread when packets move the latch (RTP or RTCP socket), and once per
    // kind of dropped packet.
    struct Hooks {
        std::function<void(bool rtcp, const UdpEndpoint &to)> onLatched;
        std::function<void(SourceFilter::Drop why, const UdpEndpoint &from)> onDropped;
    };
    explicit RtpTransport(Hooks hooks) : hooks_(std::move(hooks)) {}
    ~RtpTransport() { close(); }

    // Binds the socket pair on `address` (every address if it is empty or will not bind).
    bool open(const std::string &address, std::string &error);
    int port() const { return port_; }
    // The UDP sources (polled_udp_source.hpp), into `bin` and rtpbin's receive pads. `secure`: SRTP/SRTCP caps.
    bool addReceivers(GstElement *bin, GstElement *rtpbin, bool secure, std::string &error);
    // The udpsinks, from rtpbin's send pads (send_rtp_sink_0 must be linked first), sending to
    // what setRemote said.
    bool addSenders(GstElement *bin, GstElement *rtpbin, std::string &error);
    bool sending() const { return rtpSink_ != nullptr; }
    // Where the peer's SDP says to send (RTCP: its a=rtcp or port + 1; with rtcp-mux, the RTP
    // port from the RTP socket).
    void setRemote(const UdpEndpoint &rtp, const UdpEndpoint &rtcp, bool rtcpMux);
    // The payload types the peer may send us (others are dropped).
    void acceptPayloads(const std::set<int> &payloadTypes) { filter_.acceptPayloads(payloadTypes); }
    // Retargets a sink (loop thread), after onLatched; an empty address sends nothing.
    void sendTo(bool rtcp, const UdpEndpoint &to);
    // An authenticated SRTP packet (after srtpdec, on a streaming thread): latch to its source.
    void confirmSource(GstBuffer *packet);
    // Closes the sockets; the pipeline must be stopped first.
    void close();

private:
    static GstPadProbeReturn onRtpPacket(GstPad *, GstPadProbeInfo *info, gpointer self);
    static GstPadProbeReturn onRtcpPacket(GstPad *, GstPadProbeInfo *info, gpointer self);

    Hooks hooks_;
    SourceFilter filter_;
    SenderCache rtpSenders_, rtcpSenders_;
    GSocket *rtpSocket_ = nullptr;   // owned
    GSocket *rtcpSocket_ = nullptr;  // owned
    int port_ = 0;
    std::atomic<bool> secure_{false};
    std::atomic<bool> rtcpMux_{false};
    GstElement *rtpSink_ = nullptr;   // owned by the pipeline
    GstElement *rtcpSink_ = nullptr;  // owned by the pipeline
    UdpEndpoint rtpTarget_, rtcpTarget_;
    std::mutex dropsMutex_;
    std::set<SourceFilter::Drop> reportedDrops_;
};

}  // namespace sipw
