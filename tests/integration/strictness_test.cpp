// Protocol strictness: requests from RFC 4475's torture list that a worker must answer as RFC 3261
// says, sent straight to its port as raw datagrams.
#include "call_helpers.hpp"
#include "faults.hpp"

using namespace sipw_test;

namespace {

class Strictness : public ::testing::Test {
protected:
    void SetUp() override {
        SIPW_REQUIRE_LOOPBACK_SERVERS();
        addKamailioUser(user_);
        phone_ = std::make_unique<Phone>(user_);
        port_ = contactPort(user_);
        ASSERT_GT(port_, 0);
    }
    const std::string user_ = "4111";
    std::unique_ptr<Phone> phone_;
    int port_ = 0;

    std::string requestUri() const { return "sip:" + user_ + "@127.0.0.1:" + std::to_string(port_); }
};

std::string statusLine(const std::string &response) { return response.substr(0, response.find("\r\n")); }

}  // namespace

namespace {
// RFC 4475 §3.1.1.3 ("intmeth"), sent to the worker itself; `toDisplay` is the To display name
// (the RFC's escapes a BEL, a NUL and a DEL).
std::string intmeth(const std::string &requestUri, const std::string &user, const std::string &toDisplay) {
    const std::string method = "!interesting-Method0123456789_*+`.%indeed'~";
    return method + " " + requestUri +
           " SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch}-.!%66*_+`'~;rport\r\n"
           "To: \"" + toDisplay + "\" <sip:" + user + "@127.0.0.1>\r\n"
           "From: token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
           "\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\""
           ";tag=_token~1'+`*%!-.\r\n"
           "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{{branch}\r\n"
           "CSeq: 139122385 " + method + "\r\n"
           "Max-Forwards: 255\r\n"
           "extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\r\n"
           "Content-Length: 0\r\n\r\n";
}
}  // namespace

// A valid request whose method is made of every token character (sofia-sip alone drops it: it
// reads methods as URL characters, without '`'): 501, a method we do not recognize (§21.5.2).
TEST_F(Strictness, UnknownMethodOfTokenCharactersIsAnswered501) {
    std::string answer = sendSipDatagram(port_, intmeth(requestUri(), user_, "BEL:\\\x07 DEL:\\\x7f"));
    ASSERT_FALSE(answer.empty()) << "no answer to a valid request with an unknown method";
    EXPECT_EQ(statusLine(answer), "SIP/2.0 501 Not Implemented") << answer;
}

// The RFC's own message also escapes a NUL in the To display name, which sofia-sip's parser (C
// strings) cannot hold: it is refused, but answered.
TEST_F(Strictness, IntmethWithItsNulIsAnswered) {
    std::string display = "BEL:\\\x07 NUL:\\" + std::string(1, '\0') + " DEL:\\\x7f";
    std::string answer = sendSipDatagram(port_, intmeth(requestUri(), user_, display));
    ASSERT_FALSE(answer.empty()) << "RFC 4475 intmeth was dropped without an answer";
    printf("intmeth: %s\n", statusLine(answer).c_str());
    EXPECT_EQ(statusLine(answer), "SIP/2.0 400 Bad To Header") << answer;
}

// RFC 3261 §8.2.3: a body we cannot read is 415 with the types we accept, not 488 (which says the
// SDP was read and refused).
TEST_F(Strictness, InviteWithABodyThatIsNotSdpIs415) {
    std::string body = "hello, I am not a session description\r\n";
    std::string request = "INVITE " + requestUri() +
                          " SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch};rport\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:caller@127.0.0.1>;tag={branch}\r\n"
                          "To: <sip:" + user_ + "@127.0.0.1>\r\n"
                          "Call-ID: {branch}@127.0.0.1\r\n"
                          "CSeq: 1 INVITE\r\n"
                          "Contact: <sip:caller@127.0.0.1:{port}>\r\n"
                          "Content-Type: text/plain\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string answer = sendSipDatagram(port_, request);
    EXPECT_EQ(statusLine(answer), "SIP/2.0 415 Unsupported Media Type") << answer;
    EXPECT_NE(answer.find("\r\nAccept: application/sdp\r\n"), std::string::npos) << answer;
    Json failed = waitSession(phone_->w, "session_failed");
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["statusCode"], 415);
    EXPECT_EQ(failed["cause"], "Missing SDP");
    EXPECT_EQ(expectOneTerminalPerSession(phone_->w, user_), 1u);
}

// A Via whose branch parameter is empty: no magic cookie, so RFC 3261 §17.2.3 matches it as an
// RFC 2543 request, and it is answered like any other (never dropped in silence).
TEST_F(Strictness, EmptyBranchIsAnsweredAsAnRfc2543Request) {
    std::string request = "OPTIONS " + requestUri() +
                          " SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 127.0.0.1:{port};branch=;rport\r\n"
                          "Max-Forwards: 70\r\n"
                          "From: <sip:caller@127.0.0.1>;tag={branch}\r\n"
                          "To: <sip:" + user_ + "@127.0.0.1>\r\n"
                          "Call-ID: {branch}@127.0.0.1\r\n"
                          "CSeq: 1 OPTIONS\r\n"
                          "Content-Length: 0\r\n\r\n";
    std::string answer = sendSipDatagram(port_, request);
    ASSERT_FALSE(answer.empty()) << "a request with an empty branch was dropped without an answer";
    EXPECT_EQ(statusLine(answer), "SIP/2.0 200 OK") << answer;
}
