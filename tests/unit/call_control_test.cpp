// Call control without a network: transfer's sipfrag and Refer-To texts, the headers of an
// incoming request, CauseData's wording of causes by originator and locale, and the payloads of
// HANGUP, PROGRESS and MESSAGE.
#include "base/error.hpp"
#include "base/event.hpp"
#include "sip/request_details.hpp"
#include "sip/transfer.hpp"
#include "worker/command_payloads.hpp"

#include "test_worker.hpp"

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>

#include <gtest/gtest.h>

#include <cstring>

namespace sipw {
namespace {

using nlohmann::json;

TEST(Sipfrag, StatusLinesAreReadAndOthersRefused) {
    auto frag = transfer::parseSipfrag("SIP/2.0 180 Ringing\r\n");
    ASSERT_TRUE(frag);
    EXPECT_EQ(frag->status, 180);
    EXPECT_EQ(frag->reason, "Ringing");
    frag = transfer::parseSipfrag("SIP/2.0 486 Busy Here");  // JsSIP's NOTIFYs end without CRLF
    ASSERT_TRUE(frag);
    EXPECT_EQ(frag->status, 486);
    EXPECT_EQ(frag->reason, "Busy Here");
    frag = transfer::parseSipfrag("SIP/2.0 200\r\nContent-Length: 0\r\n");
    ASSERT_TRUE(frag);
    EXPECT_EQ(frag->status, 200);
    EXPECT_EQ(frag->reason, "");
    for (const char *broken : {"", "garbage", "SIP/2.0 2000 OK", "SIP/2.0 abc OK", "HTTP/1.1 200 OK", "SIP/2.0 099 x",
                               "SIP/2.0 700 Beyond", "SIP/2.0 20"})
        EXPECT_FALSE(transfer::parseSipfrag(broken)) << broken;
    EXPECT_EQ(transfer::sipfragBody(603, "Decline"), "SIP/2.0 603 Decline");
}

TEST(ReferTo, BlindAndAttendedAsJsSipWritesThem) {
    EXPECT_EQ(transfer::referTo("sip:1002@example.org", ""), "<sip:1002@example.org>");
    std::string attended = transfer::referTo("sip:1003@example.org", "abc@10.0.0.1;to-tag=t1;from-tag=f2");
    EXPECT_EQ(attended, "<sip:1003@example.org?Replaces=abc%4010.0.0.1%3Bto-tag%3Dt1%3Bfrom-tag%3Df2>");
    // What a receiver reads back, in JsSIP's spelling and in sofia-sip's (lower case, '@' kept).
    EXPECT_EQ(transfer::replacesFromUriHeaders("Replaces=abc%4010.0.0.1%3Bto-tag%3Dt1%3Bfrom-tag%3Df2"),
              "abc@10.0.0.1;to-tag=t1;from-tag=f2");
    EXPECT_EQ(transfer::replacesFromUriHeaders("x=1&replaces=abc@h%3Bto-tag%3Da%3Bfrom-tag%3Db&y=2"),
              "abc@h;to-tag=a;from-tag=b");
    EXPECT_EQ(transfer::replacesFromUriHeaders("Subject=hi"), "");
    EXPECT_EQ(transfer::replacesFromUriHeaders(""), "");
}

TEST(RequestDetails, EveryHeaderInOrderWithXHeadersHeaderized) {
    const char *text =
        "INVITE sip:8001@pbx.example;user=phone SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
        "Max-Forwards: 70\r\n"
        "From: \"Queue \\\"A\\\"\" <sip:1001@pbx.example>;tag=f1\r\n"
        "To: <sip:8001@pbx.example>\r\n"
        "Call-ID: abc@10.0.0.1\r\n"
        "CSeq: 1 INVITE\r\n"
        "x-queue-id: sales\r\n"
        "X-Customer: 42\r\n"
        "X-Customer: vip\r\n"
        "P-Asserted-Identity: <sip:+4930123@pbx.example>\r\n"
        "Contact: <sip:1001@10.0.0.1>\r\n"
        "Content-Length: 0\r\n"
        "\r\n";
    msg_t *msg = msg_make(sip_default_mclass(), 0, text, static_cast<ssize_t>(strlen(text)));
    ASSERT_NE(msg, nullptr);
    const sip_t *sip = sip_object(msg);
    ASSERT_NE(sip, nullptr);
    RequestDetails d = detailsOf(sip);
    EXPECT_EQ(d.callId, "abc@10.0.0.1");
    EXPECT_EQ(d.toUri, "sip:8001@pbx.example");
    EXPECT_EQ(d.requestUri, "sip:8001@pbx.example;user=phone");
    EXPECT_EQ(d.fromUri, "sip:1001@pbx.example");
    EXPECT_EQ(d.fromDisplayName, "Queue \"A\"");
    EXPECT_EQ(d.headers["X-Queue-Id"], json::array({"sales"}));
    EXPECT_EQ(d.headers["X-Customer"], json::array({"42", "vip"}));
    EXPECT_EQ(d.headers["P-Asserted-Identity"], json::array({"<sip:+4930123@pbx.example>"}));
    EXPECT_EQ(d.headers["Call-ID"], json::array({"abc@10.0.0.1"}));
    EXPECT_EQ(d.headers["CSeq"], json::array({"1 INVITE"}));
    EXPECT_EQ(d.headers["Max-Forwards"], json::array({"70"}));
    EXPECT_TRUE(d.headers.contains("Via"));
    EXPECT_FALSE(d.headers.contains("x-queue-id"));
    msg_destroy(msg);

    EXPECT_EQ(headerizedName("x-queue-id"), "X-Queue-Id");
    EXPECT_EQ(headerizedName("call-id"), "Call-ID");
    EXPECT_EQ(headerizedName("CSEQ"), "CSeq");
    EXPECT_EQ(headerizedName("www-authenticate"), "WWW-Authenticate");
    EXPECT_TRUE(headersOf(nullptr).is_null());
}

TEST(CauseWording, ARemoteHangUpSaysTheOtherPartyHungUp) {
    EventPtr remote = CauseData("new_RTCSession_state", "session_ended").originator("remote").cause("Terminated").build({});
    EXPECT_EQ(remote->data["cause"], "Terminated");
    EXPECT_EQ(remote->data["causeCN"], "对方已挂断");
    EventPtr local = CauseData("new_RTCSession_state", "session_ended").cause("Terminated").originator("local").build({});
    EXPECT_EQ(local->data["causeCN"], "通话已结束");
    // Other causes read the same whoever caused them.
    EventPtr busy = CauseData("new_RTCSession_state", "session_failed").originator("remote").cause("Busy").build({});
    EXPECT_EQ(busy->data["causeCN"], "对方正忙");
}

TEST(CauseWording, LocaleChoosesTheLanguageOfMsgTextAndCauseText) {
    EventIdentity zh{"w", "sip:1@h"};
    EventIdentity en{"w", "sip:1@h", i18n::Locale::En};
    auto ev = CauseData("new_RTCSession_state", "session_ended").originator("remote").cause("Terminated");
    EventPtr inZh = ev.build(zh), inEn = ev.build(en);
    EXPECT_EQ(inZh->data["msgText"], "通话已结束");
    EXPECT_EQ(inZh->data["causeText"], "对方已挂断");
    EXPECT_EQ(inEn->data["msgText"], "Call ended");
    EXPECT_EQ(inEn->data["causeText"], "The other party hung up");
    // msgCN and causeCN (the browser library's Chinese fields) stay Chinese whatever the locale.
    EXPECT_EQ(inEn->data["msgCN"], "通话已结束");
    EXPECT_EQ(inEn->data["causeCN"], "对方已挂断");
    EXPECT_FALSE(CauseData("registered", "registered").build(en)->data.contains("causeText"));
}

std::string refusedKey(const std::function<void()> &read) {
    try {
        read();
    } catch (const Error &e) {
        return e.key();
    }
    return "accepted";
}

TEST(CallControlPayloads, HangupWithAStatus) {
    json ok = {{"sessionId", "s"}, {"statusCode", 486}, {"reasonPhrase", "Busy Here"}, {"extraHeaders", {"X-Why: busy"}}};
    HangupRequest r = readHangup(Payload(ok));
    EXPECT_EQ(r.statusCode, 486);
    EXPECT_EQ(r.reasonPhrase, "Busy Here");
    EXPECT_EQ(r.extraHeaders, std::vector<std::string>{"X-Why: busy"});
    EXPECT_EQ(readHangup(Payload(json{{"sessionId", "s"}})).statusCode, 0);
    EXPECT_EQ(refusedKey([] { readHangup(Payload(json{{"statusCode", 399}})); }), "invalid_value");
    EXPECT_EQ(refusedKey([] { readHangup(Payload(json{{"statusCode", 700}})); }), "invalid_value");
    EXPECT_EQ(refusedKey([] { readHangup(Payload(json{{"statusCode", "486"}})); }), "wrong_type");
    EXPECT_EQ(refusedKey([] { readHangup(Payload(json{{"reasonPhrase", "x"}})); }), "missing_field");
    EXPECT_EQ(refusedKey([] { readHangup(Payload(json{{"statusCode", 486}, {"reasonPhrase", "a\r\nX: y"}})); }),
              "invalid_value");
    EXPECT_EQ(refusedKey([] { readHangup(Payload(json{{"statusCode", 486}, {"isTimeout", true}})); }),
              "fields_exclusive");
    EXPECT_EQ(refusedKey([] { readHangup(Payload(json{{"extraHeaders", {"no colon"}}})); }), "invalid_value");
}

TEST(CallControlPayloads, ProgressDefaultsAndLimits) {
    ProgressRequest r = readProgress(Payload(json{{"sessionId", "s"}}));
    EXPECT_EQ(r.statusCode, 183);
    EXPECT_TRUE(r.withMedia);
    r = readProgress(Payload(json{{"statusCode", 180}, {"withMedia", false}}));
    EXPECT_EQ(r.statusCode, 180);
    EXPECT_FALSE(r.withMedia);
    EXPECT_EQ(refusedKey([] { readProgress(Payload(json{{"statusCode", 181}})); }), "invalid_value");
    EXPECT_EQ(refusedKey([] { readProgress(Payload(json{{"statusCode", 200}})); }), "invalid_value");
    EXPECT_EQ(refusedKey([] { readProgress(Payload(json{{"withMedia", "yes"}})); }), "wrong_type");
}

TEST(CallControlPayloads, MessageBodyTypeAndSize) {
    MessageRequest m = readMessage(Payload(json{{"target", "1002"}, {"body", "你好"}}));
    EXPECT_EQ(m.body, "你好");
    EXPECT_EQ(m.contentType, "text/plain");
    EXPECT_EQ(m.messageId.size(), 32u);  // generated
    m = readMessage(Payload(json{{"body", "{}"}, {"contentType", "application/json"}, {"messageId", "m-1"}}));
    EXPECT_EQ(m.contentType, "application/json");
    EXPECT_EQ(m.messageId, "m-1");
    EXPECT_EQ(refusedKey([] { readMessage(Payload(json{{"target", "1002"}})); }), "missing_field");
    EXPECT_NE(refusedKey([] { readMessage(Payload(json{{"body", ""}})); }), "accepted");  // JsSIP: body required
    std::string big(MessageRequest::kMaxBodyBytes + 1, 'x');
    EXPECT_EQ(refusedKey([&] { readMessage(Payload(json{{"body", big}})); }), "message_too_large");
    std::string limit(MessageRequest::kMaxBodyBytes, 'x');
    EXPECT_EQ(readMessage(Payload(json{{"body", limit}})).body.size(), MessageRequest::kMaxBodyBytes);
    EXPECT_EQ(refusedKey([] { readMessage(Payload(json{{"body", std::string("bad \xff")}})); }), "invalid_utf8");
    EXPECT_EQ(refusedKey([] { readMessage(Payload(json{{"body", "x"}, {"contentType", "text"}})); }), "invalid_value");
    EXPECT_EQ(refusedKey([] { readMessage(Payload(json{{"body", "x"}, {"contentType", "text/plain\r\nX: y"}})); }),
              "invalid_value");
}

TEST(CallControlPayloads, IgnoredCallOptionsAreSortedForTheirWarnings) {
    json data = {{"options",
                  {{"audio", {{"input", "silence"}}},
                   {"mediaConstraints", {{"audio", true}}},
                   {"pcConfig", json::object()},
                   {"fromDisplayName", "Bob"},
                   {"colour", "blue"}}}};
    IgnoredOptions ignored;
    readCallOptions(Payload(data), &ignored);
    EXPECT_EQ(ignored.browser, (std::vector<std::string>{"options.mediaConstraints", "options.pcConfig"}));
    EXPECT_EQ(ignored.unsupported, std::vector<std::string>{"options.fromDisplayName"});
    EXPECT_EQ(ignored.unknown, std::vector<std::string>{"options.colour"});
}

TEST(CallControlApi, ViaTransportThatCannotApplyIsSaid) {
    sipw_test::TestWorker w;
    ASSERT_EQ(w.post("INIT", R"({"uri":"sip:1001@127.0.0.1","register":false,"viaTransport":"wss",
                                 "sipServer":["udp://127.0.0.1:5060"]})"), 0) << sipw_last_error();
    json warning = w.waitFor("warning", 2000);
    ASSERT_FALSE(warning.is_null());
    EXPECT_EQ(warning["data"]["key"], "via_transport_ignored");
    EXPECT_EQ(warning["data"]["args"], json::array({"wss", "udp"}));
    sipw_test::TestWorker same;  // the transport it names is the one used: nothing to say
    ASSERT_EQ(same.post("INIT", R"({"uri":"sip:1001@127.0.0.1","register":false,"viaTransport":"UDP",
                                    "sipServer":["udp://127.0.0.1:5060"]})"), 0);
    EXPECT_TRUE(same.waitFor("warning", 300).is_null());
}

// The language a "English / 中文" or "中文 / English" last error starts with.
bool startsInChinese(const std::string &text) { return sipw_test::hasChinese(text.substr(0, text.find(" / "))); }

TEST(CallControlApi, LocaleOrdersTheLastErrorOfItsWorker) {
    sipw_test::TestWorker before;
    EXPECT_LT(before.post("CALL", R"({"target":"1002"})"), 0);  // no INIT: no locale yet
    EXPECT_FALSE(startsInChinese(sipw_last_error())) << sipw_last_error();
    sipw_test::TestWorker zh, en;
    ASSERT_EQ(zh.post("INIT", R"({"uri":"sip:1001@127.0.0.1","register":false})"), 0);
    ASSERT_EQ(en.post("INIT", R"({"uri":"sip:1001@127.0.0.1","register":false,"locale":"en"})"), 0);
    EXPECT_EQ(zh.post("HANGUP", R"({"sessionId":"nope"})"), SIPW_ENOSESSION);
    EXPECT_TRUE(startsInChinese(sipw_last_error())) << sipw_last_error();
    EXPECT_EQ(en.post("HANGUP", R"({"sessionId":"nope"})"), SIPW_ENOSESSION);
    EXPECT_FALSE(startsInChinese(sipw_last_error())) << sipw_last_error();
    // Each language alone is unchanged.
    EXPECT_FALSE(sipw_test::hasChinese(sipw_last_error_text("en")));
    EXPECT_TRUE(sipw_test::hasChinese(sipw_last_error_text("zh-CN")));
}

}  // namespace
}  // namespace sipw
