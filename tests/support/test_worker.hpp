// Test helpers over the C ABI: a worker that owns its handle, event waiting with a deadline, and
// a check for the loopback servers the integration tests need.
#pragma once

#include "sipw.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace sipw_test {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A worker with its pull queue on; destroyed with the object.
class TestWorker {
public:
    explicit TestWorker(const std::string &options = R"({"eventQueue": true})");
    ~TestWorker();
    TestWorker(const TestWorker &) = delete;
    TestWorker &operator=(const TestWorker &) = delete;

    sipw_worker *get() const { return worker_; }
    int post(const std::string &cmd, const Json &data);
    int post(const std::string &cmd, const char *raw);

    // Pulls events until one matches `name` (channel or msg); every pulled event is kept in
    // history(). Returns the CauseData, or null JSON on timeout.
    Json waitFor(const std::string &name, int timeoutMs = 5000);
    // True if an event matching `name` arrives within timeoutMs.
    bool sees(const std::string &name, int timeoutMs) { return !waitFor(name, timeoutMs).is_null(); }
    const std::vector<Json> &history() const { return history_; }
    // Forgets the pulled events (a test measuring memory must not count its own history).
    void clearHistory() { std::vector<Json>().swap(history_); }
    void destroy();

private:
    sipw_worker *worker_;
    std::vector<Json> history_;
};

// The INIT payload for test user `user` (password pass<user>) on `server`.
Json initFor(const std::string &user, const std::string &server, Json extra = Json::object());

// True if `s` holds a Chinese character (a UTF-8 lead byte of U+4E00..U+9FFF).
bool hasChinese(const std::string &s);
// rc is `code`, and the last error says why in English and in Chinese ("English / 中文"),
// mentioning `mustMention` when given.
void expectError(int rc, int code, const char *mustMention = nullptr);

// True when a SIP server answers OPTIONS on 127.0.0.1:5060 (started by tests/netns-run.sh).
bool loopbackServersUp();
// Path of the test CA that signed the Kamailio TLS certificate.
std::string testCaFile();

// Skips (or, with SIPW_REQUIRE_SERVERS=1 as in CI, fails) when the servers are not there.
#define SIPW_REQUIRE_LOOPBACK_SERVERS()                                                              \
    do {                                                                                             \
        if (!sipw_test::loopbackServersUp()) {                                                       \
            if (getenv("SIPW_REQUIRE_SERVERS")) FAIL() << "no SIP server on 127.0.0.1:5060";         \
            GTEST_SKIP() << "no SIP server on 127.0.0.1:5060: run through tests/netns-run.sh";       \
        }                                                                                            \
    } while (0)

// How many times slower timing bounds may be in this build: the sanitizers slow every call down
// (ASan about 2-3 times, ThreadSanitizer more). Bounds that prove "not seconds of waiting" scale by it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr double kTimingSlack = 3.0;
#else
constexpr double kTimingSlack = 1.0;
#endif

inline double secondsSince(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace sipw_test
