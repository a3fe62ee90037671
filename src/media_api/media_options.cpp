// Parsing of the audio input/output forms (shared by INIT and per-call options), and the names of
// the media profiles, codecs and WebRTC transports.
#include "media_api/media_options.hpp"

#include <cstdlib>
#include <strings.h>

namespace sipw {

namespace {
bool startsWith(const std::string &s, const char *prefix) { return s.rfind(prefix, 0) == 0; }

// The forms inputs and outputs share: "device" and "file:PATH".
bool parseShared(const std::string &text, AudioEndpoint &out) {
    if (text == "device") {
        out.kind = AudioEndpoint::Kind::Device;
    } else if (startsWith(text, "file:") && text.size() > 5) {
        out.kind = AudioEndpoint::Kind::File;
        out.path = text.substr(5);
    } else {
        return false;
    }
    return true;
}
}  // namespace

bool AudioEndpoint::parseInput(const std::string &text, AudioEndpoint &out) {
    out = AudioEndpoint{};
    if (parseShared(text, out)) return true;
    if (text == "silence") {
        out.kind = Kind::Silence;
    } else if (startsWith(text, "tone:")) {
        char *end = nullptr;
        double hz = std::strtod(text.c_str() + 5, &end);
        if (end == text.c_str() + 5 || *end != '\0' || !(hz > 0 && hz <= 20000)) return false;
        out.kind = Kind::Tone;
        out.hz = hz;
    } else {
        return false;
    }
    return true;
}

bool AudioEndpoint::parseOutput(const std::string &text, AudioEndpoint &out) {
    out = AudioEndpoint{};
    if (parseShared(text, out)) return true;
    if (text != "null") return false;
    out.kind = Kind::Null;
    return true;
}

namespace {
constexpr std::pair<MediaProfile, const char *> kProfiles[] = {
    {MediaProfile::WebRtc, "webrtc"}, {MediaProfile::Rtp, "rtp"}, {MediaProfile::Srtp, "srtp"}};
constexpr std::pair<AudioCodec, const char *> kCodecs[] = {
    {AudioCodec::Opus, "opus"}, {AudioCodec::G722, "G722"}, {AudioCodec::Pcmu, "PCMU"}, {AudioCodec::Pcma, "PCMA"}};
constexpr std::pair<WebRtcTransportKind, const char *> kWebRtcTransports[] = {
    {WebRtcTransportKind::Webrtcbin, "webrtcbin"}, {WebRtcTransportKind::Shared, "shared"}};

template <typename Enum, std::size_t N>
bool parseName(const std::pair<Enum, const char *> (&names)[N], const std::string &text, Enum &out) {
    for (const auto &[value, name] : names) {
        if (strcasecmp(text.c_str(), name) != 0) continue;
        out = value;
        return true;
    }
    return false;
}

template <typename Enum, std::size_t N>
const char *nameOf(const std::pair<Enum, const char *> (&names)[N], Enum value) {
    for (const auto &[v, name] : names)
        if (v == value) return name;
    return "";
}
}  // namespace

const char *profileName(MediaProfile profile) { return nameOf(kProfiles, profile); }
bool parseProfile(const std::string &name, MediaProfile &out) { return parseName(kProfiles, name, out); }
const char *codecName(AudioCodec codec) { return nameOf(kCodecs, codec); }
bool parseCodec(const std::string &name, AudioCodec &out) { return parseName(kCodecs, name, out); }
const char *webrtcTransportName(WebRtcTransportKind kind) { return nameOf(kWebRtcTransports, kind); }
bool parseWebRtcTransport(const std::string &name, WebRtcTransportKind &out) {
    return parseName(kWebRtcTransports, name, out);
}

}  // namespace sipw
