// Parsing of the audio input/output forms of SPEC §3 (shared by INIT and per-call options).
#include "media_api/media_options.hpp"

#include <cstdlib>

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

}  // namespace sipw
