// Repeated call setup and teardown, on each WebRTC transport: nothing may accumulate. Pipelines and webrtcbins are
// counted by the media layer itself (this test links the core, not the shared library: the
// count is internal), file descriptors and threads through /proc. RSS is printed, not bounded:
// SIPW_SOAK_SECOND_ROUND_AFTER_S=35 runs the cycles again once the first round's SIP transactions
// are gone, which shows what calls keep for good (bench/README.md).
#include "media/media_factory.hpp"
#include "process_usage.hpp"
#include "test_worker.hpp"

#include <algorithm>
#include <glib.h>

#include <dirent.h>
#include <fstream>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <thread>

using namespace sipw_test;

namespace {

int entriesIn(const char *dir) {
    int n = 0;
    if (DIR *d = opendir(dir)) {
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
    }
    return n;
}

std::vector<std::string> threadNames() {
    std::vector<std::string> names;
    if (DIR *d = opendir("/proc/self/task")) {
        while (dirent *e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
            std::string name;
            std::getline(comm, name);
            names.push_back(name);
        }
        closedir(d);
    }
    return names;
}

// Threads of this process, without GStreamer's system clock thread: a process-wide singleton
// started by the first asynchronous clock wait (whichever call does one first), never a leak.
int threadCount() {
    auto names = threadNames();
    return static_cast<int>(std::count_if(names.begin(), names.end(),
                                          [](const std::string &n) { return n != "GstSystemClock"; }));
}

std::string joined(const std::vector<std::string> &names) {
    std::string text;
    for (const auto &n : names) text += n + " ";
    return text;
}

bool waitMsg(TestWorker &w, const std::string &msg, const std::string &sid, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (Clock::now() < deadline) {
        Json ev = w.waitFor(msg, 500);
        if (!ev.is_null() && (sid.empty() || ev.value("sessionId", "") == sid)) return true;
    }
    return false;
}

// One full call A → B: answered, confirmed, hung up, ended on both sides. Returns B's session id.
bool oneCall(TestWorker &a, TestWorker &b, int i, int objectsPerCall) {
    std::string sid = "cycle-" + std::to_string(i);
    if (a.post("CALL", {{"target", "1012"}, {"sessionId", sid}}) != 0) return false;
    Json incoming = b.waitFor("newRTCSession", 5000);
    if (incoming.is_null()) return false;
    std::string bid = incoming["sessionId"];
    if (b.post("ANSWER", {{"sessionId", bid}}) != 0) return false;
    if (!waitMsg(a, "session_confirmed", sid, 5000) || !waitMsg(b, "session_confirmed", bid, 5000)) return false;
    if (i == -3) {  // (not the first call: the pre-warm thread is still making elements then)
        // The tracer must see the call's pipelines, or the zero counts below prove nothing.
        EXPECT_EQ(sipw::liveMediaObjects(), objectsPerCall);
    }
    if (getenv("SIPW_SOAK_WAIT_MEDIA")) {
        // A call with media up, as a real one: ICE and DTLS completed before the hang-up.
        auto deadline = Clock::now() + std::chrono::seconds(5);
        for (;;) {
            char *info = sipw_session_info(a.get(), sid.c_str());
            bool up = info && Json::parse(info).value("mediaConnected", false);
            sipw_free(info);
            if (up) break;
            if (Clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    if (getenv("SIPW_SOAK_HANGUP_DELAY_MS"))
        std::this_thread::sleep_for(std::chrono::milliseconds(atoi(getenv("SIPW_SOAK_HANGUP_DELAY_MS"))));
    if (a.post("HANGUP", {{"sessionId", sid}}) != 0) return false;
    if (!waitMsg(a, "session_ended", sid, 5000) || !waitMsg(b, "session_ended", bid, 5000)) return false;
    // Forget them, as a long-running robot would.
    return a.post("SESSTION_DEL", {{"sessionId", sid}}) == 0 && b.post("SESSTION_DEL", {{"sessionId", bid}}) == 0;
}

}  // namespace

class Soak : public ::testing::TestWithParam<const char *> {};

TEST_P(Soak, TwoHundredCallCyclesLeaveNothingBehind) {
    SIPW_REQUIRE_LOOPBACK_SERVERS();
    int cycles = getenv("SIPW_SOAK_CYCLES") ? atoi(getenv("SIPW_SOAK_CYCLES")) : 200;
    std::string transport = GetParam();
    // A pipeline per side, and a webrtcbin in it on that transport.
    int objectsPerCall = transport == "webrtcbin" ? 4 : 2;
    Json media = {{"media", {{"webrtcTransport", transport}}}};
    TestWorker a, b;
    ASSERT_EQ(a.post("INIT", initFor("1011", "udp://127.0.0.1:5060", media)), 0);
    ASSERT_EQ(b.post("INIT", initFor("1012", "udp://127.0.0.1:5060", media)), 0);
    ASSERT_TRUE(a.sees("registered", 5000));
    ASSERT_TRUE(b.sees("registered", 5000));
    // Warm up: plugin loading, the DTLS certificate and thread pools are paid once per process.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(oneCall(a, b, -1 - i, objectsPerCall));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // lingering dialogs finish
    // GLib keeps idle pool threads (GStreamer's streaming threads come from such a pool) for a
    // while; they are not leaks, so they are dismissed before each count.
    g_thread_pool_stop_unused_threads();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int fds0 = entriesIn("/proc/self/fd"), threads0 = threadCount();
    std::string threadNames0 = joined(threadNames());
    int objects0 = sipw::liveMediaObjects();
    long rss0 = sipw_test::residentKiB();

    auto t0 = Clock::now();
    auto runCycles = [&](int first) {
        for (int i = first; i < first + cycles; ++i) {
            ASSERT_TRUE(oneCall(a, b, i, objectsPerCall)) << "cycle " << i;
            a.clearHistory(), b.clearHistory();  // the test's own record of events is not the library's memory
        }
    };
    runCycles(0);
    double seconds = secondsSince(t0);
    int calls = cycles;
    if (const char *rest = getenv("SIPW_SOAK_SECOND_ROUND_AFTER_S")) {
        calls += cycles;
        // The first round's growth is mostly SIP transactions that RFC 3261 keeps for 32 s after a
        // call (timers D, H, J, K): a round after them shows what calls keep for good.
        long afterFirst = sipw_test::residentKiB();
        std::this_thread::sleep_for(std::chrono::seconds(atoi(rest)));
        long rested = sipw_test::residentKiB();
        runCycles(cycles);
        if (HasFatalFailure()) return;
        long afterSecond = sipw_test::residentKiB();
        printf("[ soak     ] second round of %d after %s s: RSS %.1f -> %.1f MiB (%+.2f KiB a call; first round "
               "%.1f -> %.1f MiB)\n", cycles, rest, rested / 1024.0, afterSecond / 1024.0,
               double(afterSecond - rested) / cycles, rss0 / 1024.0, afterFirst / 1024.0);
    }
    // Closed calls finish within about a second (dialogs, the close grace of the media); idle
    // pool threads of GLib/GStreamer may take a little longer to exit. A leak never settles.
    int objects = 0, fds = 0, threads = 0;
    for (auto settle = Clock::now() + std::chrono::seconds(10); Clock::now() < settle;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        g_thread_pool_stop_unused_threads();
        objects = sipw::liveMediaObjects();
        fds = entriesIn("/proc/self/fd"), threads = threadCount();
        if (objects == 0 && fds <= fds0 && threads <= threads0) break;
    }
    printf("[ soak     ] %d cycles in %.1f s; fds %d -> %d, threads %d -> %d; live pipelines+webrtcbins %d -> %d\n",
           cycles, seconds, fds0, fds, threads0, threads, objects0, objects);
    // A figure, not a bound (the heap keeps what it once held): bench/README.md records it.
    long rss = sipw_test::residentKiB();
    printf("[ soak     ] RSS %.1f -> %.1f MiB over %d calls (%+.1f KiB a call)\n", rss0 / 1024.0, rss / 1024.0,
           calls, double(rss - rss0) / calls);
    EXPECT_EQ(objects0, 0);
    EXPECT_EQ(objects, 0);
    EXPECT_LE(fds, fds0);
    if (fds > fds0 || getenv("SIPW_TEST_VERBOSE")) {
        std::map<std::string, int> kinds;  // what the extra descriptors are
        if (DIR *d = opendir("/proc/self/fd")) {
            while (dirent *e = readdir(d)) {
                char target[256] = {0};
                std::string path = std::string("/proc/self/fd/") + e->d_name;
                if (e->d_name[0] != '.' && readlink(path.c_str(), target, sizeof target - 1) > 0)
                    ++kinds[std::string(target).rfind("socket:", 0) == 0 ? "socket" : std::string(target)];
            }
            closedir(d);
        }
        for (auto &[kind, n] : kinds) printf("[ soak     ]   %3d × %s\n", n, kind.c_str());
    }
    EXPECT_LE(threads, threads0) << "threads before: " << threadNames0 << "; now: " << joined(threadNames());
}

INSTANTIATE_TEST_SUITE_P(WebRtcTransports, Soak, ::testing::Values("shared", "webrtcbin"),
                         [](const ::testing::TestParamInfo<const char *> &info) { return std::string(info.param); });
