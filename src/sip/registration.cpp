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

namespace {
// What our own stack would report for a request nobody answered.
SipOutcome localTimeout(const std::string &errorKey) {
    SipOutcome o;
    o.status = 408;
    o.reason = "Request Timeout";
    o.cause = "Request Timeout";
    o.local = true;
    o.errorKey = errorKey;
    return o;
}
}  // namespace

Registration::Registration(SipStack &stack, const Config &config, Callbacks callbacks)
    : stack_(stack), config_(config), callbacks_(std::move(callbacks)), auth_(config) {
    newHandle();
    SipTransport transport = stack.server().transport;
    if (config.keepAliveIntervalSec > 0 && (transport == SipTransport::Udp || transport == SipTransport::Tls)) {
        keepAlive_ = std::make_unique<KeepAlive>(stack, config, config.keepAliveIntervalSec * 1000,
                                                 [this](KeepAlive::Verdict verdict, int) { onKeepAlive(verdict); });
    }
}

Registration::~Registration() {
    cancelRefresh();
    deadlineTimer_.cancel();
    keepAlive_.reset();
    dropHandle();
}

void Registration::newHandle() {
    std::string to = "<" + config_.uri + ">";
    handle_ = nua_handle(stack_.nua(), this, SIPTAG_TO_STR(to.c_str()), TAG_END());
}

void Registration::dropHandle() {
    if (!handle_) return;
    nua_handle_bind(handle_, nullptr);
    nua_handle_destroy(handle_);
    handle_ = nullptr;
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
    armDeadline();
}

void Registration::unregister() {
    cancelRefresh();
    if (keepAlive_) keepAlive_->stop();
    check_ = Check::None;
    pending_ = Pending::Unregister;
    auth_.reset();
    nua_unregister(handle_, TAG_END());
    armDeadline();
}

void Registration::armDeadline() {
    deadlineTimer_.start(kAnswerDeadlineMs, [this] { onDeadline(); });
}

void Registration::onDeadline() {
    Pending was = pending_;
    Check check = check_;
    pending_ = Pending::None;
    check_ = Check::None;
    registered_ = false;
    if (keepAlive_) keepAlive_->stop();
    // sofia-sip would go on retransmitting for the rest of Timer F: abandon the transaction with
    // its handle; whatever comes next starts on a fresh one.
    dropHandle();
    newHandle();
    SipOutcome o = localTimeout(check == Check::NoAnswer ? "keepalive_timeout" : "");
    if (was == Pending::Unregister) callbacks_.onUnregistered(o);
    else callbacks_.onFailed(o);
}

void Registration::onKeepAlive(KeepAlive::Verdict verdict) {
    // A REGISTER on its way tells the same and more; an unregistered flow needs no keeping.
    if (!registered_ || pending_ != Pending::None) return;
    if (verdict == KeepAlive::Verdict::Alive) return;
    if (verdict == KeepAlive::Verdict::BindingLost) {
        if (!bindingAnswersMeanLoss_) return;
        gint64 interval = static_cast<gint64>(config_.keepAliveIntervalSec) * G_USEC_PER_SEC;
        if (rebindTimeUs_ && g_get_monotonic_time() - rebindTimeUs_ <
                                 2 * interval + KeepAlive::kAnswerDeadlineMs * gint64{1000}) {
            // Registered again a moment ago and still "not found": this server answers OPTIONS
            // to its users itself, so such answers say nothing about our binding.
            bindingAnswersMeanLoss_ = false;
            return;
        }
        check_ = Check::BindingLost;
        registerNow();
        return;
    }
    if (stack_.server().transport == SipTransport::Udp) {
        // A datagram flow has no connection to lose, and a keep-alive may be unlucky on a lossy
        // path: a REGISTER (with its own deadline) decides whether the server is gone.
        check_ = Check::NoAnswer;
        registerNow();
        return;
    }
    // A connection that carries nothing back for that long is dead.
    registered_ = false;
    keepAlive_->stop();
    cancelRefresh();
    callbacks_.onFailed(localTimeout("keepalive_timeout"));
}

void Registration::onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *, const sip_t *sip,
                              tagi_t[]) {
    if (event != nua_r_register && event != nua_r_unregister) return;
    if (status < 200) return;
    if ((status == 401 || status == 407) && auth_.answer(handle_, sip)) {
        if (pending_ != Pending::None) armDeadline();  // the server answers: its own time again
        return;
    }
    deadlineTimer_.cancel();

    SipOutcome outcome = sipOutcome(status, phrase, sip);
    if (status == 401 || status == 407) outcome.cause = "Authentication Error";
    Pending was = pending_;
    Check check = check_;
    pending_ = Pending::None;
    check_ = Check::None;

    if (event == nua_r_unregister || was == Pending::Unregister) {
        registered_ = false;
        if (keepAlive_) keepAlive_->stop();
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
        if (check == Check::BindingLost) rebindTimeUs_ = g_get_monotonic_time();
        scheduleRefresh(expires);
        if (keepAlive_) keepAlive_->start();
        callbacks_.onRegistered(outcome, expires);
        return;
    }
    registered_ = false;
    if (keepAlive_) keepAlive_->stop();
    if (check == Check::NoAnswer && outcome.transportFailure()) outcome.errorKey = "keepalive_timeout";
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
