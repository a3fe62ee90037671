#include "media/sdp_identity.hpp"

#include "media/remote_sdp.hpp"

#include <glib.h>

#include <sstream>

namespace sipw::sdp {

namespace {

// The value of the first "a=<name>:" line, trimmed; fingerprints compared without case.
std::string attribute(const std::string &sdp, const std::string &name, bool foldCase) {
    std::istringstream lines(sdp);
    std::string line, prefix = "a=" + name + ":";
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.compare(0, prefix.size(), prefix) != 0) continue;
        std::string value = line.substr(prefix.size());
        while (!value.empty() && g_ascii_isspace(value.back())) value.pop_back();
        while (!value.empty() && g_ascii_isspace(value.front())) value.erase(value.begin());
        if (foldCase) {
            gchar *lower = g_ascii_strdown(value.c_str(), -1);
            value = lower;
            g_free(lower);
        }
        return value;
    }
    return {};
}

// The answer's codec: its first (only) audio format.
int firstPayloadType(const std::string &sdp) {
    RemoteMedia media = inspect(sdp);
    return media.formats.empty() ? -1 : media.formats.front().payloadType;
}

}  // namespace

bool sameMediaEndpoint(const std::string &a, const std::string &b) {
    return attribute(a, "ice-ufrag", false) == attribute(b, "ice-ufrag", false) &&
           attribute(a, "ice-pwd", false) == attribute(b, "ice-pwd", false) &&
           attribute(a, "fingerprint", true) == attribute(b, "fingerprint", true) &&
           firstPayloadType(a) == firstPayloadType(b);
}

}  // namespace sipw::sdp
