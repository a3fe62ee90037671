/* sipw_netem: loss and delay for the packets an iptables NFQUEUE rule hands to it.
 *
 * The kernel here has no sch_netem, so the tests make their own bad network: a rule such as
 *
 *   iptables -A OUTPUT -o lo -p udp -m multiport --ports 5060 -j NFQUEUE --queue-num 7 --queue-bypass
 *
 * queues the matching packets (on lo every packet passes OUTPUT once, so both directions of a
 * flow are affected, once each), and this program gives each one its verdict: dropped with
 * probability LOSS, otherwise accepted DELAY ms after it arrived. Verdicts are given late, from a
 * FIFO of held packet ids, so packets keep their order. A dropped packet is an NF_DROP verdict: the
 * sender sees no error (a DROP rule in OUTPUT would make its sendto() fail with EPERM).
 *
 * Usage: sipw_netem -q QUEUE [-l LOSS_PERCENT] [-d DELAY_MS] [-s SEED]
 * Prints "ready" once bound to the queue, and its counters when it ends. SIGTERM/SIGINT: every
 * held packet is accepted, then it exits 0. With --queue-bypass in the rule, packets pass untouched
 * whenever this program is not running.
 *
 * Only for private network namespaces (tests/netns-run.sh): it never looks at an address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RING_SIZE 65536 /* packets held at once; beyond that they are accepted at once */

struct held {
    uint32_t id;
    int64_t due_us;
};

static struct held ring[RING_SIZE];
static size_t ring_head, ring_count;
static double loss;       /* 0..1 */
static int64_t delay_us;
static unsigned long seen, dropped, delayed, overflowed;
static volatile sig_atomic_t stopping;

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *msg, struct nfq_data *data, void *unused) {
    (void)msg;
    (void)unused;
    struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
    if (!header) return 0;
    uint32_t id = ntohl(header->packet_id);
    ++seen;
    if (loss > 0 && drand48() < loss) {
        ++dropped;
        return nfq_set_verdict(queue, id, NF_DROP, 0, NULL);
    }
    if (delay_us <= 0) return nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
    if (ring_count == RING_SIZE) {
        ++overflowed;
        return nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
    }
    ring[(ring_head + ring_count) % RING_SIZE] = (struct held){id, now_us() + delay_us};
    ++ring_count;
    ++delayed;
    return 0;
}

/* Accepts every held packet that is due (all of them with `all`). */
static void release(struct nfq_q_handle *queue, int all) {
    int64_t now = now_us();
    while (ring_count > 0 && (all || ring[ring_head].due_us <= now)) {
        nfq_set_verdict(queue, ring[ring_head].id, NF_ACCEPT, 0, NULL);
        ring_head = (ring_head + 1) % RING_SIZE;
        --ring_count;
    }
}

static void usage(void) {
    fprintf(stderr, "usage: sipw_netem -q QUEUE [-l LOSS_PERCENT] [-d DELAY_MS] [-s SEED]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int queue_num = -1;
    long seed = (long)time(NULL);
    int opt;
    while ((opt = getopt(argc, argv, "q:l:d:s:")) != -1) {
        switch (opt) {
        case 'q': queue_num = atoi(optarg); break;
        case 'l': loss = atof(optarg) / 100.0; break;
        case 'd': delay_us = (int64_t)(atof(optarg) * 1000); break;
        case 's': seed = atol(optarg); break;
        default: usage();
        }
    }
    if (queue_num < 0 || queue_num > 65535 || loss < 0 || loss > 1 || delay_us < 0) usage();
    srand48(seed);

    struct nfq_handle *handle = nfq_open();
    if (!handle) {
        perror("sipw_netem: nfq_open");
        return 1;
    }
    struct nfq_q_handle *queue = nfq_create_queue(handle, (uint16_t)queue_num, on_packet, NULL);
    if (!queue) {
        perror("sipw_netem: nfq_create_queue (root in a network namespace? queue in use?)");
        nfq_close(handle);
        return 1;
    }
    /* Verdicts need only the packet id: copy no payload. A long kernel queue, and a large socket
     * buffer, so that holding packets for DELAY never overflows them. */
    nfq_set_mode(queue, NFQNL_COPY_META, 0);
    nfq_set_queue_maxlen(queue, RING_SIZE);
    int fd = nfq_fd(handle);
    int bufsize = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof bufsize);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);

    printf("ready queue %d loss %.1f%% delay %.1f ms seed %ld\n", queue_num, loss * 100, delay_us / 1000.0, seed);
    fflush(stdout);

    char buffer[4096] __attribute__((aligned));
    while (!stopping) {
        int timeout_ms = -1;
        if (ring_count > 0) {
            int64_t wait = ring[ring_head].due_us - now_us();
            timeout_ms = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int n = poll(&pfd, 1, timeout_ms);
        if (n < 0 && errno != EINTR) {
            perror("sipw_netem: poll");
            break;
        }
        if (n > 0 && (pfd.revents & POLLIN)) {
            for (;;) {
                ssize_t len = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
                if (len < 0) {
                    /* ENOBUFS: the kernel dropped notifications; those packets are lost (with
                     * --queue-bypass never the case for an empty queue). Go on. */
                    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS && errno != EINTR)
                        perror("sipw_netem: recv");
                    break;
                }
                nfq_handle_packet(handle, buffer, (int)len);
            }
        }
        release(queue, 0);
    }
    release(queue, 1);
    fprintf(stderr, "sipw_netem: seen %lu dropped %lu delayed %lu overflowed %lu\n", seen, dropped, delayed,
            overflowed);
    nfq_destroy_queue(queue);
    nfq_close(handle);
    return 0;
}
