#include "media/sdp_util.hpp"

#include <gst/sdp/sdp.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <strings.h>

namespace sipw::sdp {
namespace {

std::vector<std::string> splitLines(const std::string &text) {
    std::vector<std::string> lines;
    std::string::size_type start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

std::string joinLines(const std::vector<std::string> &lines) {
    std::string out;
    for (const auto &l : lines) out += l + "\r\n";
    return out;
}

bool startsWith(const std::string &s, const char *prefix) { return s.rfind(prefix, 0) == 0; }

bool isDirection(const std::string &value) {
    return value == "sendrecv" || value == "sendonly" || value == "recvonly" || value == "inactive";
}

bool isDirectionLine(const std::string &line) {
    return startsWith(line, "a=") && isDirection(line.substr(2));
}

std::vector<std::string> splitWords(const std::string &s) {
    std::vector<std::string> words;
    std::istringstream in(s);
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

std::string addressFamily(const std::string &address) {
    return address.find(':') != std::string::npos ? "IP6" : "IP4";
}

// Index of the first line of each media section ("m=" lines), plus lines.size() as an end mark.
std::vector<size_t> mediaSectionStarts(const std::vector<std::string> &lines) {
    std::vector<size_t> starts;
    for (size_t i = 0; i < lines.size(); ++i)
        if (startsWith(lines[i], "m=")) starts.push_back(i);
    starts.push_back(lines.size());
    return starts;
}

}  // namespace

bool parseCandidate(const std::string &text, Candidate &out) {
    std::string value = startsWith(text, "a=") ? text.substr(2) : text;
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    if (!startsWith(value, "candidate:")) return false;
    // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
    auto words = splitWords(value.substr(10));
    if (words.size() < 8 || words[6] != "typ") return false;
    Candidate c;
    c.line = value;
    c.component = std::atoi(words[1].c_str());
    c.transport = words[2];
    c.address = words[4];
    c.port = std::atoi(words[5].c_str());
    c.type = words[7];
    if (c.component <= 0 || c.port <= 0 || c.address.empty()) return false;
    out = std::move(c);
    return true;
}

const Candidate *defaultCandidate(const std::vector<Candidate> &candidates) {
    for (const char *type : {"srflx", "relay", "host"})
        for (const auto &c : candidates)
            if (c.component == 1 && strcasecmp(c.transport.c_str(), "UDP") == 0 && c.type == type)
                return &c;
    return nullptr;
}

std::string withCandidates(const std::string &sdp, const std::vector<Candidate> &candidates,
                           bool complete) {
    const Candidate *def = defaultCandidate(candidates);
    auto lines = splitLines(sdp);
    auto starts = mediaSectionStarts(lines);
    std::vector<std::string> out(lines.begin(), lines.begin() + static_cast<long>(starts.front()));
    for (size_t s = 0; s + 1 < starts.size(); ++s) {
        for (size_t i = starts[s]; i < starts[s + 1]; ++i) {
            std::string line = lines[i];
            if (startsWith(line, "a=candidate:") || line == "a=end-of-candidates") continue;
            if (def && i == starts[s]) {
                // m=<media> <port> <proto> <fmt>...: replace the port only.
                auto sp1 = line.find(' ');
                auto sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
                if (sp2 != std::string::npos)
                    line = line.substr(0, sp1 + 1) + std::to_string(def->port) + line.substr(sp2);
            } else if (def && startsWith(line, "c=")) {
                line = "c=IN " + addressFamily(def->address) + " " + def->address;
            }
            out.push_back(line);
        }
        for (const auto &c : candidates) out.push_back("a=" + c.line);
        if (complete) out.push_back("a=end-of-candidates");
    }
    return joinLines(out);
}

std::string withDirectionAndVersion(const std::string &sdp, const std::string &direction,
                                    unsigned long long version) {
    auto lines = splitLines(sdp);
    auto starts = mediaSectionStarts(lines);
    std::vector<std::string> out;
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::string &line = lines[i];
        bool lastOfMediaSection = i >= starts.front() &&
            (i + 1 == lines.size() || startsWith(lines[i + 1], "m="));
        if (startsWith(line, "o=")) {
            // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
            auto words = splitWords(line.substr(2));
            if (words.size() == 6) {
                words[2] = std::to_string(version);
                std::string o = "o=";
                for (size_t w = 0; w < words.size(); ++w) o += (w ? " " : "") + words[w];
                out.push_back(o);
            } else {
                out.push_back(line);
            }
        } else if (!isDirectionLine(line)) {
            out.push_back(line);
        }
        // Attributes come last in a media section (RFC 4566 order), so append it there.
        if (lastOfMediaSection) out.push_back("a=" + direction);
    }
    return joinLines(out);
}

std::string withSetupRole(const std::string &sdp, const std::string &role) {
    auto lines = splitLines(sdp);
    for (auto &line : lines)
        if (startsWith(line, "a=setup:")) line = "a=setup:" + role;
    return joinLines(lines);
}

std::string withTelephoneEvent(const std::string &sdp, int payloadType) {
    const std::string pt = std::to_string(payloadType);
    auto lines = splitLines(sdp);
    auto starts = mediaSectionStarts(lines);
    std::vector<std::string> out(lines.begin(), lines.begin() + static_cast<long>(starts.front()));
    for (size_t s = 0; s + 1 < starts.size(); ++s) {
        std::vector<std::string> section(lines.begin() + static_cast<long>(starts[s]),
                                         lines.begin() + static_cast<long>(starts[s + 1]));
        // m=audio <port> <proto> <fmt>...
        auto words = splitWords(section.front());
        bool audio = words.size() >= 4 && words[0] == "m=audio";
        bool listed = audio && std::find(words.begin() + 3, words.end(), pt) != words.end();
        if (audio && !listed) {
            section.front() += " " + pt;
            // After the section's last rtpmap/fmtp line, where codec attributes are read.
            size_t at = section.size();
            for (size_t i = 1; i < section.size(); ++i)
                if (startsWith(section[i], "a=rtpmap:") || startsWith(section[i], "a=fmtp:")) at = i + 1;
            section.insert(section.begin() + static_cast<long>(at),
                           {"a=rtpmap:" + pt + " telephone-event/48000", "a=fmtp:" + pt + " 0-16"});
        }
        out.insert(out.end(), section.begin(), section.end());
    }
    return joinLines(out);
}

unsigned long long originVersion(const std::string &sdp) {
    for (const auto &line : splitLines(sdp)) {
        if (!startsWith(line, "o=")) continue;
        auto words = splitWords(line.substr(2));
        return words.size() == 6 ? std::strtoull(words[2].c_str(), nullptr, 10) : 0;
    }
    return 0;
}

std::string RemoteAudio::unusableReason() const {
    if (!parsed) return "not a parsable SDP with an audio section";
    if (!secureProfile) return "audio is not offered over UDP/TLS/RTP/SAVPF (DTLS-SRTP)";
    if (!fingerprint) return "no DTLS fingerprint";
    if (!iceCredentials) return "no ICE credentials (ice-ufrag/ice-pwd)";
    if (opusPayload < 0) return "no opus/48000/2 payload";
    return {};
}

RemoteAudio inspectRemote(const std::string &text) {
    RemoteAudio r;
    GstSDPMessage *msg = nullptr;
    // GStreamer logs a CRITICAL for an empty text (an INVITE without SDP); that is just unusable.
    if (text.empty()) return r;
    if (gst_sdp_message_new_from_text(text.c_str(), &msg) != GST_SDP_OK || !msg) return r;
    const GstSDPMedia *audio = nullptr;
    for (guint i = 0; i < gst_sdp_message_medias_len(msg) && !audio; ++i) {
        const GstSDPMedia *m = gst_sdp_message_get_media(msg, i);
        if (g_strcmp0(gst_sdp_media_get_media(m), "audio") == 0 && gst_sdp_media_get_port(m) != 0)
            audio = m;
    }
    if (audio && gst_sdp_message_get_version(msg)) {
        r.parsed = true;
        const char *proto = gst_sdp_media_get_proto(audio);
        r.secureProfile = proto && (g_str_equal(proto, "UDP/TLS/RTP/SAVPF") ||
                                    g_str_equal(proto, "UDP/TLS/RTP/SAVP"));
        auto attr = [&](const char *key) -> const char * {
            const char *v = gst_sdp_media_get_attribute_val(audio, key);
            return v ? v : gst_sdp_message_get_attribute_val(msg, key);
        };
        r.fingerprint = attr("fingerprint") != nullptr;
        r.iceCredentials = attr("ice-ufrag") && attr("ice-pwd");
        if (r.iceCredentials) r.iceUfrag = attr("ice-ufrag");
        r.rtcpMux = gst_sdp_media_get_attribute_val(audio, "rtcp-mux") != nullptr;
        // A direction at session level applies to every media section without its own (RFC 4566).
        for (guint i = 0; i < gst_sdp_message_attributes_len(msg); ++i) {
            const GstSDPAttribute *a = gst_sdp_message_get_attribute(msg, i);
            if (a->key && isDirection(a->key)) r.direction = a->key;
        }
        if (const char *setup = attr("setup")) r.setup = setup;
        for (guint i = 0; i < gst_sdp_media_attributes_len(audio); ++i) {
            const GstSDPAttribute *a = gst_sdp_media_get_attribute(audio, i);
            if (a->key && isDirection(a->key)) r.direction = a->key;
            if (g_strcmp0(a->key, "rtpmap") != 0 || !a->value) continue;
            // "<pt> opus/48000/2", "<pt> telephone-event/8000"
            int pt = -1;
            char name[32] = {0};
            unsigned rate = 0;
            if (sscanf(a->value, "%d %31[^/]/%u", &pt, name, &rate) != 3) continue;
            if (strcasecmp(name, "opus") == 0 && rate == 48000 && r.opusPayload < 0) r.opusPayload = pt;
            if (strcasecmp(name, "telephone-event") == 0) {
                if (rate == 48000 && r.telephoneEventPayload < 0) r.telephoneEventPayload = pt;
                if (rate == 8000) r.telephoneEvent8000 = true;
            }
        }
    }
    gst_sdp_message_free(msg);
    return r;
}

namespace {

constexpr unsigned kSends = 1, kReceives = 2;

unsigned directionBits(const std::string &direction) {
    if (direction == "sendonly") return kSends;
    if (direction == "recvonly") return kReceives;
    if (direction == "inactive") return 0;
    return kSends | kReceives;
}

std::string directionOf(unsigned bits) {
    switch (bits) {
    case kSends: return "sendonly";
    case kReceives: return "recvonly";
    case 0: return "inactive";
    default: return "sendrecv";
    }
}

}  // namespace

std::string answerDirection(const std::string &remoteDirection, const std::string &wanted) {
    unsigned remote = directionBits(remoteDirection);
    // What the peer sends we may receive, and the other way round.
    unsigned mirrored = ((remote & kSends) ? kReceives : 0) | ((remote & kReceives) ? kSends : 0);
    return directionOf(mirrored & directionBits(wanted));
}

std::string commonDirection(const std::string &a, const std::string &b) {
    return directionOf(directionBits(a) & directionBits(b));
}

}  // namespace sipw::sdp
