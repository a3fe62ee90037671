// libFuzzer target for the RFC 7118 rewriting (src/sip_ws_rewrite): whatever a server or the
// loopback stream sends must never crash, hang or read out of bounds, and every message the
// rewriter forwards must itself be a well-formed message that survives a second pass.
//
// Input layout: first byte = flags (bit 0: WSS, bit 1: feed the TCP direction first), the rest
// is split at "\x00\x00" into successive messages, alternately from the server and from the
// stream, so Via memory and contact state built by one message meet the next.
#include "ws/sip_ws_rewrite.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using sipw::ws::SipStreamFramer;
using sipw::ws::SipWsRewriter;

namespace {

void mustReparse(SipWsRewriter &rewriter, const std::string &forwarded, bool towardServer) {
    // What we produced has a recomputed Content-Length and a valid Via: another pass must accept it.
    std::string again, error;
    auto outcome = towardServer ? rewriter.toWebSocket(forwarded, again, error, 0)
                                : rewriter.fromWebSocket(forwarded, again, error, 0);
    if (outcome != SipWsRewriter::Outcome::Forward) {
        fprintf(stderr, "forwarded message rejected on a second pass (%s):\n%s\n", error.c_str(), forwarded.c_str());
        abort();
    }
    // And the stream framer must cut exactly that message out of a stream.
    SipStreamFramer framer;
    framer.append(forwarded);
    std::string message;
    if (framer.next(message, error) != SipStreamFramer::Result::Message || message != forwarded) {
        fprintf(stderr, "forwarded message not framed back (%s):\n%s\n", error.c_str(), forwarded.c_str());
        abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    uint8_t flags = data[0];
    std::string_view input(reinterpret_cast<const char *>(data + 1), size - 1);
    SipWsRewriter::Options options;
    options.secure = flags & 1;
    options.invalidHost = "fuzz0000000.invalid";
    options.viaCapacity = 8;
    options.viaLifetimeUs = 50;
    SipWsRewriter rewriter(options);
    SipStreamFramer framer(4096);

    bool towardServer = flags & 2;
    std::int64_t now = 0;
    while (true) {
        std::size_t cut = input.find(std::string_view("\0\0", 2));
        std::string_view piece = input.substr(0, cut);
        std::string out, error;
        if (towardServer) {
            // The TCP direction goes through the framer, as in the adapter.
            framer.append(piece);
            std::string message;
            while (framer.next(message, error) == SipStreamFramer::Result::Message) {
                if (rewriter.toWebSocket(message, out, error, now) == SipWsRewriter::Outcome::Forward)
                    mustReparse(rewriter, out, false);
            }
        } else if (rewriter.fromWebSocket(piece, out, error, now) == SipWsRewriter::Outcome::Forward) {
            mustReparse(rewriter, out, true);
        }
        now += 10;
        towardServer = !towardServer;
        if (cut == std::string_view::npos) break;
        input.remove_prefix(cut + 2);
    }
    return 0;
}
