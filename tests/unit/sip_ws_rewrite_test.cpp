// RFC 7118 rewriting between sofia-sip's TCP stream and WebSocket messages (src/ws/sip_ws_rewrite).
#include "ws/sip_ws_rewrite.hpp"

#include <gtest/gtest.h>

using namespace sipw::ws;

namespace {

const char *const kInvalid = "df7jal23ls0d.invalid";

SipWsRewriter makeRewriter(bool secure = false) {
    SipWsRewriter::Options options;
    options.secure = secure;
    options.invalidHost = kInvalid;
    return SipWsRewriter(options);
}

const std::string kRegister =
    "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 127.0.0.1:40123;rport;branch=z9hG4bKreg1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:1001@127.0.0.1>;tag=a1\r\n"
    "To: <sip:1001@127.0.0.1>\r\n"
    "Call-ID: reg-1\r\n"
    "CSeq: 1 REGISTER\r\n"
    "Contact: <sip:1001@127.0.0.1:40123;transport=tcp>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::string header(const std::string &message, const std::string &name) {
    std::size_t pos = message.find("\r\n" + name + ": ");
    if (pos == std::string::npos) return {};
    pos += 4 + name.size();
    return message.substr(pos, message.find("\r\n", pos) - pos);
}

std::string toWs(SipWsRewriter &r, const std::string &in, std::int64_t now = 0) {
    std::string out, error;
    EXPECT_EQ(r.toWebSocket(in, out, error, now), SipWsRewriter::Outcome::Forward) << error;
    return out;
}

std::string fromWs(SipWsRewriter &r, const std::string &in, std::int64_t now = 0) {
    std::string out, error;
    EXPECT_EQ(r.fromWebSocket(in, out, error, now), SipWsRewriter::Outcome::Forward) << error;
    return out;
}

}  // namespace

TEST(SipWsRewrite, OurRequestGetsAWsViaAndAnInvalidContact) {
    auto r = makeRewriter();
    std::string out = toWs(r, kRegister);
    EXPECT_EQ(header(out, "Via"), std::string("SIP/2.0/WS ") + kInvalid + ";rport;branch=z9hG4bKreg1");
    EXPECT_EQ(header(out, "Contact"), std::string("<sip:1001@") + kInvalid + ";transport=ws>");
    EXPECT_EQ(header(out, "Content-Length"), "0");
    EXPECT_EQ(out.substr(0, out.find("\r\n")), "REGISTER sip:127.0.0.1 SIP/2.0");
    EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST(SipWsRewrite, WssUsesAWssViaButTheOneRegisteredUriTransport) {
    auto r = makeRewriter(true);
    std::string out = toWs(r, kRegister);
    EXPECT_EQ(header(out, "Via").substr(0, 12), "SIP/2.0/WSS ");
    EXPECT_NE(header(out, "Contact").find(";transport=ws>"), std::string::npos);
}

TEST(SipWsRewrite, TheServersResponseGetsOurOriginalViaBack) {
    auto r = makeRewriter();
    toWs(r, kRegister);
    std::string response =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/WS df7jal23ls0d.invalid;rport=51234;received=127.0.0.1;branch=z9hG4bKreg1\r\n"
        "From: <sip:1001@127.0.0.1>;tag=a1\r\nTo: <sip:1001@127.0.0.1>;tag=s1\r\nCall-ID: reg-1\r\n"
        "CSeq: 1 REGISTER\r\nContact: <sip:1001@df7jal23ls0d.invalid;transport=ws>;expires=600\r\n\r\n";
    std::string out = fromWs(r, response);
    EXPECT_EQ(header(out, "Via"), "SIP/2.0/TCP 127.0.0.1:40123;rport;branch=z9hG4bKreg1");
    EXPECT_EQ(header(out, "Content-Length"), "0");  // RFC 7118 lets the server leave it out; TCP needs it
}

TEST(SipWsRewrite, UnknownBranchFallsBackToTcpWithOurSentBy) {
    auto r = makeRewriter();
    toWs(r, kRegister);
    std::string out = fromWs(r, "SIP/2.0 100 Trying\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKother\r\n\r\n");
    EXPECT_EQ(header(out, "Via"), "SIP/2.0/TCP 127.0.0.1:40123;branch=z9hG4bKother");
}

TEST(SipWsRewrite, IncomingRequestBecomesTcpAndOurResponseRestoresTheServersVia) {
    auto r = makeRewriter();
    toWs(r, kRegister);  // teaches the rewriter our local contact
    std::string invite =
        "INVITE sip:1001@df7jal23ls0d.invalid;transport=ws SIP/2.0\r\n"
        "Via: SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bKsrv1\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKcaller;rport=5070\r\n"
        "Record-Route: <sip:127.0.0.1:8080;transport=ws;r2=on;lr>\r\n"
        "From: <sip:1002@127.0.0.1>;tag=b1\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: call-1\r\n"
        "CSeq: 1 INVITE\r\nContact: <sip:1002@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\n"
        "Content-Length: 5\r\n\r\nv=0\r\n";
    std::string in = fromWs(r, invite);
    EXPECT_EQ(in.substr(0, in.find("\r\n")), "INVITE sip:1001@127.0.0.1:40123;transport=tcp SIP/2.0");
    EXPECT_EQ(header(in, "Via"), "SIP/2.0/TCP 127.0.0.1:8080;branch=z9hG4bKsrv1");
    EXPECT_NE(in.find("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKcaller"), std::string::npos);
    EXPECT_EQ(in.substr(in.size() - 5), "v=0\r\n");

    // sofia-sip answers with the TCP Via it saw (plus its received=); the server gets its own back.
    std::string ok =
        "SIP/2.0 200 OK\r\n"
        "Via: SIP/2.0/TCP 127.0.0.1:8080;branch=z9hG4bKsrv1;received=127.0.0.1\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKcaller;rport=5070\r\n"
        "From: <sip:1002@127.0.0.1>;tag=b1\r\nTo: <sip:1001@127.0.0.1>;tag=a9\r\nCall-ID: call-1\r\n"
        "CSeq: 1 INVITE\r\nContact: <sip:1001@127.0.0.1:40123;transport=tcp>\r\nContent-Length: 0\r\n\r\n";
    std::string out = toWs(r, ok);
    EXPECT_EQ(header(out, "Via"), "SIP/2.0/WS 127.0.0.1:8080;branch=z9hG4bKsrv1");
    EXPECT_EQ(header(out, "Contact"), std::string("<sip:1001@") + kInvalid + ";transport=ws>");
}

TEST(SipWsRewrite, CompactHeadersFoldedLinesAndCommaSeparatedVias) {
    auto r = makeRewriter();
    std::string in =
        "OPTIONS sip:1001@127.0.0.1 SIP/2.0\r\n"
        "v: SIP / 2.0 / WS 127.0.0.1:8080;branch=z9hG4bKa,\r\n"
        " SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb\r\n"
        "f: <sip:x@y>;tag=1\r\nt: <sip:1001@127.0.0.1>\r\ni: c1\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
    std::string out = fromWs(r, in);
    EXPECT_EQ(header(out, "v"), "SIP/2.0/TCP 127.0.0.1:8080;branch=z9hG4bKa, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKb");
    EXPECT_EQ(header(out, "Content-Length"), "0");
    EXPECT_EQ(out.find("\r\nl: "), std::string::npos);  // one Content-Length, the recomputed one
}

TEST(SipWsRewrite, ContactsWithoutBracketsAndSeveralContactsAreAllRewritten) {
    auto r = makeRewriter();
    std::string msg = kRegister;
    msg.replace(msg.find("Contact: "), msg.find("\r\n", msg.find("Contact: ")) - msg.find("Contact: "),
                "Contact: sip:1001@127.0.0.1:40123;expires=60, \"A, B\" <sip:1001@127.0.0.1:40123;ob>");
    std::string out = toWs(r, msg);
    EXPECT_EQ(header(out, "Contact"), std::string("<sip:1001@") + kInvalid + ";transport=ws>;expires=60, \"A, B\" <sip:1001@" +
                                          kInvalid + ";ob;transport=ws>");
}

// Found by the fuzzer: a Contact whose "host" held spaces leaked into a Request-URI later.
TEST(SipWsRewrite, ContactWithoutAValidHostIsNotLearnedNorRewritten) {
    auto r = makeRewriter();
    std::string msg = kRegister;
    msg.replace(msg.find("<sip:1001@127.0.0.1:40123;transport=tcp>"), 41, "<sip:1001@127 0 0 1>");
    EXPECT_EQ(header(toWs(r, msg), "Contact"), "<sip:1001@127 0 0 1>");
    std::string in = fromWs(r, "MESSAGE sip:1001@df7jal23ls0d.invalid SIP/2.0\r\nVia: SIP/2.0/WS h;branch=z9hG4bKm\r\n\r\n");
    EXPECT_EQ(in.substr(0, in.find("\r\n")), "MESSAGE sip:1001@df7jal23ls0d.invalid SIP/2.0");
}

TEST(SipWsRewrite, StarContactIsLeftAlone) {
    auto r = makeRewriter();
    std::string msg = kRegister;
    msg.replace(msg.find("<sip:1001@127.0.0.1:40123;transport=tcp>"), 41, "*");
    EXPECT_EQ(header(toWs(r, msg), "Contact"), "*");
}

TEST(SipWsRewrite, BodyIsCutToContentLengthAndLongerDeclarationsAreRejected) {
    auto r = makeRewriter();
    std::string out = fromWs(r, "SIP/2.0 200 OK\r\nVia: SIP/2.0/WS h;branch=z9hG4bKx\r\nContent-Length: 3\r\n\r\nabcdef");
    EXPECT_EQ(out.substr(out.size() - 3), "abc");
    EXPECT_EQ(header(out, "Content-Length"), "3");
    std::string error;
    EXPECT_EQ(r.fromWebSocket("SIP/2.0 200 OK\r\nVia: SIP/2.0/WS h;branch=z\r\nContent-Length: 30\r\n\r\nabc", out, error, 0),
              SipWsRewriter::Outcome::Reject);
    EXPECT_EQ(error, "Content-Length larger than the body");
}

TEST(SipWsRewrite, KeepAlivesAreIgnoredAndGarbageIsRejectedWithAReason) {
    auto r = makeRewriter();
    std::string out, error;
    EXPECT_EQ(r.fromWebSocket("\r\n\r\n", out, error, 0), SipWsRewriter::Outcome::Ignore);
    EXPECT_EQ(r.toWebSocket("\r\n", out, error, 0), SipWsRewriter::Outcome::Ignore);
    struct Case {
        const char *text, *why;
    } cases[] = {
        {"hello", "no empty line after the headers"},
        {"HELLO WORLD\r\n\r\n", "not a SIP request or status line"},
        {"SIP/2.0 99 Odd\r\nVia: SIP/2.0/WS h\r\n\r\n", "bad status line"},
        {"SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n", "no Via header"},
        {"SIP/2.0 200 OK\r\nVia SIP/2.0/WS h\r\n\r\n", "header line without a colon"},
        {"SIP/2.0 200 OK\r\nVia: HTTP/1.1/WS h\r\n\r\n", "bad Via header"},
        {"SIP/2.0 200 OK\r\nVia: SIP/2.0/WS\r\n\r\n", "bad Via header"},
        {"SIP/2.0 200 OK\r\nVia: SIP/2.0/WS h\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"},
        {"INV@TE sip:a SIP/2.0\r\nVia: SIP/2.0/WS h\r\n\r\n", "bad request line"},
        {"SIP/2.0 200 OK\r\n folded\r\n\r\n", "continuation line before any header"},
    };
    for (const Case &c : cases) {
        error.clear();
        EXPECT_EQ(r.fromWebSocket(c.text, out, error, 0), SipWsRewriter::Outcome::Reject) << c.text;
        EXPECT_EQ(error, c.why) << c.text;
    }
    EXPECT_EQ(r.fromWebSocket(std::string(kMaxSipMessageBytes + 1, 'x'), out, error, 0), SipWsRewriter::Outcome::Reject);

    std::string withNul = "SIP/2.0 200 OK\r\nVia: SIP/2.0/WS h\r\nX: a";
    withNul += '\0';
    withNul += "b\r\n\r\n";
    EXPECT_EQ(r.fromWebSocket(withNul, out, error, 0), SipWsRewriter::Outcome::Reject);
    EXPECT_EQ(error, "control character in the headers");
}

TEST(SipWsRewrite, ViaMemoryIsBoundedInSizeAndAge) {
    ViaMemory memory(3, 1000);
    for (int i = 0; i < 5; ++i) memory.remember("b" + std::to_string(i), "via" + std::to_string(i), i);
    EXPECT_EQ(memory.size(), 3u);
    EXPECT_EQ(memory.find("b0", 5), nullptr);  // evicted: capacity
    ASSERT_NE(memory.find("b4", 5), nullptr);
    EXPECT_EQ(*memory.find("b4", 5), "via4");
    EXPECT_EQ(memory.find("b4", 2000), nullptr);  // expired: age
    EXPECT_EQ(memory.size(), 0u);

    // A branch remembered twice keeps its newest Via, and the old entry's expiry does not drop it.
    ViaMemory again(10, 100);
    again.remember("x", "first", 0);
    again.remember("x", "second", 90);
    ASSERT_NE(again.find("x", 150), nullptr);
    EXPECT_EQ(*again.find("x", 150), "second");
}

TEST(SipWsRewrite, ExpiredViasFallBackInsteadOfLeaking) {
    SipWsRewriter::Options options;
    options.invalidHost = kInvalid;
    options.viaLifetimeUs = 1000;
    SipWsRewriter r(options);
    toWs(r, kRegister, 0);
    std::string out = fromWs(r, "SIP/2.0 200 OK\r\nVia: SIP/2.0/WS x.invalid;branch=z9hG4bKreg1;received=1.2.3.4\r\n\r\n", 5000);
    EXPECT_EQ(header(out, "Via"), "SIP/2.0/TCP 127.0.0.1:40123;branch=z9hG4bKreg1;received=1.2.3.4");
}

TEST(SipStreamFramer, SplitsByContentLengthAndDropsKeepAlives) {
    SipStreamFramer framer;
    std::string two = kRegister + "\r\n\r\n" + "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h\r\nl: 4\r\n\r\nbody";
    // Byte by byte: nothing comes out before a message is complete.
    std::vector<std::string> messages;
    std::string message, error;
    for (char c : two) {
        framer.append(std::string_view(&c, 1));
        while (framer.next(message, error) == SipStreamFramer::Result::Message) messages.push_back(message);
        EXPECT_TRUE(error.empty()) << error;
    }
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0], kRegister);
    EXPECT_EQ(messages[1].substr(messages[1].size() - 4), "body");
    EXPECT_EQ(framer.buffered(), 0u);
}

TEST(SipStreamFramer, MissingOrHugeContentLengthIsAnError) {
    std::string message, error;
    SipStreamFramer noLength;
    noLength.append("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n");
    EXPECT_EQ(noLength.next(message, error), SipStreamFramer::Result::Error);
    EXPECT_EQ(error, "a message on the stream has no Content-Length");

    SipStreamFramer huge(1000);
    huge.append("OPTIONS sip:a SIP/2.0\r\nContent-Length: 5000\r\n\r\n");
    EXPECT_EQ(huge.next(message, error), SipStreamFramer::Result::Error);
    EXPECT_EQ(huge.buffered(), 0u);

    SipStreamFramer endless(100);
    endless.append(std::string(200, 'a'));
    EXPECT_EQ(endless.next(message, error), SipStreamFramer::Result::Error);
}

TEST(SipWsRewrite, RandomInvalidHostsDiffer) {
    std::string a = randomInvalidHost(), b = randomInvalidHost();
    EXPECT_NE(a, b);
    EXPECT_EQ(a.size(), 12u + 8u);
    EXPECT_EQ(a.substr(12), ".invalid");
}
