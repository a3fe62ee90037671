#include "config/config.hpp"

#include "base/error.hpp"
#include "base/payload.hpp"

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

// One `sipIce` entry: "stun:h:p", or {urls (or url): a string or an array (first used), username, credential}.
IceServer parseIceEntry(const Payload &list, const json &entry, const std::string &field) {
    IceServer server;
    if (entry.is_string()) {
        server.url = entry.get<std::string>();
    } else if (entry.is_object()) {
        Payload fields(entry, field + ".");
        const char *key = fields.has("urls") ? "urls" : "url";
        auto urls = fields.strings(key, true);
        if (!urls) fields.missing("urls");
        if (urls->empty()) fields.wrongType(key, "string or array of strings");
        server.url = urls->front();
        server.username = fields.string("username").value_or("");
        server.credential = fields.string("credential").value_or("");
    } else {
        list.wrongType(field, "string or object");
    }
    std::string l = lower(server.url);
    if (l.rfind("stun:", 0) != 0 && l.rfind("turn:", 0) != 0 && l.rfind("turns:", 0) != 0 &&
        l.rfind("stuns:", 0) != 0)
        list.invalidValue(field, "an ICE server URL (stun:, turn: or turns:)");
    return server;
}

}  // namespace

Config parseInitConfig(const json &data, std::vector<std::string> &unknownFields) {
    Payload p = Payload::ofCommand(data, "INIT");
    Config c;
    p.collectUnknown({"uri", "password", "realm", "sipServer", "sipIce", "register", "sipWorkerid", "viaTransport",
                      "audio", "tls", "ice", "authorizationUser", "displayName", "registerExpires", "userAgent",
                      "locale", "noAnswerTimeout", "reconnect", "jitterBufferMs", "keepAliveInterval",
                      "media"},
                     unknownFields);

    c.uri = p.string("uri").value_or("");
    if (c.uri.empty()) p.missing("uri");
    parseAor(c.uri, c.user, c.domain);
    c.password = p.string("password").value_or(c.password);
    c.realm = p.string("realm").value_or(c.realm);
    c.authorizationUser = p.string("authorizationUser").value_or(c.authorizationUser);
    c.displayName = p.string("displayName").value_or(c.displayName);
    c.userAgent = p.string("userAgent").value_or(c.userAgent);
    c.workerId = p.string("sipWorkerid").value_or(c.workerId);
    if (auto via = p.string("viaTransport")) {
        SipTransport t;
        if (!parseTransport(lower(*via), t)) p.invalidValue("viaTransport", "one of udp, tcp, tls, ws, wss");
        c.viaTransport = *via;
    }
    c.registerOnInit = p.boolean("register").value_or(c.registerOnInit);
    c.registerExpires = p.integer("registerExpires", 10, 86400, " (s)").value_or(c.registerExpires);
    c.noAnswerTimeoutSec = p.integer("noAnswerTimeout", 1, 3600, " (s)").value_or(c.noAnswerTimeoutSec);
    c.keepAliveIntervalSec = p.integer("keepAliveInterval", 0, 3600, " (s)").value_or(c.keepAliveIntervalSec);
    c.media.jitterBufferMs = p.integer("jitterBufferMs", 0, 2000, " (ms)").value_or(c.media.jitterBufferMs);
    if (auto locale = p.string("locale"); locale && !i18n::parseLocale(*locale, c.locale))
        p.invalidValue("locale", "\"zh-CN\" or \"en\"");

    if (auto servers = p.strings("sipServer", true)) {
        for (std::size_t i = 0; i < servers->size(); ++i) {
            ServerUri server;
            if (!ServerUri::parse((*servers)[i], server))
                throw Error(ResultCode::InvalidArgument, "invalid_uri",
                            {"sipServer[" + std::to_string(i) + "]", (*servers)[i]});
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

    if (const json *ice = p.find("sipIce")) {
        if (!ice->is_array()) p.wrongType("sipIce", "array");
        for (std::size_t i = 0; i < ice->size(); ++i)
            c.media.ice.servers.push_back(parseIceEntry(p, (*ice)[i], "sipIce[" + std::to_string(i) + "]"));
    }

    if (auto tls = p.object("tls")) {
        tls->collectUnknown({"verify", "caFile"}, unknownFields);
        c.tls.verify = tls->boolean("verify").value_or(c.tls.verify);
        c.tls.caFile = tls->string("caFile").value_or("");
        if (!c.tls.caFile.empty()) {
            // Relative to the caller's working directory now, not to whatever it is later.
            gchar *absolute = g_canonicalize_filename(c.tls.caFile.c_str(), nullptr);
            c.tls.caFile = absolute;
            g_free(absolute);
        }
    }

    if (auto ice = p.object("ice")) {
        ice->collectUnknown({"strategy", "gatheringTimeoutMs", "transportPolicy", "addresses"}, unknownFields);
        IceOptions &o = c.media.ice;
        o.strategy = ice->string("strategy").value_or(o.strategy);
        if (o.strategy != "first-server" && o.strategy != "complete" && o.strategy != "host")
            ice->invalidValue("strategy", "one of \"first-server\", \"complete\", \"host\"");
        o.gatheringTimeoutMs = ice->integer("gatheringTimeoutMs", 0, 60000, " (ms)").value_or(o.gatheringTimeoutMs);
        if (auto policy = ice->string("transportPolicy")) {
            if (*policy != "all" && *policy != "relay") ice->invalidValue("transportPolicy", "\"all\" or \"relay\"");
            o.relayOnly = *policy == "relay";
        }
        o.addresses = ice->strings("addresses").value_or(o.addresses);
    }

    c.media.input.kind = AudioEndpoint::Kind::Device;
    c.media.output.kind = AudioEndpoint::Kind::Device;
    if (const json *audio = p.find("audio")) {
        if (audio->is_string()) {
            // The browser library passed an audio element for playback: a string is the output.
            if (!AudioEndpoint::parseOutput(audio->get<std::string>(), c.media.output))
                p.invalidValue("audio", "an audio output");
        } else {
            Payload endpoints = *p.object("audio");
            endpoints.collectUnknown({"input", "output"}, unknownFields);
            c.media.input = readAudioInput(endpoints, "input").value_or(c.media.input);
            c.media.output = readAudioOutput(endpoints, "output").value_or(c.media.output);
        }
    }

    if (auto media = p.object("media")) readMediaChoice(*media, &unknownFields).applyTo(c.media);

    if (auto r = p.object("reconnect")) {
        r->collectUnknown({"minInterval", "maxInterval"}, unknownFields);
        c.reconnect.minIntervalSec = r->integer("minInterval", 1, 3600, " (s)").value_or(c.reconnect.minIntervalSec);
        c.reconnect.maxIntervalSec = r->integer("maxInterval", 1, 3600, " (s)").value_or(c.reconnect.maxIntervalSec);
        if (c.reconnect.maxIntervalSec < c.reconnect.minIntervalSec)
            r->invalidValue("maxInterval", "at least reconnect.minInterval");
    }
    return c;
}

std::optional<AudioEndpoint> readAudioInput(const Payload &fields, const std::string &key) {
    auto text = fields.string(key);
    if (!text) return std::nullopt;
    AudioEndpoint input;
    if (!AudioEndpoint::parseInput(*text, input))
        fields.invalidValue(key, "\"device\", \"file:PATH\", \"tone:HZ\" or \"silence\"");
    return input;
}

std::optional<AudioEndpoint> readAudioOutput(const Payload &fields, const std::string &key) {
    auto text = fields.string(key);
    if (!text) return std::nullopt;
    AudioEndpoint output;
    if (!AudioEndpoint::parseOutput(*text, output))
        fields.invalidValue(key, "\"device\", \"file:PATH.wav\" or \"null\"");
    return output;
}

MediaChoice readMediaChoice(const Payload &media, std::vector<std::string> *unknownFields) {
    std::vector<std::string> unknown;
    media.collectUnknown({"profile", "codecs", "rtpTimeoutMs", "opusComplexity", "ptimeMs", "webrtcTransport"}, unknown);
    if (unknownFields) unknownFields->insert(unknownFields->end(), unknown.begin(), unknown.end());
    else if (!unknown.empty())
        throw Error(ResultCode::InvalidArgument, "invalid_value",
                    {unknown.front(), "unknown field (known: profile, codecs, rtpTimeoutMs, opusComplexity, ptimeMs, "
                                     "webrtcTransport)"});

    MediaChoice choice;
    if (auto name = media.string("profile")) {
        MediaProfile profile;
        if (!parseProfile(*name, profile)) media.invalidValue("profile", "one of \"webrtc\", \"rtp\", \"srtp\"");
        choice.profile = profile;
    }
    if (auto names = media.strings("codecs")) {
        if (names->empty()) media.invalidValue("codecs", "at least one codec");
        std::vector<AudioCodec> codecs;
        for (const std::string &name : *names) {
            AudioCodec codec;
            if (!parseCodec(name, codec))
                media.invalidValue("codecs", "\"" + printable(name) +
                                                 "\" is not one of opus, G722, PCMU, PCMA (telephone-event is always added)");
            if (std::find(codecs.begin(), codecs.end(), codec) != codecs.end())
                media.invalidValue("codecs", std::string(codecName(codec)) + " is listed twice");
            codecs.push_back(codec);
        }
        choice.codecs = codecs;
    }
    if (auto timeout = media.integer("rtpTimeoutMs", 0, 3600000, " (ms)")) {
        // A shorter time would end calls over a few lost packets.
        if (*timeout > 0 && *timeout < 1000) media.invalidValue("rtpTimeoutMs", "0 (never) or from 1000 to 3600000 (ms)");
        choice.rtpTimeoutMs = *timeout;
    }
    choice.opusComplexity = media.integer("opusComplexity", 0, 10);
    if (auto ptime = media.integer("ptimeMs", 10, 60, " (ms)")) {
        // What every codec packs (Opus has no 30 ms frame) and a whole number of the 20 ms
        // buffers the send path makes, or half of one.
        if (*ptime != 10 && *ptime != 20 && *ptime != 40 && *ptime != 60)
            media.invalidValue("ptimeMs", "10, 20, 40 or 60 (ms)");
        choice.ptimeMs = *ptime;
    }
    if (auto name = media.string("webrtcTransport")) {
        WebRtcTransportKind kind;
        if (!parseWebRtcTransport(*name, kind)) media.invalidValue("webrtcTransport", "\"webrtcbin\" or \"shared\"");
        choice.webrtcTransport = kind;
    }
    return choice;
}

}  // namespace sipw
