// RFC 7118 rewriting between sofia-sip's TCP view of a flow and its WebSocket wire form.
//
// sofia-sip (Debian's 1.12) has no WebSocket transport, so it talks TCP to the worker's own
// loopback adapter (ws_adapter), which carries each SIP message over the WebSocket. The message
// text must then say "WS"/"WSS" to the server and "TCP" to sofia-sip:
//   to the server:  our top Via "SIP/2.0/TCP <loopback>" → "SIP/2.0/WS(S) <random>.invalid";
//                   our Contact host → <random>.invalid with ;transport=ws;
//                   responses to the server's requests get the server's own top Via back;
//                   one SIP message per WebSocket message, Content-Length recomputed.
//   to sofia-sip:   responses get our original top Via back (matched by branch);
//                   requests' top Via "SIP/2.0/WS(S)" → "SIP/2.0/TCP" (nta drops other
//                   transports: "Via check: invalid transport"); a Request-URI whose host is our
//                   .invalid host points back at the local contact; Content-Length recomputed.
// Pure text processing with no I/O, so it can be unit-tested and fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sipw::ws {

// The largest SIP message accepted in either direction (SDP offers are a few KiB).
constexpr std::size_t kMaxSipMessageBytes = 64 * 1024;

// Splits sofia-sip's TCP byte stream into whole SIP messages (RFC 3261 §18.3: Content-Length
// frames a stream). CRLF keep-alives between messages are dropped.
class SipStreamFramer {
public:
    enum class Result { Message, NeedMore, Error };

    explicit SipStreamFramer(std::size_t maxMessageBytes = kMaxSipMessageBytes) : max_(maxMessageBytes) {}
    void append(std::string_view bytes) { buffer_.append(bytes); }
    // Message: `out` holds the next message. Error: the stream cannot be framed (no or a bad
    // Content-Length, a message over the limit); `error` says why and the buffer is discarded.
    Result next(std::string &out, std::string &error);
    std::size_t buffered() const { return buffer_.size(); }

private:
    std::size_t max_;
    std::string buffer_;
};

// Remembers top Via values by branch for a while, so a response can carry back exactly the Via
// its request had. Bounded in size and age: the oldest entries go first.
class ViaMemory {
public:
    ViaMemory(std::size_t capacity, std::int64_t lifetimeUs) : capacity_(capacity), lifetimeUs_(lifetimeUs) {}
    void remember(const std::string &branch, const std::string &via, std::int64_t nowUs);
    // The Via remembered for `branch`, or null when unknown or expired.
    const std::string *find(const std::string &branch, std::int64_t nowUs);
    std::size_t size() const { return entries_.size(); }

private:
    void expire(std::int64_t nowUs);

    struct Entry {
        std::string via;
        std::int64_t addedUs;
    };
    std::size_t capacity_;
    std::int64_t lifetimeUs_;
    std::unordered_map<std::string, Entry> entries_;
    std::deque<std::pair<std::string, std::int64_t>> order_;  // (branch, addedUs), oldest first
};

// The rewriting state of one flow (one WebSocket, one sofia-sip transport).
class SipWsRewriter {
public:
    enum class Outcome {
        Forward,  // `out` is the message to send on
        Ignore,   // nothing to send (a CRLF keep-alive)
        Reject,   // not a SIP message we can carry; `error` says why
    };

    struct Options {
        bool secure = false;              // WSS rather than WS in our Via
        std::string invalidHost;          // "<random>.invalid": our Via and Contact host
        std::size_t viaCapacity = 4096;   // remembered Vias per direction
        std::int64_t viaLifetimeUs = 300LL * 1000 * 1000;  // longer than any INVITE transaction here
    };

    explicit SipWsRewriter(Options options);

    // A message sofia-sip wrote to the TCP stream, for the server.
    Outcome toWebSocket(std::string_view tcpMessage, std::string &out, std::string &error, std::int64_t nowUs);
    // A WebSocket message from the server, for sofia-sip.
    Outcome fromWebSocket(std::string_view wsMessage, std::string &out, std::string &error, std::int64_t nowUs);

    const std::string &invalidHost() const { return options_.invalidHost; }

private:
    Options options_;
    ViaMemory ourVias_;      // our requests' Vias, restored on the server's responses
    ViaMemory serverVias_;   // the server's requests' Vias, restored on our responses
    std::string localSentBy_;   // sofia-sip's Via sent-by ("127.0.0.1:40123")
    std::string localContact_;  // sofia-sip's Contact host:port, for Request-URIs sent to us
};

// A random host name "<10 letters and digits>.invalid" (RFC 7118 §5: the client has no address
// the server could reach, and .invalid names never resolve).
std::string randomInvalidHost();

}  // namespace sipw::ws
