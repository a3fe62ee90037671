// The user agent's configuration: INIT's payload, parsed and validated.
#pragma once

#include "base/i18n.hpp"
#include "base/payload.hpp"
#include "media_api/media_options.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sipw {

enum class SipTransport { Udp, Tcp, Tls, Ws, Wss };
const char *transportName(SipTransport t);  // "udp", "tcp", "tls", "ws", "wss"

// One entry of `sipServer`, in any of the accepted forms.
struct ServerUri {
    SipTransport transport = SipTransport::Udp;
    std::string host;      // without brackets for IPv6
    int port = 0;          // always set (default port of the transport if absent)
    std::string path;      // ws/wss only
    std::string original;  // as the user wrote it

    // Parses "wss://h:p/path", "ws://…", "sip:h[:p][;transport=x]", "sips:h[:p]",
    // "udp://h:p", "tcp://…", "tls://…". False when the text is none of these.
    static bool parse(const std::string &text, ServerUri &out);
    std::string hostPort() const;   // "h:p" or "[v6]:p"
    std::string sipUri() const;     // "sip:h:p;transport=udp" / "sips:h:p" for sofia-sip
};

struct TlsOptions {
    bool verify = true;
    std::string caFile;  // PEM bundle; empty: the system's CA store
};

struct ReconnectOptions {
    int minIntervalSec = 2;
    int maxIntervalSec = 30;
};

struct Config {
    std::string uri;          // sip:user@domain
    std::string user;
    std::string domain;
    std::string password;
    std::string realm;        // empty: answer whatever realm challenges us
    std::string authorizationUser;
    std::string displayName;
    std::string userAgent = "sipworker/0.1";
    std::string workerId;     // sipWorkerid → CauseData.id
    std::string viaTransport;
    std::vector<ServerUri> servers;
    bool registerOnInit = true;
    int registerExpires = 600;
    int noAnswerTimeoutSec = 60;
    // Seconds between keep-alives on the registered flow (CRLF ping on TCP, OPTIONS on UDP and
    // TLS, WebSocket ping on WS/WSS); 0: none.
    int keepAliveIntervalSec = 30;
    i18n::Locale locale = i18n::Locale::ZhCN;
    TlsOptions tls;
    ReconnectOptions reconnect;
    MediaOptions media;       // profile, codecs, audio input/output, ICE servers and strategy, jitter buffer
};

// Validates INIT's payload. Throws Error(InvalidArgument) naming the field on a bad value.
// Unknown fields do not fail: their names are appended to `unknownFields` (reported as `warning` events).
Config parseInitConfig(const nlohmann::json &payload, std::vector<std::string> &unknownFields);

// An audio input ("device", "file:PATH", "tone:HZ", "silence") or output ("device",
// "file:PATH.wav", "null") at `key` of `fields` (INIT audio, CALL/ANSWER options.audio, PLAY):
// nullopt when absent; a bad form is InvalidArgument naming the field.
std::optional<AudioEndpoint> readAudioInput(const Payload &fields, const std::string &key);
std::optional<AudioEndpoint> readAudioOutput(const Payload &fields, const std::string &key);
// INIT `media` and CALL/ANSWER `options.media`: {profile, codecs, rtpTimeoutMs}. Unknown fields are
// appended to `unknownFields`, or, when it is null (per-call options, which have no warning event
// to carry them), refused. A bad value is InvalidArgument naming the field.
MediaChoice readMediaChoice(const Payload &media, std::vector<std::string> *unknownFields);

}  // namespace sipw
