// The options of a call's media: the profile and codecs, what is sent and what is done with what
// is received, ICE, and the receive latency. Plain data shared by the configuration (INIT, per-call
// options) and the media profiles; it includes neither sofia-sip nor GStreamer.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sipw {

// "device" | "file:PATH" | "tone:HZ" | "silence" (input);  "device" | "file:PATH.wav" | "null" (output)
struct AudioEndpoint {
    enum class Kind { Device, File, Tone, Silence, Null };
    Kind kind = Kind::Silence;
    std::string path;   // Kind::File
    double hz = 0;      // Kind::Tone
    // Parses the documented forms; false (and why, as an i18n error key + arg) on a bad value.
    static bool parseInput(const std::string &text, AudioEndpoint &out);
    static bool parseOutput(const std::string &text, AudioEndpoint &out);
};

struct IceServer {
    std::string url;         // stun:host:port, turn:host:port?transport=udp|tcp, turns:...
    std::string username;    // TURN only
    std::string credential;  // TURN only
};

struct IceOptions {
    // "first-server" (default): host candidates plus the first srflx/relay candidate of each
    //                            configured server, or gathering complete;
    // "complete": wait for gathering to complete;  "host": host candidates only, send at once.
    std::string strategy = "first-server";
    int gatheringTimeoutMs = 500;        // never wait longer than this after gathering began
    bool relayOnly = false;              // transportPolicy "relay"
    std::vector<IceServer> servers;      // from INIT sipIce
    std::vector<std::string> addresses;  // restrict ICE to these local IPs or interface names (empty: all)
};

// How a call's media travels: "webrtc" (UDP/TLS/RTP/SAVPF: ICE, DTLS-SRTP, rtcp-mux), "rtp"
// (RTP/AVP: plain RTP and RTCP, symmetric RTP) or "srtp" (RTP/SAVP with SDES keys, a=crypto).
enum class MediaProfile { WebRtc, Rtp, Srtp };
const char *profileName(MediaProfile profile);
// Case-insensitive; false for anything else.
bool parseProfile(const std::string &name, MediaProfile &out);

// The audio codecs of every profile (telephone-event is added beside them, at each one's clock).
enum class AudioCodec { Opus, G722, Pcmu, Pcma };
const char *codecName(AudioCodec codec);  // "opus", "G722", "PCMU", "PCMA"
// Case-insensitive; false for anything else.
bool parseCodec(const std::string &name, AudioCodec &out);

// What carries the webrtc profile: GStreamer's webrtcbin (a handful of threads per call), or our
// transport on threads every call shares (ICE on one thread, DTLS-SRTP keys, rtpbin).
enum class WebRtcTransportKind { Webrtcbin, Shared };
const char *webrtcTransportName(WebRtcTransportKind kind);  // "webrtcbin", "shared"
bool parseWebRtcTransport(const std::string &name, WebRtcTransportKind &out);

struct MediaOptions {
    // Of the calls we offer; an incoming offer chooses its own profile.
    MediaProfile profile = MediaProfile::WebRtc;
    // The codecs we allow, most preferred first: our offers list them in this order, and an
    // answer takes the offerer's most preferred one of them.
    std::vector<AudioCodec> codecs = {AudioCodec::Opus, AudioCodec::G722, AudioCodec::Pcmu, AudioCodec::Pcma};
    // The call ends with "RTP Timeout" when no RTP arrives for this long while neither side holds
    // it (0: never).
    int rtpTimeoutMs = 30000;
    // The address our SIP messages leave from: plain RTP (no ICE) binds and advertises it.
    std::string localAddress;
    AudioEndpoint input;                 // what we send
    AudioEndpoint output;                // what we do with what we receive
    IceOptions ice;
    int jitterBufferMs = 40;             // receive latency
    // Opus encoder effort, 0..10: 5 keeps voice quality at half the CPU of 10; 1 halves it again.
    int opusComplexity = 5;
    // Audio per packet sent (and a=ptime, what we ask to receive): 10, 20, 40 or 60 ms. Longer
    // packets cost less per call (every packet pays SRTP, ICE and RTP plumbing) and add their
    // length to the delay.
    int ptimeMs = 20;
    int connectTimeoutMs = 10000;        // offer/answer applied → ICE+DTLS up, or IceFailed
    WebRtcTransportKind webrtcTransport = WebRtcTransportKind::Shared;
};

// INIT `media` or CALL/ANSWER `options.media`: what a caller chose; unset fields keep the defaults
// (or INIT's, for one call).
struct MediaChoice {
    std::optional<MediaProfile> profile;
    std::optional<std::vector<AudioCodec>> codecs;
    std::optional<int> rtpTimeoutMs;
    std::optional<int> opusComplexity;
    std::optional<int> ptimeMs;
    std::optional<WebRtcTransportKind> webrtcTransport;
    void applyTo(MediaOptions &options) const {
        if (profile) options.profile = *profile;
        if (codecs) options.codecs = *codecs;
        if (rtpTimeoutMs) options.rtpTimeoutMs = *rtpTimeoutMs;
        if (opusComplexity) options.opusComplexity = *opusComplexity;
        if (ptimeMs) options.ptimeMs = *ptimeMs;
        if (webrtcTransport) options.webrtcTransport = *webrtcTransport;
    }
};

}  // namespace sipw
