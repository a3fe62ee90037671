#include "base/event_hub.hpp"

#include "base/error.hpp"

#include <chrono>

namespace sipw {

namespace {
// The value equals `wanted`, or `wanted` is a list of the values accepted (a registration's
// outcome is the first of three msgs: {"msg": ["registered", "registrationFailed", ...]}).
bool valueMatches(const nlohmann::json &value, const nlohmann::json &wanted) {
    if (value == wanted) return true;
    if (!wanted.is_array()) return false;
    for (const auto &accepted : wanted)
        if (value == accepted) return true;
    return false;
}

// Each field of the event itself, or else of its `data` (playId, messageId and the like live
// there, and a caller waiting for one should not need to know which).
bool fieldsMatch(const nlohmann::json &event, const nlohmann::json &match) {
    if (!match.is_object()) return true;
    auto data = event.find("data");
    bool hasData = data != event.end() && data->is_object();
    for (auto it = match.begin(); it != match.end(); ++it) {
        auto found = event.find(it.key());
        if (found == event.end()) {
            if (!hasData || (found = data->find(it.key())) == data->end()) return false;
        }
        if (!valueMatches(*found, it.value())) return false;
    }
    return true;
}
}  // namespace

std::shared_ptr<EventHub> EventHub::create(bool pullQueueEnabled, Limits limits) {
    std::shared_ptr<EventHub> hub(new EventHub(pullQueueEnabled, limits));
    hub->start();
    return hub;
}

EventHub::EventHub(bool pullQueueEnabled, Limits limits)
    : pullQueueEnabled_(pullQueueEnabled), limits_(limits) {
    if (pullQueueEnabled_) eventFd_ = std::make_unique<ReadyFd>();
}

void EventHub::start() {
    // The thread keeps the hub alive, so a listener that destroys the worker (and drops the
    // worker's reference) does not pull the hub out from under the running dispatch loop.
    auto self = shared_from_this();
    dispatchThread_ = std::thread([self] { self->dispatchLoop(); });
    dispatchThreadId_ = dispatchThread_.get_id();
}

EventHub::~EventHub() {
    if (dispatchThread_.joinable()) dispatchThread_.detach();
}

void EventHub::emit(EventPtr event) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    toDispatch_.push_back(event);
    dispatchWake_.notify_one();
    if (pullingClosed_) return;  // nobody can pull any more
    if (pullQueueEnabled_) {
        if (pullQueue_.size() >= limits_.queueCapacity) {
            pullQueue_.pop_front();  // keep the newest: a puller wants the current state
            ++droppedSinceLastPull_;
        }
        pullQueue_.push_back(event);
        updateEventFd();
    }
    if (backlog_.size() >= limits_.backlogCapacity) backlog_.pop_front();
    backlog_.push_back(std::move(event));
    pullWake_.notify_all();
}

void EventHub::updateEventFd() {
    if (eventFd_) eventFd_->setReadable(pullingClosed_ || !pullQueue_.empty() || droppedSinceLastPull_);
}

int EventHub::eventFd() const {
    if (!eventFd_) throw Error(ResultCode::WrongState, "event_queue_off");
    return eventFd_->fd();
}

int EventHub::addListener(std::string name, Listener listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    int id = nextListenerId_++;
    listeners_.emplace(id, Entry{std::move(name), std::move(listener)});
    return id;
}

bool EventHub::removeListener(int id) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (listeners_.erase(id) == 0) return false;
    if (!onDispatchThread()) {
        listenerDone_.wait(lock, [&] { return runningListenerId_ != id; });
    }
    return true;
}

void EventHub::dispatchLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        dispatchWake_.wait(lock, [&] { return !toDispatch_.empty() || dispatchStopped_; });
        if (toDispatch_.empty() || deliveryAbandoned_) break;  // stopped and drained, or abandoned
        EventPtr event = std::move(toDispatch_.front());
        toDispatch_.pop_front();
        // Walk listeners by id so one removed while another runs is never called afterwards.
        int lastId = 0;
        while (!deliveryAbandoned_) {
            auto it = listeners_.upper_bound(lastId);
            while (it != listeners_.end() && !event->matches(it->second.name)) ++it;
            if (it == listeners_.end()) break;
            lastId = it->first;
            Listener listener = it->second.listener;  // copy: the entry may be erased meanwhile
            runningListenerId_ = lastId;
            lock.unlock();
            try {
                listener(*event);
            } catch (...) {
                // A listener's exception must not end delivery for the others; the C shim and
                // the bindings report their own callback failures.
            }
            lock.lock();
            runningListenerId_ = 0;
            listenerDone_.notify_all();
        }
    }
}

template <class Pred>
PullStatus EventHub::waitUntil(std::unique_lock<std::mutex> &lock, int timeoutMs, Pred ready) {
    if (pullingClosed_) return PullStatus::Closed;
    if (ready()) return PullStatus::Item;
    if (timeoutMs == 0) return PullStatus::TimedOut;
    ++blockedPullers_;
    auto wakes = [&] { return pullingClosed_ || ready(); };
    if (timeoutMs < 0) {
        pullWake_.wait(lock, wakes);
    } else {
        pullWake_.wait_for(lock, std::chrono::milliseconds(timeoutMs), wakes);
    }
    --blockedPullers_;
    if (pullingClosed_) {
        pullersGone_.notify_all();
        return PullStatus::Closed;
    }
    return ready() ? PullStatus::Item : PullStatus::TimedOut;
}

PullStatus EventHub::waitEvent(int timeoutMs, EventPtr &result) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!pullQueueEnabled_) throw Error(ResultCode::WrongState, "event_queue_off");
    PullStatus status = waitUntil(lock, timeoutMs, [&] { return !pullQueue_.empty() || droppedSinceLastPull_; });
    if (status != PullStatus::Item) return status;
    result = takeFromPullQueue();
    updateEventFd();
    return status;
}

EventPtr EventHub::takeFromPullQueue() {
    if (droppedSinceLastPull_) {
        auto dropped = std::to_string(droppedSinceLastPull_);
        droppedSinceLastPull_ = 0;
        EventIdentity who;
        if (!pullQueue_.empty()) {
            who.workerId = pullQueue_.front()->data.value("id", "");
            who.uri = pullQueue_.front()->data.value("uri", "");
        }
        return CauseData::warning("events_dropped", {dropped}, {}, {{"count", std::stoll(dropped)}}).build(who);
    }
    EventPtr event = std::move(pullQueue_.front());
    pullQueue_.pop_front();
    return event;
}

PullStatus EventHub::waitFor(const std::string &name, const nlohmann::json &match, int timeoutMs, EventPtr &result) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::deque<EventPtr>::iterator found;
    auto findMatch = [&] {
        for (found = backlog_.begin(); found != backlog_.end(); ++found) {
            if ((*found)->matches(name) && fieldsMatch((*found)->data, match)) return true;
        }
        return false;
    };
    PullStatus status = waitUntil(lock, timeoutMs, findMatch);
    if (status != PullStatus::Item) return status;
    result = std::move(*found);
    backlog_.erase(found);
    return status;
}

void EventHub::closePulling() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pullingClosed_) return;
    pullingClosed_ = true;
    pullQueue_.clear();
    backlog_.clear();
    updateEventFd();
    pullWake_.notify_all();
}

void EventHub::shutdown() {
    closePulling();
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    dispatchStopped_ = true;
    dispatchWake_.notify_all();
    pullersGone_.wait(lock, [&] { return blockedPullers_ == 0; });
    if (onDispatchThread()) {
        // Called by a listener: once it returns, its caller may free whatever the remaining
        // deliveries would touch, so there are none. The thread exits by itself.
        deliveryAbandoned_ = true;
        toDispatch_.clear();
        lock.unlock();
        dispatchThread_.detach();
        return;
    }
    lock.unlock();
    if (dispatchThread_.joinable()) dispatchThread_.join();
}

}  // namespace sipw
