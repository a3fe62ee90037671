// Our own descriptions for the rtp and srtp profiles (RTP/AVP and RTP/SAVP, RFC 3264/4566), the
// SDES keys of srtp (RFC 4568), and the webrtc profile on the shared transport (webrtc_transport.hpp).
#pragma once

#include "media/remote_sdp.hpp"

#include <gst/gst.h>

#include <optional>
#include <string>
#include <vector>

namespace sipw::sdp {

// One payload type of our m= line.
struct LocalFormat {
    int payloadType = 0;
    std::string rtpmap;  // "PCMU/8000", "opus/48000/2", "telephone-event/8000"
    std::string fmtp;    // empty: none
};

// What a WebRTC description adds (UDP/TLS/RTP/SAVPF): ICE (RFC 8839), DTLS (RFC 8842), BUNDLE.
struct LocalWebRtcTransport {
    std::string iceUfrag, icePassword;
    std::vector<std::string> candidates;  // "candidate:..." values
    std::string fingerprint;              // SHA-256 of our certificate
    std::string setup;                    // actpass (offers), active or passive (answers)
    std::string mid;                      // empty: no a=mid, no BUNDLE group
};

struct LocalRtpDescription {
    std::string address;           // where we receive (connection and origin address)
    int port = 0;                  // 0: the audio stream is refused (an answer to a port-0 offer)
    int rtcpPort = 0;              // a=rtcp, 0: none
    bool rtcpMux = false;
    bool secure = false;           // RTP/SAVP with `cryptos`, else RTP/AVP
    std::optional<LocalWebRtcTransport> webrtc;  // UDP/TLS/RTP/SAVPF instead of the above
    std::vector<LocalFormat> formats;
    std::vector<Crypto> cryptos;
    std::string direction = "sendrecv";
    int ptimeMs = 20;
    unsigned long long sessionId = 0;
    unsigned long long version = 0;
};
std::string toSdp(const LocalRtpDescription &description);

// The m= line entries of `codec` at `payloadType`, and of telephone-event at `clockRate`.
LocalFormat formatOf(AudioCodec codec, int payloadType);
LocalFormat telephoneEventFormat(int payloadType, int clockRate);

// The SRTP suites we support, most preferred first.
const std::vector<std::string> &srtpSuites();
// srtpenc/srtpdec's authentication name of a suite: "hmac-sha1-80" or "hmac-sha1-32".
const char *srtpAuthOf(const std::string &suite);
// A fresh master key and salt (30 random bytes), base64 as a=crypto carries it.
std::string newSrtpKey();
// The 30 bytes of a base64 key (transfer full), or null if it is not one.
GstBuffer *srtpKeyBuffer(const std::string &base64);

}  // namespace sipw::sdp
