#include "base/retry.hpp"

#include <algorithm>

namespace sipw {

Retry::Entry &Retry::entry(const std::string &id) {
    auto it = entries_.find(id);
    if (it == entries_.end()) it = entries_.emplace(id, Entry{0, defaultMax_}).first;
    return it->second;
}

int Retry::getRetryTime(const std::string &id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? 0 : it->second.count;
}

bool Retry::isMax(const std::string &id) const {
    auto it = entries_.find(id);
    int max = it == entries_.end() ? defaultMax_ : it->second.max;
    int count = it == entries_.end() ? 0 : it->second.count;
    return max >= 0 && count >= max;
}

bool Retry::retry(const std::string &id) {
    if (isMax(id)) return false;
    ++entry(id).count;
    return true;
}

int Retry::nextDelayMs(const std::string &id, int increaseMs) {
    if (!retry(id)) return 0;
    long long delay = baseDelayMs_ + static_cast<long long>(entry(id).count - 1) * std::max(0, increaseMs);
    return static_cast<int>(std::clamp<long long>(delay, 1, maxDelayMs_));
}

}  // namespace sipw
