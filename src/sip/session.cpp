#include "sip/session.hpp"

#include "base/i18n.hpp"
#include "base/loop_thread.hpp"
#include "sip/instant_messages.hpp"
#include "sip/registration.hpp"
#include "sip/request_details.hpp"

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

namespace sipw {

namespace {

std::string userOf(const std::string &uri) {
    auto colon = uri.find(':');
    auto at = uri.find('@');
    if (colon == std::string::npos || at == std::string::npos || at < colon) return {};
    return uri.substr(colon + 1, at - colon - 1);
}

// JsSIP's Reason header of a BYE or CANCEL ended with a status code.
std::string reasonHeader(int status, const std::string &phrase) {
    std::string text;
    for (char c : phraseFor(status, phrase))
        if (c != '"' && c != '\\') text += c;
    return "SIP ;cause=" + std::to_string(status) + " ;text=\"" + text + "\"";
}

// A refused INFO: said as a warning, the call goes on.
InfoDtmfSender::Failed infoDtmfFailed(Session::Host &host, const std::string &sessionId) {
    return [&host, sessionId](int status, const std::string &phrase) {
        host.emit(CauseData::warning("dtmf_failed", {std::to_string(status) + " " + phrase}, "remote",
                                     {{"sessionId", sessionId}, {"method", "info"}}));
    };
}

}  // namespace

std::string targetToUri(const std::string &target, const std::string &domain) {
    std::string t = target;
    while (!t.empty() && g_ascii_isspace(t.front())) t.erase(t.begin());
    while (!t.empty() && g_ascii_isspace(t.back())) t.pop_back();
    if (t.empty()) return {};
    for (char c : t) {
        if (static_cast<unsigned char>(c) < 0x21 || c == '<' || c == '>' || c == '"') return {};
    }
    if (g_ascii_strncasecmp(t.c_str(), "sip:", 4) == 0 || g_ascii_strncasecmp(t.c_str(), "sips:", 5) == 0) {
        return t.find_first_not_of(':', t.find(':')) == std::string::npos ? std::string() : t;
    }
    if (t.find('@') != std::string::npos) return "sip:" + t;
    return "sip:" + t + "@" + domain;
}

Session::Session(Host &host, SipStack *stack, const std::string &id, std::uint64_t generation,
                 const std::string &targetUri, CallOptions options, bool transportPending)
    : host_(host), stack_(stack), targetUri_(targetUri), options_(std::move(options)), auth_(host.config()),
      waitingForTransport_(!stack && transportPending), infoDtmf_(host.config(), infoDtmfFailed(host, id)) {
    info_.sessionId = id;
    info_.generation = generation;
    info_.direction = "outgoing";
    info_.state = "calling";
    info_.remoteUri = targetUri;
    info_.remoteUser = userOf(targetUri);
    info_.localUri = host.config().uri;
    info_.startTime = nowMillis();
}

Session::Session(Host &host, SipStack &stack, const std::string &id, nua_handle_t *nh, const sip_t *invite)
    : host_(host), stack_(&stack), handle_(nh), auth_(host.config()), infoDtmf_(host.config(), infoDtmfFailed(host, id)) {
    info_.sessionId = id;
    info_.direction = "incoming";
    info_.state = "ringing";
    RequestDetails details = detailsOf(invite);
    if (invite && invite->sip_from) {
        info_.remoteUri = validUtf8(details.fromUri);
        info_.remoteUser = validUtf8(invite->sip_from->a_url->url_user ? invite->sip_from->a_url->url_user : "");
        info_.remoteDisplayName = validUtf8(details.fromDisplayName);
    }
    info_.callId = details.callId;
    info_.toUri = details.toUri;
    info_.requestUri = details.requestUri;
    info_.headers = details.headers;
    newSessionData_ = {{"callId", details.callId}, {"toUri", details.toUri}, {"requestUri", details.requestUri},
                       {"headers", details.headers.is_null() ? nlohmann::json::object() : details.headers}};
    info_.localUri = host.config().uri;
    info_.startTime = nowMillis();
    remoteOffer_ = sdpOf(invite);
    // A body that is not SDP (RFC 3261 §8.2.3: 415 with the types we accept).
    if (remoteOffer_.empty() && !bodyOf(invite).empty() && invite->sip_content_type &&
        invite->sip_content_type->c_type)
        unsupportedBodyType_ = invite->sip_content_type->c_type;
}

Session::~Session() {
    if (media_) media_->close();
    releaseHandle();
}

void Session::attachStack(SipStack *stack) {
    if (!waitingForTransport_ || !stack) return;
    waitingForTransport_ = false;
    stack_ = stack;
    if (!ended() && !pendingOffer_.empty()) sendInvite(pendingOffer_);
}

void Session::releaseHandle() {
    if (!handle_) return;
    nua_handle_bind(handle_, nullptr);
    nua_handle_destroy(handle_);
    handle_ = nullptr;
}

void Session::addNewSessionData(const nlohmann::json &fields) {
    for (auto it = fields.begin(); it != fields.end(); ++it) newSessionData_[it.key()] = it.value();
    if (fields.contains("referredFrom")) info_.referredFrom = fields["referredFrom"].get<std::string>();
    if (fields.contains("replaces")) info_.replaces = fields["replaces"].get<std::string>();
}

CauseData Session::sessionEvent(const std::string &msg, const std::string &originator) const {
    auto ev = CauseData("new_RTCSession_state", msg).session(info_.sessionId, info_.direction).originator(originator);
    if (info_.direction == "incoming") ev.fromUri(info_.remoteUri);
    return ev;
}

void Session::emitState(const std::string &msg, const std::string &originator, int status, const std::string &reason) {
    auto ev = sessionEvent(msg, originator);
    if (status) ev.statusCode(status, reason);
    if (msg == "newRTCSession" && !newSessionData_.empty()) ev.data(newSessionData_);
    host_.emit(ev);
    if (msg == "session_progress" && originator == "remote") observe(SessionMilestone::Kind::Progress, status, reason);
    else if (msg == "session_accepted" && originator == "remote") observe(SessionMilestone::Kind::Accepted, status, reason);
    else if (msg == "session_confirmed") observe(SessionMilestone::Kind::Confirmed, 0, {});
}

const char *Session::keptPhrase(std::string phrase) {
    phrases_.push_back(std::move(phrase));
    return phrases_.back().c_str();
}

void Session::observe(SessionMilestone::Kind kind, int status, const std::string &reason, const std::string &cause) {
    if (observer_) observer_(SessionMilestone{kind, status, reason, cause});
}

void Session::transferStateChanged() {
    bool referring = transfer_.referring();
    if (wasReferring_ && !referring) ++info_.referOutcomes;
    wasReferring_ = referring;
    const auto &incoming = transfer_.incoming();
    bool waiting = incoming && !incoming->accepted;
    if (incoming && !hadIncomingRefer_) ++info_.incomingRefers;
    hadIncomingRefer_ = incoming.has_value();
    info_.referTarget = waiting ? incoming->targetUri : "";
    host_.publish(info_);
}

void Session::setState(const std::string &state) {
    info_.state = state;
    host_.publish(info_);
}

void Session::onMediaError(MediaError error, const std::string &detail) {
    if (ended()) return;
    switch (error) {
    case MediaError::IncompatibleSdp:
        if (answeringReinvite_) {
            answeringReinvite_ = false;
            nua_respond(handle_, SIP_488_NOT_ACCEPTABLE, TAG_END());
            host_.emit(CauseData::warning("sdp_incompatible", {detail}, "remote", {{"sessionId", info_.sessionId}}));
            return;
        }
        if (info_.state == "answering" || (info_.direction == "incoming" && info_.state == "ringing")) {
            nua_respond(handle_, SIP_488_NOT_ACCEPTABLE, TAG_END());
            canceled_ = true;
            if (info_.state == "answering") emitState("session_answer_failed", "system", 488, "Not Acceptable Here");
            end(Terminal::Failed, {"system", "Incompatible SDP", 488, detail});
            finishLater(kLingerMs);
            return;
        }
        [[fallthrough]];
    case MediaError::BadMediaDescription:
    case MediaError::IceFailed:
    case MediaError::MediaTimeout:
    case MediaError::Internal: {
        bool timedOut = error == MediaError::IceFailed || error == MediaError::MediaTimeout;
        std::string cause = timedOut                           ? "RTP Timeout"
                            : error == MediaError::Internal    ? "WebRTC Error"
                                                               : "Bad Media Description";
        bool answered = info_.state == "accepted" || info_.state == "confirmed";
        bool wasConfirmed = info_.state == "confirmed";
        if (answered) {
            nua_bye(handle_, TAG_END());
        } else if (info_.direction == "outgoing" && inviteSent_) {
            nua_cancel(handle_, TAG_END());
            canceled_ = true;
        } else if (info_.direction == "incoming" && handle_) {
            nua_respond(handle_, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
            canceled_ = true;
        }
        if (info_.state == "answering") emitState("session_answer_failed", "system");
        end(wasConfirmed ? Terminal::Ended : Terminal::Failed, {"system", cause, 0, detail});
        finishLater(handle_ ? kLingerMs : 0);
        return;
    }
    }
}

void Session::hangup(const HangupRequest &r) {
    if (ended()) return;
    bool isTimeout = r.isTimeout;
    timedOut_ = isTimeout;
    const std::string &state = info_.state;
    Outcome outcome{"local", isTimeout ? "Request Timeout" : "Canceled", 0, {}};
    std::string headers = headerLines(r.extraHeaders);
    // As JsSIP's terminate(): a status code on a BYE or CANCEL travels in a Reason header.
    std::string reason = r.statusCode ? reasonHeader(r.statusCode, r.reasonPhrase) : "";
    if (state == "confirmed" || state == "accepted") {
        nua_bye(handle_, TAG_IF(!reason.empty(), SIPTAG_REASON_STR(reason.c_str())),
                TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
        if (!isTimeout) outcome.cause = "Terminated";
        end(Terminal::Ended, outcome);
    } else if (info_.direction == "outgoing") {
        if (inviteSent_) {
            nua_cancel(handle_, TAG_IF(!reason.empty(), SIPTAG_REASON_STR(reason.c_str())),
                       TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
            canceled_ = true;
        }
        end(Terminal::Failed, outcome);
    } else {
        // An unanswered incoming call: 480 as JsSIP rejects by default, the chosen status, or
        // 408 if it timed out. A chosen status gets the cause JsSIP maps it to (486 → Busy).
        int status = isTimeout ? 408 : (r.statusCode ? r.statusCode : 480);
        std::string phrase = phraseFor(status, isTimeout ? "" : r.reasonPhrase);
        nua_respond(handle_, status, keptPhrase(phrase), TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())),
                    TAG_END());
        canceled_ = true;
        if (!isTimeout) outcome.cause = r.statusCode ? std::string(i18n::causeForStatus(status)) : "Rejected";
        outcome.status = status;
        outcome.reason = phrase;
        end(Terminal::Failed, outcome);
    }
    finishLater(handle_ ? kLingerMs : 0);
}

void Session::refer(const std::string &referTo, const std::vector<std::string> &extraHeaders) {
    if (ended() || !info_.confirmed() || !handle_ || referTo.empty()) {
        ++info_.referOutcomes;  // the worker's claim is released
        host_.publish(info_);
        if (!ended() && referTo.empty())  // an attended transfer whose other call ended meanwhile
            host_.emit(sessionEvent("refer_failed", "system").reason("the call to replace has ended"));
        return;
    }
    wasReferring_ = true;
    transfer_.refer(referTo, "<" + host_.config().uri + ">", extraHeaders);
}

std::string Session::replacesValue() const {
    if (!handle_) return {};
    su_home_t home[1] = {SU_HOME_INIT(home)};
    std::string out;
    if (sip_replaces_t *rp = nua_handle_make_replaces(handle_, home, 0)) {
        if (char *text = sip_header_as_string(home, reinterpret_cast<const sip_header_t *>(rp))) out = text;
    }
    su_home_deinit(home);
    return out;
}

void Session::abandon(const std::string &originator, const std::string &cause) {
    waitingForTransport_ = false;
    if (!ended()) {
        if (info_.state == "confirmed" || info_.state == "accepted") {
            nua_bye(handle_, TAG_END());
            end(Terminal::Ended, {originator, cause, 0, {}});
        } else {
            if (handle_ && info_.direction == "outgoing" && inviteSent_) nua_cancel(handle_, TAG_END());
            else if (handle_ && info_.direction == "incoming") nua_respond(handle_, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
            end(Terminal::Failed, {originator, cause, 0, {}});
        }
    }
    // Give nua the time to send the BYE/CANCEL; the stack's shutdown releases us sooner.
    finishLater(handle_ ? kLingerMs : 0);
}

void Session::end(Terminal how, const Outcome &o) {
    noAnswerTimer_.cancel();
    glareRetryTimer_.cancel();
    infoDtmf_.stop();
    info_.recording = info_.playingFile = false;  // media close() below finalizes both
    info_.endTime = nowMillis();
    info_.state = "terminated";
    transfer_.sessionEnded();
    info_.referTarget.clear();
    if (media_) {
        media_->close();  // finalizes a recording; no media callback after this
        MediaStats last = media_->stats();
        if (last.valid) info_.stats = last;  // the final counters stay readable
    }
    host_.publish(info_);
    if (o.cause == "Request Timeout") {
        auto timeout = CauseData("Request Timeout", "Request Timeout")
                           .session(info_.sessionId, info_.direction)
                           .originator(o.originator)
                           .cause(o.cause);
        if (info_.direction == "incoming") timeout.fromUri(info_.remoteUri);
        host_.emit(timeout);
    }
    auto ev = CauseData("new_RTCSession_state", how == Terminal::Ended ? "session_ended" : "session_failed")
                  .session(info_.sessionId, info_.direction)
                  .originator(o.originator)
                  .cause(o.cause);
    if (info_.direction == "incoming") ev.fromUri(info_.remoteUri);
    if (o.status) ev.statusCode(o.status, o.reason);
    else if (!o.reason.empty()) ev.reason(o.reason);
    host_.emit(ev);
    observe(how == Terminal::Ended ? SessionMilestone::Kind::Ended : SessionMilestone::Kind::Failed, o.status, o.reason,
            o.cause);
}

void Session::finishLater(int delayMs) {
    if (finished_) return;
    auto finish = [this] {
        finished_ = true;
        host_.finished(*this);  // may destroy this session
    };
    if (delayMs > 0) lingerTimer_.start(static_cast<guint>(delayMs), finish);
    else lingerTimer_.startIdle(finish);
}

void Session::onCallState(int callState) {
    if (callState == nua_callstate_ready && !ended() && info_.state == "accepted") {
        setState("confirmed");
        emitState("session_confirmed", info_.direction == "outgoing" ? "local" : "remote");
    } else if (callState == nua_callstate_terminated) {
        // nua is done with the dialog. A call that ended without a word from us or the peer
        // (e.g. the ACK never came) still gets its one terminal event.
        if (!ended()) {
            bool wasConfirmed = info_.state == "confirmed";
            end(wasConfirmed ? Terminal::Ended : Terminal::Failed,
                {"system", wasConfirmed ? "Terminated" : (info_.state == "accepted" ? "No ACK" : "Dialog Error"), 0, {}});
        }
        finishLater(0);
    }
}

void Session::onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *, const sip_t *sip,
                         tagi_t tags[]) {
    switch (event) {
    case nua_r_invite:
        onInviteResponse(status, phrase, sip);
        break;
    case nua_i_invite:
        // A re-INVITE on our dialog (the first INVITE of an incoming call goes to the host).
        if (ended()) nua_respond(handle_, SIP_481_NO_TRANSACTION, TAG_END());
        else onIncomingReinvite(sip);
        break;
    case nua_i_state: {
        int callState = -1;
        tl_gets(tags, NUTAG_CALLSTATE_REF(callState), TAG_END());
        onCallState(callState);
        break;
    }
    case nua_i_ack:
        if (offeringInReinvite_ && !ended()) onAckOfOurOffer(sip);
        break;
    case nua_i_bye:
        // JsSIP's causes.BYE: "Terminated" whoever hung up; the originator tells who did.
        if (!ended()) end(Terminal::Ended, {"remote", "Terminated", 0, {}});
        break;
    case nua_i_cancel:
        if (!ended()) end(Terminal::Failed, {"remote", "Canceled", 487, "Request Terminated"});
        break;
    case nua_i_info:
        if (status < 300) onIncomingInfo(sip);
        break;
    case nua_r_info:
        if (endOnDialogError(status, phrase, sip)) break;
        infoDtmf_.onResponse(status, phrase, sip);
        break;
    case nua_i_message:
        // Inside the call; nua has answered 200 (MESSAGE is enabled and not an application method).
        if (status < 300) host_.emit(receivedMessageEvent(sip, info_.sessionId));
        break;
    case nua_i_options:
        host_.emit(receivedOptionsEvent(sip, info_.sessionId));
        break;
    case nua_r_refer:
    case nua_i_refer:
    case nua_i_notify:
    case nua_r_notify:
        transfer_.onNuaEvent(event, status, phrase, sip, tags);
        break;
    case nua_r_bye:
    case nua_r_cancel:
    default:
        break;
    }
}

}  // namespace sipw
