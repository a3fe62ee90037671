/* The pull model from plain C: sipw_next_event's three answers and sipw_event_fd waited on with
 * poll(), as an event loop would: readable while events are queued (level), not once drained,
 * readable for good when sipw_destroy begins, and -1 when the queue is off. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sipw.h"

static const char *kInit = "{\"uri\":\"sip:1001@127.0.0.1\",\"register\":false}";

static int readable(int fd, int timeout_ms) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* Posts n UNREGISTER (each answered by one `warning` event when not registered) and waits until
 * all n were emitted, through the wait_for backlog, which leaves the pull queue alone. */
static void emit_warnings(sipw_worker *w, int n) {
    sipw_event *ev;
    for (int i = 0; i < n; i++) CHECK(sipw_post(w, SIPW_CMD_UNREGISTER, NULL) == SIPW_OK);
    for (int i = 0; i < n; i++) {
        CHECK(sipw_next_match(w, SIPW_ON_WARNING, NULL, 5000, &ev) == 1);
        sipw_event_free(ev);
    }
}

static void queue_off_has_no_descriptor(void) {
    sipw_worker *w = sipw_create(NULL);
    sipw_event *ev = (sipw_event *)&ev; /* must be reset to NULL */
    CHECK(sipw_event_fd(w) == -1);
    CHECK(sipw_last_error_code() == SIPW_ESTATE);
    CHECK(strstr(sipw_last_error(), "eventQueue") != NULL);
    CHECK(sipw_next_event(w, 0, &ev) == SIPW_ESTATE && ev == NULL);
    sipw_destroy(w);
}

static void level_semantics(void) {
    sipw_worker *w = sipw_create("{\"eventQueue\": true}");
    sipw_event *ev;
    int fd = sipw_event_fd(w), pulled = 0;
    CHECK(fd >= 0);
    CHECK(sipw_event_fd(w) == fd); /* one descriptor per worker */
    CHECK(!readable(fd, 0));
    CHECK(sipw_next_event(w, 50, &ev) == 0 && ev == NULL); /* timed out */
    CHECK(strcmp(sipw_last_error(), "") == 0);
    CHECK(sipw_post(w, SIPW_CMD_INIT, kInit) == SIPW_OK);

    emit_warnings(w, 3);
    CHECK(readable(fd, 0));
    CHECK(readable(fd, 0)); /* level: still readable, nothing was pulled */
    CHECK(sipw_next_event(w, 0, &ev) == 1 && ev != NULL);
    CHECK(strcmp(sipw_event_name(ev), SIPW_ON_WARNING) == 0);
    sipw_event_free(ev);
    pulled++;
    CHECK(readable(fd, 0)); /* two left */
    while (sipw_next_event(w, 0, &ev) == 1) {
        sipw_event_free(ev);
        pulled++;
    }
    CHECK(pulled == 3);
    CHECK(!readable(fd, 0)); /* drained: not readable until the next event */

    emit_warnings(w, 1);
    CHECK(readable(fd, 1000));
    CHECK(sipw_next_event(w, 0, &ev) == 1);
    sipw_event_free(ev);
    CHECK(!readable(fd, 0));
    sipw_destroy(w);
}

struct poller {
    sipw_worker *w;
    int fd; /* a dup(): the worker closes its own during sipw_destroy */
    int woke, answer;
};

static void *poll_until_closed(void *arg) {
    struct poller *p = arg;
    sipw_event *ev;
    p->woke = readable(p->fd, 10000);
    p->answer = sipw_next_event(p->w, 0, &ev);
    return NULL;
}

static void destroy_wakes_a_poller(void) {
    struct poller p = {sipw_create("{\"eventQueue\": true}"), -1, 0, 0};
    pthread_t thread;
    sipw_event *ev;
    p.fd = dup(sipw_event_fd(p.w));
    CHECK(p.fd >= 0);
    CHECK(pthread_create(&thread, NULL, poll_until_closed, &p) == 0);
    sipw_destroy(p.w);
    pthread_join(thread, NULL);
    CHECK(p.woke);
    CHECK(p.answer == SIPW_ESHUTDOWN);
    CHECK(readable(p.fd, 0)); /* for good */
    CHECK(sipw_event_fd(p.w) == -1 && sipw_last_error_code() == SIPW_ESHUTDOWN);
    CHECK(sipw_next_event(p.w, 0, &ev) == SIPW_ESHUTDOWN && ev == NULL);
    close(p.fd);
}

int main(void) {
    queue_off_has_no_descriptor();
    level_semantics();
    destroy_wakes_a_poller();
    return checks_result("event descriptor test");
}
