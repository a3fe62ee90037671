// Figures for the core issue: INIT→registered on loopback, create+destroy, RSS and threads of an
// idle registered worker. Prints figures; asserts nothing (run through tests/netns-run.sh).
#include "process_usage.hpp"
#include "sipw.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

int threadCount() {
    int n = 0;
    if (DIR *d = opendir("/proc/self/task")) {
        while (dirent *e = readdir(d)) n += e->d_name[0] != '.';
        closedir(d);
    }
    return n;
}

bool waitFor(sipw_worker *w, const char *msg, int timeoutMs) {
    while (sipw_event *ev = sipw_wait_event(w, timeoutMs)) {
        bool hit = std::strcmp(sipw_event_msg(ev), msg) == 0;
        sipw_event_free(ev);
        if (hit) return true;
    }
    return false;
}

std::string init(int user) {
    return "{\"uri\":\"sip:" + std::to_string(user) + "@127.0.0.1\",\"password\":\"pass" + std::to_string(user) +
           "\",\"sipServer\":[\"udp://127.0.0.1:5060\"],\"audio\":{\"input\":\"silence\",\"output\":\"null\"}}";
}

void report(const char *what, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("%-32s median %7.2f ms   p95 %7.2f ms   min %7.2f ms   (n=%zu)\n", what, v[v.size() / 2],
                v[std::min(v.size() - 1, v.size() * 95 / 100)], v.front(), v.size());
}

}  // namespace

int main() {
    std::vector<double> toRegistered, createDestroy;
    for (int i = 0; i < 20; ++i) {
        sipw_worker *w = sipw_create("{\"eventQueue\":true}");
        auto t0 = Clock::now();
        sipw_post(w, "INIT", init(1001 + i % 20).c_str());
        if (!waitFor(w, "registered", 5000)) {
            std::fprintf(stderr, "run %d: not registered\n", i);
            return 1;
        }
        toRegistered.push_back(ms(t0, Clock::now()));
        sipw_destroy(w);
    }
    for (int i = 0; i < 50; ++i) {
        auto t0 = Clock::now();
        sipw_worker *w = sipw_create(nullptr);
        sipw_destroy(w);
        createDestroy.push_back(ms(t0, Clock::now()));
    }
    report("INIT -> registered (UDP)", toRegistered);
    report("create + destroy (idle)", createDestroy);

    const int n = 10;
    long rss0 = sipw_test::residentKiB();
    int threads0 = threadCount();
    std::vector<sipw_worker *> workers;
    for (int i = 0; i < n; ++i) {
        workers.push_back(sipw_create("{\"eventQueue\":true}"));
        sipw_post(workers.back(), "INIT", init(1001 + i).c_str());
        waitFor(workers.back(), "registered", 5000);
    }
    long rss1 = sipw_test::residentKiB();
    int threads1 = threadCount();
    std::printf("%-32s %7.1f KiB per worker (%d workers, RSS %ld -> %ld KiB)\n", "RSS of an idle registered worker",
                double(rss1 - rss0) / n, n, rss0, rss1);
    std::printf("%-32s %7.1f per worker\n", "threads", double(threads1 - threads0) / n);
    auto t0 = Clock::now();
    for (auto *w : workers) sipw_destroy(w);
    std::printf("%-32s %7.2f ms per registered worker\n", "destroy (unregister + shutdown)", ms(t0, Clock::now()) / n);
    return 0;
}
