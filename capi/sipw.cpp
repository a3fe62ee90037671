// The C ABI: the one seam between C callers and the C++ core.
//
// Every entry point validates its arguments, copies what it keeps, forwards to the core, and
// turns any exception into a negative code plus the thread-local last error; no exception ever
// crosses this boundary. Worker and retry handles are entries of handle tables, never addresses:
// a call with a handle whose object is being or has been destroyed finds nothing and answers
// SIPW_ESHUTDOWN, and a call in flight keeps its object alive until it returns.
#include "sipw.h"

#include "base/error.hpp"
#include "base/event_hub.hpp"
#include "base/handle_table.hpp"
#include "base/i18n.hpp"
#include "base/retry_helper.hpp"
#include "worker/worker.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <cstring>
#include <new>
#include <string>

struct sipw_event {
    sipw::EventPtr owned;          // set for events handed to the caller (the pull functions)
    const sipw::Event *view;       // always set
};

namespace {

struct LastError {
    int code = 0;
    std::string combined, en, zh;
};
thread_local LastError t_lastError;

void clearError() {
    t_lastError.code = 0;
    t_lastError.combined.clear();
    t_lastError.en.clear();
    t_lastError.zh.clear();
}

int fail(sipw::ResultCode code, const sipw::i18n::Message &message) {
    t_lastError.code = static_cast<int>(code);
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

using sipw::Error;
using sipw::ResultCode;

// Never destroyed: a thread may still call in while the process exits.
auto &workers = *new sipw::HandleTable<sipw::Worker>(1);
auto &retries = *new sipw::HandleTable<sipw::RetryHelper>(2);

template <class T, class Handle>
std::shared_ptr<T> live(sipw::HandleTable<T> &table, Handle *handle, const char *kind, const char *closedKey) {
    if (!handle) throw Error(ResultCode::InvalidArgument, "null_argument", {kind});
    typename sipw::HandleTable<T>::Found found;
    auto object = table.find(reinterpret_cast<std::uintptr_t>(handle), found);
    if (found == sipw::HandleTable<T>::Found::Destroyed) throw Error(ResultCode::ShuttingDown, closedKey);
    if (!object) throw Error(ResultCode::InvalidArgument, "not_a_handle", {kind});
    return object;
}

// The worker of `w`, even while sipw_destroy runs (sipw_off must still work then).
std::shared_ptr<sipw::Worker> existingWorker(sipw_worker *w) {
    if (!w) throw Error(ResultCode::InvalidArgument, "null_worker");
    return live(workers, w, "sipw_worker", "worker_closed");
}

// The worker of `w` unless sipw_destroy has begun.
std::shared_ptr<sipw::Worker> liveWorker(sipw_worker *w) {
    auto core = existingWorker(w);
    if (core->shuttingDown()) throw Error(ResultCode::ShuttingDown, "worker_closed");
    return core;
}

std::shared_ptr<sipw::RetryHelper> liveRetry(sipw_retry *r) { return live(retries, r, "sipw_retry", "retry_closed"); }

template <class P>
P *required(P *arg, const char *name) {
    if (!arg) throw Error(ResultCode::InvalidArgument, "null_argument", {name});
    return arg;
}

// 1 with the event in *out, 0 on timeout, SIPW_ESHUTDOWN once the worker is closed.
int handOut(sipw::PullStatus status, sipw::EventPtr event, sipw_event **out) {
    switch (status) {
    case sipw::PullStatus::Item: {
        const sipw::Event *view = event.get();
        *out = new sipw_event{std::move(event), view};
        return 1;
    }
    case sipw::PullStatus::TimedOut: return 0;
    case sipw::PullStatus::Closed: break;
    }
    throw Error(ResultCode::ShuttingDown, "worker_closed");
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
                throw Error(ResultCode::InvalidArgument, "payload_too_large",
                            {std::to_string(sipw::Worker::kMaxPayloadBytes)});
            try {
                options = nlohmann::json::parse(text);
            } catch (const nlohmann::json::exception &e) {
                throw Error(ResultCode::InvalidArgument, "invalid_json", {e.what()});
            }
        }
        result = reinterpret_cast<sipw_worker *>(workers.add(std::make_shared<sipw::Worker>(options)));
        return 0;
    });
    return result;
}

void sipw_destroy(sipw_worker *w) {
    guarded([&] {
        // From the first instant of shutdown() every call but sipw_off answers ESHUTDOWN; the
        // handle leaves the table once no callback can run any more, so sipw_off keeps its promise
        // (the callback is not running once it returned) until then. A concurrent second
        // sipw_destroy waits in shutdown() for the first.
        std::uintptr_t handle = reinterpret_cast<std::uintptr_t>(w);
        sipw::HandleTable<sipw::Worker>::Found found;
        if (auto core = workers.find(handle, found)) core->shutdown();
        workers.remove(handle);
        return 0;
    });
}

int sipw_post(sipw_worker *w, const char *cmd, const char *data_json) {
    std::optional<sipw::i18n::Locale> locale;
    int rc = guarded([&] {
        auto core = liveWorker(w);
        locale = core->locale();
        std::string command(required(cmd, "cmd"));
        if (!data_json) {
            core->post(command, nullptr);
        } else {
            std::string data(data_json);
            core->post(command, &data);
        }
        return 0;
    });
    // INIT's locale orders the two languages of this worker's errors (English first without one).
    if (rc < 0 && locale == sipw::i18n::Locale::ZhCN)
        t_lastError.combined = t_lastError.zh + " / " + t_lastError.en;
    return rc;
}

int sipw_on(sipw_worker *w, const char *name, sipw_callback cb, void *user_data) {
    return guarded([&] {
        auto core = liveWorker(w);
        required(name, "name");
        if (!cb) return fail(ResultCode::InvalidArgument, "null_argument", {"cb"});
        return core->hub()->addListener(name, [cb, user_data](const sipw::Event &event) {
            sipw_event borrowed{nullptr, &event};
            cb(&borrowed, user_data);
        });
    });
}

int sipw_off(sipw_worker *w, int listener_id) {
    return guarded([&] {
        if (!existingWorker(w)->hub()->removeListener(listener_id))
            return fail(ResultCode::UnknownListener, "unknown_listener", {std::to_string(listener_id)});
        return 0;
    });
}

int sipw_next_event(sipw_worker *w, int timeout_ms, sipw_event **out) {
    if (out) *out = nullptr;
    return guarded([&] {
        auto hub = liveWorker(w)->hub();
        required(out, "out");
        sipw::EventPtr event;
        sipw::PullStatus status = hub->waitEvent(timeout_ms, event);
        return handOut(status, std::move(event), out);
    });
}

int sipw_next_match(sipw_worker *w, const char *name, const char *match_json, int timeout_ms, sipw_event **out) {
    if (out) *out = nullptr;
    return guarded([&] {
        auto hub = liveWorker(w)->hub();
        required(name, "name");
        required(out, "out");
        nlohmann::json match;
        if (match_json) {
            try {
                match = nlohmann::json::parse(match_json);
            } catch (const nlohmann::json::exception &e) {
                throw Error(ResultCode::InvalidArgument, "invalid_json", {e.what()});
            }
        }
        sipw::EventPtr event;
        sipw::PullStatus status = hub->waitFor(name, match, timeout_ms, event);
        return handOut(status, std::move(event), out);
    });
}

sipw_event *sipw_wait_event(sipw_worker *w, int timeout_ms) {
    sipw_event *event = nullptr;
    sipw_next_event(w, timeout_ms, &event);
    return event;
}

sipw_event *sipw_wait_for(sipw_worker *w, const char *name, const char *match_json, int timeout_ms) {
    sipw_event *event = nullptr;
    sipw_next_match(w, name, match_json, timeout_ms, &event);
    return event;
}

int sipw_event_fd(sipw_worker *w) {
    int fd = guarded([&] { return liveWorker(w)->hub()->eventFd(); });
    return fd < 0 ? -1 : fd;
}

void sipw_event_free(sipw_event *ev) {
    if (ev && ev->owned) delete ev;  // borrowed callback events are never freed by the caller
}

const char *sipw_event_name(const sipw_event *ev) { return ev ? ev->view->channel.c_str() : ""; }
const char *sipw_event_msg(const sipw_event *ev) { return ev ? ev->view->msg.c_str() : ""; }
const char *sipw_event_json(const sipw_event *ev) { return ev ? ev->view->json.c_str() : "{}"; }

const char *sipw_last_error(void) { return t_lastError.combined.c_str(); }

int sipw_last_error_code(void) { return t_lastError.code; }

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
        auto core = liveWorker(w);
        auto info = core->sessionInfo(required(session_id, "session_id"));
        if (!info) return fail(ResultCode::UnknownSession, "unknown_session", {sipw::printable(session_id)});
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
        if (base_delay_ms < 0) return fail(ResultCode::InvalidArgument, "invalid_value", {"base_delay_ms", ">= 0"});
        auto helper = sipw::RetryHelper::create(default_max_retry, base_delay_ms);
        result = reinterpret_cast<sipw_retry *>(retries.add(std::move(helper)));
        return 0;
    });
    return result;
}

void sipw_retry_destroy(sipw_retry *r) {
    guarded([&] {
        if (auto helper = retries.remove(reinterpret_cast<std::uintptr_t>(r))) helper->close();
        return 0;
    });
}

void sipw_retry_update_max(sipw_retry *r, const char *id, int max_retry) {
    guarded([&] {
        liveRetry(r)->updateMaxRetry(required(id, "id"), max_retry);
        return 0;
    });
}

int sipw_retry_get_count(sipw_retry *r, const char *id) {
    return std::max(0, guarded([&] { return liveRetry(r)->getRetryTime(required(id, "id")); }));
}

int sipw_retry_is_max(sipw_retry *r, const char *id) {
    return std::max(0, guarded([&] { return liveRetry(r)->isMax(required(id, "id")) ? 1 : 0; }));
}

int sipw_retry_retry(sipw_retry *r, const char *id) {
    return std::max(0, guarded([&] { return liveRetry(r)->retry(required(id, "id")) ? 1 : 0; }));
}

void sipw_retry_reset(sipw_retry *r, const char *id) {
    guarded([&] {
        liveRetry(r)->reset(required(id, "id"));
        return 0;
    });
}

int sipw_retry_delay(sipw_retry *r, const char *id, sipw_retry_callback cb, void *user_data, int increase_ms) {
    return guarded([&] {
        auto helper = liveRetry(r);
        sipw::RetryHelper::Callback call;
        if (cb) call = [cb, user_data](const std::string &key) { cb(key.c_str(), user_data); };
        return helper->delayRetry(required(id, "id"), increase_ms, std::move(call));
    });
}

int sipw_retry_delay_queued(sipw_retry *r, const char *id, int increase_ms, long long ticket) {
    return guarded([&] { return liveRetry(r)->delayRetryQueued(required(id, "id"), increase_ms, ticket); });
}

int sipw_retry_next_due(sipw_retry *r, int timeout_ms, long long *ticket) {
    return guarded([&] {
        auto helper = liveRetry(r);
        required(ticket, "ticket");
        std::int64_t due = 0;
        switch (helper->nextDue(timeout_ms, due)) {
        case sipw::PullStatus::Item: *ticket = due; return 1;
        case sipw::PullStatus::TimedOut: return 0;
        case sipw::PullStatus::Closed: break;
        }
        return fail(ResultCode::ShuttingDown, "retry_closed");
    });
}

int sipw_retry_fd(sipw_retry *r) {
    int fd = guarded([&] { return liveRetry(r)->dueFd(); });
    return fd < 0 ? -1 : fd;
}

}  // extern "C"
