#include "base/one_shot_timer.hpp"

#include <utility>

namespace sipw {

void OneShotTimer::start(guint ms, std::function<void()> onFire, GMainContext *context) {
    attach(g_timeout_source_new(ms), std::move(onFire), context);
}

void OneShotTimer::startSeconds(guint seconds, std::function<void()> onFire, GMainContext *context) {
    attach(g_timeout_source_new_seconds(seconds), std::move(onFire), context);
}

void OneShotTimer::startIdle(std::function<void()> onFire, GMainContext *context) {
    attach(g_idle_source_new(), std::move(onFire), context);
}

void OneShotTimer::cancel() {
    if (!source_) return;
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
    onFire_ = nullptr;
}

void OneShotTimer::attach(GSource *source, std::function<void()> onFire, GMainContext *context) {
    cancel();
    source_ = source;
    onFire_ = std::move(onFire);
    g_source_set_callback(source_, &OneShotTimer::fire, this, nullptr);
    g_source_attach(source_, context ? context : g_main_context_get_thread_default());
}

gboolean OneShotTimer::fire(gpointer p) {
    auto *self = static_cast<OneShotTimer *>(p);
    // Inactive before the callback runs: it may restart the timer, or destroy its owner (and
    // this object), so nothing of `self` is touched after it.
    g_source_unref(self->source_);  // the context keeps the source alive until dispatch ends
    self->source_ = nullptr;
    std::function<void()> onFire = std::move(self->onFire_);
    self->onFire_ = nullptr;
    if (onFire) onFire();
    return G_SOURCE_REMOVE;
}

}  // namespace sipw
