// Instant messages (SIP MESSAGE, RFC 3428) and received OPTIONS: what JsSIP's UA.sendMessage and
// its newMessage / newOptions events do, on channels newMessage and newOptions.
//
// Sending: `newMessage` (originator local) as the MESSAGE goes out, then `message_succeeded` (2xx)
// or `message_failed` (statusCode, cause as JsSIP maps it). Receiving: the stack answers 200 and
// the message is announced as `newMessage` (originator remote). Loop thread only.
#pragma once

#include "base/event.hpp"
#include "config/config.hpp"
#include "sip/sip_stack.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sipw {

struct MessageRequest {
    std::string messageId;
    std::string targetUri;
    std::string body;
    std::string contentType = "text/plain";
    std::vector<std::string> extraHeaders;  // "Name: value"
    // The largest body sent (bytes): a MESSAGE is meant for short texts (RFC 3428 §7 asks for
    // 1300 bytes on UDP; a message this size still fits one UDP datagram).
    static constexpr std::size_t kMaxBodyBytes = 16 * 1024;
};

class InstantMessages {
public:
    using Emit = std::function<void(const CauseData &)>;
    InstantMessages(const Config &config, Emit emit);
    ~InstantMessages();  // pending messages let go of their handles (no event)
    InstantMessages(const InstantMessages &) = delete;
    InstantMessages &operator=(const InstantMessages &) = delete;

    // Announces the message (newMessage, originator local) and sends it; without a transport
    // (`stack` null) it fails at once with cause Connection Error, as JsSIP's does.
    void send(SipStack *stack, const MessageRequest &request);
    // `stack` is going away: its messages still waiting for an answer fail with Connection Error.
    void releaseStack(SipStack *stack);
    std::size_t pending() const { return outgoing_.size(); }

private:
    class Outgoing;
    void finished(Outgoing *message, const CauseData &event);

    const Config &config_;
    Emit emit_;
    std::map<Outgoing *, std::unique_ptr<Outgoing>> outgoing_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The events of requests that reached us (`sessionId` set for one inside a call): a MESSAGE on
// channel newMessage, an OPTIONS on channel newOptions, both originator remote.
CauseData receivedMessageEvent(const sip_t *sip, const std::string &sessionId = {});
CauseData receivedOptionsEvent(const sip_t *sip, const std::string &sessionId = {});

}  // namespace sipw
