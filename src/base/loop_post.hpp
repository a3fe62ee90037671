// Moving work from GStreamer threads onto the session's loop thread.
//
// webrtcbin signals, promise replies and pad probes run on GStreamer's threads, but the media
// contract delivers everything on the worker's GMainContext, never re-entrantly. Work is queued
// as an idle source on that context and runs only if the target object is still alive then.
#pragma once

#include "base/tsan.hpp"

#include <glib-object.h>  // GClosure
#include <glib.h>

#include <functional>
#include <memory>

namespace sipw {

template <typename T>
class LoopPoster {
public:
    // context: transfer none (a reference is taken and kept).
    LoopPoster(GMainContext *context, std::weak_ptr<T> target)
        : context_(g_main_context_ref(context)), target_(std::move(target)) {}
    LoopPoster(const LoopPoster &o) : LoopPoster(o.context_, o.target_) {
        SIPW_HANDOFF_ACQUIRE(&o);
        SIPW_HANDOFF_RELEASE(this);  // copies are handed to GStreamer's threads as user data
    }
    LoopPoster &operator=(const LoopPoster &) = delete;
    ~LoopPoster() { g_main_context_unref(context_); }

    // Safe from any thread. `work` runs on a later iteration of the context, with the target
    // locked; it is dropped (destroyed without running) if the target is gone by then.
    void post(std::function<void(T &)> work, int priority = G_PRIORITY_DEFAULT) const {
        SIPW_HANDOFF_ACQUIRE(this);
        auto *task = new Task{target_, std::move(work)};
        SIPW_HANDOFF_RELEASE(task);
        GSource *source = g_idle_source_new();
        g_source_set_priority(source, priority);
        g_source_set_callback(source, &LoopPoster::run, task, &LoopPoster::destroy);
        g_source_attach(source, context_);
        g_source_unref(source);  // the context holds it until it has run
    }

    // For sources already dispatched on the loop thread: runs `work` now if the target lives.
    void runIfAlive(const std::function<void(T &)> &work) const {
        if (auto target = target_.lock()) work(*target);
    }

    // For GLib "user data + destroy notify" APIs: a heap copy owned by the callee.
    LoopPoster *clone() const { return new LoopPoster(*this); }
    static void deleteClone(gpointer p) { delete static_cast<LoopPoster *>(p); }
    static void deleteCloneClosure(gpointer p, GClosure *) { deleteClone(p); }

private:
    struct Task {
        std::weak_ptr<T> target;
        std::function<void(T &)> work;
    };
    static gboolean run(gpointer p) {
        auto *task = static_cast<Task *>(p);
        SIPW_HANDOFF_ACQUIRE(task);
        if (auto target = task->target.lock()) task->work(*target);
        return G_SOURCE_REMOVE;
    }
    static void destroy(gpointer p) {
        SIPW_HANDOFF_ACQUIRE(p);
        delete static_cast<Task *>(p);
    }

    GMainContext *context_;
    std::weak_ptr<T> target_;
};

}  // namespace sipw
