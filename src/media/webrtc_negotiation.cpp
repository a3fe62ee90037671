#include "media/webrtc_negotiation.hpp"

#include "media/sdp_util.hpp"

#include <glib.h>

namespace sipw {
namespace {

// Who the peer is for ICE and DTLS; fingerprints compare without case (RFC 8122 §5).
std::string identityOf(const sdp::RemoteMedia &remote) {
    gchar *fingerprint = g_ascii_strup(remote.sha256Fingerprint.c_str(), -1);
    std::string identity = remote.iceUfrag + '\n' + remote.icePassword + '\n' + fingerprint;
    g_free(fingerprint);
    return identity;
}

}  // namespace

std::string WebRtcNegotiation::unusable(const sdp::RemoteMedia &remote) const {
    if (remote.sha256Fingerprint.empty()) return "no sha-256 DTLS fingerprint";
    if (!remote.rtcpMux) return "WebRTC audio without a=rtcp-mux";
    if (!remoteIdentity_.empty() && identityOf(remote) != remoteIdentity_)
        return "the description moves the media to another endpoint (new ICE credentials or DTLS fingerprint), "
               "which needs an ICE restart; that is not supported";
    return {};
}

bool WebRtcNegotiation::apply(const sdp::RemoteMedia &remote, bool offered, std::string &error) {
    if (dtlsSetup_.empty()) {
        if (offered) dtlsSetup_ = remote.setup == "active" ? "passive" : "active";
        else if (remote.setup == "active" || remote.setup == "passive") dtlsSetup_ = remote.setup == "active" ? "passive" : "active";
        else return error = "the answer's a=setup is \"" + remote.setup + "\" (active or passive expected)", false;
        iceControlling_ = !offered;
    }
    if (offered) remoteMid_ = remote.mid;
    remoteIdentity_ = identityOf(remote);
    WebRtcTransport::Remote r{remote.iceUfrag, remote.icePassword, remote.candidates, remote.sha256Fingerprint};
    return transport_.setRemote(r, iceControlling_, dtlsSetup_ == "active", error);
}

void WebRtcNegotiation::describe(sdp::LocalRtpDescription &d, bool offering) const {
    sdp::LocalWebRtcTransport w;
    IceTransport::LocalParameters ice = transport_.localIce();
    w.iceUfrag = ice.ufrag;
    w.icePassword = ice.password;
    w.candidates = ice.candidates;
    w.fingerprint = WebRtcTransport::fingerprint();
    // An offer says actpass, and the peer keeps its role in later answers (RFC 8842 §5.3).
    w.setup = offering || dtlsSetup_.empty() ? "actpass" : dtlsSetup_;
    w.mid = offering ? "0" : remoteMid_;
    std::vector<sdp::Candidate> parsed;
    for (const std::string &line : w.candidates) {
        sdp::Candidate c;
        if (sdp::parseCandidate(line, c)) parsed.push_back(c);
    }
    if (const sdp::Candidate *c = sdp::defaultCandidate(parsed)) {
        d.address = c->address;
        d.port = c->port;
    }
    d.rtcpPort = 0;
    d.rtcpMux = true;
    d.webrtc = w;
}

bool WebRtcNegotiation::hasRelayCandidate(const sdp::LocalRtpDescription &d) {
    if (!d.webrtc) return false;
    for (const std::string &line : d.webrtc->candidates) {
        sdp::Candidate c;
        if (sdp::parseCandidate(line, c) && c.type == "relay") return true;
    }
    return false;
}

}  // namespace sipw
