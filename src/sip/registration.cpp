#include "sip/registration.hpp"

#include "base/i18n.hpp"
#include "base/loop_thread.hpp"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include <algorithm>
#include <climits>

namespace sipw {

SipOutcome sipOutcome(int status, const char *phrase, const sip_t *sip) {
    SipOutcome o;
    o.status = status;
    o.reason = phrase ? phrase : "";
    // Responses our own stack made up (timeouts, transport errors) look like the real thing, but
    // no server touched their Via: a server fills in `rport=` (RFC 3581, we always ask for it)
    // or `received=`.
    const sip_via_t *via = sip ? sip->sip_via : nullptr;
    bool serverTouchedVia = via && ((via->v_rport && *via->v_rport) || via->v_received);
    o.local = sip == nullptr || sip->sip_status == nullptr || !serverTouchedVia;
    if (status >= 900) {
        o.cause = status == 904 ? "Authentication Error" : "Internal Error";
    } else if (o.local && status == 408) {
        o.cause = "Request Timeout";
    } else if (o.local && status == 503) {
        o.cause = "Connection Error";
    } else {
        o.cause = std::string(i18n::causeForStatus(status));
    }
    return o;
}

Registration::Registration(SipStack &stack, const Config &config, Callbacks callbacks)
    : config_(config), callbacks_(std::move(callbacks)), auth_(config) {
    std::string to = "<" + config.uri + ">";
    handle_ = nua_handle(stack.nua(), this, SIPTAG_TO_STR(to.c_str()), TAG_END());
}

Registration::~Registration() {
    cancelRefresh();
    nua_handle_bind(handle_, nullptr);
    nua_handle_destroy(handle_);
}

void Registration::registerNow() {
    cancelRefresh();
    sendRegister();
}

void Registration::sendRegister() {
    pending_ = Pending::Register;
    auth_.reset();
    std::string expires = std::to_string(config_.registerExpires);
    nua_register(handle_, SIPTAG_EXPIRES_STR(expires.c_str()), TAG_END());
}

void Registration::unregister() {
    cancelRefresh();
    pending_ = Pending::Unregister;
    auth_.reset();
    nua_unregister(handle_, TAG_END());
}

void Registration::onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *, const sip_t *sip,
                              tagi_t[]) {
    if (event != nua_r_register && event != nua_r_unregister) return;
    if (status < 200) return;
    if ((status == 401 || status == 407) && auth_.answer(handle_, sip)) return;

    SipOutcome outcome = sipOutcome(status, phrase, sip);
    if (status == 401 || status == 407) outcome.cause = "Authentication Error";
    Pending was = pending_;
    pending_ = Pending::None;

    if (event == nua_r_unregister || was == Pending::Unregister) {
        registered_ = false;
        callbacks_.onUnregistered(outcome);
        return;
    }
    if (status >= 200 && status < 300) {
        auth_.reset();
        // The server may grant less than we asked: take the smallest expiry it states.
        int expires = INT_MAX;
        if (sip) {
            for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
                if (m->m_expires) expires = std::min(expires, atoi(m->m_expires));
            }
            if (expires == INT_MAX && sip->sip_expires) expires = static_cast<int>(sip->sip_expires->ex_delta);
        }
        if (expires == INT_MAX || expires <= 0) expires = config_.registerExpires;
        registered_ = true;
        scheduleRefresh(expires);
        callbacks_.onRegistered(outcome, expires);
        return;
    }
    registered_ = false;
    callbacks_.onFailed(outcome);
}

void Registration::scheduleRefresh(int expiresSec) {
    cancelRefresh();
    // Refresh before nua's own timer would (it picks a random point from a quarter of the interval,
    // or 60 s before the end for 90..300 s), so `registrationExpiring` always precedes the refresh.
    double at = (expiresSec > 90 && expiresSec < 300) ? expiresSec - 61 : std::max(0.5, (expiresSec + 2) / 4.0 - 1);
    refreshTimer_.start(static_cast<guint>(at * 1000), [this] { onRefreshTimer(); });
}

void Registration::cancelRefresh() { refreshTimer_.cancel(); }

void Registration::onRefreshTimer() {
    if (callbacks_.onExpiring) callbacks_.onExpiring();
    if (registered_ && pending_ == Pending::None) sendRegister();
}

}  // namespace sipw
