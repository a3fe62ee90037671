// Parsing of the audio input/output forms of SPEC §3 (shared by INIT and per-call options).
#include "media.hpp"

#include <cstdlib>

namespace sipw {

namespace {
bool startsWith(const std::string &s, const char *prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

bool AudioEndpoint::parseInput(const std::string &text, AudioEndpoint &out) {
    out = AudioEndpoint{};
    if (text == "device") {
        out.kind = Kind::Device;
    } else if (text == "silence") {
        out.kind = Kind::Silence;
    } else if (startsWith(text, "tone:")) {
        char *end = nullptr;
        double hz = std::strtod(text.c_str() + 5, &end);
        if (end == text.c_str() + 5 || *end != '\0' || !(hz > 0 && hz <= 20000)) return false;
        out.kind = Kind::Tone;
        out.hz = hz;
    } else if (startsWith(text, "file:") && text.size() > 5) {
        out.kind = Kind::File;
        out.path = text.substr(5);
    } else {
        return false;
    }
    return true;
}

bool AudioEndpoint::parseOutput(const std::string &text, AudioEndpoint &out) {
    out = AudioEndpoint{};
    if (text == "device") {
        out.kind = Kind::Device;
    } else if (text == "null") {
        out.kind = Kind::Null;
    } else if (startsWith(text, "file:") && text.size() > 5) {
        out.kind = Kind::File;
        out.path = text.substr(5);
    } else {
        return false;
    }
    return true;
}

}  // namespace sipw
