#include "base/retry_helper.hpp"

namespace sipw {

namespace {
// The original library's helper grows its delay without a practical ceiling; a day keeps the sum finite.
constexpr int kMaxDelayMs = 24 * 3600 * 1000;
}  // namespace

std::shared_ptr<RetryHelper> RetryHelper::create(int defaultMaxRetry, int baseDelayMs) {
    return std::shared_ptr<RetryHelper>(new RetryHelper(defaultMaxRetry, baseDelayMs));
}

RetryHelper::RetryHelper(int defaultMaxRetry, int baseDelayMs)
    : counters_(defaultMaxRetry, baseDelayMs, kMaxDelayMs) {}

RetryHelper::~RetryHelper() {
    // The timer thread holds a reference, so this runs on it (closed from a callback) or after
    // it ended; either way there is nothing left to join.
    if (timer_.joinable()) timer_.detach();
}

void RetryHelper::updateMaxRetry(const std::string &id, int maxRetry) {
    std::lock_guard<std::mutex> lock(mutex_);
    counters_.updateMaxRetry(id, maxRetry);
}

int RetryHelper::getRetryTime(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_.getRetryTime(id);
}

bool RetryHelper::isMax(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_.isMax(id);
}

bool RetryHelper::retry(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return counters_.retry(id);
}

void RetryHelper::reset(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    counters_.reset(id);
}

int RetryHelper::delayRetry(const std::string &id, int increaseMs, Callback callback) {
    if (!callback) {
        std::lock_guard<std::mutex> lock(mutex_);
        return counters_.nextDelayMs(id, increaseMs);
    }
    return schedule(id, increaseMs, Pending{std::move(callback), 0, id});
}

int RetryHelper::delayRetryQueued(const std::string &id, int increaseMs, std::int64_t ticket) {
    return schedule(id, increaseMs, Pending{nullptr, ticket, id});
}

int RetryHelper::schedule(const std::string &id, int increaseMs, Pending pending) {
    std::lock_guard<std::mutex> lock(mutex_);
    int delay = counters_.nextDelayMs(id, increaseMs);
    if (delay <= 0 || closed_) return delay;
    pending_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(delay), std::move(pending));
    if (!timer_.joinable()) {
        // The thread shares ownership, so a callback that closes the helper (and lets its owner
        // drop it) does not pull the helper out from under the running loop.
        timer_ = std::thread([self = shared_from_this()] { self->timerLoop(); });
    }
    timerWake_.notify_one();
    return delay;
}

void RetryHelper::timerLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!closed_) {
        if (pending_.empty()) {
            timerWake_.wait(lock);
            continue;
        }
        auto next = pending_.begin();
        if (std::chrono::steady_clock::now() < next->first) {
            timerWake_.wait_until(lock, next->first);
            continue;
        }
        Pending due = std::move(next->second);
        pending_.erase(next);
        if (!due.callback) {
            due_.push_back(due.ticket);
            dueFd_.setReadable(true);
            dueWake_.notify_all();
            continue;
        }
        lock.unlock();
        due.callback(due.id);  // the C shim's callbacks cannot throw
        lock.lock();
    }
}

PullStatus RetryHelper::nextDue(int timeoutMs, std::int64_t &ticket) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto wakes = [&] { return closed_ || !due_.empty(); };
    if (timeoutMs < 0) {
        dueWake_.wait(lock, wakes);
    } else {
        dueWake_.wait_for(lock, std::chrono::milliseconds(timeoutMs), wakes);
    }
    if (closed_) return PullStatus::Closed;
    if (due_.empty()) return PullStatus::TimedOut;
    ticket = due_.front();
    due_.pop_front();
    dueFd_.setReadable(!due_.empty());
    return PullStatus::Item;
}

void RetryHelper::close() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    pending_.clear();
    due_.clear();
    dueFd_.setReadable(true);
    timerWake_.notify_all();
    dueWake_.notify_all();
    lock.unlock();
    if (!timer_.joinable()) return;
    if (timer_.get_id() == std::this_thread::get_id()) {
        timer_.detach();  // called by a callback: the loop ends when it returns
    } else {
        timer_.join();  // waits for a running callback
    }
}

}  // namespace sipw
