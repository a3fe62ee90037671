// The original library's useRetry as the C ABI and the bindings offer it: per-id retry counters (Retry) made
// thread-safe, plus delayRetry, which runs something once an attempt's delay has passed.
//
// A delayed retry either calls a callback on the helper's own timer thread (C, C#), or queues
// a ticket that the owner pulls with nextDue() (Python, which must never be called on a native
// thread): the same pull model as a worker's events, with a descriptor readable while tickets wait.
#pragma once

#include "base/pull.hpp"
#include "base/retry.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace sipw {

class RetryHelper : public std::enable_shared_from_this<RetryHelper> {
public:
    using Callback = std::function<void(const std::string &id)>;

    static std::shared_ptr<RetryHelper> create(int defaultMaxRetry, int baseDelayMs);
    ~RetryHelper();

    void updateMaxRetry(const std::string &id, int maxRetry);
    int getRetryTime(const std::string &id);
    bool isMax(const std::string &id);
    bool retry(const std::string &id);  // counts one attempt if the maximum allows it
    void reset(const std::string &id);

    // Counts one attempt and returns its delay in ms (0: the maximum was reached, nothing is
    // scheduled). After the delay `callback` runs on the timer thread; without one, nothing runs.
    int delayRetry(const std::string &id, int increaseMs, Callback callback);
    // The same, but after the delay `ticket` is queued for nextDue().
    int delayRetryQueued(const std::string &id, int increaseMs, std::int64_t ticket);
    PullStatus nextDue(int timeoutMs, std::int64_t &ticket);
    int dueFd() const { return dueFd_.fd(); }

    // Drops pending retries, ends nextDue() (Closed) and stops the timer thread. Waits for a
    // running callback, except when called from that callback. Idempotent.
    void close();

private:
    RetryHelper(int defaultMaxRetry, int baseDelayMs);
    struct Pending {
        Callback callback;        // or, when empty, the ticket is queued
        std::int64_t ticket = 0;
        std::string id;
    };
    int schedule(const std::string &id, int increaseMs, Pending pending);
    void timerLoop();

    std::mutex mutex_;
    Retry counters_;
    std::multimap<std::chrono::steady_clock::time_point, Pending> pending_;
    std::condition_variable timerWake_;
    std::deque<std::int64_t> due_;
    std::condition_variable dueWake_;
    ReadyFd dueFd_;  // readable while due_ holds tickets, and for good once closed
    bool closed_ = false;
    std::thread timer_;  // started by the first delayed retry
};

}  // namespace sipw
