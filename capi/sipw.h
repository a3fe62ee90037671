/* sipw.h — sipworker: a native SIP softphone SDK (sofia-sip signaling, GStreamer webrtcbin media).
 *
 * Flat C ABI over the C++ core. Every string is UTF-8. Every function is safe to call from any
 * thread, and none blocks on the network. Results are 0 (or a positive id) on success and a
 * negative SIPW_E* code on failure; sipw_last_error() then explains why, in English and Chinese.
 *
 * Ownership: pointers returned as `const char *` are borrowed (see each function for how long
 * they stay valid); `char *` and `sipw_event *` returned by a function are owned by the caller
 * and freed with sipw_free() / sipw_event_free(). Freeing NULL is a harmless no-op.
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

typedef struct sipw_worker sipw_worker; /* one SIP user agent (the seed's SipWorker) */
typedef struct sipw_event  sipw_event;  /* one CauseData */

/* Called on the worker's dispatch thread (never on the SIP or media threads), in event order.
 * `ev` is borrowed: valid only during the call. A callback may call sipw_post, sipw_off and
 * sipw_destroy on its own worker without deadlocking. */
typedef void (*sipw_callback)(const sipw_event *ev, void *user_data);

/* Creates a worker. options_json: NULL or "{}" for defaults; {"eventQueue": true} enables the pull
 * queue of sipw_wait_event. Returns NULL on failure (see sipw_last_error). */
SIPW_API sipw_worker *sipw_create(const char *options_json);

/* Hangs up every call, unregisters (bounded wait), stops the threads and frees the worker.
 * Wakes every thread blocked in sipw_wait_event (they get NULL) and waits for them and for a
 * running callback. May be called from inside one of the worker's own callbacks. NULL: no-op. */
SIPW_API void sipw_destroy(sipw_worker *w);

/* Posts a command (the seed's cmd values: "INIT", "CALL", ...). Validates synchronously and
 * returns 0 or a negative SIPW_E* code; everything asynchronous is reported through events.
 * data_json may be NULL or "null" for commands without data. */
SIPW_API int sipw_post(sipw_worker *w, const char *cmd, const char *data_json);

/* Registers a listener. `name` matches an event whose channel or whose msg equals it; "*" matches
 * all. Returns a listener id > 0, or a negative code. */
SIPW_API int sipw_on(sipw_worker *w, const char *name, sipw_callback cb, void *user_data);

/* Removes a listener. Once it returns (on any thread other than the dispatch thread) the callback
 * is not running and will never run again; called from inside a callback it does not deadlock. */
SIPW_API int sipw_off(sipw_worker *w, int listener_id);

/* Pull model: the next event of the queue, waiting up to timeout_ms (< 0: forever, 0: poll).
 * NULL on timeout, when the queue is not enabled, or when the worker is being destroyed.
 * The caller owns the result (sipw_event_free). If the bounded queue had to drop events, the
 * puller receives a `warning` event saying how many before the next regular event. */
SIPW_API sipw_event *sipw_wait_event(sipw_worker *w, int timeout_ms);

/* Extension, the blocking helper both bindings use (SPEC §8 wait_for semantics): returns the first
 * event matching `name` (as sipw_on matches) and, if match_json is a JSON object, whose fields equal
 * all of its fields, that no earlier sipw_wait_for on this worker returned — including events that
 * arrived before the call (the worker keeps a bounded backlog). NULL on timeout. Caller frees. */
SIPW_API sipw_event *sipw_wait_for(sipw_worker *w, const char *name, const char *match_json,
                                   int timeout_ms);

SIPW_API void        sipw_event_free(sipw_event *ev);
SIPW_API const char *sipw_event_name(const sipw_event *ev); /* channel (an `on` value); borrowed */
SIPW_API const char *sipw_event_msg(const sipw_event *ev);  /* CauseData.msg; borrowed */
SIPW_API const char *sipw_event_json(const sipw_event *ev); /* the whole CauseData as JSON; borrowed */

/* Thread-local detail of the last failure on this thread ("English text / 中文说明"); valid until
 * the next sipw_* call on this thread. Empty string when the last call succeeded. */
SIPW_API const char *sipw_last_error(void);
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

/* ---- Retry helper (the seed's useRetry), also used by the worker's own reconnection ---------- */
typedef struct sipw_retry sipw_retry;
typedef void (*sipw_retry_callback)(const char *id, void *user_data);

SIPW_API sipw_retry *sipw_retry_create(int default_max_retry, int base_delay_ms);
SIPW_API void sipw_retry_destroy(sipw_retry *r); /* cancels pending delayed retries */
SIPW_API void sipw_retry_update_max(sipw_retry *r, const char *id, int max_retry);
SIPW_API int  sipw_retry_get_count(sipw_retry *r, const char *id);
SIPW_API int  sipw_retry_is_max(sipw_retry *r, const char *id); /* 1 or 0 */
SIPW_API int  sipw_retry_retry(sipw_retry *r, const char *id);  /* 1 if a retry is allowed (counts it) */
SIPW_API void sipw_retry_reset(sipw_retry *r, const char *id);
/* Schedules cb after a growing delay (count * increase_ms, at least base). Returns the delay in ms,
 * or 0 if the maximum was reached. cb runs on the retry helper's own timer thread. */
SIPW_API int  sipw_retry_delay(sipw_retry *r, const char *id, sipw_retry_callback cb, void *user_data,
                               int increase_ms);

#ifdef __cplusplus
}
#endif
#endif /* SIPW_H */
