// SIP over WebSocket (RFC 7118) against Kamailio's WS (8080) and WSS (8443) listeners on loopback.
#include "audio_analysis.hpp"
#include "call_helpers.hpp"
#include "script_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

using namespace sipw_test;
namespace fs = std::filesystem;

namespace {

const char *const kUdp = "udp://127.0.0.1:5060";

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

// INIT → registered (digest challenge included), median of 5, over ws and wss against udp.
TEST_F(WsRegistration, RegisterTimeComparedWithUdp) {
    auto median = [](const std::string &user, const std::string &server, const Json &extra) {
        std::vector<double> seconds;
        for (int i = 0; i < 5; ++i) {
            TestWorker w;
            auto t0 = Clock::now();
            EXPECT_EQ(w.post("INIT", initFor(user, server, extra)), 0);
            EXPECT_FALSE(w.waitFor("registered", 5000).is_null()) << server;
            seconds.push_back(secondsSince(t0));
        }
        std::sort(seconds.begin(), seconds.end());
        return seconds[2];
    };
    double udp = median("1013", kUdp, Json::object());
    double ws = median("1013", kWs, Json::object());
    double wss = median("1013", kWss, wssVerified());
    printf("register median of 5: udp %.1f ms, ws %.1f ms, wss %.1f ms\n", udp * 1000, ws * 1000, wss * 1000);
    EXPECT_LT(ws, 1.0);
    EXPECT_LT(wss, 1.0);
}

namespace {

enum class Side { Caller, Callee };

// A call from `caller` to `callee` with a 1000 Hz tone one way and 440 Hz the other, both
// recorded; `holder` puts it on hold and resumes it (re-INVITEs), `hanger` sends the BYE.
void callWithAudio(Phone &caller, Phone &callee, Side holder, Side hanger) {
    std::string heardByCallee = tempWav(callee.user), heardByCaller = tempWav(caller.user);
    const std::string sid = "ws-call-" + caller.user + "-" + callee.user;
    ASSERT_EQ(caller.w.post("CALL", {{"target", callee.user},
                                     {"sessionId", sid},
                                     {"options", {{"audio", {{"input", "tone:1000"}, {"output", "file:" + heardByCaller}}}}}}),
              0) << sipw_last_error();
    Json incoming = waitSession(callee.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << callee.user << " got no INVITE";
    EXPECT_NE(incoming["fromUri"].get<std::string>().find(caller.user), std::string::npos);
    std::string cid = incoming["sessionId"];
    ASSERT_EQ(callee.w.post("ANSWER", {{"sessionId", cid},
                                       {"options", {{"audio", {{"input", "tone:440"}, {"output", "file:" + heardByCallee}}}}}}),
              0) << sipw_last_error();
    ASSERT_FALSE(waitSession(caller.w, "session_confirmed", sid).is_null());
    ASSERT_FALSE(waitSession(callee.w, "session_confirmed", cid).is_null());
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));

    Phone &h = holder == Side::Caller ? caller : callee;
    Phone &other = holder == Side::Caller ? callee : caller;
    const std::string hid = holder == Side::Caller ? sid : cid, oid = holder == Side::Caller ? cid : sid;
    ASSERT_EQ(h.w.post("HOLD", {{"sessionId", hid}}), 0) << sipw_last_error();
    Json held = waitSession(h.w, "onHold", hid);
    ASSERT_FALSE(held.is_null()) << "hold re-INVITE not accepted";
    EXPECT_EQ(held["originator"], "local");
    EXPECT_EQ(waitSession(other.w, "onHold", oid)["originator"], "remote");
    ASSERT_EQ(h.w.post("UNHOLD", {{"sessionId", hid}}), 0) << sipw_last_error();
    EXPECT_FALSE(waitSession(h.w, "onResume", hid).is_null());
    EXPECT_FALSE(waitSession(other.w, "onResume", oid).is_null());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));

    Phone &hangs = hanger == Side::Caller ? caller : callee;
    Phone &hears = hanger == Side::Caller ? callee : caller;
    const std::string hangsId = hanger == Side::Caller ? sid : cid, hearsId = hanger == Side::Caller ? cid : sid;
    ASSERT_EQ(hangs.w.post("HANGUP", {{"sessionId", hangsId}}), 0);
    Json endedHere = waitSession(hangs.w, "session_ended", hangsId);
    Json endedThere = waitSession(hears.w, "session_ended", hearsId);
    ASSERT_FALSE(endedHere.is_null());
    ASSERT_FALSE(endedThere.is_null()) << "the BYE did not reach " << hears.user;
    EXPECT_EQ(endedHere["originator"], "local");
    EXPECT_EQ(endedThere["originator"], "remote");
    // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    EXPECT_EQ(endedThere["cause"], "Terminated");

    EXPECT_NEAR(recordedFrequency(heardByCallee), 1000.0, 20.0);  // the callee hears the caller's tone
    EXPECT_NEAR(recordedFrequency(heardByCaller), 440.0, 8.8);
    std::remove(heardByCaller.c_str());
    std::remove(heardByCallee.c_str());
}

}  // namespace

class WsCalls : public ::testing::Test {
protected:
    void SetUp() override { SIPW_REQUIRE_LOOPBACK_SERVERS(); }
};

TEST_F(WsCalls, WsCallsUdpWsHoldsAndHangsUp) {
    Phone ws("1015", kWs), udp("1016", kUdp);
    callWithAudio(ws, udp, Side::Caller, Side::Caller);
}

TEST_F(WsCalls, UdpCallsWsWsHoldsUdpHangsUp) {
    Phone udp("1017", kUdp), ws("1018", kWs);
    callWithAudio(udp, ws, Side::Callee, Side::Caller);
}

TEST_F(WsCalls, WssCallsUdpUdpHoldsAndHangsUp) {
    Phone wss("1019", kWss, wssVerified()), udp("1020", kUdp);
    callWithAudio(wss, udp, Side::Callee, Side::Callee);
}

TEST_F(WsCalls, UdpCallsWssWssHoldsAndHangsUp) {
    Phone udp("1013", kUdp), wss("1014", kWss, wssVerified());
    callWithAudio(udp, wss, Side::Callee, Side::Callee);
}

// ---- Hostile and failing servers --------------------------------------------------------------

namespace {

// tests/servers/ws_test_server.py in a child process, on a free loopback port.
class ScriptedWsServer {
public:
    explicit ScriptedWsServer(const std::string &behaviour, bool tls = false)
        : server_("ws_test_server.py", arguments(behaviour, tls)) {}
    std::string url(bool tls = false) const {
        return std::string(tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(server_.port()) + "/sip";
    }

private:
    static std::vector<std::string> arguments(const std::string &behaviour, bool tls) {
        std::vector<std::string> args = {"--behaviour", behaviour};
        if (tls) {
            std::string certs = std::string(SIPW_SOURCE_DIR) + "/tests/servers/run/certs/";
            args.insert(args.end(), {"--cert", certs + "rogue.pem", "--key", certs + "rogue.key"});
        }
        return args;
    }
    sipw::test::ScriptServer server_;
};

// A TCP port on 127.0.0.1 nobody listens on.
std::string closedPortUrl() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    close(fd);
    return "ws://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/ws";
}

bool contains(const Json &text, const std::string &part) {
    return text.is_string() && text.get<std::string>().find(part) != std::string::npos;
}

int countWarnings(const TestWorker &w, const std::string &key) {
    int n = 0;
    for (const auto &ev : w.history())
        if (ev.value("msg", "") == "warning" && ev["data"].value("key", "") == key) ++n;
    return n;
}

// The `disconnected` event that ended the link (history included).
Json disconnectedEvent(TestWorker &w, int timeoutMs) {
    for (const auto &ev : w.history())
        if (ev.value("msg", "") == "disconnected") return ev;
    return w.waitFor("disconnected", timeoutMs);
}

}  // namespace

class WsFailures : public ::testing::Test {
protected:
    void SetUp() override { SIPW_REQUIRE_LOOPBACK_SERVERS(); }
};

TEST_F(WsFailures, WssCertificateThatDoesNotVerifyFailsPromptlyWithItsCause) {
    ScriptedWsServer rogue("registrar", true);  // self-signed certificate, unknown to the test CA
    TestWorker w;
    auto t0 = Clock::now();
    ASSERT_EQ(w.post("INIT", initFor("1001", rogue.url(true), wssVerified())), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_LT(secondsSince(t0), 3.0);
    EXPECT_EQ(failed["cause"], "Connection Error");
    EXPECT_EQ(failed["data"]["key"], "tls_verify_failed");
    EXPECT_TRUE(contains(failed["data"]["text"], "Cannot verify the certificate")) << failed.dump();
    EXPECT_TRUE(contains(failed["data"]["textCN"], "证书验证失败")) << failed.dump();
    Json disconnected = disconnectedEvent(w, 100);
    ASSERT_FALSE(disconnected.is_null());
    EXPECT_EQ(disconnected["cause"], "Connection Error");
    for (const auto &ev : w.history()) EXPECT_NE(ev.value("msg", ""), "connected") << ev.dump();
}

TEST_F(WsFailures, WssDefaultVerificationRejectsTheTestCertificate) {
    TestWorker w;  // the system CAs do not know the test CA
    ASSERT_EQ(w.post("INIT", initFor("1002", kWss)), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    for (auto &ev : w.history()) if (failed.is_null()) printf("%s\n", ev.dump().c_str());
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["data"]["key"], "tls_verify_failed");
}

TEST_F(WsFailures, WssWithVerificationOffAcceptsASelfSignedServer) {
    ScriptedWsServer rogue("registrar", true);
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1003", rogue.url(true), {{"tls", {{"verify", false}}}})), 0);
    EXPECT_FALSE(w.waitFor("registered", 5000).is_null());
}

TEST_F(WsFailures, RefusedConnectionFailsOverToTheNextServer) {
    TestWorker w;
    Json init = initFor("1004", kWs);
    init["sipServer"] = Json::array({closedPortUrl(), kWs});
    ASSERT_EQ(w.post("INIT", init), 0);
    Json registered = w.waitFor("registered", 5000);
    ASSERT_FALSE(registered.is_null());
    EXPECT_EQ(countWarnings(w, "server_failover"), 1);
    Json disconnected = disconnectedEvent(w, 100);
    ASSERT_FALSE(disconnected.is_null());
    EXPECT_EQ(disconnected["data"]["key"], "connection_refused");
}

TEST_F(WsFailures, ServerCloseCodeIsTranslatedThenTheWorkerReconnectsAndRegisters) {
    ScriptedWsServer server("close:1001");  // closes its first connection with 1001 "going away"
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1005", server.url(), {{"reconnect", {{"minInterval", 1}, {"maxInterval", 2}}}})), 0);
    // The close follows the 200 OK at once: on a busy machine it can overtake sofia-sip's reading
    // of that 200, so "disconnected" may come before the first "registered" (then taken from the
    // history), and the registration that counts is the one after the close.
    auto t0 = Clock::now();
    Json disconnected = disconnectedEvent(w, 5000);
    ASSERT_FALSE(disconnected.is_null());
    EXPECT_EQ(disconnected["cause"], "Connection Error");
    EXPECT_EQ(disconnected["data"]["key"], "ws_closed");
    EXPECT_EQ(disconnected["data"]["closeCode"], 1001);
    EXPECT_TRUE(contains(disconnected["data"]["text"], "1001 The server is going away (test close)")) << disconnected.dump();
    EXPECT_TRUE(contains(disconnected["data"]["textCN"], "服务器已关闭或正在重启")) << disconnected.dump();
    // Reconnected and registered after the close: events after the "disconnected" in the history.
    auto after = [&](const std::string &msg, int timeoutMs) {
        bool seenClose = false;
        for (const auto &ev : w.history()) {
            if (ev.value("msg", "") == "disconnected") seenClose = true;
            else if (seenClose && ev.value("msg", "") == msg) return ev;
        }
        return w.waitFor(msg, timeoutMs);
    };
    ASSERT_FALSE(after("connected", 4000).is_null());
    Json again = after("registered", 4000);
    ASSERT_FALSE(again.is_null()) << "not re-registered after the server closed the WebSocket";
    printf("re-registered %.3f s after the close (reconnect.minInterval 1 s)\n", secondsSince(t0));
}

TEST_F(WsFailures, BrokenSipFromTheServerIsDroppedWithAWarning) {
    ScriptedWsServer server("broken-sip");
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1006", server.url())), 0);
    // Three messages that are not SIP come before the real 200 OK: each is a warning, none fatal.
    ASSERT_FALSE(w.waitFor("registered", 5000).is_null());
    EXPECT_EQ(countWarnings(w, "ws_bad_message"), 3);
    for (const auto &ev : w.history()) {
        if (ev.value("msg", "") != "warning") continue;
        EXPECT_TRUE(contains(ev["data"]["text"], "Ignored an invalid SIP message from " + server.url())) << ev.dump();
        EXPECT_TRUE(contains(ev["data"]["textCN"], "无效 SIP 消息")) << ev.dump();
    }
    for (const auto &ev : w.history()) EXPECT_NE(ev.value("msg", ""), "disconnected") << ev.dump();
}

TEST_F(WsFailures, MalformedFrameEndsTheLinkWithAProtocolError) {
    ScriptedWsServer server("bad-frame");
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1007", server.url())), 0);
    // The bad frame follows the 200 OK at once and may overtake its reading: the link's end is
    // what matters, whether or not "registered" made it first.
    Json disconnected = disconnectedEvent(w, 5000);
    ASSERT_FALSE(disconnected.is_null());
    EXPECT_EQ(disconnected["data"]["key"], "ws_protocol_error");
    EXPECT_TRUE(contains(disconnected["data"]["textCN"], "协议错误")) << disconnected.dump();
    EXPECT_EQ(w.post("LOGOUT", nullptr), 0);  // still a working worker
}

TEST_F(WsFailures, OversizedMessageEndsTheLinkWithAProtocolError) {
    ScriptedWsServer server("oversized");
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1008", server.url())), 0);
    // The bad frame follows the 200 OK at once and may overtake its reading: the link's end is
    // what matters, whether or not "registered" made it first.
    Json disconnected = disconnectedEvent(w, 5000);
    ASSERT_FALSE(disconnected.is_null());
    EXPECT_EQ(disconnected["data"]["key"], "ws_protocol_error");
    printf("oversized frame: %s\n", disconnected["data"]["text"].get<std::string>().c_str());
}

TEST_F(WsFailures, ServerWithoutTheSipSubprotocolIsRefused) {
    ScriptedWsServer server("no-subprotocol");
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1009", server.url())), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["data"]["key"], "ws_no_sip_protocol");
}

TEST_F(WsFailures, HttpServerThatDoesNotUpgradeIsAHandshakeFailure) {
    ScriptedWsServer server("not-websocket");
    TestWorker w;
    ASSERT_EQ(w.post("INIT", initFor("1010", server.url())), 0);
    Json failed = w.waitFor("registrationFailed", 5000);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["data"]["key"], "ws_handshake_failed");
    printf("not a WebSocket: %s\n", failed["data"]["text"].get<std::string>().c_str());
}

namespace {

// Runs kamcmd on the test Kamailio's control socket; returns its output.
std::string kamcmd(const std::string &args) {
    std::string command = "kamcmd -s unix:" + std::string(SIPW_SOURCE_DIR) + "/tests/servers/run/kamailio_ctl " + args;
    std::string out;
    if (FILE *p = popen(command.c_str(), "r")) {
        char buffer[512];
        while (fgets(buffer, sizeof buffer, p)) out += buffer;
        pclose(p);
    }
    return out;
}

// Closes every open WebSocket connection Kamailio has (`ws.close` sends 1000 "Normal closure").
int closeKamailioWebSockets() {
    std::string dump = kamcmd("ws.dump");
    int closed = 0;
    for (std::size_t pos = 0; (pos = dump.find("state: OPEN", pos)) != std::string::npos; ++pos) {
        std::size_t lineStart = dump.rfind('\n', pos) + 1;
        int id = std::atoi(dump.c_str() + dump.find_first_not_of(" \t", lineStart));
        if (id > 0 && kamcmd("ws.close " + std::to_string(id)).find("error") == std::string::npos) ++closed;
    }
    return closed;
}

}  // namespace

TEST_F(WsFailures, KamailioClosesTheWebSocketThenTheWorkerReconnectsAndIsReachable) {
    Phone ws("1015", kWs, {{"reconnect", {{"minInterval", 1}, {"maxInterval", 2}}}});
    ASSERT_GE(closeKamailioWebSockets(), 1);
    Json disconnected = ws.w.waitFor("disconnected", 5000);
    ASSERT_FALSE(disconnected.is_null());
    EXPECT_EQ(disconnected["data"]["key"], "ws_closed");
    EXPECT_EQ(disconnected["data"]["closeCode"], 1000);
    EXPECT_TRUE(contains(disconnected["data"]["textCN"], "连接已正常关闭")) << disconnected.dump();
    auto t0 = Clock::now();
    ASSERT_FALSE(ws.w.waitFor("connected", 5000).is_null());
    ASSERT_FALSE(ws.w.waitFor("registered", 5000).is_null());
    printf("re-registered with Kamailio %.3f s after it closed the WebSocket\n", secondsSince(t0));

    // The new binding is live: a call reaches the worker over the new WebSocket.
    Phone udp("1016", kUdp);
    ASSERT_EQ(udp.w.post("CALL", {{"target", "1015"}, {"sessionId", "after-reconnect"}}), 0) << sipw_last_error();
    Json incoming = waitSession(ws.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null()) << "no INVITE over the new WebSocket";
    ASSERT_EQ(udp.w.post("HANGUP", {{"sessionId", "after-reconnect"}}), 0);
    EXPECT_FALSE(waitSession(ws.w, "session_failed", incoming["sessionId"]).is_null());
}
