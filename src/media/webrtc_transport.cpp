#include "media/webrtc_transport.hpp"

#include "media/audio_bins.hpp"  // makeElement
#include "media/fed_source.hpp"
#include "media/ice_loop.hpp"
#include "media/local_addresses.hpp"

#include <cstdlib>
#include <optional>

namespace sipw {

namespace {

// "stun:host[:port]", "turn:host[:port][?transport=udp|tcp]", "turns:host[:port]" (RFC 7064/7065),
// with the TURN credentials; nothing for anything else.
std::optional<IceServerAddress> serverAddressOf(const IceServer &server) {
    size_t colon = server.url.find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string scheme = server.url.substr(0, colon);
    std::string rest = server.url.substr(colon + 1);
    IceServerAddress out;
    out.turn = scheme == "turn" || scheme == "turns";
    out.tls = scheme == "turns";
    if (!out.turn && scheme != "stun") return std::nullopt;
    size_t query = rest.find('?');
    if (query != std::string::npos) {
        out.tcp = rest.find("transport=tcp", query) != std::string::npos;
        rest.erase(query);
    }
    out.port = out.tls ? 5349 : 3478;
    size_t portColon = rest.rfind(':');
    // A bracketed IPv6 literal's colons are not a port's.
    if (portColon != std::string::npos && rest.find(']', portColon) == std::string::npos) {
        out.port = atoi(rest.c_str() + portColon + 1);
        rest.erase(portColon);
    }
    if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
    if (rest.empty() || out.port <= 0 || out.port > 65535) return std::nullopt;
    out.host = rest;
    out.user = server.username;
    out.password = server.credential;
    return out;
}

// RFC 7983: what the first byte of a datagram on the shared component says it is.
bool isRtpOrRtcp(const guint8 *data, gsize size) { return size >= 12 && data[0] >= 128 && data[0] <= 191; }

}  // namespace

WebRtcTransport::WebRtcTransport(Hooks hooks) : hooks_(std::move(hooks)) {}

bool WebRtcTransport::open(const IceOptions &options, std::vector<std::string> &unknownAddresses, std::string &error) {
    IceTransport::Hooks hooks;
    hooks.onGathered = [this] {
        gathered_ = true;
        if (hooks_.onGathered) hooks_.onGathered();
    };
    hooks.onConnected = [this] { onIceConnected(); };
    hooks.onFailed = [this](const std::string &why) { fail("ICE: " + why); };
    hooks.onPacket = [this](const guint8 *data, gsize size) { onPacket(data, size); };
    // Controlling until the remote description says who offered.
    ice_ = std::make_unique<IceTransport>(/*controlling=*/true, std::move(hooks));
    std::vector<std::string> addresses;
    for (const std::string &entry : options.addresses) {
        auto resolved = resolveLocalAddresses(entry);
        if (resolved.empty()) unknownAddresses.push_back(entry);
        addresses.insert(addresses.end(), resolved.begin(), resolved.end());
    }
    ice_->limitTo(addresses, options.relayOnly);
    std::vector<IceServerAddress> servers;
    for (const IceServer &server : options.servers) {
        auto address = serverAddressOf(server);
        if (!address) return error = "not a STUN or TURN server URL: " + server.url, false;
        servers.push_back(*address);
    }
    ice_->setServers(servers);
    return ice_->gather(error);
}

IceTransport::LocalParameters WebRtcTransport::localIce() const { return ice_ ? ice_->local() : IceTransport::LocalParameters(); }
std::string WebRtcTransport::fingerprint() { return DtlsCertificate::shared().fingerprint(); }

bool WebRtcTransport::setRemote(const Remote &remote, bool controlling, bool dtlsClient, std::string &error) {
    if (!ice_) return error = "the transport is closed", false;
    if (!remoteUfrag_.empty()) {
        if (remote.ufrag != remoteUfrag_) return error = "ICE restart (a new a=ice-ufrag) is not supported", false;
        return ice_->setRemote(remote.ufrag, remote.password, remote.candidates, error);
    }
    remoteUfrag_ = remote.ufrag;
    dtlsClient_ = dtlsClient;
    ice_->setControlling(controlling);
    std::string fingerprint = remote.fingerprint;
    bool made = false;
    // The handshake's timers and every call into it belong to the ICE thread.
    runOnIceLoop([this, fingerprint, dtlsClient, &made] {
        DtlsSrtpHandshake::Hooks hooks;
        hooks.send = [this](const guint8 *data, gsize size) {
            // The side ICE does not let choose a pair (controlled) may hear the peer's DTLS
            // before its own pair is chosen: its answer waits for it instead of for a
            // retransmission.
            if (ice_ && !ice_->send(data, size) && heldDtls_.size() < kHeldDtlsLimit)
                heldDtls_.emplace_back(reinterpret_cast<const char *>(data), size);
        };
        hooks.onKeys = [this](const DtlsSrtpHandshake::Keys &keys) {
            if (hooks_.onKeys) hooks_.onKeys(keys);
            keysKnown_ = true;  // after the keys were taken: srtpdec asks for them with the first packet
        };
        hooks.onFailed = [this](const std::string &why) { fail("DTLS: " + why); };
        dtls_ = std::make_unique<DtlsSrtpHandshake>(dtlsClient ? DtlsSrtpHandshake::Role::Client
                                                               : DtlsSrtpHandshake::Role::Server,
                                                    fingerprint, std::move(hooks), iceLoopContext());
        // ICE may already be up (a re-offer made us set the remote again): the client starts now.
        if (iceConnected_ && dtlsClient) dtls_->start();
        made = true;
    }, /*wait=*/true);
    if (!made) return error = "could not start DTLS", false;
    return ice_->setRemote(remote.ufrag, remote.password, remote.candidates, error);
}

void WebRtcTransport::onIceConnected() {
    iceConnected_ = true;
    for (const std::string &datagram : heldDtls_)
        ice_->send(reinterpret_cast<const guint8 *>(datagram.data()), datagram.size());
    heldDtls_.clear();
    if (dtls_ && dtlsClient_) dtls_->start();
}

void WebRtcTransport::onPacket(const guint8 *data, gsize size) {
    if (DtlsSrtpHandshake::looksLikeDtls(data, size)) {
        if (dtls_) dtls_->receive(data, size);
        return;
    }
    // Media before the keys could not be decrypted: dropped, as a lost packet.
    if (!isRtpOrRtcp(data, size) || !keysKnown_ || !received_) return;
    if (dtls_) dtls_->peerHasKeys();  // the handshake's state is no longer needed (once: then a no-op)
    feedDatagram(received_, data, size);
}

void WebRtcTransport::fail(const std::string &why) {
    if (failed_.exchange(true)) return;
    if (hooks_.onFailed) hooks_.onFailed(why);
}

bool WebRtcTransport::addReceivers(GstElement *bin, GstElement *rtpbin, std::string &error) {
    // One input for RTP and RTCP: rtpbin takes what is not RTP as RTCP (rtcp-mux, RFC 5761).
    GstCaps *caps = gst_caps_new_empty_simple("application/x-srtp");
    received_ = makeFedSource(caps, "webrtc-in");
    gst_caps_unref(caps);
    gst_bin_add(GST_BIN(bin), received_);
    if (!gst_element_link_pads(received_, "src", rtpbin, "recv_rtp_sink_0"))
        return error = "could not link the received packets to rtpbin", false;
    // srtpdec hands the SRTCP it finds among the packets to its RTCP output, which rtpbin only
    // connects to the session when the session has an RTCP input (left unfed).
    GstPad *rtcpInput = gst_element_request_pad_simple(rtpbin, "recv_rtcp_sink_0");
    if (!rtcpInput) return error = "rtpbin has no RTCP input", false;
    gst_object_unref(rtcpInput);
    return true;
}

bool WebRtcTransport::addSenders(GstElement *bin, GstElement *rtpbin, std::string &error) {
    for (const char *pad : {"send_rtp_src_0", "send_rtcp_src_0"}) {
        GstElement *sink = makeElement("fakesink", error);
        if (!sink) return false;
        // Not clocked, no preroll: a packet leaves as it is made.
        g_object_set(sink, "sync", FALSE, "async", FALSE, "enable-last-sample", FALSE, nullptr);
        gst_bin_add(GST_BIN(bin), sink);
        GstPad *sinkPad = gst_element_get_static_pad(sink, "sink");
        gst_pad_add_probe(sinkPad, GST_PAD_PROBE_TYPE_BUFFER, onSent, this, nullptr);
        gst_object_unref(sinkPad);
        gst_element_sync_state_with_parent(sink);
        if (!gst_element_link_pads(rtpbin, pad, sink, "sink"))
            return error = std::string("could not link rtpbin's ") + pad + " to the sender", false;
    }
    sendersAdded_ = true;
    return true;
}

GstPadProbeReturn WebRtcTransport::onSent(GstPad *, GstPadProbeInfo *info, gpointer selfPtr) {
    auto *self = static_cast<WebRtcTransport *>(selfPtr);
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (self->keysKnown_ && self->ice_) {
        GstMapInfo map;
        if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
            self->ice_->send(map.data, map.size);
            gst_buffer_unmap(buffer, &map);
        }
    }
    return GST_PAD_PROBE_DROP;  // sent: the fakesink has nothing to do
}

void WebRtcTransport::close() {
    if (ice_) ice_->close();  // no ICE hook (nor packet) after it
    if (dtls_) runOnIceLoop([this] { dtls_.reset(); }, /*wait=*/true);
    ice_.reset();
    received_ = nullptr;
}

}  // namespace sipw
