#include "media/sdp_util.hpp"

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

std::string withTelephoneEvent(const std::string &sdp, int payloadType, int clockRate) {
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
                           {"a=rtpmap:" + pt + " telephone-event/" + std::to_string(clockRate), "a=fmtp:" + pt + " 0-16"});
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
