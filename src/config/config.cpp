#include "config/config.hpp"

#include "base/error.hpp"

#include <glib.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace sipw {

using nlohmann::json;

const char *transportName(SipTransport t) {
    switch (t) {
    case SipTransport::Udp: return "udp";
    case SipTransport::Tcp: return "tcp";
    case SipTransport::Tls: return "tls";
    case SipTransport::Ws: return "ws";
    case SipTransport::Wss: return "wss";
    }
    return "udp";
}

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

int defaultPort(SipTransport t) {
    switch (t) {
    case SipTransport::Tls: return 5061;
    case SipTransport::Ws: return 80;
    case SipTransport::Wss: return 443;
    default: return 5060;
    }
}

bool parseTransport(const std::string &name, SipTransport &out) {
    static const std::pair<const char *, SipTransport> names[] = {
        {"udp", SipTransport::Udp}, {"tcp", SipTransport::Tcp}, {"tls", SipTransport::Tls},
        {"ws", SipTransport::Ws},   {"wss", SipTransport::Wss}};
    for (auto &[n, t] : names) {
        if (name == n) {
            out = t;
            return true;
        }
    }
    return false;
}

// "host", "host:port", "[v6]", "[v6]:port" → host and port (0 if absent).
bool splitHostPort(const std::string &text, std::string &host, int &port) {
    port = 0;
    std::string rest;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos) return false;
        host = text.substr(1, close - 1);
        rest = text.substr(close + 1);
    } else {
        auto colon = text.find(':');
        host = text.substr(0, colon);
        if (colon != std::string::npos) rest = text.substr(colon);
    }
    if (host.empty()) return false;
    for (char c : host) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '_'))
            return false;
    }
    if (!rest.empty()) {
        if (rest[0] != ':' || rest.size() < 2 || rest.size() > 6) return false;
        for (size_t i = 1; i < rest.size(); ++i)
            if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
        port = std::stoi(rest.substr(1));
        if (port < 1 || port > 65535) return false;
    }
    return true;
}

}  // namespace

bool ServerUri::parse(const std::string &text, ServerUri &out) {
    out = ServerUri{};
    out.original = text;
    std::string s = text;
    auto scheme = s.find("://");
    std::string hostPart;
    if (scheme != std::string::npos) {
        if (!parseTransport(lower(s.substr(0, scheme)), out.transport)) return false;
        std::string rest = s.substr(scheme + 3);
        auto slash = rest.find('/');
        hostPart = rest.substr(0, slash);
        if (slash != std::string::npos) {
            if (out.transport != SipTransport::Ws && out.transport != SipTransport::Wss) return false;
            out.path = rest.substr(slash);
        } else if (out.transport == SipTransport::Ws || out.transport == SipTransport::Wss) {
            out.path = "/";
        }
    } else {
        std::string l = lower(s);
        std::string rest;
        if (l.rfind("sips:", 0) == 0) {
            out.transport = SipTransport::Tls;
            rest = s.substr(5);
        } else if (l.rfind("sip:", 0) == 0) {
            out.transport = SipTransport::Udp;
            rest = s.substr(4);
        } else {
            return false;
        }
        auto semi = rest.find(';');
        hostPart = rest.substr(0, semi);
        if (hostPart.find('@') != std::string::npos) return false;  // a server, not a user
        while (semi != std::string::npos) {
            auto next = rest.find(';', semi + 1);
            std::string param = lower(rest.substr(semi + 1, next == std::string::npos ? next : next - semi - 1));
            if (param.rfind("transport=", 0) == 0) {
                SipTransport t;
                if (!parseTransport(param.substr(10), t)) return false;
                if (out.transport == SipTransport::Tls && t != SipTransport::Tls) return false;  // sips: is TLS
                out.transport = t;
            } else if (param != "lr" && !param.empty()) {
                return false;
            }
            semi = next;
        }
    }
    if (!splitHostPort(hostPart, out.host, out.port)) return false;
    if (out.port == 0) out.port = defaultPort(out.transport);
    return true;
}

std::string ServerUri::hostPort() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ServerUri::sipUri() const {
    if (transport == SipTransport::Tls) return "sips:" + hostPort();
    return "sip:" + hostPort() + ";transport=" + transportName(transport);
}

namespace {

[[noreturn]] void wrongType(const std::string &field, const char *expected) {
    throw Error(ResultCode::InvalidArgument, "wrong_type", {field, expected});
}
[[noreturn]] void invalidValue(const std::string &field, const std::string &why) {
    throw Error(ResultCode::InvalidArgument, "invalid_value", {field, why});
}

// Typed readers: absent or null → keep the default; present with the wrong type → error.
bool readString(const json &obj, const char *key, std::string &out, const std::string &path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return false;
    if (!it->is_string()) wrongType(path + key, "string");
    out = it->get<std::string>();
    return true;
}
bool readBool(const json &obj, const char *key, bool &out, const std::string &path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return false;
    if (!it->is_boolean()) wrongType(path + key, "boolean");
    out = it->get<bool>();
    return true;
}
bool readInt(const json &obj, const char *key, int &out, int min, int max, const std::string &path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return false;
    if (!it->is_number_integer() && !it->is_number_unsigned()) {
        if (!it->is_number_float() || it->get<double>() != static_cast<long long>(it->get<double>()))
            wrongType(path + key, "integer");
    }
    double v = it->get<double>();
    if (v < min || v > max)
        invalidValue(path + key, "between " + std::to_string(min) + " and " + std::to_string(max));
    out = static_cast<int>(v);
    return true;
}
const json *readObject(const json &obj, const char *key, const std::string &path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_object()) wrongType(path + key, "object");
    return &*it;
}

void checkKnown(const json &obj, std::initializer_list<const char *> known, const std::string &path,
                std::vector<std::string> &unknownFields) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool found = std::any_of(known.begin(), known.end(), [&](const char *k) { return it.key() == k; });
        if (!found) unknownFields.push_back(path + it.key());
    }
}

// "sip:user@domain[:port][;params]" → user and domain.
void parseAor(const std::string &uri, std::string &user, std::string &domain) {
    std::string l = lower(uri);
    size_t start = l.rfind("sip:", 0) == 0 ? 4 : l.rfind("sips:", 0) == 0 ? 5 : std::string::npos;
    if (start == std::string::npos) throw Error(ResultCode::InvalidArgument, "invalid_uri", {"uri", uri});
    auto at = uri.find('@', start);
    if (at == std::string::npos || at == start) throw Error(ResultCode::InvalidArgument, "invalid_uri", {"uri", uri});
    user = uri.substr(start, at - start);
    std::string hostPart = uri.substr(at + 1);
    hostPart = hostPart.substr(0, hostPart.find(';'));
    int port;
    if (!splitHostPort(hostPart, domain, port)) throw Error(ResultCode::InvalidArgument, "invalid_uri", {"uri", uri});
    for (unsigned char c : user) {
        if (c < 0x21 || c == '<' || c == '>' || c == '"' || c == ':' || c == '@')
            throw Error(ResultCode::InvalidArgument, "invalid_uri", {"uri", uri});
    }
}

IceServer parseIceEntry(const json &entry, const std::string &path) {
    IceServer server;
    if (entry.is_string()) {
        server.url = entry.get<std::string>();
    } else if (entry.is_object()) {
        auto urls = entry.find("urls");
        if (urls == entry.end()) urls = entry.find("url");
        if (urls == entry.end()) throw Error(ResultCode::InvalidArgument, "missing_field", {path + ".urls"});
        if (urls->is_array()) {
            if (urls->empty() || !(*urls)[0].is_string()) wrongType(path + ".urls", "string or array of strings");
            server.url = (*urls)[0].get<std::string>();
        } else if (urls->is_string()) {
            server.url = urls->get<std::string>();
        } else {
            wrongType(path + ".urls", "string or array of strings");
        }
        readString(entry, "username", server.username, path + ".");
        readString(entry, "credential", server.credential, path + ".");
    } else {
        wrongType(path, "string or object");
    }
    std::string l = lower(server.url);
    if (l.rfind("stun:", 0) != 0 && l.rfind("turn:", 0) != 0 && l.rfind("turns:", 0) != 0 &&
        l.rfind("stuns:", 0) != 0)
        invalidValue(path, "an ICE server URL (stun:, turn: or turns:)");
    return server;
}

}  // namespace

Config parseInitConfig(const json &p, std::vector<std::string> &unknownFields) {
    if (!p.is_object()) throw Error(ResultCode::InvalidArgument, "payload_not_object", {"INIT"});
    Config c;
    const std::string root;
    checkKnown(p,
               {"uri", "password", "realm", "sipServer", "sipIce", "register", "sipWorkerid",
                "viaTransport", "audio", "tls", "ice", "authorizationUser", "displayName",
                "registerExpires", "userAgent", "locale", "noAnswerTimeout", "reconnect",
                "jitterBufferMs"},
               root, unknownFields);

    if (!readString(p, "uri", c.uri, root)) throw Error(ResultCode::InvalidArgument, "missing_field", {"uri"});
    parseAor(c.uri, c.user, c.domain);
    readString(p, "password", c.password, root);
    readString(p, "realm", c.realm, root);
    readString(p, "authorizationUser", c.authorizationUser, root);
    readString(p, "displayName", c.displayName, root);
    readString(p, "userAgent", c.userAgent, root);
    readString(p, "sipWorkerid", c.workerId, root);
    if (readString(p, "viaTransport", c.viaTransport, root)) {
        SipTransport t;
        if (!parseTransport(lower(c.viaTransport), t)) invalidValue("viaTransport", "one of udp, tcp, tls, ws, wss");
    }
    readBool(p, "register", c.registerOnInit, root);
    readInt(p, "registerExpires", c.registerExpires, 10, 86400, root);
    readInt(p, "noAnswerTimeout", c.noAnswerTimeoutSec, 1, 3600, root);
    readInt(p, "jitterBufferMs", c.media.jitterBufferMs, 0, 2000, root);

    std::string locale;
    if (readString(p, "locale", locale, root) && !i18n::parseLocale(locale, c.locale))
        invalidValue("locale", "\"zh-CN\" or \"en\"");

    if (auto it = p.find("sipServer"); it != p.end() && !it->is_null()) {
        json list = it->is_string() ? json::array({*it}) : *it;
        if (!list.is_array()) wrongType("sipServer", "array of strings");
        for (size_t i = 0; i < list.size(); ++i) {
            std::string field = "sipServer[" + std::to_string(i) + "]";
            if (!list[i].is_string()) wrongType(field, "string");
            ServerUri server;
            if (!ServerUri::parse(list[i].get<std::string>(), server))
                throw Error(ResultCode::InvalidArgument, "invalid_uri", {field, list[i].get<std::string>()});
            c.servers.push_back(server);
        }
    }
    if (c.servers.empty()) {
        // No server given: talk to the domain of our own URI over UDP, as a SIP phone would.
        ServerUri server;
        if (!ServerUri::parse("sip:" + c.domain, server))
            throw Error(ResultCode::InvalidArgument, "invalid_uri", {"uri", c.uri});
        c.servers.push_back(server);
    }

    if (auto it = p.find("sipIce"); it != p.end() && !it->is_null()) {
        if (!it->is_array()) wrongType("sipIce", "array");
        for (size_t i = 0; i < it->size(); ++i)
            c.media.ice.servers.push_back(parseIceEntry((*it)[i], "sipIce[" + std::to_string(i) + "]"));
    }

    if (const json *tls = readObject(p, "tls", root)) {
        checkKnown(*tls, {"verify", "caFile"}, "tls.", unknownFields);
        readBool(*tls, "verify", c.tls.verify, "tls.");
        if (readString(*tls, "caFile", c.tls.caFile, "tls.") && !c.tls.caFile.empty()) {
            // Relative to the caller's working directory now, not to whatever it is later.
            gchar *absolute = g_canonicalize_filename(c.tls.caFile.c_str(), nullptr);
            c.tls.caFile = absolute;
            g_free(absolute);
        }
    }

    if (const json *ice = readObject(p, "ice", root)) {
        checkKnown(*ice, {"strategy", "gatheringTimeoutMs", "transportPolicy", "addresses"}, "ice.",
                   unknownFields);
        IceOptions &o = c.media.ice;
        if (readString(*ice, "strategy", o.strategy, "ice.") && o.strategy != "first-server" &&
            o.strategy != "complete" && o.strategy != "host")
            invalidValue("ice.strategy", "one of \"first-server\", \"complete\", \"host\"");
        readInt(*ice, "gatheringTimeoutMs", o.gatheringTimeoutMs, 0, 60000, "ice.");
        std::string policy;
        if (readString(*ice, "transportPolicy", policy, "ice.")) {
            if (policy != "all" && policy != "relay") invalidValue("ice.transportPolicy", "\"all\" or \"relay\"");
            o.relayOnly = policy == "relay";
        }
        if (auto a = ice->find("addresses"); a != ice->end() && !a->is_null()) {
            if (!a->is_array()) wrongType("ice.addresses", "array of strings");
            for (auto &entry : *a) {
                if (!entry.is_string()) wrongType("ice.addresses", "array of strings");
                o.addresses.push_back(entry.get<std::string>());
            }
        }
    }

    c.media.input.kind = AudioEndpoint::Kind::Device;
    c.media.output.kind = AudioEndpoint::Kind::Device;
    if (auto it = p.find("audio"); it != p.end() && !it->is_null()) {
        std::string text;
        if (it->is_string()) {
            // The seed passed an audio element for playback: a string is the output.
            text = it->get<std::string>();
            if (!AudioEndpoint::parseOutput(text, c.media.output)) invalidValue("audio", "an audio output");
        } else if (it->is_object()) {
            checkKnown(*it, {"input", "output"}, "audio.", unknownFields);
            if (readString(*it, "input", text, "audio.") && !AudioEndpoint::parseInput(text, c.media.input))
                invalidValue("audio.input", "\"device\", \"file:PATH\", \"tone:HZ\" or \"silence\"");
            if (readString(*it, "output", text, "audio.") && !AudioEndpoint::parseOutput(text, c.media.output))
                invalidValue("audio.output", "\"device\", \"file:PATH.wav\" or \"null\"");
        } else {
            wrongType("audio", "object");
        }
    }

    if (const json *r = readObject(p, "reconnect", root)) {
        checkKnown(*r, {"minInterval", "maxInterval"}, "reconnect.", unknownFields);
        readInt(*r, "minInterval", c.reconnect.minIntervalSec, 1, 3600, "reconnect.");
        readInt(*r, "maxInterval", c.reconnect.maxIntervalSec, 1, 3600, "reconnect.");
        if (c.reconnect.maxIntervalSec < c.reconnect.minIntervalSec)
            invalidValue("reconnect.maxInterval", "at least reconnect.minInterval");
    }
    return c;
}

}  // namespace sipw
