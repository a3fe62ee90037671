// Registration against the real Kamailio on loopback (tests/netns-run.sh starts it).
#include "test_worker.hpp"

#include <thread>

using namespace sipw_test;

namespace {

void expectRegisters(const std::string &user, const std::string &server, Json extra = Json::object()) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor(user, server, extra)), 0) << sipw_last_error();
    EXPECT_TRUE(w.sees("connecting", 2000));
    Json connected = w.waitFor("connected", 5000);
    ASSERT_FALSE(connected.is_null()) << "no connected event for " << server;
    Json registered = w.waitFor("registered", 5000);
    ASSERT_FALSE(registered.is_null()) << "not registered over " << server;
    EXPECT_EQ(registered["statusCode"], 200);
    EXPECT_EQ(registered["msg"], "registered");
    EXPECT_EQ(registered["msgCN"], "已注册");
    EXPECT_EQ(registered["id"], "test-" + user);
    EXPECT_EQ(registered["uri"], "sip:" + user + "@127.0.0.1");

    ASSERT_EQ(w.post("UNREGISTER", nullptr), 0);
    Json unregistered = w.waitFor("unregistered", 5000);
    ASSERT_FALSE(unregistered.is_null());
    EXPECT_EQ(unregistered["statusCode"], 200);
    ASSERT_EQ(w.post("LOGOUT", nullptr), 0);
    EXPECT_TRUE(w.sees("disconnected", 5000));
}

}  // namespace

class Registration : public ::testing::Test {
protected:
    void SetUp() override { SIPW_REQUIRE_LOOPBACK_SERVERS(); }
};

TEST_F(Registration, OverUdp) { expectRegisters("1001", "udp://127.0.0.1:5060"); }
TEST_F(Registration, OverSipUriWithTransportParam) { expectRegisters("1002", "sip:127.0.0.1:5060;transport=udp"); }
TEST_F(Registration, OverTcp) { expectRegisters("1003", "sip:127.0.0.1:5060;transport=tcp"); }
TEST_F(Registration, OverTlsWithoutVerification) {
    expectRegisters("1004", "sips:127.0.0.1:5061", {{"tls", {{"verify", false}}}});
}
TEST_F(Registration, OverTlsVerifiedWithCaFile) {
    expectRegisters("1005", "tls://127.0.0.1:5061", {{"tls", {{"caFile", testCaFile()}}}});
}

TEST_F(Registration, TlsCertificateThatDoesNotVerifyFailsPromptly) {
    TestWorker w;
    auto t0 = Clock::now();
    // 5062 serves a self-signed certificate that the test CA did not sign.
    ASSERT_EQ(w.post("INIT", initFor("1006", "tls://127.0.0.1:5062", {{"tls", {{"caFile", testCaFile()}}}})), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_LT(secondsSince(t0), 3.0);
    EXPECT_EQ(failed["cause"], "Connection Error");
    EXPECT_EQ(failed["data"]["key"], "tls_verify_failed");
    EXPECT_FALSE(failed["data"]["textCN"].get<std::string>().empty());
    bool sawDisconnected = false;
    for (auto &e : w.history()) sawDisconnected |= e["msg"] == "disconnected";
    EXPECT_TRUE(sawDisconnected);
}

TEST_F(Registration, TlsDefaultVerificationRejectsTestCertificate) {
    // Verification is on by default, against the system CAs: the test CA is not among them.
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1007", "tls://127.0.0.1:5061")), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["data"]["key"], "tls_verify_failed");
}

TEST_F(Registration, WrongPasswordIsAnAuthenticationError) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1008", "udp://127.0.0.1:5060", {{"password", "wrong"}})), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["cause"], "Authentication Error");
    EXPECT_EQ(failed["statusCode"], 401);
    EXPECT_NE(failed["causeCN"].get<std::string>().find("认证"), std::string::npos);
    EXPECT_EQ(failed["originator"], "remote");
}

TEST_F(Registration, RealmThatDoesNotMatchTheChallengeFails) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1009", "udp://127.0.0.1:5060", {{"realm", "other.example"}})), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["cause"], "Authentication Error");
}

TEST_F(Registration, ExplicitRealmAndAuthorizationUser) {
    expectRegisters("1010", "udp://127.0.0.1:5060", {{"realm", "127.0.0.1"}, {"authorizationUser", "1010"}});
}

TEST_F(Registration, ForbiddenIsRejected) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("forbidden", "udp://127.0.0.1:5060")), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["statusCode"], 403);
    EXPECT_EQ(failed["cause"], "Rejected");
    EXPECT_FALSE(failed["causeCN"].get<std::string>().empty());
}

TEST_F(Registration, ServerErrorIsASipFailure) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("servererror", "tcp://127.0.0.1:5060")), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["statusCode"], 503);
    EXPECT_EQ(failed["cause"], "SIP Failure Code");
}

TEST_F(Registration, RefusedTcpConnectionFailsPromptly) {
    TestWorker w;
    auto t0 = Clock::now();
    ASSERT_EQ(w.post("INIT", initFor("1011", "tcp://127.0.0.1:5999")), 0);
    Json failed = w.waitFor("registrationFailed", 3000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_LT(secondsSince(t0), 1.0);
    EXPECT_EQ(failed["cause"], "Connection Error");
    EXPECT_EQ(failed["data"]["key"], "connection_refused");
}

TEST_F(Registration, SilentServerFailsInBoundedTime) {
    TestWorker w;
    auto t0 = Clock::now();
    // Kamailio drops every REGISTER of `slowreg`: only our own timer can end it.
    ASSERT_EQ(w.post("INIT", initFor("slowreg", "udp://127.0.0.1:5060")), 0);
    Json failed = w.waitFor("registrationFailed", 15000);
    ASSERT_FALSE(failed.is_null());
    double took = secondsSince(t0);
    EXPECT_GT(took, 8.0);
    EXPECT_LT(took, 12.0);
    EXPECT_EQ(failed["cause"], "Request Timeout");
    EXPECT_EQ(failed["statusCode"], 408);
}

TEST_F(Registration, FailsOverToTheNextServer) {
    TestWorker w;
    Json init = initFor("1012", "tcp://127.0.0.1:5999");
    init["sipServer"].push_back("udp://127.0.0.1:5060");
    ASSERT_EQ(w.post("INIT", init), 0);
    Json warning = w.waitFor("warning", 3000);
    ASSERT_FALSE(warning.is_null());
    EXPECT_EQ(warning["data"]["key"], "server_failover");
    EXPECT_TRUE(w.sees("registered", 5000));
}

TEST_F(Registration, RefreshIsAnnouncedAndRenewed) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1013", "udp://127.0.0.1:5060", {{"registerExpires", 10}})), 0);
    Json first = w.waitFor("registered", 5000);
    ASSERT_FALSE(first.is_null());
    EXPECT_EQ(first["data"]["expires"], 10);
    auto t0 = Clock::now();
    ASSERT_TRUE(w.sees("registrationExpiring", 6000));
    EXPECT_LT(secondsSince(t0), 4.0);
    EXPECT_TRUE(w.sees("registered", 3000)) << "refresh REGISTER not answered";
}

TEST_F(Registration, LoginWithoutAutoRegisterThenRegister) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1014", "udp://127.0.0.1:5060", {{"register", false}})), 0);
    EXPECT_FALSE(w.sees("connecting", 300)) << "register:false must not connect by itself";
    ASSERT_EQ(w.post("LOGIN", nullptr), 0);
    ASSERT_TRUE(w.sees("connected", 3000));
    EXPECT_FALSE(w.sees("registered", 500));
    ASSERT_EQ(w.post("REGISTER", nullptr), 0);
    EXPECT_TRUE(w.sees("registered", 3000));
}

TEST_F(Registration, LogoutWhileRegistering) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1015", "udp://127.0.0.1:5060")), 0);
    ASSERT_EQ(w.post("LOGOUT", nullptr), 0);
    EXPECT_TRUE(w.sees("disconnected", 5000));
    // The worker stays usable.
    ASSERT_EQ(w.post("LOGIN", nullptr), 0);
    EXPECT_TRUE(w.sees("registered", 5000));
}

TEST_F(Registration, DestroyDuringRegistrationIsBounded) {
    for (int i = 0; i < 5; ++i) {
        TestWorker w;
        ASSERT_EQ(w.post("INIT", initFor("1016", i % 2 ? "tcp://127.0.0.1:5060" : "udp://127.0.0.1:5060")), 0);
        auto t0 = Clock::now();
        w.destroy();
        EXPECT_LT(secondsSince(t0), 5.0);
    }
}

TEST_F(Registration, DestroyOfASilentRegistrationIsBounded) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("slowreg", "udp://127.0.0.1:5060")), 0);
    ASSERT_TRUE(w.sees("connected", 2000));
    auto t0 = Clock::now();
    w.destroy();
    EXPECT_LT(secondsSince(t0), 5.0);
}

TEST_F(Registration, TwoWorkersInOneProcess) {
    TestWorker a, b;
    ASSERT_EQ(a.post("INIT", initFor("1017", "udp://127.0.0.1:5060")), 0);
    ASSERT_EQ(b.post("INIT", initFor("1018", "tcp://127.0.0.1:5060")), 0);
    Json ra = a.waitFor("registered", 5000), rb = b.waitFor("registered", 5000);
    ASSERT_FALSE(ra.is_null());
    ASSERT_FALSE(rb.is_null());
    EXPECT_EQ(ra["uri"], "sip:1017@127.0.0.1");
    EXPECT_EQ(rb["uri"], "sip:1018@127.0.0.1");
}

TEST_F(Registration, ReinitReplacesTheUserAgent) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1019", "udp://127.0.0.1:5060")), 0);
    ASSERT_TRUE(w.sees("registered", 5000));
    ASSERT_EQ(w.post("INIT", initFor("1020", "tcp://127.0.0.1:5060")), 0);
    Json again = w.waitFor("registered", 5000);
    ASSERT_FALSE(again.is_null());
    EXPECT_EQ(again["uri"], "sip:1020@127.0.0.1");
}
