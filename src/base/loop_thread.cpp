#include "base/loop_thread.hpp"

#include <future>

namespace sipw {

LoopThread::LoopThread(Task onStart, Task onStop)
    : context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)),
      onStart_(std::move(onStart)), onStop_(std::move(onStop)) {
    // The creator does not wait for onStart: a caller on an event loop (gevent's hub) would stall
    // for a thread switch per worker, many milliseconds on a busy machine. Tasks invoked
    // meanwhile queue on the context and run after onStart.
    thread_ = std::thread([this] {
        threadId_.store(std::this_thread::get_id(), std::memory_order_release);
        g_main_context_push_thread_default(context_);
        if (onStart_) onStart_();
        run();
    });
}

LoopThread::~LoopThread() {
    stop();
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
}

void LoopThread::run() {
    g_main_loop_run(loop_);
    // Tasks posted before stop() still run, in order.
    drainQueue(this);
    if (onStop_) onStop_();
    // Let sources that were removed during onStop finish their destroy notifications.
    while (g_main_context_iteration(context_, FALSE)) {
    }
    g_main_context_pop_thread_default(context_);
}

bool LoopThread::invoke(Task task) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
    if (!drainScheduled_) {
        drainScheduled_ = true;
        GSource *source = g_idle_source_new();
        g_source_set_priority(source, G_PRIORITY_DEFAULT);
        g_source_set_callback(source, &LoopThread::drainQueue, this, nullptr);
        g_source_attach(source, context_);
        g_source_unref(source);
    }
    return true;
}

bool LoopThread::invokeAndWait(Task task) {
    if (onLoopThread()) {
        task();
        return true;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    if (!invoke([task = std::move(task), done] {
            task();
            done->set_value();
        }))
        return false;
    future.wait();
    return true;
}

gboolean LoopThread::drainQueue(gpointer data) {
    auto *self = static_cast<LoopThread *>(data);
    for (;;) {
        Task task;
        {
            std::lock_guard<std::mutex> lock(self->mutex_);
            if (self->tasks_.empty()) {
                self->drainScheduled_ = false;
                return G_SOURCE_REMOVE;
            }
            task = std::move(self->tasks_.front());
            self->tasks_.pop_front();
        }
        task();
    }
}

void LoopThread::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    if (!thread_.joinable()) return;
    g_main_context_invoke(context_, [](gpointer loop) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(loop));
        return G_SOURCE_REMOVE;
    }, loop_);
    thread_.join();
}

void cancelSource(GSource *&source) {
    if (!source) return;
    g_source_destroy(source);
    g_source_unref(source);
    source = nullptr;
}

void runSoon(std::function<void()> task) {
    GSource *source = g_idle_source_new();
    g_source_set_callback(
        source,
        [](gpointer p) -> gboolean {
            (*static_cast<std::function<void()> *>(p))();
            return G_SOURCE_REMOVE;
        },
        new std::function<void()>(std::move(task)), [](gpointer p) { delete static_cast<std::function<void()> *>(p); });
    g_source_attach(source, g_main_context_get_thread_default());
    g_source_unref(source);
}

}  // namespace sipw
