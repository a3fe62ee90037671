// DTMF over SIP INFO (the fallback when a call has no RFC 4733 telephone-event): the
// application/dtmf-relay body we send, the bodies we accept, and a sender that paces the tones of
// one dialog, one INFO at a time, so they arrive in order.
#pragma once

#include "config/config.hpp"
#include "sip/digest_auth.hpp"
#include "base/one_shot_timer.hpp"

#include <sofia-sip/nua.h>

#include <glib.h>

#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace sipw {

struct InfoDtmf {
    char tone = 0;       // 0-9 * # A-D
    int durationMs = 0;
};

// "Signal=5\r\nDuration=160\r\n"
std::string dtmfRelayBody(char tone, int durationMs);

// The tone of an INFO body: application/dtmf-relay ("Signal=5", "Duration=160"; keys in any case,
// spaces allowed; a missing Duration is JsSIP's default, 100 ms) or application/dtmf (the tone
// alone, duration 100 ms). Signal 10..15 are read as * # A-D (RFC 4733 event codes).
// Nothing for another content type or a body without a valid tone.
std::optional<InfoDtmf> parseInfoDtmf(const std::string &contentType, const std::string &body);

// Sends tones as INFO requests on one dialog: the next INFO goes once the previous one has its
// final response and its tone's duration plus the gap have passed. Loop thread only.
class InfoDtmfSender {
public:
    // A tone was refused (final status >= 300, after a digest challenge was answered once): the
    // tones still queued are dropped.
    using Failed = std::function<void(int status, const std::string &phrase)>;

    InfoDtmfSender(const Config &config, Failed failed);
    ~InfoDtmfSender();
    InfoDtmfSender(const InfoDtmfSender &) = delete;
    InfoDtmfSender &operator=(const InfoDtmfSender &) = delete;

    void send(nua_handle_t *handle, const std::string &tones, int durationMs, int gapMs);
    // nua_r_info on that handle.
    void onResponse(int status, const char *phrase, const sip_t *sip);
    // The dialog is over: nothing more is sent.
    void stop();

private:
    struct Tone {
        char tone;
        int durationMs;
        int gapMs;
    };
    void sendNext();

    DigestAuth auth_;
    Failed failed_;
    nua_handle_t *handle_ = nullptr;
    std::deque<Tone> queue_;
    bool outstanding_ = false;  // an INFO without its final response
    gint64 nextAllowedUs_ = 0;  // monotonic time the next INFO may go
    OneShotTimer paceTimer_;
};

}  // namespace sipw
