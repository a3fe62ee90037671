#include "sip/keep_alive.hpp"

#include "base/random_id.hpp"
#include "sip/registration.hpp"

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>

#include <cstring>

namespace sipw {

KeepAlive::KeepAlive(SipStack &stack, const Config &config, int intervalMs, Report report)
    : stack_(stack), config_(config), intervalMs_(intervalMs), report_(std::move(report)), auth_(config) {}

KeepAlive::~KeepAlive() { stop(); }

void KeepAlive::start() {
    if (running() || intervalMs_ <= 0) return;
    intervalTimer_.start(static_cast<guint>(intervalMs_), [this] { send(); });
}

void KeepAlive::stop() {
    intervalTimer_.cancel();
    deadlineTimer_.cancel();
    outstanding_ = false;
    dropHandle();
}

namespace {
constexpr char kCallIdPrefix[] = "sipw-keepalive-";
}

bool KeepAlive::isOwnKeepAlive(const sip_t *sip) {
    const char *id = sip && sip->sip_call_id ? sip->sip_call_id->i_id : nullptr;
    return id && std::strncmp(id, kCallIdPrefix, sizeof kCallIdPrefix - 1) == 0;
}

void KeepAlive::dropHandle() {
    if (!handle_) return;
    nua_handle_bind(handle_, nullptr);
    nua_handle_destroy(handle_);  // an unanswered OPTIONS is abandoned with it
    handle_ = nullptr;
}

void KeepAlive::send() {
    if (!handle_) {
        std::string aor = "<" + config_.uri + ">";
        std::string callId = kCallIdPrefix + randomId();
        handle_ = nua_handle(stack_.nua(), this, SIPTAG_TO_STR(aor.c_str()), SIPTAG_CALL_ID_STR(callId.c_str()),
                             TAG_END());
    }
    outstanding_ = true;
    auth_.reset();
    nua_options(handle_, TAG_END());
    armDeadline();
}

void KeepAlive::armDeadline() {
    deadlineTimer_.start(kAnswerDeadlineMs, [this] {
        // The transaction may still be retransmitting: abandon it with its handle.
        dropHandle();
        finish(Verdict::NoAnswer, 408);
    });
}

void KeepAlive::finish(Verdict verdict, int status) {
    deadlineTimer_.cancel();
    outstanding_ = false;
    intervalTimer_.start(static_cast<guint>(intervalMs_), [this] { send(); });
    report_(verdict, status);  // may stop or destroy this object
}

void KeepAlive::onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *, const sip_t *sip,
                           tagi_t[]) {
    if (event != nua_r_options || !outstanding_ || status < 200) return;
    if ((status == 401 || status == 407) && auth_.answer(handle_, sip)) {
        armDeadline();  // the server answered: the authenticated request gets its own time
        return;
    }
    SipOutcome o = sipOutcome(status, phrase, sip);
    Verdict verdict = Verdict::Alive;
    if (o.local && (status == 408 || status == 503)) {
        verdict = Verdict::NoAnswer;
    } else if (!o.local && (status == 404 || status == 408 || status == 410 || status == 480)) {
        // 408 from the server: it forwarded the OPTIONS along our binding and nobody answered.
        verdict = Verdict::BindingLost;
    }
    finish(verdict, status);
}

}  // namespace sipw
