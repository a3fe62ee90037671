// SDP text fix-ups for the WebRTC media profile, and the offer/answer direction rules.
//
// SIP carries no trickle ICE, so the SDP we hand to sessions must carry the candidates itself,
// and webrtcbin 1.22 leaves "m=audio 9" / "c=IN IP4 0.0.0.0" and omits candidates from re-offers.
// These functions edit SDP as text, line by line, so everything else webrtcbin wrote stays exact.
#pragma once

#include <string>
#include <vector>

namespace sipw::sdp {

// One parsed "candidate:..." attribute value (what on-ice-candidate delivers, without "a=").
struct Candidate {
    std::string line;       // "candidate:1 1 UDP 2015363327 192.0.2.1 43363 typ host"
    int component = 0;
    std::string transport;  // "UDP" / "TCP", as written
    std::string address;
    int port = 0;
    std::string type;       // "host", "srflx", "prflx", "relay"
};
// Accepts the value with or without a leading "a=". False if it is not a candidate.
bool parseCandidate(const std::string &text, Candidate &out);

// The candidate to put in m= / c=: a UDP RTP (component 1) candidate, server-reflexive first,
// then relay, then host (a peer that ignores ICE can then still reach us). Null when none fits.
const Candidate *defaultCandidate(const std::vector<Candidate> &candidates);

// Returns `sdp` with every media section's a=candidate lines replaced by `candidates` (plus
// a=end-of-candidates when `complete`), and its port / connection address set from the default
// candidate. Other lines are kept as they are; line endings are normalized to CRLF.
std::string withCandidates(const std::string &sdp, const std::vector<Candidate> &candidates,
                           bool complete);

// Returns `sdp` with the media direction attribute of every media section set to `direction`
// (sendrecv | sendonly | recvonly | inactive) and the o= session version set to `version`.
std::string withDirectionAndVersion(const std::string &sdp, const std::string &direction,
                                    unsigned long long version);

// Replaces every a=setup: value (used to turn our cached offer, "actpass", into the role that
// was actually negotiated when we build an answer from it).
std::string withSetupRole(const std::string &sdp, const std::string &role);

// Returns `sdp` with RFC 4733 telephone-event at `clockRate` added to its audio section as
// payload `payloadType`: the format on the m= line, "a=rtpmap:PT telephone-event/RATE" and
// "a=fmtp:PT 0-16". webrtcbin 1.22 never offers or answers telephone-event itself (codec
// preferences do not get it into an answer), and it builds its payload map from the last
// description applied, so this goes into our description before set-local-description.
// Unchanged if the section already lists the payload type.
std::string withTelephoneEvent(const std::string &sdp, int payloadType, int clockRate);

// Session version of the o= line (0 if absent).
unsigned long long originVersion(const std::string &sdp);

// The direction that answers `remoteDirection` when we ourselves want `wanted` (RFC 3264 §6.1):
// the mirror of the offer (sendonly ↔ recvonly, inactive, sendrecv), narrowed to what we want.
// E.g. holding (wanted "sendonly"), we answer a sendrecv offer "sendonly", a sendonly one "inactive".
std::string answerDirection(const std::string &remoteDirection, const std::string &wanted = "sendrecv");

// The direction both allow: it sends if both do, receives if both do.
std::string commonDirection(const std::string &a, const std::string &b);

}  // namespace sipw::sdp
