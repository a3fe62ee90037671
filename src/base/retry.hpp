// The original library's useRetry: per-id retry counters with a maximum and a growing delay.
//
// Plain bookkeeping, not thread-safe by itself: the worker uses it on its loop thread for
// reconnection; RetryHelper (base/retry_helper.hpp) adds a lock and delayed retries for the C ABI.
#pragma once

#include <map>
#include <string>

namespace sipw {

class Retry {
public:
    explicit Retry(int defaultMaxRetry = 5, int baseDelayMs = 1000, int maxDelayMs = 30000)
        : defaultMax_(defaultMaxRetry), baseDelayMs_(baseDelayMs), maxDelayMs_(maxDelayMs) {}

    void updateMaxRetry(const std::string &id, int maxRetry) { entry(id).max = maxRetry; }
    int getRetryTime(const std::string &id) const;
    bool isMax(const std::string &id) const;
    // Counts one attempt if the maximum allows it.
    bool retry(const std::string &id);
    void reset(const std::string &id) { entries_.erase(id); }
    // Counts one attempt and returns its delay: base + (count-1) * increase, capped at the
    // maximum delay; 0 when the maximum of attempts is reached (a negative max means unlimited).
    int nextDelayMs(const std::string &id, int increaseMs);

private:
    struct Entry {
        int count = 0;
        int max;
    };
    Entry &entry(const std::string &id);

    int defaultMax_;
    int baseDelayMs_;
    int maxDelayMs_;
    std::map<std::string, Entry> entries_;
};

}  // namespace sipw
