#include "ws/sip_ws_rewrite.hpp"

#include <glib.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace sipw::ws {

namespace {

constexpr std::size_t kMaxHeaders = 256;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 3261 token characters (header names, methods).
bool isToken(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c))) continue;
        if (std::string_view("-.!%*_+`'~").find(c) == std::string_view::npos) return false;
    }
    return true;
}

bool isHeader(std::string_view name, std::string_view longName, std::string_view compactName) {
    return equalsIgnoreCase(name, longName) || equalsIgnoreCase(name, compactName);
}

struct Header {
    std::string name;
    std::string value;
};

struct SipMessage {
    bool request = false;
    std::string method, requestUri;  // requests
    std::string startLine;           // responses: kept as written
    std::vector<Header> headers;
    std::string body;
};

bool parseStartLine(std::string_view line, SipMessage &m, std::string &error) {
    if (line.substr(0, 8) == "SIP/2.0 ") {
        std::string_view rest = line.substr(8);
        if (rest.size() < 3 || !std::isdigit(static_cast<unsigned char>(rest[0])) ||
            !std::isdigit(static_cast<unsigned char>(rest[1])) || !std::isdigit(static_cast<unsigned char>(rest[2])) ||
            rest[0] < '1' || rest[0] > '6' || (rest.size() > 3 && rest[3] != ' ')) {
            error = "bad status line";
            return false;
        }
        m.request = false;
        m.startLine = std::string(line);
        return true;
    }
    std::size_t sp1 = line.find(' ');
    std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.substr(sp2 + 1) != "SIP/2.0") {
        error = "not a SIP request or status line";
        return false;
    }
    std::string_view method = line.substr(0, sp1), uri = line.substr(sp1 + 1, sp2 - sp1 - 1);
    if (!isToken(method) || uri.empty()) {
        error = "bad request line";
        return false;
    }
    m.request = true;
    m.method = std::string(method);
    m.requestUri = std::string(uri);
    return true;
}

// Parses one whole message. The body is cut to Content-Length when the text holds more (the
// datagram rule of RFC 3261 §18.3 fits a WebSocket message); a Content-Length beyond it is an error.
bool parseMessage(std::string_view text, SipMessage &m, std::string &error) {
    // The first empty line ends the headers; bare-LF line ends are tolerated.
    std::size_t crlf = text.find("\r\n\r\n"), lf = text.find("\n\n");
    if (crlf == std::string_view::npos && lf == std::string_view::npos) {
        error = "no empty line after the headers";
        return false;
    }
    bool crlfFirst = crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf);
    std::size_t headerEnd = crlfFirst ? crlf : lf;
    std::size_t bodyStart = headerEnd + (crlfFirst ? 4 : 2);
    std::string_view head = text.substr(0, headerEnd);
    // RFC 3261's grammar allows no control characters in the start line and headers but CR, LF, HT.
    for (char c : head) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\r' && c != '\n' && c != '\t') || u == 0x7f) {
            error = "control character in the headers";
            return false;
        }
    }
    std::vector<std::string_view> lines;
    for (std::size_t pos = 0; pos <= head.size();) {
        std::size_t eol = head.find('\n', pos);
        std::string_view line = head.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    if (lines.empty() || !parseStartLine(lines[0], m, error)) {
        if (error.empty()) error = "empty message";
        return false;
    }
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (line.empty()) continue;
        if (line.front() == ' ' || line.front() == '\t') {  // folded continuation (RFC 3261 §7.3.1)
            if (m.headers.empty()) {
                error = "continuation line before any header";
                return false;
            }
            m.headers.back().value += ' ';
            m.headers.back().value += trim(line);
            continue;
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            error = "header line without a colon";
            return false;
        }
        std::string_view name = trim(line.substr(0, colon));
        if (!isToken(name)) {
            error = "bad header name";
            return false;
        }
        if (m.headers.size() >= kMaxHeaders) {
            error = "too many headers";
            return false;
        }
        m.headers.push_back({std::string(name), std::string(trim(line.substr(colon + 1)))});
    }

    std::string_view body = text.substr(bodyStart);
    for (const Header &h : m.headers) {
        if (!isHeader(h.name, "Content-Length", "l")) continue;
        if (h.value.empty() || h.value.size() > 9 ||
            !std::all_of(h.value.begin(), h.value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
            error = "bad Content-Length";
            return false;
        }
        std::size_t declared = std::stoul(h.value);
        if (declared > body.size()) {
            error = "Content-Length larger than the body";
            return false;
        }
        body = body.substr(0, declared);
        break;
    }
    m.body = std::string(body);
    return true;
}

// Content-Length is rewritten last, so the body length is always the one sent.
std::string serialize(const SipMessage &m) {
    std::string out;
    out.reserve(m.body.size() + 512);
    if (m.request) {
        out += m.method;
        out += ' ';
        out += m.requestUri;
        out += " SIP/2.0";
    } else {
        out += m.startLine;
    }
    out += "\r\n";
    for (const Header &h : m.headers) {
        if (isHeader(h.name, "Content-Length", "l")) continue;
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    out += "Content-Length: ";
    out += std::to_string(m.body.size());
    out += "\r\n\r\n";
    out += m.body;
    return out;
}

// Index of the first comma outside quotes and angle brackets, or npos.
std::size_t topLevelComma(std::string_view s) {
    bool quoted = false;
    int angle = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (quoted) {
            if (c == '\\') ++i;
            else if (c == '"') quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == '<') {
            ++angle;
        } else if (c == '>') {
            if (angle > 0) --angle;
        } else if (c == ',' && angle == 0) {
            return i;
        }
    }
    return std::string_view::npos;
}

// The top Via of a message: "SIP/2.0/<transport> <sent-by><;params>" (the first value of the
// first Via header).
struct TopVia {
    Header *header = nullptr;
    std::string value;     // the first Via value as written
    std::string rest;      // ",<more vias>" after it in the same header, or ""
    std::string transport; // upper case
    std::string sentBy;
    std::string params;    // from the first ';', as written
    std::string branch;

    std::string rebuilt(std::string_view newTransport, std::string_view newSentBy) const {
        return "SIP/2.0/" + std::string(newTransport) + " " + std::string(newSentBy) + params;
    }
    void replace(const std::string &via) { header->value = via + rest; }
};

bool findTopVia(SipMessage &m, TopVia &via, std::string &error) {
    for (Header &h : m.headers) {
        if (!isHeader(h.name, "Via", "v")) continue;
        via.header = &h;
        std::string_view all = h.value;
        std::size_t comma = topLevelComma(all);
        std::string_view first = trim(all.substr(0, comma));
        via.value = std::string(first);
        via.rest = comma == std::string_view::npos ? "" : std::string(all.substr(comma));
        // "SIP / 2.0 / TCP" may carry whitespace around the slashes (RFC 3261 LWS).
        std::size_t i = 0;
        auto skipSpace = [&] {
            while (i < first.size() && (first[i] == ' ' || first[i] == '\t')) ++i;
        };
        auto readToken = [&] {
            std::size_t begin = i;
            while (i < first.size() && isToken(first.substr(i, 1))) ++i;
            return first.substr(begin, i - begin);
        };
        auto expectSlash = [&] {
            skipSpace();
            if (i >= first.size() || first[i] != '/') return false;
            ++i;
            skipSpace();
            return true;
        };
        std::string_view name = readToken();
        bool slash1 = expectSlash();
        std::string_view version = readToken();
        bool slash2 = expectSlash();
        std::string_view transport = readToken();
        if (!slash1 || !slash2 || !equalsIgnoreCase(name, "SIP") || version != "2.0" || transport.empty() ||
            i >= first.size() || (first[i] != ' ' && first[i] != '\t')) {
            error = "bad Via header";
            return false;
        }
        via.transport = std::string(transport);
        for (char &c : via.transport) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        std::string_view afterProtocol = trim(first.substr(i));
        std::size_t semicolon = afterProtocol.find(';');
        via.sentBy = std::string(trim(afterProtocol.substr(0, semicolon)));
        via.params = semicolon == std::string_view::npos ? "" : std::string(afterProtocol.substr(semicolon));
        if (via.sentBy.empty()) {
            error = "bad Via header";
            return false;
        }
        // ;branch=value among the parameters.
        std::string_view params = via.params;
        while (!params.empty()) {
            params.remove_prefix(1);  // the ';'
            std::size_t next = params.find(';');
            std::string_view param = trim(params.substr(0, next));
            std::size_t eq = param.find('=');
            if (eq != std::string_view::npos && equalsIgnoreCase(trim(param.substr(0, eq)), "branch"))
                via.branch = std::string(trim(param.substr(eq + 1)));
            if (next == std::string_view::npos) break;
            params.remove_prefix(next);
        }
        return true;
    }
    error = "no Via header";
    return false;
}

// A SIP URI cut into "scheme:user@" | "host[:port]" | ";params?headers".
struct UriParts {
    std::string prefix, hostPort, suffix;
    std::string host() const {
        if (!hostPort.empty() && hostPort.front() == '[') return hostPort.substr(0, hostPort.find(']') + 1);
        return hostPort.substr(0, hostPort.find(':'));
    }
};

bool splitUri(std::string_view uri, UriParts &parts) {
    std::size_t colon = uri.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view scheme = uri.substr(0, colon);
    if (!equalsIgnoreCase(scheme, "sip") && !equalsIgnoreCase(scheme, "sips")) return false;
    std::size_t at = uri.find('@', colon + 1);
    std::size_t hostStart = at == std::string_view::npos ? colon + 1 : at + 1;
    std::size_t hostEnd = uri.find_first_of(";?", hostStart);
    if (hostEnd == std::string_view::npos) hostEnd = uri.size();
    if (hostEnd == hostStart) return false;
    // host[:port]: a name, an IPv4 address or a bracketed IPv6 reference, nothing else.
    for (std::size_t i = hostStart; i < hostEnd; ++i) {
        char c = uri[i];
        if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view(".-:[]_").find(c) == std::string_view::npos)
            return false;
    }
    parts.prefix = std::string(uri.substr(0, hostStart));
    parts.hostPort = std::string(uri.substr(hostStart, hostEnd - hostStart));
    parts.suffix = std::string(uri.substr(hostEnd));
    return true;
}

// Replaces (or adds) the transport URI parameter in ";params?headers".
std::string withTransport(std::string_view suffix, std::string_view transport) {
    std::size_t question = suffix.find('?');
    std::string_view params = suffix.substr(0, question);
    std::string_view headers = question == std::string_view::npos ? std::string_view() : suffix.substr(question);
    std::string out;
    while (!params.empty()) {
        params.remove_prefix(1);  // ';'
        std::size_t next = params.find(';');
        std::string_view param = params.substr(0, next);
        std::string_view name = param.substr(0, param.find('='));
        if (!equalsIgnoreCase(trim(name), "transport") && !param.empty()) {
            out += ';';
            out += param;
        }
        if (next == std::string_view::npos) break;
        params.remove_prefix(next);
    }
    out += ";transport=";
    out += transport;
    out += headers;
    return out;
}

// Our Contact as the server must see it; remembers the local host:port it replaced.
std::string rewriteContactValue(std::string_view value, const std::string &invalidHost, std::string &localContact) {
    std::string out;
    while (true) {
        std::size_t comma = topLevelComma(value);
        std::string_view contact = trim(value.substr(0, comma));
        std::string rewritten(contact);
        if (contact != "*") {
            std::size_t open = contact.find('<');
            std::size_t close = open == std::string_view::npos ? open : contact.find('>', open);
            std::string_view uri, before, after;
            if (open != std::string_view::npos && close != std::string_view::npos) {
                before = contact.substr(0, open + 1);
                uri = contact.substr(open + 1, close - open - 1);
                after = contact.substr(close);
            } else {
                // Without angle brackets, ';' starts header parameters, so brackets are added.
                std::size_t semicolon = contact.find(';');
                uri = contact.substr(0, semicolon);
                after = semicolon == std::string_view::npos ? std::string_view() : contact.substr(semicolon);
            }
            UriParts parts;
            if (splitUri(uri, parts)) {
                if (localContact.empty()) localContact = parts.hostPort;
                // RFC 7118 §5.2 registers one URI transport value, "ws", for WS and WSS alike.
                std::string newUri = parts.prefix + invalidHost + withTransport(parts.suffix, "ws");
                if (open != std::string_view::npos && close != std::string_view::npos)
                    rewritten = std::string(before) + newUri + std::string(after);
                else
                    rewritten = "<" + newUri + ">" + std::string(after);
            }
        }
        out += rewritten;
        if (comma == std::string_view::npos) break;
        out += ", ";
        value.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

SipStreamFramer::Result SipStreamFramer::next(std::string &out, std::string &error) {
    // CRLF keep-alives (RFC 5626 §3.5.1) between messages carry nothing for the server.
    std::size_t start = buffer_.find_first_not_of("\r\n");
    if (start == std::string::npos) {
        buffer_.clear();
        return Result::NeedMore;
    }
    if (start > 0) buffer_.erase(0, start);
    std::size_t headerEnd = buffer_.find("\r\n\r\n");
    if (headerEnd == std::string::npos) {
        if (buffer_.size() > max_) {
            error = "SIP headers larger than " + std::to_string(max_) + " bytes";
            buffer_.clear();
            return Result::Error;
        }
        return Result::NeedMore;
    }
    // Content-Length (or compact "l") at the start of a header line.
    std::size_t bodyLength = 0;
    bool found = false;
    for (std::size_t pos = buffer_.find("\r\n"); pos < headerEnd; pos = buffer_.find("\r\n", pos + 2)) {
        std::size_t lineStart = pos + 2;
        std::size_t lineEnd = buffer_.find("\r\n", lineStart);
        std::string_view line(buffer_.data() + lineStart, lineEnd - lineStart);
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = trim(line.substr(0, colon));
        if (!isHeader(name, "Content-Length", "l")) continue;
        std::string_view value = trim(line.substr(colon + 1));
        if (value.empty() || value.size() > 9 ||
            !std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
            error = "bad Content-Length in the stream";
            buffer_.clear();
            return Result::Error;
        }
        bodyLength = std::stoul(std::string(value));
        found = true;
        break;
    }
    if (!found) {
        error = "a message on the stream has no Content-Length";
        buffer_.clear();
        return Result::Error;
    }
    std::size_t total = headerEnd + 4 + bodyLength;
    if (total > max_) {
        error = "SIP message of " + std::to_string(total) + " bytes exceeds " + std::to_string(max_);
        buffer_.clear();
        return Result::Error;
    }
    if (buffer_.size() < total) return Result::NeedMore;
    out.assign(buffer_, 0, total);
    buffer_.erase(0, total);
    return Result::Message;
}

// ---------------------------------------------------------------------------------------------

void ViaMemory::expire(std::int64_t nowUs) {
    while (!order_.empty() && (order_.size() > capacity_ || nowUs - order_.front().second > lifetimeUs_)) {
        auto it = entries_.find(order_.front().first);
        // Only the newest remember() of a branch owns its entry.
        if (it != entries_.end() && it->second.addedUs == order_.front().second) entries_.erase(it);
        order_.pop_front();
    }
}

void ViaMemory::remember(const std::string &branch, const std::string &via, std::int64_t nowUs) {
    if (branch.empty() || capacity_ == 0) return;
    // Time never goes backwards here, so "addedUs" identifies the latest entry of a branch.
    std::int64_t stamp = order_.empty() ? nowUs : std::max(nowUs, order_.back().second + 1);
    entries_[branch] = Entry{via, stamp};
    order_.emplace_back(branch, stamp);
    expire(nowUs);
}

const std::string *ViaMemory::find(const std::string &branch, std::int64_t nowUs) {
    expire(nowUs);
    auto it = entries_.find(branch);
    return it == entries_.end() ? nullptr : &it->second.via;
}

// ---------------------------------------------------------------------------------------------

SipWsRewriter::SipWsRewriter(Options options)
    : options_(std::move(options)), ourVias_(options_.viaCapacity, options_.viaLifetimeUs),
      serverVias_(options_.viaCapacity, options_.viaLifetimeUs) {}

SipWsRewriter::Outcome SipWsRewriter::toWebSocket(std::string_view tcpMessage, std::string &out, std::string &error,
                                                  std::int64_t nowUs) {
    if (tcpMessage.find_first_not_of("\r\n") == std::string_view::npos) return Outcome::Ignore;
    if (tcpMessage.size() > kMaxSipMessageBytes) {
        error = "message too large";
        return Outcome::Reject;
    }
    SipMessage m;
    TopVia via;
    if (!parseMessage(tcpMessage, m, error) || !findTopVia(m, via, error)) return Outcome::Reject;
    const char *wsTransport = options_.secure ? "WSS" : "WS";
    if (m.request) {
        if (via.transport == "TCP") {
            ourVias_.remember(via.branch, via.value, nowUs);
            localSentBy_ = via.sentBy;
            via.replace(via.rebuilt(wsTransport, options_.invalidHost));
        }
    } else if (const std::string *original = serverVias_.find(via.branch, nowUs)) {
        via.replace(*original);
    } else if (via.transport == "TCP") {
        via.replace(via.rebuilt(wsTransport, via.sentBy));
    }
    for (Header &h : m.headers)
        if (isHeader(h.name, "Contact", "m")) h.value = rewriteContactValue(h.value, options_.invalidHost, localContact_);
    out = serialize(m);
    return Outcome::Forward;
}

SipWsRewriter::Outcome SipWsRewriter::fromWebSocket(std::string_view wsMessage, std::string &out, std::string &error,
                                                    std::int64_t nowUs) {
    if (wsMessage.find_first_not_of("\r\n") == std::string_view::npos) return Outcome::Ignore;
    if (wsMessage.size() > kMaxSipMessageBytes) {
        error = "message too large";
        return Outcome::Reject;
    }
    SipMessage m;
    TopVia via;
    if (!parseMessage(wsMessage, m, error) || !findTopVia(m, via, error)) return Outcome::Reject;
    bool viaIsWs = via.transport == "WS" || via.transport == "WSS";
    if (!m.request) {
        if (const std::string *original = ourVias_.find(via.branch, nowUs))
            via.replace(*original);
        else if (viaIsWs)
            via.replace(via.rebuilt("TCP", localSentBy_.empty() ? via.sentBy : localSentBy_));
    } else {
        if (viaIsWs) {
            serverVias_.remember(via.branch, via.value, nowUs);
            via.replace(via.rebuilt("TCP", via.sentBy));
        }
        UriParts uri;
        if (!localContact_.empty() && splitUri(m.requestUri, uri) && equalsIgnoreCase(uri.host(), options_.invalidHost))
            m.requestUri = uri.prefix + localContact_ + withTransport(uri.suffix, "tcp");
    }
    out = serialize(m);
    return Outcome::Forward;
}

std::string randomInvalidHost() {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string host;
    for (int i = 0; i < 12; ++i) host += kAlphabet[g_random_int_range(0, sizeof kAlphabet - 1)];
    return host + ".invalid";
}

}  // namespace sipw::ws
