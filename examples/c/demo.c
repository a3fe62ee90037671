/* sipworker demo: two user agents register with the local Kamailio (one over UDP, one over TLS
 * with certificate verification against the test CA) and call each other with real WebRTC media
 * (ICE, DTLS-SRTP, Opus): the caller sends a 440 Hz tone, the callee records what it hears and
 * the demo measures the tone's frequency in the recording. Every event is printed with its
 * Chinese text; a call to a number nobody registered shows a failure cause.
 * Usage: demo CA_FILE. Exit 0 when registration, the call and the measured tone are right. */
#include "sipw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Prints one CauseData on one line: channel, message with its Chinese text, then the whole JSON
 * (which carries cause/causeCN, statusCode and reason where they apply). */
static void print_event(const char *who, const sipw_event *ev) {
    printf("[%s] %-18s %s\n", who, sipw_event_msg(ev), sipw_event_json(ev));
    fflush(stdout);
}

/* Prints events until one with msg `name` (returns 1) or a failure (returns 0). When `session_id`
 * is given, the session id of the matching event is copied there. */
static int wait_session(sipw_worker *w, const char *who, const char *name, int timeout_ms, char *session_id,
                        size_t size) {
    sipw_event *ev;
    while ((ev = sipw_wait_event(w, timeout_ms)) != NULL) {
        const char *msg = sipw_event_msg(ev);
        int hit = strcmp(msg, name) == 0;
        int failed = strcmp(msg, "registrationFailed") == 0 || strcmp(msg, "session_failed") == 0;
        print_event(who, ev);
        if (hit && session_id) {
            /* sessionId is a plain token: read it straight from the JSON text. */
            const char *p = strstr(sipw_event_json(ev), "\"sessionId\":\"");
            size_t n = 0;
            if (p) {
                p += strlen("\"sessionId\":\"");
                while (p[n] && p[n] != '"' && n + 1 < size) n++;
                memcpy(session_id, p, n);
            }
            session_id[n] = '\0';
        }
        sipw_event_free(ev);
        if (hit) return 1;
        if (failed) return 0;
    }
    printf("[%s] timed out waiting for %s\n", who, name);
    return 0;
}

static int wait_for(sipw_worker *w, const char *who, const char *name, int timeout_ms) {
    return wait_session(w, who, name, timeout_ms, NULL, 0);
}

/* The dominant frequency (Hz, 1 Hz steps from 100 to 3000) of a 16-bit PCM WAV after its first
 * half second, by a Goertzel scan; 0 if the file cannot be read. */
static double dominant_frequency(const char *path) {
    FILE *f = fopen(path, "rb");
    unsigned char header[44];
    double best_hz = 0, best_power = 0;
    int16_t *pcm;
    long bytes;
    int rate, channels, n, start, hz, i;
    if (!f) return 0;
    if (fread(header, 1, sizeof header, f) != sizeof header) { fclose(f); return 0; }
    channels = header[22] | header[23] << 8;
    rate = header[24] | header[25] << 8 | header[26] << 16 | header[27] << 24;
    fseek(f, 0, SEEK_END);
    bytes = ftell(f) - 44;
    fseek(f, 44, SEEK_SET);
    if (channels < 1 || rate < 8000 || bytes <= 0) { fclose(f); return 0; }
    pcm = malloc((size_t)bytes);
    n = (int)(fread(pcm, 1, (size_t)bytes, f) / 2 / (size_t)channels);
    fclose(f);
    start = rate / 2;
    if (n - start > 2 * rate) n = start + 2 * rate; /* two seconds are plenty */
    for (hz = 100; hz <= 3000 && n > start; hz++) {
        double coeff = 2 * cos(2 * M_PI * hz / rate), s1 = 0, s2 = 0, power;
        for (i = start; i < n; i++) {
            double s0 = pcm[i * channels] + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
        if (power > best_power) best_power = power, best_hz = hz;
    }
    free(pcm);
    return best_hz;
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

    /* A real call: 1001 (UDP) calls 1002 (TLS); media flows directly between them over ICE. */
    {
        char recording[256], session[128] = "", incoming[128] = "", command[512];
        double hz;
        snprintf(recording, sizeof recording, "/tmp/sipworker-demo-%d.wav", (int)getpid());
        printf("\n--- 1001 calls 1002, sending a 440 Hz tone; 1002 records what it hears ---\n");
        if (sipw_post(alice, "CALL", "{\"target\":\"1002\",\"sessionId\":\"demo-call\","
                                     "\"options\":{\"audio\":{\"input\":\"tone:440\",\"output\":\"null\"}}}") != SIPW_OK)
            printf("[1001/udp] CALL: %s\n", sipw_last_error());
        ok &= wait_session(bob, "1002/tls", "newRTCSession", 5000, incoming, sizeof incoming);
        snprintf(command, sizeof command,
                 "{\"sessionId\":\"%s\",\"options\":{\"audio\":{\"input\":\"silence\",\"output\":\"file:%s\"}}}",
                 incoming, recording);
        if (sipw_post(bob, "ANSWER", command) != SIPW_OK) printf("[1002/tls] ANSWER: %s\n", sipw_last_error());
        ok &= wait_session(alice, "1001/udp", "session_confirmed", 5000, session, sizeof session);
        ok &= wait_for(bob, "1002/tls", "session_confirmed", 5000);
        sleep(3);
        sipw_post(alice, "HANGUP", "{\"sessionId\":\"demo-call\"}");
        ok &= wait_for(alice, "1001/udp", "session_ended", 5000);
        ok &= wait_for(bob, "1002/tls", "session_ended", 5000);
        hz = dominant_frequency(recording);
        printf("[1002/tls] recorded %s: dominant frequency %.0f Hz (sent: 440 Hz) -> %s\n", recording, hz,
               fabs(hz - 440) <= 440 * 0.02 ? "OK" : "WRONG");
        ok &= fabs(hz - 440) <= 440 * 0.02;
        remove(recording);

        printf("\n--- 1001 calls 1999, which nobody registered ---\n");
        sipw_post(alice, "CALL", "{\"target\":\"1999\"}");
        wait_for(alice, "1001/udp", "session_failed", 10000);
        printf("\n");
    }

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
    printf(ok ? "demo finished: both user agents registered, called each other and unregistered\n" : "demo FAILED\n");
    return ok ? 0 : 1;
}
