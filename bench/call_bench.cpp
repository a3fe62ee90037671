// Figures of calls through the loopback Kamailio (run with tests/netns-run.sh), for each media
// profile asked for, side by side:
//   1. CALL → session_confirmed and CALL → first decoded audio at the callee: median and p95 over
//      sequential calls, both user agents in this process;
//   2. CPU and RSS of this process carrying N simultaneous two-way calls (tones both ways), the far
//      ends answered by a second process (this program, "answerer" mode); every call must have
//      decoded audio. After the measuring window, while the load runs: up to 8 calls are recorded
//      for 3 s (RECORD: probes) and checked for gaps (a 10 ms block without the tone), the first
//      one's tone measured; then 10 more calls are placed one after the other (CALL → confirmed).
// Profiles: "webrtc" (Opus over ICE/DTLS-SRTP), "rtp" (plain RTP, PCMU), "srtp" (SDES-SRTP, PCMU).
// Prints figures; asserts nothing.
//
// Usage: call_bench [CALLS=50] [LOADS=1,10,30,60] [WINDOW_S=10] [PROFILES=webrtc,rtp]
// A profile may name media options after it: "webrtc:c1:p40" is webrtc with opusComplexity 1 and
// ptimeMs 40, "webrtc:webrtcbin" webrtc on webrtcbin instead of the shared transport (the
// default; webrtcTransport), for both ends of its calls.
#include "audio_analysis.hpp"
#include "process_usage.hpp"
#include "sipw.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

long long epochMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

int threadCount() {
    int threads = 0;
    if (DIR *d = opendir("/proc/self/task")) {
        while (dirent *e = readdir(d)) threads += e->d_name[0] != '.';
        closedir(d);
    }
    return threads;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

Json initFor(const std::string &user) {
    return {{"uri", "sip:" + user + "@127.0.0.1"}, {"password", "pass" + user}, {"sipWorkerid", "bench-" + user},
            {"sipServer", {"udp://127.0.0.1:5060"}}, {"audio", {{"input", "silence"}, {"output", "null"}}}};
}

sipw_worker *registered(const std::string &user) {
    sipw_worker *w = sipw_create(R"({"eventQueue": true})");
    sipw_post(w, "INIT", initFor(user).dump().c_str());
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
        sipw_event *ev = sipw_wait_event(w, 500);
        if (!ev) continue;
        bool ok = std::strcmp(sipw_event_msg(ev), "registered") == 0;
        sipw_event_free(ev);
        if (ok) return w;
    }
    fprintf(stderr, "%s did not register\n", user.c_str());
    exit(1);
}

// The CALL options of a profile: its media and audio.
struct Profile {
    std::string name;
    Json media;  // empty: INIT's (webrtc, every codec, Opus first)
    std::string label;
};

Profile profileNamed(const std::string &spec) {
    std::stringstream parts(spec);
    std::string name;
    std::getline(parts, name, ':');
    Profile profile = name == "webrtc" ? Profile{name, Json::object(), "webrtc (Opus)"}
                                       : Profile{name, {{"profile", name}, {"codecs", {"PCMU"}}}, name + " (G.711 PCMU)"};
    for (std::string option; std::getline(parts, option, ':');) {
        if (option == "shared" || option == "webrtcbin") {
            profile.media["webrtcTransport"] = option;
            profile.label += ", " + option + " transport";
            continue;
        }
        if (option.size() < 2) continue;
        int value = atoi(option.c_str() + 1);
        if (option[0] == 'c') profile.media["opusComplexity"] = value;
        if (option[0] == 'p') profile.media["ptimeMs"] = value;
        profile.label += std::string(option[0] == 'c' ? ", Opus complexity " : ", ptime ") + std::to_string(value);
    }
    profile.name = spec;
    return profile;
}

Json callOptions(const Profile &profile, const std::string &output = "null") {
    Json options = {{"audio", {{"input", "tone:440"}, {"output", output}}}};
    if (!profile.media.empty()) options["media"] = profile.media;
    return options;
}

Json info(sipw_worker *w, const std::string &sid) {
    char *text = sipw_session_info(w, sid.c_str());
    Json j = text ? Json::parse(text) : Json();
    sipw_free(text);
    return j;
}

// Answers every incoming call at once (with a tone), on its own thread.
class AutoAnswer {
public:
    AutoAnswer(sipw_worker *w, std::string input, Json media = Json::object())
        : w_(w), input_(std::move(input)), media_(std::move(media)), thread_([this] { run(); }) {}
    ~AutoAnswer() {
        stop_ = true;
        thread_.join();
    }
    std::string last() {
        std::lock_guard<std::mutex> lock(mutex_);
        return last_;
    }

private:
    void run() {
        while (!stop_) {
            sipw_event *ev = sipw_wait_event(w_, 100);
            if (!ev) continue;
            if (std::strcmp(sipw_event_msg(ev), "newRTCSession") == 0) {
                Json e = Json::parse(sipw_event_json(ev));
                if (e.value("sessionOrigin", "") == "incoming") {
                    std::string sid = e["sessionId"];
                    Json answer = {{"sessionId", sid}, {"options", {{"audio", {{"input", input_}, {"output", "null"}}}}}};
                    if (!media_.empty()) answer["options"]["media"] = media_;
                    sipw_post(w_, "ANSWER", answer.dump().c_str());
                    std::lock_guard<std::mutex> lock(mutex_);
                    last_ = sid;
                }
            } else if (std::strcmp(sipw_event_msg(ev), "session_ended") == 0 ||
                       std::strcmp(sipw_event_msg(ev), "session_failed") == 0) {
                Json e = Json::parse(sipw_event_json(ev));
                sipw_post(w_, "SESSTION_DEL", Json({{"sessionId", e.value("sessionId", "")}}).dump().c_str());
            }
            sipw_event_free(ev);
        }
    }
    sipw_worker *w_;
    std::string input_;
    Json media_;  // ANSWER's options.media
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::string last_;
    std::thread thread_;
};

// Waits until session `sid` of `w` reaches msg (events of other sessions are dropped).
bool waitSession(sipw_worker *w, const std::string &sid, const char *msg, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (Clock::now() < deadline) {
        sipw_event *ev = sipw_wait_event(w, 100);
        if (!ev) continue;
        bool hit = std::strcmp(sipw_event_msg(ev), msg) == 0 &&
                   Json::parse(sipw_event_json(ev)).value("sessionId", "") == sid;
        sipw_event_free(ev);
        if (hit) return true;
    }
    return false;
}

// CPU seconds (user + system) of process `pid` ("self" for this one).
double cpuSeconds(const std::string &pid) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string f;
    double ticks = 0;
    for (int i = 3; fields >> f; ++i) {
        if (i == 14 || i == 15) ticks += std::stod(f);
        if (i == 15) break;
    }
    return ticks / sysconf(_SC_CLK_TCK);
}

// The far ends of the load: `media` (JSON) is ANSWER's options.media.
int answererMain(const char *media) {
    sipw_worker *b = registered("1002");
    {
        AutoAnswer answer(b, "tone:1000", Json::parse(media));
        printf("ready\n");
        fflush(stdout);
        char c;
        while (read(0, &c, 1) > 0) {}  // until the parent closes our stdin
    }
    sipw_destroy(b);
    return 0;
}

void latency(int calls, const Profile &profile) {
    sipw_worker *a = registered("1001");
    sipw_worker *b = registered("1003");
    // SETTLE_MS: time left to the process's warm-up (started by sipw_create) before the first call.
    if (const char *settle = getenv("SETTLE_MS")) std::this_thread::sleep_for(std::chrono::milliseconds(atoi(settle)));
    std::vector<double> confirmed, mediaUp, firstAudio;
    {
        AutoAnswer answer(b, "tone:1000", profile.media);
        for (int i = 0; i < calls; ++i) {
            std::string sid = "lat-" + std::to_string(i);
            auto t0 = Clock::now();
            long long t0Epoch = epochMs();
            sipw_post(a, "CALL", Json({{"target", "1003"}, {"sessionId", sid}, {"options", callOptions(profile)}})
                                     .dump().c_str());
            if (!waitSession(a, sid, "session_confirmed", 5000)) {
                printf("call %d did not connect\n", i);
                continue;
            }
            confirmed.push_back(msSince(t0));
            std::string bid = answer.last();
            auto deadline = Clock::now() + std::chrono::seconds(3);
            long long heard = 0;
            double up = 0;
            while (!heard && Clock::now() < deadline) {
                Json j = info(b, bid);
                if (!up && j.is_object() && j.value("mediaConnected", false)) up = msSince(t0);
                if (j.is_object() && j["firstAudioTime"].is_number()) heard = j["firstAudioTime"];
                else std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            if (up) mediaUp.push_back(up);
            if (heard) firstAudio.push_back(double(heard - t0Epoch));
            sipw_post(a, "HANGUP", Json({{"sessionId", sid}}).dump().c_str());
            waitSession(a, sid, "session_ended", 5000);
            sipw_post(a, "SESSTION_DEL", Json({{"sessionId", sid}}).dump().c_str());
        }
    }
    printf("\n%s:\n", profile.label.c_str());
    printf("CALL -> session_confirmed  (n=%zu): median %.1f ms, p95 %.1f ms, first %.1f ms\n", confirmed.size(),
           percentile(confirmed, 0.5), percentile(confirmed, 0.95), confirmed.empty() ? 0 : confirmed.front());
    printf("CALL -> media connected at the callee (n=%zu): median %.0f ms, p95 %.0f ms\n", mediaUp.size(),
           percentile(mediaUp, 0.5), percentile(mediaUp, 0.95));
    printf("CALL -> first audio decoded at the callee (n=%zu): median %.0f ms, p95 %.0f ms, first %.0f ms\n",
           firstAudio.size(), percentile(firstAudio, 0.5), percentile(firstAudio, 0.95),
           firstAudio.empty() ? 0 : firstAudio.front());
    sipw_destroy(a);
    sipw_destroy(b);
}

// Gaps in a probe's recording of a steady tone: 10 ms blocks without it between its first and its
// last block with it (before media flows and after the hang-up is not a gap). -1: no tone at all.
int gapsIn(const std::string &path) {
    sipw::test::Wav wav;
    std::string error;
    if (!sipw::test::readWav(path, wav, error)) return -1;
    std::vector<double> levels = sipw::test::windowLevels(wav, 10);
    constexpr double kLoud = 0.01;  // RMS; the tone is ~0.35, silence ~0
    size_t first = levels.size(), last = 0;
    for (size_t i = 0; i < levels.size(); ++i)
        if (levels[i] > kLoud) {
            first = std::min(first, i);
            last = i;
        }
    if (first == levels.size()) return -1;
    int gaps = 0;
    for (size_t i = first; i <= last; ++i) gaps += levels[i] <= kLoud;
    return gaps;
}

// CALL → session_confirmed of `count` calls placed one after the other while the load runs.
std::vector<double> setupsUnderLoad(sipw_worker *a, const Profile &profile, int count) {
    std::vector<double> setups;
    for (int i = 0; i < count; ++i) {
        std::string sid = "extra-" + profile.name + "-" + std::to_string(i);
        auto t0 = Clock::now();
        sipw_post(a, "CALL", Json({{"target", "1002"}, {"sessionId", sid}, {"options", callOptions(profile)}}).dump().c_str());
        if (waitSession(a, sid, "session_confirmed", 5000)) setups.push_back(msSince(t0));
        sipw_post(a, "HANGUP", Json({{"sessionId", sid}}).dump().c_str());
        waitSession(a, sid, "session_ended", 5000);
        sipw_post(a, "SESSTION_DEL", Json({{"sessionId", sid}}).dump().c_str());
    }
    return setups;
}

void load(const std::vector<int> &loads, int windowSeconds, const char *self, const Profile &profile) {
    // The far ends live in another process, so the figures are those of one end per call.
    int toChild[2], fromChild[2];
    if (pipe(toChild) != 0 || pipe(fromChild) != 0) return;
    pid_t child = fork();
    if (child == 0) {
        dup2(toChild[0], 0);
        dup2(fromChild[1], 1);
        close(toChild[1]);
        close(fromChild[0]);
        execl(self, self, "answerer", profile.media.dump().c_str(), nullptr);
        _exit(127);
    }
    close(toChild[0]);
    close(fromChild[1]);
    char ready[16] = {0};
    if (read(fromChild[0], ready, sizeof ready - 1) <= 0) {
        printf("answerer did not start\n");
        return;
    }
    std::string childPid = std::to_string(child);
    sipw_worker *a = registered("1001");
    long idleRss = sipw_test::residentKiB();
    int idleThreads = threadCount();
    printf("\nsimultaneous two-way calls, %s (this process = one end of each call):\n", profile.label.c_str());
    // RSS per extra call: against the previous load (the first load pays for loading the plugins).
    printf("%6s %12s %14s %12s %18s %9s %13s %16s %10s %14s %16s %15s\n", "calls", "CPU %core", "CPU/call %", "RSS MiB",
           "RSS/extra call KiB", "threads", "threads/call", "answerer CPU %", "audio ok", "sample heard",
           "gap-free probes", "setup+load ms");
    int previousCalls = 0;
    constexpr int kProbes = 8;
    auto probePath = [](int i) { return "/tmp/sipw_call_bench_probe_" + std::to_string(i) + ".wav"; };
    for (int n : loads) {
        std::vector<std::string> sids;
        for (int i = 0; i < n; ++i) {
            std::string sid = "load-" + profile.name + "-" + std::to_string(n) + "-" + std::to_string(i);
            Json options = callOptions(profile);
            sipw_post(a, "CALL", Json({{"target", "1002"}, {"sessionId", sid}, {"options", options}}).dump().c_str());
            sids.push_back(sid);
        }
        // Everything confirmed with audio flowing before measuring.
        auto deadline = Clock::now() + std::chrono::seconds(30);
        int withAudio = 0;
        while (Clock::now() < deadline) {
            withAudio = 0;
            for (auto &sid : sids) {
                Json j = info(a, sid);
                withAudio += j.is_object() && j["firstAudioTime"].is_number();
            }
            if (withAudio == n) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        while (sipw_event *ev = sipw_wait_event(a, 0)) sipw_event_free(ev);
        std::this_thread::sleep_for(std::chrono::seconds(1));
        double cpu0 = cpuSeconds("self"), childCpu0 = cpuSeconds(childPid);
        auto t0 = Clock::now();
        std::this_thread::sleep_for(std::chrono::seconds(windowSeconds));
        int threads = threadCount();
        double wall = msSince(t0) / 1000;
        double cpu = (cpuSeconds("self") - cpu0) / wall * 100, childCpu = (cpuSeconds(childPid) - childCpu0) / wall * 100;
        long rss = sipw_test::residentKiB();
        // Where the memory is, mapping by mapping, for comparing loads (bench/README.md).
        if (const char *dir = getenv("SIPW_BENCH_SMAPS_DIR")) {
            std::ifstream from("/proc/self/smaps");
            std::string stem = std::string(dir) + "/" + profile.name + "_" + std::to_string(n);
            std::ofstream(stem + "_smaps.txt") << from.rdbuf();
            if (FILE *arenas = fopen((stem + "_malloc.xml").c_str(), "w")) {
                malloc_info(0, arenas);
                fclose(arenas);
            }
        }
        // After the window (not in its CPU): what probes hear, then the set-up of new calls, while
        // the load runs.
        int probes = std::min(n, kProbes);
        for (int i = 0; i < probes; ++i)
            sipw_post(a, "RECORD", Json({{"sessionId", sids[i]}, {"file", probePath(i)}}).dump().c_str());
        std::this_thread::sleep_for(std::chrono::seconds(3));
        for (int i = 0; i < probes; ++i) sipw_post(a, "RECORD_STOP", Json({{"sessionId", sids[i]}}).dump().c_str());
        while (sipw_event *ev = sipw_wait_event(a, 0)) sipw_event_free(ev);
        std::vector<double> setups = setupsUnderLoad(a, profile, 10);
        for (auto &sid : sids) sipw_post(a, "SESSTION_DEL", Json({{"sessionId", sid}}).dump().c_str());
        std::this_thread::sleep_for(std::chrono::seconds(2));
        while (sipw_event *ev = sipw_wait_event(a, 0)) sipw_event_free(ev);
        // The probes' recordings: the answerer's 1000 Hz tone.
        sipw::test::Wav wav;
        std::string error;
        double heard = sipw::test::readWav(probePath(0), wav, error) && wav.samples.size() > size_t(wav.sampleRate)
                           ? sipw::test::dominantFrequency(wav, wav.samples.size() / 2, wav.samples.size())
                           : 0;
        int gapFree = 0, gapBlocks = 0;
        for (int i = 0; i < probes; ++i) {
            int gaps = gapsIn(probePath(i));
            gapFree += gaps == 0;
            gapBlocks += std::max(0, gaps);
            std::remove(probePath(i).c_str());
        }
        printf("%6d %12.1f %14.2f %12.1f %18.0f %9d %13.1f %16.1f %7d/%d %11.1f Hz %8d/%d (%d) %8.1f (n=%zu)\n", n, cpu,
               cpu / n, rss / 1024.0, double(rss - idleRss) / (n - previousCalls), threads,
               double(threads - idleThreads) / n, childCpu, withAudio, n, heard, gapFree, probes, gapBlocks,
               percentile(setups, 0.5), setups.size());
        idleRss = rss;
        previousCalls = n;
        fflush(stdout);
    }
    sipw_destroy(a);
    close(toChild[1]);
    int status = 0;
    waitpid(child, &status, 0);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc > 2 && std::strcmp(argv[1], "answerer") == 0) return answererMain(argv[2]);
    int calls = argc > 1 ? atoi(argv[1]) : 50;
    std::vector<int> loads;
    std::stringstream list(argc > 2 ? argv[2] : "1,10,30,60");
    for (std::string item; std::getline(list, item, ',');) loads.push_back(std::stoi(item));
    int window = argc > 3 ? atoi(argv[3]) : 10;
    std::vector<Profile> profiles;
    std::stringstream names(argc > 4 ? argv[4] : "webrtc,rtp");
    for (std::string name; std::getline(names, name, ',');) profiles.push_back(profileNamed(name));
    printf("sipworker %s call benchmark (%d cores)\n", sipw_version(), int(std::thread::hardware_concurrency()));
    if (calls > 0)
        for (const Profile &p : profiles) latency(calls, p);
    if (!loads.empty() && loads.front() > 0)
        for (const Profile &p : profiles) load(loads, window, "/proc/self/exe", p);
    return 0;
}
