// Calls with real media between workers through the loopback Kamailio, and against sipp.
#include "audio_analysis.hpp"
#include "test_worker.hpp"

#include <cstdio>
#include <filesystem>
#include <thread>

using namespace sipw_test;
namespace fs = std::filesystem;

namespace {

const char *kUdp = "udp://127.0.0.1:5060";

// A registered worker for `user`.
struct Phone {
    std::string user;
    TestWorker w;
    explicit Phone(const std::string &u, Json extra = Json::object()) : user(u) {
        EXPECT_EQ(w.post("INIT", initFor(u, kUdp, extra)), 0) << sipw_last_error();
        EXPECT_FALSE(w.waitFor("registered", 5000).is_null()) << u << " did not register";
    }
};

// Waits for session event `msg` of session `sid` (any session when empty).
Json waitSession(TestWorker &w, const std::string &msg, const std::string &sid = {}, int timeoutMs = 8000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (const auto &ev : w.history()) {
        if (ev.value("msg", "") == msg && (sid.empty() || ev.value("sessionId", "") == sid)) return ev;
    }
    while (Clock::now() < deadline) {
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        Json ev = w.waitFor(msg, std::max(left, 1));
        if (ev.is_null()) return ev;
        if (sid.empty() || ev.value("sessionId", "") == sid) return ev;
    }
    return nullptr;
}

std::string tempWav(const std::string &name) {
    return (fs::temp_directory_path() / ("sipw_" + name + "_" + std::to_string(getpid()) + ".wav")).string();
}

double recordedFrequency(const std::string &path, double *seconds = nullptr) {
    sipw::test::Wav wav;
    std::string error;
    if (!sipw::test::readWav(path, wav, error)) {
        ADD_FAILURE() << path << ": " << error;
        return 0;
    }
    if (seconds) *seconds = wav.durationSeconds();
    // Skip the first half second (jitter buffer filling, ICE settling).
    size_t begin = std::min(wav.samples.size(), static_cast<size_t>(wav.sampleRate / 2));
    return sipw::test::dominantFrequency(wav, begin, wav.samples.size());
}

}  // namespace

class Calls : public ::testing::Test {
protected:
    void SetUp() override { SIPW_REQUIRE_LOOPBACK_SERVERS(); }
};

TEST_F(Calls, TwoWorkersExchangeTonesBothWays) {
    Phone a("1011"), b("1012");
    std::string heardByB = tempWav("b"), heardByA = tempWav("a");
    ASSERT_EQ(a.w.post("CALL", {{"target", "1012"},
                                {"sessionId", "call-a-b"},
                                {"options", {{"audio", {{"input", "tone:1000"}, {"output", "file:" + heardByA}}}}}}),
              0) << sipw_last_error();
    Json first = waitSession(a.w, "newRTCSession", "call-a-b");
    ASSERT_FALSE(first.is_null());
    EXPECT_EQ(first["sessionOrigin"], "outgoing");
    EXPECT_EQ(first["originator"], "local");

    Json incoming = waitSession(b.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null());
    EXPECT_EQ(incoming["sessionOrigin"], "incoming");
    EXPECT_NE(incoming["fromUri"].get<std::string>().find("1011"), std::string::npos);
    std::string bid = incoming["sessionId"];
    char *info = sipw_session_info(b.w.get(), bid.c_str());
    ASSERT_NE(info, nullptr);
    Json bInfo = Json::parse(info);
    sipw_free(info);
    EXPECT_EQ(bInfo["state"], "ringing");
    EXPECT_EQ(bInfo["remoteUser"], "1011");

    EXPECT_FALSE(waitSession(a.w, "session_progress", "call-a-b").is_null());
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid},
                                  {"options", {{"audio", {{"input", "tone:440"}, {"output", "file:" + heardByB}}}}}}),
              0) << sipw_last_error();
    Json accepted = waitSession(a.w, "session_accepted", "call-a-b");
    ASSERT_FALSE(accepted.is_null());
    EXPECT_EQ(accepted["statusCode"], 200);
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "call-a-b").is_null());
    ASSERT_FALSE(waitSession(b.w, "session_confirmed", bid).is_null());

    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "call-a-b"}}), 0);
    Json endedA = waitSession(a.w, "session_ended", "call-a-b");
    Json endedB = waitSession(b.w, "session_ended", bid);
    ASSERT_FALSE(endedA.is_null());
    ASSERT_FALSE(endedB.is_null());
    EXPECT_EQ(endedA["originator"], "local");
    EXPECT_EQ(endedB["originator"], "remote");
    EXPECT_EQ(endedB["cause"], "Bye");
    EXPECT_EQ(endedB["causeCN"], "对方已挂断");

    if (getenv("SIPW_TEST_VERBOSE")) for (auto *p : {&a, &b}) for (auto &ev : p->w.history()) printf("%s: %s\n", p->user.c_str(), ev.dump().c_str());
    double secondsA = 0, secondsB = 0;
    double atB = recordedFrequency(heardByB, &secondsB);
    double atA = recordedFrequency(heardByA, &secondsA);
    EXPECT_NEAR(atB, 1000.0, 1000.0 * 0.02);  // B hears A's tone
    EXPECT_NEAR(atA, 440.0, 440.0 * 0.02);
    EXPECT_GT(secondsB, 2.0);
    EXPECT_GT(secondsA, 2.0);
    std::remove(heardByA.c_str());
    std::remove(heardByB.c_str());
}

// webrtcbin applies the peer's answer asynchronously, so session_confirmed can come before it is
// applied: a HOLD posted right then must wait for it, not fail the call ("re-offer before the
// first offer/answer completed").
TEST_F(Calls, HoldRightAfterConfirmed) {
    Phone a("1013"), b("1014");
    ASSERT_EQ(a.w.post("CALL", {{"target", "1014"}, {"sessionId", "call-hold"}}), 0) << sipw_last_error();
    Json incoming = waitSession(b.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null());
    std::string bid = incoming["sessionId"];
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "call-hold").is_null());
    ASSERT_EQ(a.w.post("HOLD", {{"sessionId", "call-hold"}}), 0) << sipw_last_error();

    Json heldA = waitSession(a.w, "onHold", "call-hold");
    Json heldB = waitSession(b.w, "onHold", bid);
    ASSERT_FALSE(heldA.is_null());
    ASSERT_FALSE(heldB.is_null());
    EXPECT_EQ(heldA["originator"], "local");
    EXPECT_EQ(heldB["originator"], "remote");
    for (const auto &ev : a.w.history()) EXPECT_NE(ev.value("msg", ""), "session_ended") << ev.dump();

    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "call-hold"}}), 0);
    Json ended = waitSession(b.w, "session_ended", bid);
    ASSERT_FALSE(ended.is_null());
    EXPECT_EQ(ended["cause"], "Bye");
}
