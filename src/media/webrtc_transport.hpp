// The WebRTC transport on the media layer's shared threads (the webrtc profile with
// `media.webrtcTransport: "shared"`): what webrtcbin does with a handful of threads per call,
// done by threads every call shares.
//
//   ICE (ice_transport.hpp: libnice on the one ICE thread) ─ datagrams ─┬ DTLS → handshake (dtls_srtp.hpp) → SRTP keys
//                                                                       └ SRTP/SRTCP → fed source → rtpbin (→ srtpdec)
//   rtpbin send_rtp_src_0 / send_rtcp_src_0 (after srtpenc) → fakesink, whose pad probe sends through ICE
//
// RTP, RTCP, DTLS and STUN share one ICE component (rtcp-mux, RFC 5761; demultiplexed by their
// first byte, RFC 7983). Nothing of the media is sent or taken before the DTLS keys are known.
#pragma once

#include "media/dtls_srtp.hpp"
#include "media/ice_transport.hpp"
#include "media_api/media_options.hpp"

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sipw {

class WebRtcTransport {
public:
    // On the ICE thread.
    struct Hooks {
        std::function<void()> onGathered;  // local candidates are complete
        // DTLS done, the peer's certificate matched its fingerprint. The media may flow once
        // this returns: take the keys here (srtpdec asks for the peer's with the first packet).
        std::function<void(const DtlsSrtpHandshake::Keys &)> onKeys;
        std::function<void(const std::string &why)> onFailed;  // ICE or DTLS; English
    };
    explicit WebRtcTransport(Hooks hooks);
    ~WebRtcTransport() { close(); }
    WebRtcTransport(const WebRtcTransport &) = delete;
    WebRtcTransport &operator=(const WebRtcTransport &) = delete;

    // Starts gathering (onGathered when complete) on the addresses and with the servers of
    // `options`; entries of options.addresses that name nothing here are added to `unknownAddresses`.
    bool open(const IceOptions &options, std::vector<std::string> &unknownAddresses, std::string &error);
    bool gathered() const { return gathered_; }
    // What our descriptions carry (once gathered).
    IceTransport::LocalParameters localIce() const;
    static std::string fingerprint();  // SHA-256 of the process's DTLS certificate

    struct Remote {
        std::string ufrag, password;
        std::vector<std::string> candidates;
        std::string fingerprint;  // SHA-256, "AB:CD:..."
    };
    // The peer's ICE and DTLS parameters, and our roles (the offerer controls ICE; a=setup:active
    // is the DTLS client). Again with the same credentials: only new candidates are added. A new
    // ufrag (an ICE restart) is refused.
    bool setRemote(const Remote &remote, bool controlling, bool dtlsClient, std::string &error);

    // The fed source, into `bin` and rtpbin's recv_rtp_sink_0 (SRTP and SRTCP caps).
    bool addReceivers(GstElement *bin, GstElement *rtpbin, std::string &error);
    // The senders, from rtpbin's send pads (send_rtp_sink_0 must be linked first).
    bool addSenders(GstElement *bin, GstElement *rtpbin, std::string &error);
    bool sending() const { return sendersAdded_; }
    // No hook runs after it returns; the pipeline must be stopped first.
    void close();

private:
    void onPacket(const guint8 *data, gsize size);
    void onIceConnected();
    void fail(const std::string &why);
    static GstPadProbeReturn onSent(GstPad *, GstPadProbeInfo *info, gpointer self);

    Hooks hooks_;
    std::unique_ptr<IceTransport> ice_;
    // The handshake lives on the ICE thread (its timers too); made by setRemote, gone with close().
    std::unique_ptr<DtlsSrtpHandshake> dtls_;
    bool dtlsClient_ = false;
    bool iceConnected_ = false;  // ICE thread
    std::vector<std::string> heldDtls_;  // ICE thread: DTLS to send once ICE has a pair
    static constexpr size_t kHeldDtlsLimit = 16;
    std::string remoteUfrag_;
    std::atomic<bool> gathered_{false};
    std::atomic<bool> keysKnown_{false};
    std::atomic<bool> failed_{false};
    bool sendersAdded_ = false;
    GstElement *received_ = nullptr;  // the fed source, owned by the pipeline
};

}  // namespace sipw
