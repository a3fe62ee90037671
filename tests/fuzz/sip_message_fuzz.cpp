// libFuzzer target for SIP messages as they reach a worker: the bytes of a datagram, or of a TCP
// stream cut into arbitrary reads, go through the parser entry sofia-sip's transport layer uses
// (msg_recv_iovec, msg_recv_commit, msg_extract, msg_next) with the message class every SipStack
// parses with (sipMessageClass(): sofia-sip's, with our repaired decoders), then through what the
// transaction layer does first (sip_sanity_check) and a copy re-encoded header by header, as when a
// response copies a request's headers. Nothing may crash, leak, hang or read out of bounds, and a
// request whose method only our decoders read must read the same again once re-encoded.
//
// Input layout: byte 0 = mode (bit 0: stream, bit 1: MSG_DO_COMPACT, bit 2: MSG_DO_EXTRACT_COPY as
// with transport logging on), byte 1 = size of each stream read (0: 256), the rest = wire bytes.
// Linked against the sofia-sip the worker uses (uninstrumented unless SIPW_FUZZ_SOFIA_LIB names an
// instrumented static build): coverage feedback comes from this file and our decoders.
#include "sip/sip_parser.hpp"

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_util.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

msg_t *newMessage(int flags) {
    msg_t *msg = msg_create(sipw::sipMessageClass(), flags);
    if (msg) msg_maxsize(msg, 65536);
    return msg;
}

// Appends `size` bytes to the message's receive buffer (what su_vrecv would read).
bool receive(msg_t *msg, const uint8_t *data, size_t size, bool exact, bool endOfStream) {
    if (size == 0) return msg_recv_commit(msg, 0, endOfStream) >= 0;
    msg_iovec_t iov[msg_n_fragments];
    issize_t n = msg_recv_iovec(msg, iov, msg_n_fragments, size, exact);
    if (n < 0) return false;
    size_t copied = 0;
    for (issize_t i = 0; i < n && copied < size; ++i) {
        size_t take = iov[i].mv_len < size - copied ? iov[i].mv_len : size - copied;
        memcpy(iov[i].mv_base, data + copied, take);
        copied += take;
    }
    return msg_recv_commit(msg, copied, endOfStream) >= 0;
}

// Serializes `msg` (every header re-encoded) and returns the text; empty on failure.
std::string reencoded(msg_t *msg) {
    msg_t *copy = msg_dup(msg);  // headers without their wire text: encoded anew
    if (!copy) return {};
    std::string text;
    if (msg_serialize(copy, nullptr) >= 0 && msg_prepare(copy) > 0) {
        size_t size = 0;
        if (char *buffer = msg_as_string(msg_home(copy), copy, nullptr, 0, &size)) text.assign(buffer, size);
    }
    msg_destroy(copy);
    return text;
}

bool methodOnlyWeRead(const sip_t *sip) {
    return sip->sip_request && sip->sip_request->rq_method == sip_method_unknown &&
           sip->sip_request->rq_method_name && strpbrk(sip->sip_request->rq_method_name, "`+%");
}

void inspect(msg_t *msg) {
    sip_t *sip = sip_object(msg);
    if (!sip || msg_extract_errors(msg) || !msg_is_complete(msg)) return;
    bool sane = sip_sanity_check(sip) == 0;
    std::string text = reencoded(msg);
    if (!sane || !methodOnlyWeRead(sip) || text.empty()) return;
    // Our request-line and CSeq decoders: what they read must survive its own encoding.
    msg_t *again = newMessage(MSG_DO_CANONIC);
    if (!again) return;
    bool parsed = receive(again, reinterpret_cast<const uint8_t *>(text.data()), text.size(), true, true) &&
                  msg_extract(again) > 0;
    sip_t *sip2 = sip_object(again);
    if (!parsed || !sip2 || !sip2->sip_request || !sip2->sip_cseq ||
        strcmp(sip2->sip_request->rq_method_name, sip->sip_request->rq_method_name) != 0 ||
        strcmp(sip2->sip_cseq->cs_method_name, sip->sip_cseq->cs_method_name) != 0) {
        fprintf(stderr, "a request read by our decoders does not read back the same:\n%s\n", text.c_str());
        abort();
    }
    msg_destroy(again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    uint8_t mode = data[0];
    size_t readSize = data[1] ? data[1] : 256;
    data += 2;
    size -= 2;
    int flags = MSG_DO_CANONIC | ((mode & 2) ? MSG_DO_COMPACT : 0) | ((mode & 4) ? MSG_DO_EXTRACT_COPY : 0);

    if (!(mode & 1)) {  // one datagram: the whole message at once (tport_recv_dgram)
        msg_t *msg = newMessage(flags);
        if (msg && receive(msg, data, size, true, true) && msg_extract(msg) > 0) inspect(msg);
        if (msg) msg_destroy(msg);
        return 0;
    }

    // A stream: reads of readSize bytes, messages back to back (tport_recv_stream + tport_parse).
    msg_t *msg = newMessage(flags);
    size_t offset = 0;
    for (int reads = 0; msg && reads < 100000; ++reads) {
        size_t n = size - offset < readSize ? size - offset : readSize;
        bool end = offset + n == size;
        if (!receive(msg, data + offset, n, false, end)) break;
        offset += n;
        for (;;) {
            int extracted = msg_extract(msg);
            if (extracted == 0 && !end) break;  // needs more bytes
            if (extracted <= 0) {               // an error, or cut short by the end of the stream
                msg_destroy(msg);
                msg = nullptr;
                break;
            }
            inspect(msg);
            msg_t *next = msg_next(msg);  // the bytes after this message start the next one
            msg_destroy(msg);
            msg = next;
            if (!msg) break;
        }
        if (end) break;
        if (!msg) msg = newMessage(flags);
    }
    if (msg) msg_destroy(msg);
    return 0;
}
