// SIP over WebSocket (RFC 7118) against Kamailio's WS (8080) and WSS (8443) listeners on loopback.
#include "test_worker.hpp"

using namespace sipw_test;

namespace {

const char *const kWs = "ws://127.0.0.1:8080/ws";
const char *const kWss = "wss://127.0.0.1:8443/ws";

Json wssVerified() { return {{"tls", {{"caFile", testCaFile()}}}}; }

// INIT → connecting → connected → registered (200), then UNREGISTER and LOGOUT; returns the
// seconds from INIT to registered.
double registersAndLeaves(const std::string &user, const std::string &server, Json extra = Json::object()) {
    TestWorker w;
    auto t0 = Clock::now();
    EXPECT_EQ(w.post("INIT", initFor(user, server, extra)), 0) << sipw_last_error();
    EXPECT_TRUE(w.sees("connecting", 2000));
    Json connected = w.waitFor("connected", 5000);
    EXPECT_FALSE(connected.is_null()) << "no connected event for " << server;
    if (connected.is_null()) return -1;
    Json registered = w.waitFor("registered", 5000);
    double seconds = secondsSince(t0);
    EXPECT_FALSE(registered.is_null()) << "not registered over " << server;
    if (registered.is_null()) return -1;
    EXPECT_EQ(registered["statusCode"], 200);
    EXPECT_EQ(connected["data"]["transport"], server.substr(0, server.find(':')));

    EXPECT_EQ(w.post("UNREGISTER", nullptr), 0);
    Json unregistered = w.waitFor("unregistered", 5000);
    EXPECT_FALSE(unregistered.is_null());
    if (!unregistered.is_null()) EXPECT_EQ(unregistered["statusCode"], 200);
    EXPECT_EQ(w.post("LOGOUT", nullptr), 0);
    EXPECT_TRUE(w.sees("disconnected", 5000));
    return seconds;
}

}  // namespace

class WsRegistration : public ::testing::Test {
protected:
    void SetUp() override { SIPW_REQUIRE_LOOPBACK_SERVERS(); }
};

TEST_F(WsRegistration, OverWs) {
    double s = registersAndLeaves("1011", kWs);
    RecordProperty("register_seconds", std::to_string(s));
    printf("register over ws: %.3f s\n", s);
}

TEST_F(WsRegistration, OverWssVerifiedWithTheTestCa) {
    double s = registersAndLeaves("1012", kWss, wssVerified());
    printf("register over wss: %.3f s\n", s);
}
