#include "media/ice_loop.hpp"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace sipw {
namespace {

class IceLoop {
public:
    static IceLoop &instance() {
        static IceLoop *loop = new IceLoop();  // never destroyed: its thread may outlive main()
        return *loop;
    }

    GMainContext *context() const { return context_; }
    bool isCurrentThread() const { return std::this_thread::get_id() == threadId_; }

    // Queued in order. The queue is ours, under a std::mutex, rather than a GSource per piece of
    // work: one wake-up drains a burst, and thread sanitizers see the hand-over (GLib's futex
    // based locks are invisible to them).
    void post(std::function<void()> work) {
        std::lock_guard<std::mutex> lock(mutex_);
        queued_.push_back(std::move(work));
        if (wakeScheduled_) return;
        wakeScheduled_ = true;
        // An idle source attached by hand, not g_main_context_invoke(): that one runs the work on
        // the caller's thread whenever the caller manages to acquire the context first.
        GSource *source = g_idle_source_new();
        g_source_set_priority(source, G_PRIORITY_DEFAULT);
        g_source_set_callback(source, runQueued, this, nullptr);
        g_source_attach(source, context_);
        g_source_unref(source);
    }

private:
    IceLoop() : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
        std::thread thread([this] {
            pthread_setname_np(pthread_self(), "sipw-ice");  // named in top, perf and gdb
            // The thread default too: libnice and GIO attach their sources to the thread default.
            g_main_context_push_thread_default(context_);
            g_main_loop_run(loop_);
        });
        threadId_ = thread.get_id();  // set before any caller can ask: instance() returns after
        thread.detach();
    }

    static gboolean runQueued(gpointer self) {
        IceLoop &loop = *static_cast<IceLoop *>(self);
        std::deque<std::function<void()>> work;
        {
            std::lock_guard<std::mutex> lock(loop.mutex_);
            work.swap(loop.queued_);
            loop.wakeScheduled_ = false;
        }
        for (std::function<void()> &piece : work) piece();
        return G_SOURCE_REMOVE;
    }

    GMainContext *context_;
    GMainLoop *loop_;
    std::thread::id threadId_;
    std::mutex mutex_;
    std::deque<std::function<void()>> queued_;  // (mutex_)
    bool wakeScheduled_ = false;                // an idle source will drain queued_ (mutex_)
};

}  // namespace

GMainContext *iceLoopContext() { return IceLoop::instance().context(); }

bool onIceLoop() { return IceLoop::instance().isCurrentThread(); }

void runOnIceLoop(std::function<void()> work, bool wait) {
    IceLoop &loop = IceLoop::instance();
    if (!wait) {
        loop.post(std::move(work));
        return;
    }
    if (loop.isCurrentThread()) {
        work();
        return;
    }
    std::mutex mutex;
    std::condition_variable doneChanged;
    bool done = false;
    loop.post([&] {
        work();
        std::lock_guard<std::mutex> lock(mutex);
        done = true;
        doneChanged.notify_one();
    });
    std::unique_lock<std::mutex> lock(mutex);
    doneChanged.wait(lock, [&] { return done; });
}

}  // namespace sipw
