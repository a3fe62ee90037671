/* sipworker demo: two user agents register with the local Kamailio (one over UDP, one over TLS
 * with certificate verification against the test CA), print every event with its Chinese text,
 * then unregister. Usage: demo CA_FILE [SERVER_HOST]. Exit 0 when both registered. */
#include "sipw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints one CauseData on one line: channel, message with its Chinese text, then the whole JSON
 * (which carries cause/causeCN, statusCode and reason where they apply). */
static void print_event(const char *who, const sipw_event *ev) {
    printf("[%s] %-18s %s\n", who, sipw_event_msg(ev), sipw_event_json(ev));
    fflush(stdout);
}

static int wait_for(sipw_worker *w, const char *who, const char *name, int timeout_ms) {
    sipw_event *ev;
    while ((ev = sipw_wait_event(w, timeout_ms)) != NULL) {
        int hit = strcmp(sipw_event_msg(ev), name) == 0;
        int failed = strcmp(sipw_event_msg(ev), "registrationFailed") == 0;
        print_event(who, ev);
        sipw_event_free(ev);
        if (hit) return 1;
        if (failed) return 0;
    }
    printf("[%s] timed out waiting for %s\n", who, name);
    return 0;
}

static sipw_worker *start(const char *who, const char *init) {
    sipw_worker *w = sipw_create("{\"eventQueue\": true}");
    if (!w || sipw_post(w, "INIT", init) != SIPW_OK) {
        fprintf(stderr, "[%s] INIT failed: %s\n", who, sipw_last_error());
        exit(1);
    }
    return w;
}

int main(int argc, char **argv) {
    const char *ca = argc > 1 ? argv[1] : "tests/servers/run/certs/ca.pem";
    char init_udp[512], init_tls[1024];
    int ok = 1;
    sipw_worker *alice, *bob;

    printf("sipworker %s demo\n", sipw_version());
    snprintf(init_udp, sizeof init_udp,
             "{\"uri\":\"sip:1001@127.0.0.1\",\"password\":\"pass1001\",\"sipWorkerid\":\"demo-udp\","
             "\"sipServer\":[\"udp://127.0.0.1:5060\"],\"audio\":{\"input\":\"silence\",\"output\":\"null\"}}");
    snprintf(init_tls, sizeof init_tls,
             "{\"uri\":\"sip:1002@127.0.0.1\",\"password\":\"pass1002\",\"sipWorkerid\":\"demo-tls\","
             "\"sipServer\":[\"sips:127.0.0.1:5061\"],\"tls\":{\"verify\":true,\"caFile\":\"%s\"},"
             "\"audio\":{\"input\":\"silence\",\"output\":\"null\"}}", ca);

    alice = start("1001/udp", init_udp);
    bob = start("1002/tls", init_tls);
    ok &= wait_for(alice, "1001/udp", "registered", 5000);
    ok &= wait_for(bob, "1002/tls", "registered", 5000);

    /* A wrong password, to show a failure with its Chinese cause. */
    {
        sipw_worker *mallory = start("1003/bad", "{\"uri\":\"sip:1003@127.0.0.1\",\"password\":\"wrong\","
                                                 "\"sipWorkerid\":\"demo-bad\",\"sipServer\":[\"udp://127.0.0.1:5060\"]}");
        wait_for(mallory, "1003/bad", "registrationFailed", 5000);
        sipw_destroy(mallory);
    }
    /* And a synchronous error, with both texts. */
    if (sipw_post(alice, "DANCE", NULL) != SIPW_OK) printf("[1001/udp] sipw_post(\"DANCE\"): %s\n", sipw_last_error());

    sipw_post(alice, "LOGOUT", NULL);
    sipw_post(bob, "LOGOUT", NULL);
    ok &= wait_for(alice, "1001/udp", "disconnected", 5000);
    ok &= wait_for(bob, "1002/tls", "disconnected", 5000);
    sipw_destroy(alice);
    sipw_destroy(bob);
    printf(ok ? "demo finished: both user agents registered and unregistered\n" : "demo FAILED\n");
    return ok ? 0 : 1;
}
