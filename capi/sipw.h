/* sipw.h — sipworker: a native SIP softphone SDK (sofia-sip signaling, GStreamer webrtcbin media).
 *
 * Flat C ABI over the C++ core. Every string is UTF-8. Every function is safe to call from any
 * thread, and none blocks on the network. Results are 0 (or a positive id) on success and a
 * negative SIPW_E* code on failure; sipw_last_error() then explains why, in English and Chinese.
 *
 * Ownership: pointers returned as `const char *` are borrowed (see each function for how long
 * they stay valid); `char *` and `sipw_event *` returned by a function are owned by the caller
 * and freed with sipw_free() / sipw_event_free(). Freeing NULL is a harmless no-op.
 *
 * Handles: a sipw_worker * or sipw_retry * is an opaque token, never dereferenced and never
 * reused. Any call with a handle whose object is being or has been destroyed, from any thread,
 * returns SIPW_ESHUTDOWN (or NULL / 0 with SIPW_ESHUTDOWN as the last error) and touches no freed
 * memory, even after a later sipw_create; destroying while other threads are inside calls is safe.
 * (sipw_off alone still works while sipw_destroy runs: see there.)
 */
#ifndef SIPW_H
#define SIPW_H

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SIPW_API /* SWIG defines it empty */
#  if defined(_WIN32)
#    define SIPW_API __declspec(dllexport)
#  else
#    define SIPW_API __attribute__((visibility("default")))
#  endif
#endif

/* Version of this header; compare with sipw_version() at run time. */
#define SIPW_VERSION_MAJOR 0
#define SIPW_VERSION_MINOR 1
#define SIPW_VERSION_PATCH 0
#define SIPW_VERSION_STRING "0.1.0"

/* Named constants, generated from the catalogue of names: the result codes (SIPW_OK, SIPW_EINVAL
 * ... SIPW_EINTERNAL), the commands (SIPW_CMD_INIT ...) and the event names (SIPW_ON_REGISTERED ...). */
#include "sipw_names.h"

typedef struct sipw_worker sipw_worker; /* one SIP user agent (the original library's SipWorker) */
typedef struct sipw_event  sipw_event;  /* one CauseData */

/* Called on the worker's dispatch thread (never on the SIP or media threads), in event order.
 * `ev` is borrowed: valid only during the call. A callback may call sipw_post, sipw_off and
 * sipw_destroy on its own worker without deadlocking. */
typedef void (*sipw_callback)(const sipw_event *ev, void *user_data);

/* Creates a worker. options_json: NULL or "{}" for defaults; {"eventQueue": true} enables the pull
 * queue of sipw_wait_event. Returns NULL on failure (see sipw_last_error). */
SIPW_API sipw_worker *sipw_create(const char *options_json);

/* Hangs up every call, unregisters (bounded wait), stops the threads and frees the worker.
 * From its first instant every call with `w` returns SIPW_ESHUTDOWN: threads blocked in the pull
 * functions wake at once (sipw_next_event: SIPW_ESHUTDOWN; sipw_wait_event: NULL), the event
 * descriptor turns readable for good, and events not yet pulled are dropped. Waits for a running
 * callback; listeners receive the events of the shutdown itself, none after it returned.
 * From inside one of the worker's own callbacks it does not deadlock, and once that callback has
 * returned no other runs. NULL, or a handle already destroyed: no-op. */
SIPW_API void sipw_destroy(sipw_worker *w);

/* Posts a command (the original library's cmd values: "INIT", "CALL", ...). Validates synchronously and
 * returns 0 or a negative SIPW_E* code; everything asynchronous is reported through events.
 * data_json may be NULL or "null" for commands without data. */
SIPW_API int sipw_post(sipw_worker *w, const char *cmd, const char *data_json);

/* Registers a listener. `name` matches an event whose channel or whose msg equals it; "*" matches
 * all. Returns a listener id > 0, or a negative code. */
SIPW_API int sipw_on(sipw_worker *w, const char *name, sipw_callback cb, void *user_data);

/* Removes a listener. Once it returns (on any thread other than the dispatch thread) the callback
 * is not running and will never run again; called from inside a callback it does not deadlock.
 * It keeps working while sipw_destroy runs; SIPW_ESHUTDOWN once sipw_destroy has returned. */
SIPW_API int sipw_off(sipw_worker *w, int listener_id);

/* Pull model (create option {"eventQueue": true}): the next event of the queue, waiting up to
 * timeout_ms (< 0: forever, 0: poll). Returns 1 with the event in *out (the caller frees it with
 * sipw_event_free), 0 when the timeout passed, SIPW_ESHUTDOWN once the worker is being or has been
 * destroyed (nothing will ever arrive), or another negative code (SIPW_ESTATE: the queue is off).
 * *out is NULL unless 1 is returned. If the bounded queue had to drop events, the puller receives
 * a `warning` event saying how many before the next regular event. */
SIPW_API int sipw_next_event(sipw_worker *w, int timeout_ms, sipw_event **out);

/* The blocking helper both bindings use (wait_for): like sipw_next_event, for the first event
 * matching `name` (as sipw_on matches) and, if match_json is a JSON object, whose fields (or, for a
 * field it lacks, its `data`'s: playId, messageId) equal all of its fields (a list: any of its
 * values, {"msg": ["registered", "registrationFailed"]}), that no earlier sipw_next_match / sipw_wait_for on this worker returned —
 * including events that arrived before the call (the worker keeps a bounded backlog). Works with
 * or without the pull queue, and takes nothing from it. */
SIPW_API int sipw_next_match(sipw_worker *w, const char *name, const char *match_json, int timeout_ms,
                             sipw_event **out);

/* sipw_next_event returning the event itself: NULL on timeout (the last error is then empty),
 * once the worker is closed (SIPW_ESHUTDOWN) or when the queue is off (SIPW_ESTATE). */
SIPW_API sipw_event *sipw_wait_event(sipw_worker *w, int timeout_ms);
/* sipw_next_match returning the event itself, NULL otherwise (as sipw_wait_event). */
SIPW_API sipw_event *sipw_wait_for(sipw_worker *w, const char *name, const char *match_json,
                                   int timeout_ms);

/* A descriptor owned by the worker (never close it) that is readable while the pull queue holds
 * events: wait for it with poll/select/epoll (asyncio's add_reader, GLib, libuv...), then drain
 * with sipw_next_event(w, 0, ...) until it returns 0; once drained it is not readable until the
 * next event. When sipw_destroy begins it turns readable for good (sipw_next_event then answers
 * SIPW_ESHUTDOWN), and sipw_destroy closes it (at the latest once calls in flight on other threads
 * returned): stop waiting on it before calling sipw_destroy, or wait on a dup() of it.
 * -1 when the queue is off (last error SIPW_ESTATE) or w is not live. */
SIPW_API int sipw_event_fd(sipw_worker *w);

SIPW_API void        sipw_event_free(sipw_event *ev);
SIPW_API const char *sipw_event_name(const sipw_event *ev); /* channel (an `on` value); borrowed */
SIPW_API const char *sipw_event_msg(const sipw_event *ev);  /* CauseData.msg; borrowed */
SIPW_API const char *sipw_event_json(const sipw_event *ev); /* the whole CauseData as JSON; borrowed */

/* Thread-local detail of the last failure on this thread ("English text / 中文说明"); valid until
 * the next sipw_* call on this thread. Empty string when the last call succeeded. */
SIPW_API const char *sipw_last_error(void);
/* Extension: the code of the last failure on this thread (SIPW_OK when the last call succeeded),
 * for the functions that answer NULL or 0: sipw_create, sipw_session_info, the retry helper's. */
SIPW_API int sipw_last_error_code(void);
/* Extension: the same detail split by language ("en" or "zh-CN"). */
SIPW_API const char *sipw_last_error_text(const char *locale);
/* Extension: static text of a result code (like sqlite3_errstr), in "en" or "zh-CN". */
SIPW_API const char *sipw_errstr(int code, const char *locale);

SIPW_API const char *sipw_version(void); /* library version, e.g. "0.1.0" */

/* JSON object describing a session (sessionId, direction, state, remoteUri, remoteUser,
 * remoteDisplayName, localUri, held, muted, startTime, answerTime...), or NULL if unknown.
 * The caller frees it with sipw_free. */
SIPW_API char *sipw_session_info(sipw_worker *w, const char *session_id);

SIPW_API void sipw_free(void *p);

/* ---- Retry helper (the original library's useRetry), also used by the worker's own reconnection ---------- */
/* Per-id attempt counters with a maximum (default_max_retry for ids without updateMaxRetry; a
 * negative maximum means unlimited). The functions returning int answer 0 for a NULL, unknown or
 * destroyed helper, with the reason as the last error. */
typedef struct sipw_retry sipw_retry;
typedef void (*sipw_retry_callback)(const char *id, void *user_data);

SIPW_API sipw_retry *sipw_retry_create(int default_max_retry, int base_delay_ms);
/* Cancels pending delayed retries and wakes sipw_retry_next_due (SIPW_ESHUTDOWN). Waits for a
 * running callback; may be called from inside that callback. NULL or already destroyed: no-op. */
SIPW_API void sipw_retry_destroy(sipw_retry *r);
SIPW_API void sipw_retry_update_max(sipw_retry *r, const char *id, int max_retry);
SIPW_API int  sipw_retry_get_count(sipw_retry *r, const char *id);
SIPW_API int  sipw_retry_is_max(sipw_retry *r, const char *id); /* 1 or 0 */
SIPW_API int  sipw_retry_retry(sipw_retry *r, const char *id);  /* 1 if a retry is allowed (counts it) */
SIPW_API void sipw_retry_reset(sipw_retry *r, const char *id);
/* Counts an attempt and schedules cb after a growing delay (base + (count-1) * increase_ms).
 * Returns the delay in ms, 0 if the maximum was reached (nothing scheduled), or a negative code.
 * cb runs on the retry helper's own timer thread; NULL cb: only counts and returns the delay. */
SIPW_API int  sipw_retry_delay(sipw_retry *r, const char *id, sipw_retry_callback cb, void *user_data,
                               int increase_ms);
/* Pull model, for callers that must not be called on a native thread (Python): like
 * sipw_retry_delay, but once the delay has passed `ticket` (any value the caller chooses) is
 * queued for sipw_retry_next_due instead of a callback running. */
SIPW_API int  sipw_retry_delay_queued(sipw_retry *r, const char *id, int increase_ms, long long ticket);
/* The next due ticket, waiting up to timeout_ms (< 0: forever): 1 with *ticket set, 0 when the
 * timeout passed, SIPW_ESHUTDOWN once the helper is destroyed. */
SIPW_API int  sipw_retry_next_due(sipw_retry *r, int timeout_ms, long long *ticket);
/* Readable while due tickets wait (and for good once destroyed), as sipw_event_fd. */
SIPW_API int  sipw_retry_fd(sipw_retry *r);

#ifdef __cplusplus
}
#endif
#endif /* SIPW_H */
