// The ICE and DTLS side of the webrtc profile's offer/answer on the shared transport
// (webrtc_transport.hpp): what the peer's descriptions set up, and what ours carry.
//
// Roles: the offerer controls ICE (RFC 8445 §6.1.1); answering we are the DTLS client
// (a=setup:active, as browsers answer), and an offer of ours says actpass and lets the answer
// choose (RFC 8842 §5.1). The peer's ICE credentials and fingerprint are kept for the call: a
// description with others (an ICE restart, another endpoint) is refused.
#pragma once

#include "media/remote_sdp.hpp"
#include "media/rtp_sdp.hpp"
#include "media/webrtc_transport.hpp"

#include <string>

namespace sipw {

class WebRtcNegotiation {
public:
    explicit WebRtcNegotiation(WebRtcTransport::Hooks hooks) : transport_(std::move(hooks)) {}

    WebRtcTransport &transport() { return transport_; }

    // Why the peer's description cannot be used on this call (empty: it can).
    std::string unusable(const sdp::RemoteMedia &remote) const;

    // The peer's ICE and DTLS parameters from its offer (`offered`) or answer: roles on the
    // first, candidates again on later ones.
    bool apply(const sdp::RemoteMedia &remote, bool offered, std::string &error);

    // Our ICE, DTLS and BUNDLE attributes into `d` (`offering`: an offer of ours), with the
    // default candidate's address in m=/c= (what a peer without ICE would use).
    void describe(sdp::LocalRtpDescription &d, bool offering) const;

    // True if `d` carries a TURN relay candidate (relay-only calls need one).
    static bool hasRelayCandidate(const sdp::LocalRtpDescription &d);

private:
    WebRtcTransport transport_;
    std::string dtlsSetup_;  // our part once agreed: "active" (DTLS client) or "passive"
    bool iceControlling_ = false;
    std::string remoteMid_;
    std::string remoteIdentity_;  // the peer's ICE credentials and fingerprint, from its first description
};

}  // namespace sipw
