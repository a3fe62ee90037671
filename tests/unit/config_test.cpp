// INIT payload validation and server URI forms.
#include "config/config.hpp"
#include "base/error.hpp"
#include "base/payload.hpp"

#include <gtest/gtest.h>

using nlohmann::json;
using namespace sipw;

namespace {

Config parse(const json &payload, std::vector<std::string> *unknown = nullptr) {
    std::vector<std::string> ignored;
    return parseInitConfig(payload, unknown ? *unknown : ignored);
}

// Runs INIT parsing and returns the error's code and English text ("" if it succeeded).
std::pair<ResultCode, std::string> failure(const json &payload) {
    try {
        parse(payload);
        return {ResultCode::Ok, ""};
    } catch (const Error &e) {
        EXPECT_FALSE(e.message().zh.empty());
        return {e.code(), e.message().en};
    }
}

const json kMinimal = {{"uri", "sip:1001@example.com"}};

}  // namespace

TEST(ServerUri, AcceptsEveryDocumentedForm) {
    struct Case {
        const char *text;
        SipTransport transport;
        const char *host;
        int port;
    } cases[] = {
        {"udp://10.0.0.1:5070", SipTransport::Udp, "10.0.0.1", 5070},
        {"tcp://pbx.example.com:5060", SipTransport::Tcp, "pbx.example.com", 5060},
        {"tls://pbx.example.com", SipTransport::Tls, "pbx.example.com", 5061},
        {"sip:pbx.example.com", SipTransport::Udp, "pbx.example.com", 5060},
        {"sip:pbx.example.com:5080;transport=tcp", SipTransport::Tcp, "pbx.example.com", 5080},
        {"sip:pbx.example.com;transport=TLS", SipTransport::Tls, "pbx.example.com", 5061},
        {"sips:pbx.example.com:5071", SipTransport::Tls, "pbx.example.com", 5071},
        {"sip:[::1]:5062;transport=udp;lr", SipTransport::Udp, "::1", 5062},
        {"wss://192.168.1.1:8089/ws", SipTransport::Wss, "192.168.1.1", 8089},
        {"ws://pbx:8080", SipTransport::Ws, "pbx", 8080},
    };
    for (const auto &c : cases) {
        ServerUri uri;
        ASSERT_TRUE(ServerUri::parse(c.text, uri)) << c.text;
        EXPECT_EQ(uri.transport, c.transport) << c.text;
        EXPECT_EQ(uri.host, c.host) << c.text;
        EXPECT_EQ(uri.port, c.port) << c.text;
    }
    ServerUri ws;
    ASSERT_TRUE(ServerUri::parse("wss://h:1/ws/path", ws));
    EXPECT_EQ(ws.path, "/ws/path");
}

TEST(ServerUri, RejectsWhatIsNotAServer) {
    for (const char *text : {"", "pbx", "http://pbx", "sip:", "sip:1001@pbx", "udp://pbx:0", "udp://pbx:70000",
                             "tcp://pbx:50a", "sips:pbx;transport=udp", "sip:pbx;transport=sctp", "udp://[::1",
                             "udp://pb x:5060", "tcp://pbx/path"}) {
        ServerUri uri;
        EXPECT_FALSE(ServerUri::parse(text, uri)) << text;
    }
}

TEST(ServerUri, SofiaFormsCarryTheTransport) {
    ServerUri uri;
    ASSERT_TRUE(ServerUri::parse("tcp://127.0.0.1:5060", uri));
    EXPECT_EQ(uri.sipUri(), "sip:127.0.0.1:5060;transport=tcp");
    ASSERT_TRUE(ServerUri::parse("tls://127.0.0.1", uri));
    EXPECT_EQ(uri.sipUri(), "sips:127.0.0.1:5061");
}

TEST(InitConfig, MinimalPayloadGetsDefaults) {
    Config c = parse(kMinimal);
    EXPECT_EQ(c.user, "1001");
    EXPECT_EQ(c.domain, "example.com");
    ASSERT_EQ(c.servers.size(), 1u);
    EXPECT_EQ(c.servers[0].host, "example.com");
    EXPECT_TRUE(c.registerOnInit);
    EXPECT_EQ(c.registerExpires, 600);
    EXPECT_EQ(c.noAnswerTimeoutSec, 60);
    EXPECT_TRUE(c.tls.verify);
    EXPECT_EQ(c.locale, i18n::Locale::ZhCN);
    EXPECT_EQ(c.media.ice.strategy, "first-server");
    EXPECT_LE(c.media.ice.gatheringTimeoutMs, 500);
    EXPECT_EQ(c.reconnect.minIntervalSec, 2);
    EXPECT_EQ(c.reconnect.maxIntervalSec, 30);
}

TEST(InitConfig, SeedExamplePayloadParses) {
    // The seed README's INIT, minus the browser's audio element.
    json seed = {{"viaTransport", "wss"},
                 {"uri", "sip:your_account@192.168.1.1"},
                 {"sipWorkerid", "01HXYZ"},
                 {"sipServer", json::array({"udp://192.168.1.1:5060"})},
                 {"sipIce", json::array({"stun:192.168.1.1:3478"})},
                 {"register", true},
                 {"password", "secret"},
                 {"realm", "192.168.1.1"}};
    Config c = parse(seed);
    EXPECT_EQ(c.workerId, "01HXYZ");
    ASSERT_EQ(c.media.ice.servers.size(), 1u);
    EXPECT_EQ(c.media.ice.servers[0].url, "stun:192.168.1.1:3478");
}

TEST(InitConfig, EveryExtensionField) {
    json p = kMinimal;
    p["tls"] = {{"verify", false}, {"caFile", "/tmp/ca.pem"}};
    p["ice"] = {{"strategy", "complete"}, {"gatheringTimeoutMs", 250}, {"transportPolicy", "relay"},
                {"addresses", {"127.0.0.1"}}};
    p["audio"] = {{"input", "tone:440"}, {"output", "file:/tmp/out.wav"}};
    p["sipIce"] = {"stun:127.0.0.1:3478", {{"urls", {"turn:127.0.0.1:3478?transport=udp"}}, {"username", "u"}, {"credential", "p"}}};
    p["reconnect"] = {{"minInterval", 1}, {"maxInterval", 5}};
    p["locale"] = "en";
    p["registerExpires"] = 120;
    p["noAnswerTimeout"] = 5;
    p["displayName"] = "张三";
    Config c = parse(p);
    EXPECT_FALSE(c.tls.verify);
    EXPECT_EQ(c.tls.caFile, "/tmp/ca.pem");
    EXPECT_EQ(c.media.ice.strategy, "complete");
    EXPECT_EQ(c.media.ice.gatheringTimeoutMs, 250);
    EXPECT_TRUE(c.media.ice.relayOnly);
    EXPECT_EQ(c.media.input.kind, AudioEndpoint::Kind::Tone);
    EXPECT_DOUBLE_EQ(c.media.input.hz, 440);
    EXPECT_EQ(c.media.output.kind, AudioEndpoint::Kind::File);
    EXPECT_EQ(c.media.output.path, "/tmp/out.wav");
    ASSERT_EQ(c.media.ice.servers.size(), 2u);
    EXPECT_EQ(c.media.ice.servers[1].username, "u");
    EXPECT_EQ(c.locale, i18n::Locale::En);
    EXPECT_EQ(c.displayName, "张三");
}

TEST(InitConfig, IllTypedFieldsNameTheField) {
    struct Case {
        const char *field;
        json value;
    } cases[] = {
        {"uri", 5},           {"password", true},         {"sipServer", "x:"},  {"sipServer", json::array({1})},
        {"register", "yes"},  {"registerExpires", "600"}, {"registerExpires", 1.5}, {"tls", true},
        {"ice", json::array()}, {"audio", 3},             {"sipIce", "stun:x"}, {"locale", 1},
        {"noAnswerTimeout", -1}, {"viaTransport", "carrier-pigeon"}, {"displayName", json::object()},
    };
    for (const auto &c : cases) {
        json p = kMinimal;
        p[c.field] = c.value;
        auto [code, text] = failure(p);
        EXPECT_EQ(code, ResultCode::InvalidArgument) << c.field << " = " << c.value;
        EXPECT_NE(text.find(c.field), std::string::npos) << "message does not name " << c.field << ": " << text;
    }
}

TEST(InitConfig, NestedFieldsAreNamedWithTheirPath) {
    json p = kMinimal;
    p["tls"] = {{"verify", "no"}};
    EXPECT_NE(failure(p).second.find("tls.verify"), std::string::npos);
    p = kMinimal;
    p["ice"] = {{"strategy", "whenever"}};
    EXPECT_NE(failure(p).second.find("ice.strategy"), std::string::npos);
    p = kMinimal;
    p["audio"] = {{"input", "microphone"}};
    EXPECT_NE(failure(p).second.find("audio.input"), std::string::npos);
    p = kMinimal;
    p["sipIce"] = {{{"username", "u"}}};
    EXPECT_NE(failure(p).second.find("sipIce[0].urls"), std::string::npos);
}

TEST(InitConfig, MissingOrInvalidUri) {
    EXPECT_EQ(failure(json::object()).first, ResultCode::InvalidArgument);
    EXPECT_NE(failure(json::object()).second.find("uri"), std::string::npos);
    for (const char *uri : {"1001@example.com", "sip:example.com", "sip:@example.com", "sip:10 01@example.com",
                            "tel:+861234"}) {
        EXPECT_EQ(failure({{"uri", uri}}).first, ResultCode::InvalidArgument) << uri;
    }
    EXPECT_EQ(failure(json::array()).first, ResultCode::InvalidArgument);
}

TEST(InitConfig, WebSocketServersAreAccepted) {
    json p = kMinimal;
    p["sipServer"] = {"wss://192.168.1.1:8089/ws", "ws://pbx:8080"};
    Config c = parse(p);
    ASSERT_EQ(c.servers.size(), 2u);
    EXPECT_EQ(c.servers[0].transport, SipTransport::Wss);
    EXPECT_EQ(c.servers[0].path, "/ws");
    EXPECT_EQ(c.servers[1].transport, SipTransport::Ws);
}

TEST(InitConfig, UnknownFieldsAreReportedNotRejected) {
    json p = kMinimal;
    p["colour"] = "blue";
    p["tls"] = {{"verify", true}, {"pinning", 1}};
    std::vector<std::string> unknown;
    parse(p, &unknown);
    EXPECT_EQ(unknown, (std::vector<std::string>{"colour", "tls.pinning"}));
}

TEST(AudioEndpoint, InputAndOutputForms) {
    AudioEndpoint e;
    EXPECT_TRUE(AudioEndpoint::parseInput("device", e));
    EXPECT_TRUE(AudioEndpoint::parseInput("silence", e));
    EXPECT_TRUE(AudioEndpoint::parseInput("tone:1000", e));
    EXPECT_DOUBLE_EQ(e.hz, 1000);
    EXPECT_TRUE(AudioEndpoint::parseInput("file:/tmp/a.wav", e));
    EXPECT_EQ(e.path, "/tmp/a.wav");
    for (const char *bad : {"tone:", "tone:abc", "tone:-5", "tone:1e9", "file:", "null", "mic"})
        EXPECT_FALSE(AudioEndpoint::parseInput(bad, e)) << bad;
    EXPECT_TRUE(AudioEndpoint::parseOutput("null", e));
    EXPECT_TRUE(AudioEndpoint::parseOutput("file:/tmp/rec.wav", e));
    for (const char *bad : {"silence", "tone:440", "speaker", "file:"})
        EXPECT_FALSE(AudioEndpoint::parseOutput(bad, e)) << bad;
}

// INIT media: the profile of our offers, the codecs we allow in order, the RTP timeout.
TEST(InitConfig, MediaProfileCodecsAndTimeout) {
    Config defaults = parse(kMinimal);
    EXPECT_EQ(defaults.media.profile, MediaProfile::WebRtc);
    EXPECT_EQ(defaults.media.codecs,
              (std::vector<AudioCodec>{AudioCodec::Opus, AudioCodec::G722, AudioCodec::Pcmu, AudioCodec::Pcma}));
    EXPECT_EQ(defaults.media.rtpTimeoutMs, 30000);
    EXPECT_EQ(defaults.media.opusComplexity, 5);
    EXPECT_EQ(defaults.media.ptimeMs, 20);
    EXPECT_EQ(defaults.media.webrtcTransport, WebRtcTransportKind::Shared);

    json p = kMinimal;
    p["media"] = {{"profile", "RTP"}, {"codecs", {"pcma", "G722"}}, {"rtpTimeoutMs", 0}, {"opusComplexity", 0},
                  {"ptimeMs", 60}, {"webrtcTransport", "webrtcbin"}};
    Config c = parse(p);
    EXPECT_EQ(c.media.profile, MediaProfile::Rtp);
    EXPECT_EQ(c.media.codecs, (std::vector<AudioCodec>{AudioCodec::Pcma, AudioCodec::G722}));
    EXPECT_EQ(c.media.rtpTimeoutMs, 0);
    EXPECT_EQ(c.media.opusComplexity, 0);
    EXPECT_EQ(c.media.ptimeMs, 60);
    EXPECT_EQ(c.media.webrtcTransport, WebRtcTransportKind::Webrtcbin);
    p["media"] = {{"profile", "srtp"}, {"shiny", true}};
    std::vector<std::string> unknown;
    EXPECT_EQ(parse(p, &unknown).media.profile, MediaProfile::Srtp);
    EXPECT_EQ(unknown, (std::vector<std::string>{"media.shiny"}));
}

TEST(InitConfig, BadMediaValuesNameTheFieldAndTheChoices) {
    struct Case {
        json media;
        const char *field;
        const char *mentions;
    } cases[] = {
        {{{"profile", "sdes"}}, "media.profile", "\"rtp\""},
        {{{"profile", 1}}, "media.profile", "string"},
        {{{"codecs", "PCMU"}}, "media.codecs", "array"},
        {{{"codecs", json::array()}}, "media.codecs", "at least one"},
        {{{"codecs", {"PCMU", "G729"}}}, "media.codecs", "\"G729\" is not one of opus, G722, PCMU, PCMA"},
        {{{"codecs", {"PCMU", "pcmu"}}}, "media.codecs", "PCMU is listed twice"},
        {{{"codecs", {"telephone-event"}}}, "media.codecs", "telephone-event is always added"},
        {{{"rtpTimeoutMs", 500}}, "media.rtpTimeoutMs", "0 (never)"},
        {{{"rtpTimeoutMs", "30s"}}, "media.rtpTimeoutMs", "integer"},
        {{{"opusComplexity", 11}}, "media.opusComplexity", "an integer from 0 to 10"},
        {{{"opusComplexity", 2.5}}, "media.opusComplexity", "integer"},
        {{{"ptimeMs", 30}}, "media.ptimeMs", "10, 20, 40 or 60 (ms)"},
        {{{"ptimeMs", 120}}, "media.ptimeMs", "from 10 to 60 (ms)"},
        {{{"webrtcTransport", "libwebrtc"}}, "media.webrtcTransport", "\"webrtcbin\" or \"shared\""},
        {"rtp", "media", "object"},
    };
    for (const auto &c : cases) {
        json p = kMinimal;
        p["media"] = c.media;
        auto [code, text] = failure(p);
        EXPECT_EQ(code, ResultCode::InvalidArgument) << c.media;
        EXPECT_NE(text.find(c.field), std::string::npos) << text;
        EXPECT_NE(text.find(c.mentions), std::string::npos) << text;
    }
}

// CALL/ANSWER options.media: the same fields; an unknown one is refused (no event could carry it).
TEST(MediaChoice, PerCallOptionsAreStrict) {
    json options = {{"profile", "srtp"}, {"codecs", {"opus"}}, {"ptimeMs", 40}};
    MediaChoice choice = readMediaChoice(Payload(options, "options.media."), nullptr);
    ASSERT_TRUE(choice.profile && choice.codecs && choice.ptimeMs);
    EXPECT_FALSE(choice.rtpTimeoutMs);
    EXPECT_FALSE(choice.opusComplexity);
    MediaOptions o;
    o.opusComplexity = 3;  // INIT's
    choice.applyTo(o);
    EXPECT_EQ(o.profile, MediaProfile::Srtp);
    EXPECT_EQ(o.codecs, std::vector<AudioCodec>{AudioCodec::Opus});
    EXPECT_EQ(o.rtpTimeoutMs, 30000);
    EXPECT_EQ(o.ptimeMs, 40);
    EXPECT_EQ(o.opusComplexity, 3);
    try {
        json misspelt = {{"profiles", "rtp"}};
        readMediaChoice(Payload(misspelt, "options.media."), nullptr);
        ADD_FAILURE() << "an unknown field was accepted";
    } catch (const Error &e) {
        EXPECT_NE(e.message().en.find("options.media.profiles"), std::string::npos) << e.message().en;
        EXPECT_NE(e.message().zh.find("options.media.profiles"), std::string::npos) << e.message().zh;
    }
}
