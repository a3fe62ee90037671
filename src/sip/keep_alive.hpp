// Keep-alives of a registered flow over UDP or TLS: an OPTIONS to our own address of record,
// through the server, every interval.
//
// The registrar routes it to the binding it holds for us, so the answer tells more than "the
// server is there": our own 200 (through the server) means the whole path works, NAT binding
// included; 404/410/480 means the server no longer knows our binding (a registrar restarted with
// its locations in memory); no answer within kAnswerDeadlineMs means the flow is dead. A server
// that answers OPTIONS for its users itself (200, or anything else but those) counts as alive.
//
// TCP flows are kept by sofia-sip's CRLF ping/pong (RFC 5626 §4.4.1) instead, and WebSocket
// flows by WebSocket pings (WsAdapter); sofia-sip 1.12 has neither for TLS.
//
// Lives on the loop thread, owned by the Registration, which decides what a verdict means.
#pragma once

#include "base/one_shot_timer.hpp"
#include "config/config.hpp"
#include "sip/digest_auth.hpp"
#include "sip/sip_stack.hpp"

#include <functional>

namespace sipw {

class KeepAlive : public NuaHandleOwner {
public:
    enum class Verdict {
        Alive,        // the server (or we, through it) answered
        BindingLost,  // the server answered that it cannot reach us by our registration
        NoAnswer,     // nothing within the deadline, or our own stack could not send
    };
    using Report = std::function<void(Verdict, int status)>;

    // How long one keep-alive may wait for its answer (RFC 5626 §4.4.1 gives a pong 10 s).
    static constexpr int kAnswerDeadlineMs = 10000;

    KeepAlive(SipStack &stack, const Config &config, int intervalMs, Report report);
    ~KeepAlive() override;
    KeepAlive(const KeepAlive &) = delete;
    KeepAlive &operator=(const KeepAlive &) = delete;

    // Whether a received OPTIONS is one of our own keep-alives coming back along the binding
    // (their Call-IDs carry a prefix of ours): answered, but not the application's business.
    static bool isOwnKeepAlive(const sip_t *sip);

    // The first keep-alive goes out one interval from now; nothing happens while one is pending.
    void start();
    void stop();
    bool running() const { return intervalTimer_.active() || outstanding_; }

    void onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *nh, const sip_t *sip,
                    tagi_t tags[]) override;

private:
    void send();
    void armDeadline();
    void finish(Verdict verdict, int status);
    void dropHandle();

    SipStack &stack_;
    const Config &config_;
    int intervalMs_;
    Report report_;
    nua_handle_t *handle_ = nullptr;  // kept between keep-alives: nua reuses the server's nonce
    DigestAuth auth_;
    bool outstanding_ = false;
    OneShotTimer intervalTimer_;
    OneShotTimer deadlineTimer_;
};

}  // namespace sipw
