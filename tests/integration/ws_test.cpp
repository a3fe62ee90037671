// SIP over WebSocket (RFC 7118) against Kamailio's WS (8080) and WSS (8443) listeners on loopback.
#include "audio_analysis.hpp"
#include "test_worker.hpp"

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

namespace {

// A registered worker for `user` on `server`.
struct Phone {
    std::string user;
    TestWorker w;
    Phone(const std::string &u, const std::string &server, Json extra = Json::object()) : user(u) {
        EXPECT_EQ(w.post("INIT", initFor(u, server, extra)), 0) << sipw_last_error();
        EXPECT_FALSE(w.waitFor("registered", 5000).is_null()) << u << " did not register on " << server;
    }
};

// Session event `msg` of session `sid` (any session when empty), from history or new events.
Json waitSession(TestWorker &w, const std::string &msg, const std::string &sid = {}, int timeoutMs = 8000) {
    for (const auto &ev : w.history())
        if (ev.value("msg", "") == msg && (sid.empty() || ev.value("sessionId", "") == sid)) return ev;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (Clock::now() < deadline) {
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        Json ev = w.waitFor(msg, std::max(left, 1));
        if (ev.is_null()) return ev;
        if (sid.empty() || ev.value("sessionId", "") == sid) return ev;
    }
    return nullptr;
}

std::string tempWav(const std::string &name) {
    return (fs::temp_directory_path() / ("sipw_ws_" + name + "_" + std::to_string(getpid()) + ".wav")).string();
}

double recordedFrequency(const std::string &path) {
    sipw::test::Wav wav;
    std::string error;
    if (!sipw::test::readWav(path, wav, error)) {
        ADD_FAILURE() << path << ": " << error;
        return 0;
    }
    // Skip the first half second (jitter buffer filling, ICE settling).
    size_t begin = std::min(wav.samples.size(), static_cast<size_t>(wav.sampleRate / 2));
    return sipw::test::dominantFrequency(wav, begin, wav.samples.size());
}

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
    EXPECT_EQ(endedThere["cause"], "Bye");

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
