// Whether two answers from a peer describe the same media endpoint (WebRTC profile).
#pragma once

#include <string>

namespace sipw::sdp {

// True when both SDPs carry the same ICE credentials (a=ice-ufrag, a=ice-pwd), the same DTLS
// certificate (a=fingerprint) and the same Opus payload type: media keeps flowing between the
// same two ends, so only directions and the like can differ. Attributes are looked up at
// session and media level alike (the first occurrence counts).
bool sameMediaEndpoint(const std::string &a, const std::string &b);

}  // namespace sipw::sdp
