/* A plain C99 program: only the public header, only libsipw. Checks that the ABI is usable from
 * C as documented (no C++ leaks into the header, codes and texts as promised). */
#define _POSIX_C_SOURCE 200809L
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sipw.h"

static int warnings = 0;
static void on_warning(const sipw_event *ev, void *user_data) {
    (void)user_data;
    if (strcmp(sipw_event_name(ev), "warning") == 0) warnings++;
}

int main(void) {
    sipw_worker *w = sipw_create("{\"eventQueue\": true}");
    sipw_event *ev;
    int id, pulled = 0;
    CHECK(w != NULL);
    CHECK(strcmp(sipw_version(), SIPW_VERSION_STRING) == 0);

    CHECK(sipw_post(w, "CALL", "{\"target\":\"1002\"}") != 0);
    CHECK(sipw_post(w, SIPW_CMD_NOTIFY, NULL) == SIPW_ENOCMD); /* the named constants of sipw_names.h */
    CHECK(strstr(sipw_last_error(), "NOTIFY") != NULL);
    CHECK(sipw_post(w, SIPW_CMD_INIT, "{\"uri\": 1}") == SIPW_EINVAL);
    CHECK(sipw_post(w, "LOGIN", NULL) == SIPW_ESTATE);
    CHECK(sipw_post(w, "INIT", "{\"uri\":\"sip:1001@127.0.0.1\",\"register\":false}") == SIPW_OK);
    CHECK(strcmp(sipw_last_error(), "") == 0);

    id = sipw_on(w, "warning", on_warning, NULL);
    CHECK(id > 0);
    CHECK(sipw_post(w, "UNREGISTER", "null") == SIPW_OK); /* not registered: a warning event */
    while ((ev = sipw_wait_event(w, 1000)) != NULL) {
        CHECK(sipw_event_json(ev)[0] == '{');
        CHECK(strlen(sipw_event_msg(ev)) > 0);
        sipw_event_free(ev);
        if (++pulled == 1) break;
    }
    CHECK(pulled == 1);
    /* the listener runs on the dispatch thread, independently of the puller: give it time */
    for (int i = 0; i < 200 && warnings == 0; i++) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    CHECK(sipw_off(w, id) == SIPW_OK);
    CHECK(warnings == 1);
    CHECK(sipw_session_info(w, "none") == NULL);
    sipw_destroy(w);

    return checks_result("plain C API test");
}
