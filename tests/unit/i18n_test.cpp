// Completeness of the i18n table: every text exists in both languages, the Chinese really is
// Chinese, JsSIP's facts (causes, reason-phrase codes, status → cause) are all there, and
// format() fills placeholders safely.
#include "base/i18n.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace i18n = sipw::i18n;
using i18n::Locale;
using i18n::Text;

namespace {

// Decodes UTF-8 strictly; false on any malformed sequence.
bool decodeUtf8(std::string_view s, std::vector<char32_t> &out) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char lead = static_cast<unsigned char>(s[i]);
        std::size_t length = 0;
        char32_t cp = 0;
        if (lead < 0x80) {
            length = 1;
            cp = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2;
            cp = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            cp = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            cp = lead & 0x07;
        } else {
            return false;
        }
        if (i + length > s.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            unsigned char next = static_cast<unsigned char>(s[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (next & 0x3F);
        }
        // Reject overlong forms, surrogates and values beyond Unicode.
        static const char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kMinimum[length] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
        out.push_back(cp);
        i += length;
    }
    return true;
}

bool containsCjk(std::string_view s) {
    std::vector<char32_t> codePoints;
    if (!decodeUtf8(s, codePoints)) return false;
    return std::any_of(codePoints.begin(), codePoints.end(),
                       [](char32_t cp) { return cp >= 0x4E00 && cp <= 0x9FFF; });
}

// The indices of the {N} placeholders, sorted, so en and zh can be compared.
std::vector<int> placeholders(std::string_view s) {
    std::vector<int> found;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '{') continue;
        std::size_t j = i + 1;
        int index = 0;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') index = index * 10 + (s[j++] - '0');
        if (j > i + 1 && j < s.size() && s[j] == '}') found.push_back(index);
    }
    std::sort(found.begin(), found.end());
    return found;
}

// The checks every entry of every table must pass; `what` names the entry in failures.
void expectComplete(const Text *text, const std::string &what) {
    ASSERT_NE(text, nullptr) << what;
    EXPECT_FALSE(text->en.empty()) << what;
    EXPECT_FALSE(text->zh.empty()) << what;
    std::vector<char32_t> ignored;
    EXPECT_TRUE(decodeUtf8(text->en, ignored)) << what << ": en is not valid UTF-8";
    EXPECT_TRUE(decodeUtf8(text->zh, ignored)) << what << ": zh is not valid UTF-8";
    EXPECT_TRUE(containsCjk(text->zh)) << what << ": zh has no Chinese character: " << text->zh;
    EXPECT_NE(text->en, text->zh) << what;
    EXPECT_EQ(placeholders(text->en), placeholders(text->zh)) << what << ": " << text->en;
    EXPECT_EQ(text->in(Locale::En), text->en);
    EXPECT_EQ(text->in(Locale::ZhCN), text->zh);
}

template <typename T>
bool hasDuplicates(std::vector<T> values) {
    std::sort(values.begin(), values.end());
    return std::adjacent_find(values.begin(), values.end()) != values.end();
}

// JsSIP 3.10 lib/Constants.js C.causes, exactly: a BYE from either side is "Terminated" (JsSIP's
// causes.BYE); the table no longer has a "Bye" of its own, a remote "Terminated" is worded
// "the other party hung up" instead (i18n::cause(name, byRemote)).
const std::vector<std::string_view> kJsSipCauses = {
    "Busy", "Rejected", "Redirected", "Unavailable", "Not Found", "Address Incomplete",
    "Incompatible SDP", "Missing SDP", "Authentication Error", "Terminated", "WebRTC Error",
    "Canceled", "No Answer", "Expires", "No ACK", "Dialog Error", "User Denied Media Access",
    "Bad Media Description", "RTP Timeout", "Connection Error", "Request Timeout",
    "SIP Failure Code", "Internal Error",
};

// JsSIP 3.10 lib/Constants.js C.REASON_PHRASE keys.
const std::vector<int> kJsSipReasonCodes = {
    100, 180, 181, 182, 183, 199, 200, 202, 204, 300, 301, 302, 305, 380, 400, 401, 402, 403,
    404, 405, 406, 407, 408, 410, 412, 413, 414, 415, 416, 417, 420, 421, 422, 423, 424, 428,
    429, 430, 433, 436, 437, 438, 439, 440, 469, 470, 478, 480, 481, 482, 483, 484, 485, 486,
    487, 488, 489, 491, 493, 494, 500, 501, 502, 503, 504, 505, 513, 580, 600, 603, 604, 606,
};

// Every `on` value of the wrapper's enum, then the SDK's extension channels.
const std::vector<std::string_view> kEventMessages = {
    "Request Timeout", "registered", "unregistered", "registrationFailed",
    "registrationExpiring", "connecting", "connected", "disconnected", "newRTCSession",
    "new_RTCSession_state", "session_progress", "session_connecting", "session_accepted",
    "session_confirmed", "session_ended", "session_failed", "session_answer_failed", "onResume",
    "onHold", "onMute", "onUnmute", "event", "newOptions", "sipEvent", "newMessage",
    "session_recall", "re_register", "re_login", "session_req_timeout", "call_event",
    "warning", "newDTMF", "playStarted", "playEnded", "message_succeeded", "message_failed",
    "refer", "refer_progress", "refer_accepted", "refer_failed",
};

// The keys the core uses, with the number of arguments each takes.
const std::map<std::string_view, int> kRequiredErrorKeys = {
    {"result_0", 0}, {"result_-1", 0}, {"result_-2", 0}, {"result_-3", 0}, {"result_-4", 0},
    {"result_-5", 0}, {"result_-6", 0}, {"result_-7", 0},
    {"null_worker", 0}, {"null_argument", 1}, {"invalid_json", 1}, {"payload_not_object", 1},
    {"payload_too_large", 1}, {"invalid_utf8", 1}, {"missing_field", 1}, {"wrong_type", 2},
    {"invalid_value", 2}, {"unknown_command", 1}, {"unsupported_command", 1},
    {"unsupported_transport", 1}, {"invalid_uri", 2}, {"not_initialized", 1},
    {"wrong_state", 2}, {"unknown_session", 1}, {"duplicate_session", 1}, {"shutting_down", 0},
    {"unknown_listener", 1}, {"invalid_options", 1}, {"internal", 1}, {"not_registered", 0},
    {"already_registered", 0},
    {"unknown_field", 1}, {"no_sound_device", 1}, {"events_dropped", 1}, {"ignored_field", 2},
    {"connection_refused", 1}, {"connection_timeout", 1}, {"connection_lost", 1},
    {"tls_verify_failed", 2}, {"tls_handshake_failed", 2}, {"tls_ca_file_unreadable", 1},
    {"tls_setup_failed", 1}, {"dns_failed", 1}, {"transport_error", 1}, {"server_failover", 2},
    {"network_unreachable", 1}, {"all_servers_failed", 0},
    {"ice_failed", 0}, {"dtls_failed", 0}, {"sdp_incompatible", 1}, {"sdp_bad_answer", 1},
    {"audio_input_failed", 1}, {"audio_output_failed", 1}, {"gathering_timeout", 0},
    {"turn_auth_failed", 1},
    {"dtmf_rfc4733_unavailable", 0}, {"dtmf_failed", 1}, {"file_not_found", 1}, {"unknown_play", 1},
    {"duplicate_play", 1}, {"not_recording", 0}, {"not_playing_file", 0}, {"record_failed", 1},
    {"call_play_failed", 1},
};

}  // namespace

// --- causes -----------------------------------------------------------------------------------

TEST(I18nCauses, EveryJsSipCauseIsComplete) {
    for (std::string_view name : kJsSipCauses) expectComplete(i18n::cause(name), std::string(name));
}

TEST(I18nCauses, ListedCausesAreExactlyTheJsSipOnes) {
    std::set<std::string_view> listed(i18n::allCauses().begin(), i18n::allCauses().end());
    std::set<std::string_view> expected(kJsSipCauses.begin(), kJsSipCauses.end());
    EXPECT_EQ(listed, expected);
    EXPECT_FALSE(hasDuplicates(i18n::allCauses()));
    for (std::string_view name : i18n::allCauses())
        expectComplete(i18n::cause(name), std::string(name));
}

TEST(I18nCauses, ARemoteTerminatedSaysTheOtherPartyHungUp) {
    expectComplete(i18n::cause("Terminated", true), "remote Terminated");
    EXPECT_EQ(i18n::cause("Terminated", true)->zh, "对方已挂断");
    EXPECT_EQ(i18n::cause("Terminated")->zh, "通话已结束");
    EXPECT_EQ(i18n::cause("Busy", true), i18n::cause("Busy"));  // no remote wording: the usual one
}

TEST(I18nCauses, UnknownCauseIsNull) {
    EXPECT_EQ(i18n::cause("No Such Cause"), nullptr);
    EXPECT_EQ(i18n::cause(""), nullptr);
    EXPECT_EQ(i18n::cause("busy"), nullptr);  // JsSIP's names are case-sensitive
}

// --- status codes -----------------------------------------------------------------------------

TEST(I18nStatus, AllJsSipReasonCodesPresent) {
    ASSERT_EQ(kJsSipReasonCodes.size(), 72u);
    for (int code : kJsSipReasonCodes)
        expectComplete(i18n::reasonPhrase(code), std::to_string(code));
}

TEST(I18nStatus, EveryListedCodeIsCompleteAndUnique) {
    const std::vector<int> &codes = i18n::allStatusCodes();
    EXPECT_GE(codes.size(), 72u);
    EXPECT_FALSE(hasDuplicates(codes));
    EXPECT_TRUE(std::is_sorted(codes.begin(), codes.end()));
    for (int code : codes) {
        EXPECT_GE(code, 100);
        EXPECT_LE(code, 699);
        expectComplete(i18n::reasonPhrase(code), std::to_string(code));
    }
    for (int code : kJsSipReasonCodes)
        EXPECT_NE(std::find(codes.begin(), codes.end(), code), codes.end()) << code;
}

TEST(I18nStatus, RfcExtensionsPresent) {
    for (int code : {425, 555, 607, 608})
        expectComplete(i18n::reasonPhrase(code), std::to_string(code));
}

TEST(I18nStatus, PhrasesMatchTheStandard) {
    EXPECT_EQ(i18n::reasonPhrase(180)->en, "Ringing");
    EXPECT_EQ(i18n::reasonPhrase(486)->en, "Busy Here");
    EXPECT_EQ(i18n::reasonPhrase(487)->en, "Request Terminated");
    EXPECT_EQ(i18n::reasonPhrase(603)->en, "Decline");
    EXPECT_EQ(i18n::reasonPhrase(504)->en, "Server Time-out");
}

TEST(I18nStatus, UnknownCodeIsNullButHasAClass) {
    EXPECT_EQ(i18n::reasonPhrase(499), nullptr);
    EXPECT_EQ(i18n::reasonPhrase(0), nullptr);
    EXPECT_EQ(i18n::reasonPhrase(-1), nullptr);
    for (int code : {100, 199, 299, 399, 499, 599, 699})
        expectComplete(i18n::statusClass(code), std::to_string(code));
    EXPECT_EQ(i18n::statusClass(99), nullptr);
    EXPECT_EQ(i18n::statusClass(700), nullptr);
    EXPECT_EQ(i18n::statusClass(-500), nullptr);
}

// --- status → cause ---------------------------------------------------------------------------

TEST(I18nCauseForStatus, EveryMappedCodeOfJsSip) {
    const std::map<int, std::string_view> mapped = {
        {300, "Redirected"}, {301, "Redirected"}, {302, "Redirected"}, {305, "Redirected"},
        {380, "Redirected"}, {486, "Busy"}, {600, "Busy"}, {403, "Rejected"}, {603, "Rejected"},
        {404, "Not Found"}, {604, "Not Found"}, {480, "Unavailable"}, {410, "Unavailable"},
        {408, "Unavailable"}, {430, "Unavailable"}, {484, "Address Incomplete"},
        {424, "Address Incomplete"}, {488, "Incompatible SDP"}, {606, "Incompatible SDP"},
        {401, "Authentication Error"}, {407, "Authentication Error"},
    };
    for (const auto &[code, expected] : mapped)
        EXPECT_EQ(i18n::causeForStatus(code), expected) << code;
}

TEST(I18nCauseForStatus, EverythingElseIsSipFailureCode) {
    // 485 is not in JsSIP 3.10's ADDRESS_INCOMPLETE list (which is 484, 424).
    for (int code :
         {303, 400, 402, 405, 406, 415, 481, 485, 487, 500, 503, 504, 580, 607, 608, 699})
        EXPECT_EQ(i18n::causeForStatus(code), "SIP Failure Code") << code;
}

TEST(I18nCauseForStatus, EveryResultHasACauseText) {
    for (int code = 100; code <= 699; ++code) {
        std::string_view name = i18n::causeForStatus(code);
        ASSERT_NE(i18n::cause(name), nullptr) << code << " → " << name;
    }
}

// --- events -----------------------------------------------------------------------------------

TEST(I18nEvents, EverySeedEventAndExtensionChannelIsComplete) {
    for (std::string_view msg : kEventMessages)
        expectComplete(i18n::eventMessage(msg), std::string(msg));
}

TEST(I18nEvents, ListedEventsAreCompleteAndUnique) {
    const auto &listed = i18n::allEventMessages();
    EXPECT_FALSE(hasDuplicates(listed));
    EXPECT_EQ(std::set<std::string_view>(listed.begin(), listed.end()),
              std::set<std::string_view>(kEventMessages.begin(), kEventMessages.end()));
    for (std::string_view msg : listed) expectComplete(i18n::eventMessage(msg), std::string(msg));
    EXPECT_EQ(i18n::eventMessage("no_such_event"), nullptr);
}

// --- WebSocket close codes --------------------------------------------------------------------

TEST(I18nWebSocket, Rfc6455CodesAreComplete) {
    const std::vector<int> &codes = i18n::allWsCloseCodes();
    std::vector<int> expected;
    for (int code = 1000; code <= 1015; ++code) expected.push_back(code);
    EXPECT_EQ(codes, expected);
    for (int code : codes) expectComplete(i18n::wsCloseCode(code), std::to_string(code));
}

TEST(I18nWebSocket, RangesGetAGenericText) {
    for (int code : {3000, 3003, 3999, 4000, 4001, 4500, 4999})
        expectComplete(i18n::wsCloseCode(code), std::to_string(code));
    for (int code : {0, 999, 1016, 2000, 2999, 5000})
        EXPECT_EQ(i18n::wsCloseCode(code), nullptr) << code;
}

// --- errors -----------------------------------------------------------------------------------

TEST(I18nErrors, RequiredKeysPresentWithTheirArgumentCount) {
    for (const auto &[key, argumentCount] : kRequiredErrorKeys) {
        const Text *text = i18n::error(key);
        expectComplete(text, std::string(key));
        if (!text) continue;
        std::set<int> distinct;
        for (int index : placeholders(text->en)) distinct.insert(index);
        std::set<int> expected;
        for (int index = 0; index < argumentCount; ++index) expected.insert(index);
        EXPECT_EQ(distinct, expected) << key << ": " << text->en;
    }
}

TEST(I18nErrors, EveryListedKeyIsCompleteAndUnique) {
    const auto &keys = i18n::allErrorKeys();
    EXPECT_FALSE(hasDuplicates(keys));
    for (std::string_view key : keys) expectComplete(i18n::error(key), std::string(key));
    for (const auto &[key, unused] : kRequiredErrorKeys)
        EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
    EXPECT_EQ(i18n::error("no_such_key"), nullptr);
}

TEST(I18nErrors, EveryPlaceholderAppearsInBothLanguages) {
    // Also covered by expectComplete; kept separate so a failure names the rule.
    for (std::string_view key : i18n::allErrorKeys()) {
        const Text *text = i18n::error(key);
        ASSERT_NE(text, nullptr);
        EXPECT_EQ(placeholders(text->en), placeholders(text->zh)) << key;
    }
}

// --- format -----------------------------------------------------------------------------------

TEST(I18nFormat, ReplacesPlaceholders) {
    i18n::Message m = i18n::format("wrong_type", {"sessionId", "string"});
    EXPECT_EQ(m.en, "Field \"sessionId\" must be string");
    EXPECT_EQ(m.zh, "字段“sessionId”的类型应为 string");
    EXPECT_EQ(m.in(Locale::En), m.en);
    EXPECT_EQ(m.in(Locale::ZhCN), m.zh);

    i18n::Message failover = i18n::format("server_failover", {"wss://a", "wss://b"});
    EXPECT_NE(failover.en.find("wss://a"), std::string::npos);
    EXPECT_LT(failover.en.find("wss://a"), failover.en.find("wss://b"));
    EXPECT_NE(failover.zh.find("wss://b"), std::string::npos);
    EXPECT_EQ(failover.en.find('{'), std::string::npos);
    EXPECT_EQ(failover.zh.find('{'), std::string::npos);
}

TEST(I18nFormat, NoPlaceholderKeyIgnoresExtraArgs) {
    i18n::Message m = i18n::format("shutting_down", {"unused"});
    EXPECT_EQ(m.en, std::string(i18n::error("shutting_down")->en));
    EXPECT_EQ(m.zh, std::string(i18n::error("shutting_down")->zh));
}

TEST(I18nFormat, MissingArgumentsStayAsWritten) {
    i18n::Message none = i18n::format("wrong_type");
    EXPECT_EQ(none.en, "Field \"{0}\" must be {1}");
    i18n::Message one = i18n::format("wrong_type", {"to"});
    EXPECT_EQ(one.en, "Field \"to\" must be {1}");
    EXPECT_NE(one.zh.find("{1}"), std::string::npos);
}

TEST(I18nFormat, ArgumentsAreNotExpandedAgain) {
    i18n::Message m = i18n::format("wrong_type", {"{1}", "x"});
    EXPECT_EQ(m.en, "Field \"{1}\" must be x");
    i18n::Message braces = i18n::format("internal", {"{", "}"});
    EXPECT_EQ(braces.en, "Internal error: {");
}

TEST(I18nFormat, UnknownKeyNamesTheKey) {
    i18n::Message m = i18n::format("no_such_key", {"a", "b"});
    EXPECT_NE(m.en.find("no_such_key"), std::string::npos);
    EXPECT_NE(m.zh.find("no_such_key"), std::string::npos);
    EXPECT_TRUE(containsCjk(m.zh));
    i18n::Message empty = i18n::format("");
    EXPECT_FALSE(empty.en.empty());
    EXPECT_FALSE(empty.zh.empty());
}

// --- locale -----------------------------------------------------------------------------------

TEST(I18nLocale, ParsesChineseAndEnglishNames) {
    for (std::string_view name :
         {"zh-CN", "zh", "zh_CN", "zh-Hans", "ZH-cn", "Zh_Cn", "ZH", "zh-hans"}) {
        Locale out = Locale::En;
        EXPECT_TRUE(i18n::parseLocale(name, out)) << name;
        EXPECT_EQ(out, Locale::ZhCN) << name;
    }
    for (std::string_view name : {"en", "en-US", "en_US", "EN", "en-us", "EN_us"}) {
        Locale out = Locale::ZhCN;
        EXPECT_TRUE(i18n::parseLocale(name, out)) << name;
        EXPECT_EQ(out, Locale::En) << name;
    }
}

TEST(I18nLocale, RejectsOtherNamesAndLeavesOutUnchanged) {
    for (std::string_view name :
         {"", "fr", "zh-TW", "zh-Hant", "en-GB", "zh-CN ", "english", "z"}) {
        Locale out = Locale::En;
        EXPECT_FALSE(i18n::parseLocale(name, out)) << name;
        EXPECT_EQ(out, Locale::En) << name;
    }
}
