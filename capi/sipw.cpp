// The C ABI: the one seam between C callers and the C++ core.
//
// Every entry point validates its arguments, copies what it keeps, forwards to the core, and
// turns any exception into a negative code plus the thread-local last error; no exception ever
// crosses this boundary.
#include "sipw.h"

#include "base/error.hpp"
#include "base/event_hub.hpp"
#include "base/i18n.hpp"
#include "base/loop_thread.hpp"
#include "base/retry.hpp"
#include "worker/worker.hpp"

#include <glib.h>

#include <cstdlib>
#include <functional>
#include <mutex>
#include <cstring>
#include <new>
#include <string>

struct sipw_worker {
    std::unique_ptr<sipw::Worker> core;
};

struct sipw_retry {
    std::mutex mutex;
    sipw::Retry retry;
    sipw::LoopThread timers{nullptr, nullptr};  // runs delayRetry callbacks
    sipw_retry(int maxRetry, int baseDelayMs) : retry(maxRetry, baseDelayMs, 24 * 3600 * 1000) {}
};

struct sipw_event {
    sipw::EventPtr owned;          // set for events handed to the caller (sipw_wait_event)
    const sipw::Event *view;       // always set
};

namespace {

struct LastError {
    std::string combined, en, zh;
};
thread_local LastError t_lastError;

void clearError() {
    t_lastError.combined.clear();
    t_lastError.en.clear();
    t_lastError.zh.clear();
}

int fail(sipw::ResultCode code, const sipw::i18n::Message &message) {
    t_lastError.en = message.en;
    t_lastError.zh = message.zh;
    t_lastError.combined = message.en + " / " + message.zh;
    return static_cast<int>(code);
}

int fail(const sipw::Error &e) { return fail(e.code(), e.message()); }

int fail(sipw::ResultCode code, const char *key, std::vector<std::string> args = {}) {
    return fail(code, sipw::i18n::format(key, args));
}

// Runs `body`, mapping every exception to a result code (libdatachannel's wrap()).
template <class F>
int guarded(F &&body) {
    clearError();
    try {
        return body();
    } catch (const sipw::Error &e) {
        return fail(e);
    } catch (const std::bad_alloc &) {
        return fail(sipw::ResultCode::Internal, "internal", {"out of memory"});
    } catch (const std::exception &e) {
        return fail(sipw::ResultCode::Internal, "internal", {e.what()});
    } catch (...) {
        return fail(sipw::ResultCode::Internal, "internal", {"unknown exception"});
    }
}

}  // namespace

extern "C" {

sipw_worker *sipw_create(const char *options_json) {
    sipw_worker *result = nullptr;
    guarded([&] {
        nlohmann::json options;
        if (options_json) {
            std::string text(options_json);
            if (text.size() > sipw::Worker::kMaxPayloadBytes)
                throw sipw::Error(sipw::ResultCode::InvalidArgument, "payload_too_large",
                                  {std::to_string(sipw::Worker::kMaxPayloadBytes)});
            try {
                options = nlohmann::json::parse(text);
            } catch (const nlohmann::json::exception &e) {
                throw sipw::Error(sipw::ResultCode::InvalidArgument, "invalid_json", {e.what()});
            }
        }
        auto worker = std::make_unique<sipw_worker>();
        worker->core = std::make_unique<sipw::Worker>(options);
        result = worker.release();
        return 0;
    });
    return result;
}

void sipw_destroy(sipw_worker *w) {
    if (!w) return;
    guarded([&] {
        delete w;
        return 0;
    });
}

int sipw_post(sipw_worker *w, const char *cmd, const char *data_json) {
    int rc = guarded([&] {
        if (!w) return fail(sipw::ResultCode::InvalidArgument, "null_worker");
        if (!cmd) return fail(sipw::ResultCode::InvalidArgument, "null_argument", {"cmd"});
        std::string command(cmd);
        if (!data_json) {
            w->core->post(command, nullptr);
        } else {
            std::string data(data_json);
            w->core->post(command, &data);
        }
        return 0;
    });
    // INIT's locale orders the two languages of this worker's errors (English first without one).
    if (rc < 0 && w && w->core->locale() == sipw::i18n::Locale::ZhCN)
        t_lastError.combined = t_lastError.zh + " / " + t_lastError.en;
    return rc;
}

int sipw_on(sipw_worker *w, const char *name, sipw_callback cb, void *user_data) {
    return guarded([&] {
        if (!w) return fail(sipw::ResultCode::InvalidArgument, "null_worker");
        if (!name) return fail(sipw::ResultCode::InvalidArgument, "null_argument", {"name"});
        if (!cb) return fail(sipw::ResultCode::InvalidArgument, "null_argument", {"cb"});
        return w->core->hub()->addListener(name, [cb, user_data](const sipw::Event &event) {
            sipw_event borrowed{nullptr, &event};
            cb(&borrowed, user_data);
        });
    });
}

int sipw_off(sipw_worker *w, int listener_id) {
    return guarded([&] {
        if (!w) return fail(sipw::ResultCode::InvalidArgument, "null_worker");
        if (!w->core->hub()->removeListener(listener_id))
            return fail(sipw::ResultCode::UnknownListener, "unknown_listener", {std::to_string(listener_id)});
        return 0;
    });
}

sipw_event *sipw_wait_event(sipw_worker *w, int timeout_ms) {
    sipw_event *result = nullptr;
    guarded([&] {
        if (!w) return fail(sipw::ResultCode::InvalidArgument, "null_worker");
        std::shared_ptr<sipw::EventHub> hub = w->core->hub();  // stays valid through a concurrent destroy
        if (sipw::EventPtr event = hub->waitEvent(timeout_ms)) {
            const sipw::Event *view = event.get();
            result = new sipw_event{std::move(event), view};
        }
        return 0;
    });
    return result;
}

sipw_event *sipw_wait_for(sipw_worker *w, const char *name, const char *match_json, int timeout_ms) {
    sipw_event *result = nullptr;
    guarded([&] {
        if (!w) return fail(sipw::ResultCode::InvalidArgument, "null_worker");
        if (!name) return fail(sipw::ResultCode::InvalidArgument, "null_argument", {"name"});
        nlohmann::json match;
        if (match_json) {
            try {
                match = nlohmann::json::parse(match_json);
            } catch (const nlohmann::json::exception &e) {
                return fail(sipw::ResultCode::InvalidArgument, "invalid_json", {e.what()});
            }
        }
        std::shared_ptr<sipw::EventHub> hub = w->core->hub();
        if (sipw::EventPtr event = hub->waitFor(name, match, timeout_ms)) {
            const sipw::Event *view = event.get();
            result = new sipw_event{std::move(event), view};
        }
        return 0;
    });
    return result;
}

void sipw_event_free(sipw_event *ev) {
    if (ev && ev->owned) delete ev;  // borrowed callback events are never freed by the caller
}

const char *sipw_event_name(const sipw_event *ev) { return ev ? ev->view->channel.c_str() : ""; }
const char *sipw_event_msg(const sipw_event *ev) { return ev ? ev->view->msg.c_str() : ""; }
const char *sipw_event_json(const sipw_event *ev) { return ev ? ev->view->json.c_str() : "{}"; }

const char *sipw_last_error(void) { return t_lastError.combined.c_str(); }

const char *sipw_last_error_text(const char *locale) {
    sipw::i18n::Locale l = sipw::i18n::Locale::ZhCN;
    if (locale && !sipw::i18n::parseLocale(locale, l)) l = sipw::i18n::Locale::En;
    return l == sipw::i18n::Locale::En ? t_lastError.en.c_str() : t_lastError.zh.c_str();
}

const char *sipw_errstr(int code, const char *locale) {
    sipw::i18n::Locale l = sipw::i18n::Locale::ZhCN;
    if (locale && !sipw::i18n::parseLocale(locale, l)) l = sipw::i18n::Locale::En;
    const sipw::i18n::Text *text = sipw::i18n::error("result_" + std::to_string(code));
    if (!text) text = sipw::i18n::error("result_-7");
    return text ? text->in(l).data() : "";
}

const char *sipw_version(void) { return SIPW_VERSION_STRING; }

char *sipw_session_info(sipw_worker *w, const char *session_id) {
    char *result = nullptr;
    guarded([&] {
        if (!w) return fail(sipw::ResultCode::InvalidArgument, "null_worker");
        if (!session_id) return fail(sipw::ResultCode::InvalidArgument, "null_argument", {"session_id"});
        auto info = w->core->sessionInfo(session_id);
        if (!info) return fail(sipw::ResultCode::UnknownSession, "unknown_session", {sipw::printable(session_id)});
        result = static_cast<char *>(std::malloc(info->size() + 1));
        if (!result) throw std::bad_alloc();
        std::memcpy(result, info->c_str(), info->size() + 1);
        return 0;
    });
    return result;
}

void sipw_free(void *p) { std::free(p); }

sipw_retry *sipw_retry_create(int default_max_retry, int base_delay_ms) {
    sipw_retry *result = nullptr;
    guarded([&] {
        if (base_delay_ms < 0) return fail(sipw::ResultCode::InvalidArgument, "invalid_value", {"base_delay_ms", ">= 0"});
        result = new sipw_retry(default_max_retry, base_delay_ms);
        return 0;
    });
    return result;
}

void sipw_retry_destroy(sipw_retry *r) {
    if (!r) return;
    r->timers.stop();  // pending delayed callbacks are dropped with the loop
    delete r;
}

void sipw_retry_update_max(sipw_retry *r, const char *id, int max_retry) {
    if (!r || !id) return;
    std::lock_guard<std::mutex> lock(r->mutex);
    r->retry.updateMaxRetry(id, max_retry);
}

int sipw_retry_get_count(sipw_retry *r, const char *id) {
    if (!r || !id) return 0;
    std::lock_guard<std::mutex> lock(r->mutex);
    return r->retry.getRetryTime(id);
}

int sipw_retry_is_max(sipw_retry *r, const char *id) {
    if (!r || !id) return 0;
    std::lock_guard<std::mutex> lock(r->mutex);
    return r->retry.isMax(id) ? 1 : 0;
}

int sipw_retry_retry(sipw_retry *r, const char *id) {
    if (!r || !id) return 0;
    std::lock_guard<std::mutex> lock(r->mutex);
    return r->retry.retry(id) ? 1 : 0;
}

void sipw_retry_reset(sipw_retry *r, const char *id) {
    if (!r || !id) return;
    std::lock_guard<std::mutex> lock(r->mutex);
    r->retry.reset(id);
}

int sipw_retry_delay(sipw_retry *r, const char *id, sipw_retry_callback cb, void *user_data, int increase_ms) {
    return guarded([&] {
        if (!r) return fail(sipw::ResultCode::InvalidArgument, "null_argument", {"r"});
        if (!id) return fail(sipw::ResultCode::InvalidArgument, "null_argument", {"id"});
        int delay;
        {
            std::lock_guard<std::mutex> lock(r->mutex);
            delay = r->retry.nextDelayMs(id, increase_ms);
        }
        if (delay <= 0 || !cb) return delay;
        std::string key(id);
        r->timers.invoke([delay, key, cb, user_data] {
            auto *call = new std::function<void()>([key, cb, user_data] { cb(key.c_str(), user_data); });
            GSource *timer = g_timeout_source_new(static_cast<guint>(delay));
            g_source_set_callback(timer,
                                  [](gpointer p) -> gboolean {
                                      (*static_cast<std::function<void()> *>(p))();
                                      return G_SOURCE_REMOVE;
                                  },
                                  call, [](gpointer p) { delete static_cast<std::function<void()> *>(p); });
            g_source_attach(timer, g_main_context_get_thread_default());
            g_source_unref(timer);
        });
        return delay;
    });
}

}  // extern "C"
