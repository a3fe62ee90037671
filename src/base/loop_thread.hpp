// A thread running its own GMainContext: the home of all SIP and media state of one worker.
//
// Other threads never touch that state; they hand closures to invoke(), which runs them on the
// loop thread in the order they were posted.
#pragma once

#include <glib.h>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sipw {

class LoopThread {
public:
    using Task = std::function<void()>;

    // Starts the thread and returns at once; `onStart` runs first on it (with the context pushed
    // as thread default), ahead of any invoked task, `onStop` last, after the loop has quit.
    LoopThread(Task onStart, Task onStop);
    ~LoopThread();  // stop() if still running
    LoopThread(const LoopThread &) = delete;
    LoopThread &operator=(const LoopThread &) = delete;

    GMainContext *context() const { return context_; }
    bool onLoopThread() const { return std::this_thread::get_id() == threadId_.load(std::memory_order_acquire); }

    // Queues `task` to run on the loop thread; false once the loop is stopping.
    bool invoke(Task task);
    // Runs `task` on the loop thread and waits for it (runs inline if already on it).
    bool invokeAndWait(Task task);
    // Quits the loop after the queued tasks, runs onStop, joins. Idempotent; not from the loop thread.
    void stop();

private:
    static gboolean drainQueue(gpointer self);
    void run();

    GMainContext *context_;
    GMainLoop *loop_;
    Task onStart_, onStop_;
    std::mutex mutex_;
    std::deque<Task> tasks_;
    bool drainScheduled_ = false;
    bool stopping_ = false;
    std::thread thread_;
    std::atomic<std::thread::id> threadId_{};  // set by the thread itself, first thing
};

// Destroys and drops a source the caller holds a reference to; no-op when already null.
void cancelSource(GSource *&source);

// Runs `task` on a later iteration of the calling thread's default main context (used to leave
// a callback before destroying the object that is calling it).
void runSoon(std::function<void()> task);

}  // namespace sipw
