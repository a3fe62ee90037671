// Delivers a worker's events: to listeners on one dispatch thread (in order), to the optional
// bounded pull queue (with a descriptor readable while it holds events), and to the wait_for
// backlog.
//
// The SIP/media loop only calls emit(), which never blocks: a slow listener or puller can never
// stall signaling. Listener callbacks run without any hub lock held, so they may call back into
// the worker (post, off, even destroy).
#pragma once

#include "base/event.hpp"
#include "base/pull.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace sipw {

class EventHub : public std::enable_shared_from_this<EventHub> {
public:
    using Listener = std::function<void(const Event &)>;

    struct Limits {
        std::size_t queueCapacity = 10000;    // pull queue (sipw_wait_event)
        std::size_t backlogCapacity = 2000;   // events kept for wait_for
    };

    // The hub is shared with its own dispatch thread (so a listener may destroy the worker).
    static std::shared_ptr<EventHub> create(bool pullQueueEnabled, Limits limits);
    ~EventHub();

    void emit(EventPtr event);

    int addListener(std::string name, Listener listener);
    // Once this returns on a thread other than the dispatch thread, the listener is not running
    // and never runs again. Returns false for an unknown id.
    bool removeListener(int id);

    // Next event of the pull queue, waiting up to timeoutMs (< 0: forever). Throws
    // Error(WrongState) when the queue is off.
    PullStatus waitEvent(int timeoutMs, EventPtr &event);
    // First backlog event matching name (and every field of `match`, if an object) not returned
    // by an earlier waitFor.
    PullStatus waitFor(const std::string &name, const nlohmann::json &match, int timeoutMs, EventPtr &event);
    // Readable while the pull queue holds events (or a dropped-events warning), and for good once
    // pulling is closed. Owned by the hub. Throws Error(WrongState) when the queue is off.
    int eventFd() const;

    // Ends pulling: blocked and later pulls get PullStatus::Closed, the descriptor turns readable
    // for good, and nothing enters the queue or the backlog any more. Listeners still get events.
    void closePulling();
    // closePulling(), waits out every blocked puller, delivers what is already queued to
    // listeners and stops the dispatch thread. Called from a listener (the dispatch thread), it
    // drops the undelivered events instead: no listener runs once that listener has returned.
    void shutdown();

    bool onDispatchThread() const { return std::this_thread::get_id() == dispatchThreadId_; }

private:
    EventHub(bool pullQueueEnabled, Limits limits);
    void start();
    void dispatchLoop();
    template <class Pred>
    PullStatus waitUntil(std::unique_lock<std::mutex> &lock, int timeoutMs, Pred ready);
    void updateEventFd();            // mutex_ held
    EventPtr takeFromPullQueue();    // mutex_ held, queue or dropped count not empty

    const bool pullQueueEnabled_;
    const Limits limits_;

    std::mutex mutex_;
    std::condition_variable dispatchWake_;   // dispatch thread: new event or stop
    std::condition_variable pullWake_;       // pullers: new event or stop
    std::condition_variable listenerDone_;   // removeListener: running callback finished
    std::condition_variable pullersGone_;    // shutdown: blocked pullers left

    std::deque<EventPtr> toDispatch_;
    std::deque<EventPtr> pullQueue_;
    std::size_t droppedSinceLastPull_ = 0;
    std::unique_ptr<ReadyFd> eventFd_;  // with the pull queue only
    std::deque<EventPtr> backlog_;

    struct Entry {
        std::string name;
        Listener listener;
    };
    std::map<int, Entry> listeners_;
    int nextListenerId_ = 1;
    int runningListenerId_ = 0;

    int blockedPullers_ = 0;
    bool pullingClosed_ = false;
    bool stopping_ = false;
    bool dispatchStopped_ = false;
    bool deliveryAbandoned_ = false;  // shut down from a listener: deliver nothing more
    std::thread dispatchThread_;
    std::thread::id dispatchThreadId_;
};

}  // namespace sipw
