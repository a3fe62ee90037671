// A one-shot timer on a GLib main context, owned by the object whose state it changes.
//
// Every timer of the core runs on the worker's loop thread, like the state it touches; the
// owner starts, restarts and cancels it there, and destroying the owner cancels it, so the
// callback never sees a dead object (no weak pointer needed for timers owned this way).
#pragma once

#include <glib.h>

#include <functional>

namespace sipw {

class OneShotTimer {
public:
    OneShotTimer() = default;
    ~OneShotTimer() { cancel(); }
    OneShotTimer(const OneShotTimer &) = delete;
    OneShotTimer &operator=(const OneShotTimer &) = delete;

    // Runs `onFire` once after `ms` on `context` (null: the calling thread's default context),
    // replacing a pending one. The timer is inactive again when `onFire` runs, which may restart
    // it or destroy the owner.
    void start(guint ms, std::function<void()> onFire, GMainContext *context = nullptr);
    // The same in whole seconds, on GLib's coarse (power-friendly) timer.
    void startSeconds(guint seconds, std::function<void()> onFire, GMainContext *context = nullptr);
    // Runs `onFire` once the context has nothing more urgent to do (an idle source).
    void startIdle(std::function<void()> onFire, GMainContext *context = nullptr);
    void cancel();
    bool active() const { return source_ != nullptr; }

private:
    void attach(GSource *source, std::function<void()> onFire, GMainContext *context);
    static gboolean fire(gpointer self);

    GSource *source_ = nullptr;
    std::function<void()> onFire_;
};

}  // namespace sipw
