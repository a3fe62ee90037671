// What a peer's SDP (an offer or an answer) says about its audio, for every profile: transport,
// address, formats, keys, direction. Read with GstSDPMessage; nothing is built from it here.
#pragma once

#include "media_api/media_options.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sipw::sdp {

// One payload format of the m= line: its rtpmap, or the RFC 3551 static type it stands for.
struct Format {
    int payloadType = -1;
    std::string name;  // as written ("PCMU", "opus", "telephone-event"); empty if unknown
    int clockRate = 0;
    int channels = 1;
};

// One a=crypto attribute (RFC 4568): tag, suite and the first inline key (base64, without the
// |lifetime|MKI suffixes).
struct Crypto {
    int tag = 0;
    std::string suite;
    std::string keyBase64;
    bool usesMki = false;  // packets would carry a master key identifier, which we do not support
};

struct RemoteMedia {
    bool parsed = false;   // parsable, with an audio section
    std::string proto;     // of the audio section: "RTP/AVP", "UDP/TLS/RTP/SAVPF", ...
    std::string address;   // connection address of the audio (media level, else session level)
    int port = 0;          // 0: the audio stream is refused or disabled
    std::string rtcpAddress;  // a=rtcp (RFC 3605); empty: the connection address
    int rtcpPort = 0;         // 0 when absent (RTCP then goes to port + 1)
    bool rtcpMux = false;
    std::vector<Format> formats;  // in m= line order, the sender's preference
    std::vector<Crypto> cryptos;
    bool fingerprint = false;     // a=fingerprint at session or media level
    std::string sha256Fingerprint;  // its value when the hash is sha-256 ("AB:CD:..."), else empty
    bool iceCredentials = false;  // a=ice-ufrag and a=ice-pwd
    std::string iceUfrag, icePassword;
    std::vector<std::string> candidates;  // a=candidate values of the audio section, without "a="
    std::string mid;              // a=mid of the audio section (BUNDLE names it)
    std::string setup;            // a=setup (actpass/active/passive)
    std::string direction = "sendrecv";
    int ptimeMs = 0;              // a=ptime, 0 when absent
};
RemoteMedia inspect(const std::string &sdp);

// The profile a description's transport belongs to: UDP/TLS/RTP/SAVP(F) → webrtc, RTP/AVP(F) →
// rtp, RTP/SAVP(F) → srtp. Empty for anything else.
std::optional<MediaProfile> profileOf(const RemoteMedia &remote);

// The audio codec of a format (name case-insensitive, with its clock rate), if it is one of ours.
std::optional<AudioCodec> codecOf(const Format &format);

struct CodecChoice {
    AudioCodec codec = AudioCodec::Pcmu;
    int payloadType = -1;
    int telephoneEventPayload = -1;  // RFC 4733 at the codec's RTP clock; -1 if not offered
};
// The first of the remote formats (the offerer's preference) whose codec `allowed` has.
std::optional<CodecChoice> chooseCodec(const RemoteMedia &remote, const std::vector<AudioCodec> &allowed);
// The payload type of telephone-event at `clockRate` in `remote`, or -1.
int telephoneEventPayload(const RemoteMedia &remote, int clockRate);

// The first a=crypto whose suite we support (AES_CM_128_HMAC_SHA1_80 or _32, no MKI), if any.
const Crypto *usableCrypto(const RemoteMedia &remote);

// Why a session of `profile`, allowed `codecs`, cannot use `remote` (an offer, or the answer to
// its own offer): empty when it can; otherwise English text naming what is missing.
std::string unusableReason(const RemoteMedia &remote, MediaProfile profile, const std::vector<AudioCodec> &codecs);

// "PCMU, G729, telephone-event" (for messages).
std::string formatNames(const RemoteMedia &remote);

}  // namespace sipw::sdp
