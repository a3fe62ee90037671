#include "sip/session.hpp"

#include "base/i18n.hpp"
#include "base/loop_thread.hpp"
#include "sip/registration.hpp"

#include <algorithm>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

namespace sipw {

namespace {

// After the terminal event, how long nua may take to finish the dialog (CANCEL answered, BYE
// answered) before the session is dropped regardless: a little over Timer F with our T1x64.
constexpr int kLingerMs = 12000;

// A hold/resume re-INVITE answered 491 (glare, both sides re-INVITEd at once) is retried after
// the RFC 3261 §14.1 delay; a peer that keeps answering 491 has refused it after this many.
constexpr int kMaxGlareRetries = 4;

std::string urlText(const url_t *url) {
    if (!url) return {};
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char *text = url_as_string(home, url);
    std::string out = text ? text : "";
    su_home_deinit(home);
    return out;
}

std::string unquoted(const char *display) {
    if (!display) return {};
    std::string s = display;
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        out += s[i];
    }
    return out;
}

std::string userOf(const std::string &uri) {
    auto colon = uri.find(':');
    auto at = uri.find('@');
    if (colon == std::string::npos || at == std::string::npos || at < colon) return {};
    return uri.substr(colon + 1, at - colon - 1);
}

std::string bodyOf(const sip_t *sip) {
    if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) return {};
    return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

std::string sdpOf(const sip_t *sip) {
    if (sip && sip->sip_content_type && sip->sip_content_type->c_type &&
        g_ascii_strncasecmp(sip->sip_content_type->c_type, "application/sdp", 15) != 0)
        return {};
    return bodyOf(sip);
}

// extraHeaders joined as nua wants them (SIPTAG_HEADER_STR takes CRLF-separated lines).
std::string headerLines(const std::vector<std::string> &headers) {
    std::string out;
    for (const auto &h : headers) {
        if (!out.empty()) out += "\r\n";
        out += h;
    }
    return out;
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

Session::Session(Host &host, SipStack *stack, const std::string &id, const std::string &targetUri,
                 CallOptions options, bool transportPending)
    : host_(host), stack_(stack), targetUri_(targetUri), options_(std::move(options)), auth_(host.config()),
      waitingForTransport_(!stack && transportPending), infoDtmf_(host.config(), infoDtmfFailed(host, id)) {
    info_.sessionId = id;
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
    if (invite && invite->sip_from) {
        info_.remoteUri = urlText(invite->sip_from->a_url);
        info_.remoteUser = invite->sip_from->a_url->url_user ? invite->sip_from->a_url->url_user : "";
        info_.remoteDisplayName = unquoted(invite->sip_from->a_display);
    }
    info_.localUri = host.config().uri;
    info_.startTime = nowMillis();
    remoteOffer_ = sdpOf(invite);
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

void Session::emitState(const std::string &msg, const std::string &originator, int status, const std::string &reason) {
    auto ev = CauseData("new_RTCSession_state", msg).session(info_.sessionId, info_.direction).originator(originator);
    if (info_.direction == "incoming") ev.fromUri(info_.remoteUri);
    if (status) ev.statusCode(status, reason);
    host_.emit(ev);
}

void Session::setState(const std::string &state) {
    info_.state = state;
    host_.publish(info_);
}

void Session::createMedia(const CallOptions &options) {
    MediaOptions media = host_.config().media;
    if (options.input) media.input = *options.input;
    if (options.output) media.output = *options.output;
    options.media.applyTo(media);
    // The address toward the SIP server (over WebSocket the stack itself talks to loopback).
    const auto &servers = host_.config().servers;
    media.localAddress = servers.empty() ? (stack_ ? stack_->localAddress() : std::string())
                                         : localAddressToward(servers.front().host, servers.front().port);
    // libnice never gathers loopback addresses. With the SIP server on loopback the peers are
    // on this host (tests, demos, a local PBX), so loopback is the address to use.
    if (media.ice.addresses.empty()) {
        std::string local = stack_ ? stack_->localAddress() : (servers.empty() ? "" : servers.front().host);
        if (g_str_has_prefix(local.c_str(), "127.") || local == "::1") media.ice.addresses = {local};
    }
    MediaSession::Callbacks callbacks;
    callbacks.onLocalDescription = [this](const std::string &sdp) { onLocalDescription(sdp); };
    callbacks.onError = [this](MediaError e, const std::string &detail) { onMediaError(e, detail); };
    callbacks.onConnected = [this] {
        info_.mediaConnected = true;
        info_.telephoneEvent = media_ && media_->telephoneEventNegotiated();
        host_.publish(info_);
    };
    callbacks.onNegotiated = [this](const std::string &profile, const std::string &codec) {
        info_.profile = profile;
        info_.codec = codec;
        host_.publish(info_);
    };
    callbacks.onFirstAudio = [this] { info_.firstAudioTime = nowMillis(); host_.publish(info_); };
    callbacks.onWarning = [this](const std::string &key, const std::string &arg) {
        host_.emit(CauseData::warning(key, {arg}, "system", {{"sessionId", info_.sessionId}}));
    };
    callbacks.onDtmf = [this](char tone, int durationMs) { emitReceivedDtmf(tone, durationMs, "rfc4733"); };
    callbacks.onPlayFileEnded = [this] { stopPlayingFile("finished"); };
    callbacks.onDtmfFailed = [this](const std::string &detail) {
        host_.emit(CauseData::warning("dtmf_failed", {detail}, "system",
                                      {{"sessionId", info_.sessionId}, {"method", "rfc4733"}}));
    };
    // An incoming call's media answers its offer, in the profile the offer asks for.
    std::string offer = info_.direction == "incoming" ? remoteOffer_ : std::string();
    media_ = host_.media().create(g_main_context_get_thread_default(), media, std::move(callbacks), offer);
    info_.profile = media_->profile();
    host_.publish(info_);
}

void Session::start() {
    host_.publish(info_);
    if (info_.direction == "outgoing") {
        emitState("newRTCSession", "local");
        if (!stack_ && !waitingForTransport_) {
            end(Terminal::Failed, {"system", "Connection Error", 0, {}});
            finishLater(0);
            return;
        }
        createMedia(options_);
        media_->createOffer();
        return;
    }
    // Incoming: nothing is built for an offer we could never answer.
    std::string why = "no SDP offer in the INVITE";
    if (!remoteOffer_.empty()) {
        RemoteDescription offer = host_.media().describe(remoteOffer_, host_.config().media);
        why = offer.unusableReason;
        info_.profile = offer.profile;
        host_.publish(info_);
    }
    emitState("newRTCSession", "remote");
    if (!why.empty()) {
        // A quoted-string (RFC 3261 §25.1): the reason's own quotes become single ones.
        std::string text = why;
        std::replace(text.begin(), text.end(), '"', '\'');
        std::replace(text.begin(), text.end(), '\\', '/');
        nua_respond(handle_, SIP_488_NOT_ACCEPTABLE, SIPTAG_WARNING_STR(("399 sipworker \"" + text + "\"").c_str()), TAG_END());
        canceled_ = true;
        end(Terminal::Failed, {"system", remoteOffer_.empty() ? "Missing SDP" : "Incompatible SDP", 488, why});
        finishLater(kLingerMs);
        return;
    }
    nua_respond(handle_, SIP_180_RINGING, TAG_END());
    startNoAnswerTimer();
}

void Session::startNoAnswerTimer() {
    noAnswerTimer_.startSeconds(static_cast<guint>(host_.config().noAnswerTimeoutSec), [this] {
        if (info_.state != "ringing") return;
        nua_respond(handle_, SIP_408_REQUEST_TIMEOUT, TAG_END());
        canceled_ = true;
        end(Terminal::Failed, {"local", "No Answer", 408, "No Answer"});
        finishLater(kLingerMs);
    });
}

void Session::answer(const CallOptions &options) {
    if (info_.state != "ringing") return;  // the worker checked; the state moved on since
    noAnswerTimer_.cancel();
    options_ = options;
    setState("answering");
    createMedia(options_);
    media_->acceptOffer(remoteOffer_);
}

void Session::sendInvite(const std::string &sdp) {
    std::string to = "<" + targetUri_ + ">";
    handle_ = nua_handle(stack_->nua(), this, SIPTAG_TO_STR(to.c_str()), TAG_END());
    std::string headers = headerLines(options_.extraHeaders);
    nua_invite(handle_, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
               TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
    inviteSent_ = true;
    emitState("session_connecting", "local");
}

void Session::onLocalDescription(const std::string &sdp) {
    if (ended()) return;
    if (answeringReinvite_) {
        answeringReinvite_ = false;
        nua_respond(handle_, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
        sendHoldChangeIfWanted();  // a HOLD/UNHOLD that came while we answered
        return;
    }
    if (reinviteOutstanding_) {
        if (reinviteSent_) return;
        reinviteSent_ = true;
        nua_invite(handle_, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
        return;
    }
    if (info_.direction == "outgoing") {
        if (inviteSent_) return;
        if (stack_) sendInvite(sdp);
        else pendingOffer_ = sdp;
        return;
    }
    if (info_.state == "answering") {
        std::string headers = headerLines(options_.extraHeaders);
        nua_respond(handle_, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
                    TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
        info_.answerTime = nowMillis();
        setState("accepted");
        emitState("session_accepted", "local", 200, "OK");
    }
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
        if (info_.state == "answering") {
            nua_respond(handle_, SIP_488_NOT_ACCEPTABLE, TAG_END());
            canceled_ = true;
            emitState("session_answer_failed", "system", 488, "Not Acceptable Here");
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

void Session::hangup(bool isTimeout) {
    if (ended()) return;
    timedOut_ = isTimeout;
    const std::string &state = info_.state;
    Outcome outcome{"local", isTimeout ? "Request Timeout" : "Canceled", 0, {}};
    if (state == "confirmed" || state == "accepted") {
        nua_bye(handle_, TAG_END());
        if (!isTimeout) outcome.cause = "Terminated";
        end(Terminal::Ended, outcome);
    } else if (info_.direction == "outgoing") {
        if (inviteSent_) {
            nua_cancel(handle_, TAG_END());
            canceled_ = true;
        }
        end(Terminal::Failed, outcome);
    } else {
        // An unanswered incoming call: 480 as JsSIP rejects by default; 408 if it timed out.
        if (isTimeout) nua_respond(handle_, SIP_408_REQUEST_TIMEOUT, TAG_END());
        else nua_respond(handle_, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
        canceled_ = true;
        if (!isTimeout) outcome.cause = "Rejected";
        outcome.status = isTimeout ? 408 : 480;
        outcome.reason = isTimeout ? "Request Timeout" : "Temporarily Unavailable";
        end(Terminal::Failed, outcome);
    }
    finishLater(handle_ ? kLingerMs : 0);
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

void Session::hold(bool on) {
    if (!info_.confirmed() || !media_) return;
    bool ownReinviteUnderway = reinviteOutstanding_ || glareRetryTimer_.active();
    if (info_.held == on && holdAgreed_ == on && !ownReinviteUnderway) {
        // Already so: say it again rather than ignore the command.
        emitHoldEvent(on, "local");
        return;
    }
    if (info_.held != on) {
        info_.held = on;
        media_->setHeld(on);  // silent at once; the re-INVITE tells the peer
        host_.publish(info_);
    }
    sendHoldChangeIfWanted();
}

void Session::sendHoldChangeIfWanted() {
    if (ended() || !media_ || reinviteOutstanding_ || glareRetryTimer_.active() || answeringReinvite_ ||
        offeringInReinvite_)
        return;
    if (info_.held != holdAgreed_) sendHoldReinvite();
}

void Session::sendHoldReinvite() {
    holdOffered_ = info_.held;
    reinviteOutstanding_ = true;
    reinviteSent_ = false;
    media_->createReoffer(holdOfferDirection());
}

// What we offer: we send unless we hold, we receive unless the peer holds us.
std::string Session::holdOfferDirection() const {
    if (info_.held) return info_.remoteHeld ? "inactive" : "sendonly";
    return info_.remoteHeld ? "recvonly" : "sendrecv";
}

void Session::emitHoldEvent(bool held, const std::string &originator) {
    host_.emit(CauseData(held ? "onHold" : "onResume", held ? "onHold" : "onResume")
                   .session(info_.sessionId, info_.direction)
                   .originator(originator));
}

void Session::onReinviteResponse(int status, const sip_t *sip) {
    if (status < 200) return;
    if ((status == 401 || status == 407) && auth_.answer(handle_, sip)) return;
    reinviteOutstanding_ = false;
    reinviteSent_ = false;
    if (ended()) return;
    if (status < 300) {
        glareRetries_ = 0;
        holdAgreed_ = holdOffered_;
        std::string sdp = sdpOf(sip);
        if (!sdp.empty()) media_->acceptAnswer(sdp);
        emitHoldEvent(holdOffered_, "local");
        sendHoldChangeIfWanted();  // HOLD/UNHOLD posted while this one was under way
        return;
    }
    if (status == 491 && glareRetries_ < kMaxGlareRetries) {
        // Glare: the peer re-INVITEd at the same time. RFC 3261 §14.1: the owner of the Call-ID
        // (the caller) retries after 2.1-4 s, the other side after 0-2 s, so their retries do
        // not collide again. Meanwhile the peer's re-INVITE is answered as usual.
        ++glareRetries_;
        bool ownsCallId = info_.direction == "outgoing";
        int delayMs = ownsCallId ? g_random_int_range(210, 401) * 10 : g_random_int_range(0, 201) * 10;
        glareRetryTimer_.start(static_cast<guint>(delayMs), [this] { retryAfterGlare(); });
        return;
    }
    // Refused: the call goes on as agreed before.
    glareRetries_ = 0;
    if (info_.held != holdAgreed_) {
        info_.held = holdAgreed_;
        media_->setHeld(holdAgreed_);
        host_.publish(info_);
    }
    host_.emit(CauseData::warning("reinvite_failed", {std::to_string(status)}, "remote",
                                  {{"sessionId", info_.sessionId}}));
}

void Session::retryAfterGlare() {
    if (ended()) return;
    if (info_.held == holdAgreed_) {
        // HOLD then UNHOLD (or the reverse) while waiting: nothing left to ask the peer.
        glareRetries_ = 0;
        emitHoldEvent(info_.held, "local");
        return;
    }
    sendHoldChangeIfWanted();
}

void Session::mute(bool on) {
    if (!media_ || ended()) return;
    media_->setMuted(on);
    info_.muted = on;
    host_.publish(info_);
    host_.emit(CauseData(on ? "onMute" : "onUnmute", on ? "onMute" : "onUnmute")
                   .session(info_.sessionId, info_.direction)
                   .originator("local")
                   .data({{"audio", true}, {"video", false}}));
}

void Session::sendDtmf(const DtmfRequest &request) {
    if (!info_.confirmed() || !media_) return;
    bool inBand = request.transport == DtmfRequest::Transport::Rfc4733 ||
                  (request.transport == DtmfRequest::Transport::Auto && media_->telephoneEventNegotiated());
    if (inBand) media_->sendDtmf(request.tones, request.durationMs, request.gapMs);
    else infoDtmf_.send(handle_, request.tones, request.durationMs, request.gapMs);
}

void Session::record(const std::string &path, MediaSession::RecordWhat what) {
    if (!info_.confirmed() || !media_) return;
    std::string error;
    info_.recording = media_->startRecording(path, what, error);
    host_.publish(info_);
    if (!info_.recording)
        host_.emit(CauseData::warning("record_failed", {error}, "system", {{"sessionId", info_.sessionId}}));
}

void Session::stopRecording() {
    if (!media_ || !info_.recording) return;
    media_->stopRecording();
    info_.recording = false;
    host_.publish(info_);
}

void Session::playFile(const std::string &source, bool loop) {
    if (!info_.confirmed() || !media_) return;
    std::string error;
    bool playing = media_->playFile(source, loop, error);
    info_.playingFile = playing;
    host_.publish(info_);
    if (!playing) {
        host_.emit(CauseData::warning("call_play_failed", {error}, "system", {{"sessionId", info_.sessionId}}));
        return;
    }
    host_.emit(CauseData("playStarted", "playStarted").session(info_.sessionId, info_.direction).data({{"file", source}}));
}

void Session::stopPlayingFile(const std::string &reason) {
    if (!media_ || !info_.playingFile) return;
    media_->stopPlayingFile();
    info_.playingFile = false;
    host_.publish(info_);
    host_.emit(CauseData("playEnded", "playEnded").session(info_.sessionId, info_.direction).data({{"reason", reason}}));
}

void Session::emitReceivedDtmf(char tone, int durationMs, const char *method) {
    if (ended()) return;
    host_.emit(CauseData("newDTMF", "newDTMF")
                   .session(info_.sessionId, info_.direction)
                   .originator("remote")
                   .data({{"tone", std::string(1, tone)}, {"duration", durationMs}, {"method", method}}));
}

// nua has answered the INFO already (200: INFO is allowed, not an application method).
void Session::onIncomingInfo(const sip_t *sip) {
    std::string type = sip && sip->sip_content_type && sip->sip_content_type->c_type ? sip->sip_content_type->c_type : "";
    if (auto dtmf = parseInfoDtmf(type, bodyOf(sip))) emitReceivedDtmf(dtmf->tone, dtmf->durationMs, "info");
}

void Session::end(Terminal how, const Outcome &o) {
    noAnswerTimer_.cancel();
    glareRetryTimer_.cancel();
    infoDtmf_.stop();
    info_.recording = info_.playingFile = false;  // media close() below finalizes both
    info_.endTime = nowMillis();
    info_.state = "terminated";
    if (media_) media_->close();  // finalizes a recording; no media callback after this
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

void Session::onInviteResponse(int status, const char *phrase, const sip_t *sip) {
    if (reinviteOutstanding_ && info_.answerTime) {
        onReinviteResponse(status, sip);  // the answer to our hold/resume re-INVITE
        return;
    }
    if (ended()) {
        // The 487 after our CANCEL; or a 200 that crossed it, whose dialog must still be closed.
        if (status >= 200 && status < 300 && handle_) nua_bye(handle_, TAG_END());
        // Any other final response ends the INVITE. After a 401/407 that crossed our CANCEL (which
        // then found no transaction) nua keeps the call waiting for credentials and never reports
        // it terminated, so the handle would hold up the stack's shutdown: let go of it now.
        else if (status >= 300) finishLater(0);
        return;
    }
    if (status == 100) return;
    if (status < 200) {
        if (info_.state == "calling") setState("progress");
        std::string sdp = sdpOf(sip);
        if (!sdp.empty() && !remoteDescriptionApplied_) {
            remoteDescriptionApplied_ = true;  // early media: the answer comes with the 18x
            media_->acceptAnswer(sdp);
        }
        emitState("session_progress", "remote", status, phrase ? phrase : "");
        return;
    }
    if ((status == 401 || status == 407) && auth_.answer(handle_, sip)) return;
    if (status < 300) {
        std::string sdp = sdpOf(sip);
        // As in JsSIP, a call whose answer cannot be used was never accepted: ACK (nua does),
        // BYE and session_failed, without a session_accepted first.
        std::string unusable = remoteDescriptionApplied_ || sdp.empty() ? "" : media_->checkAnswer(sdp);
        if (!remoteDescriptionApplied_ && (sdp.empty() || !unusable.empty())) {
            nua_bye(handle_, TAG_END());
            if (!unusable.empty())
                host_.emit(CauseData::warning("sdp_bad_answer", {unusable}, "remote", {{"sessionId", info_.sessionId}}));
            end(Terminal::Failed, {"remote", sdp.empty() ? "Missing SDP" : "Bad Media Description", status,
                                   phrase ? phrase : ""});
            finishLater(kLingerMs);
            return;
        }
        info_.answerTime = nowMillis();
        setState("accepted");
        emitState("session_accepted", "remote", status, phrase ? phrase : "");
        if (!remoteDescriptionApplied_) {
            remoteDescriptionApplied_ = true;
            media_->acceptAnswer(sdp);
        }
        return;
    }
    SipOutcome o = sipOutcome(status, phrase, sip);
    if (status == 401 || status == 407) o.cause = "Authentication Error";
    if ((status == 488 || status == 606) && media_) {
        // What the user can change, e.g. a plain SIP phone that refuses WebRTC media.
        std::string hint = media_->refusalHint();
        if (!hint.empty()) host_.emit(CauseData::warning(hint, {}, "remote", {{"sessionId", info_.sessionId}}));
    }
    end(Terminal::Failed, {o.local ? "system" : "remote", o.cause, status, o.reason});
    finishLater(kLingerMs);
}

void Session::onIncomingReinvite(const sip_t *sip) {
    if (reinviteOutstanding_ && !reinviteSent_) {
        // Glare: our own re-offer is being built (nua answers 491 by itself once it is sent).
        nua_respond(handle_, SIP_491_REQUEST_PENDING, TAG_END());
        return;
    }
    if (!media_) {
        nua_respond(handle_, SIP_488_NOT_ACCEPTABLE, TAG_END());
        return;
    }
    std::string sdp = sdpOf(sip);
    answeringReinvite_ = true;
    if (sdp.empty()) {
        // A delayed offer (RFC 3261 §14.2; PBXs send it to refresh or move a call): we offer
        // what we have now in the 200, and the ACK brings the answer (onAckOfOurOffer).
        offeringInReinvite_ = true;
        media_->createReoffer(holdOfferDirection());
        return;
    }
    media_->acceptReoffer(sdp);
    noteRemoteDirection(sdp);
}

// The peer's direction in its offer or answer tells whether it holds us.
void Session::noteRemoteDirection(const std::string &sdp) {
    auto remote = host_.media().describe(sdp, host_.config().media);
    bool remoteHolds = remote.direction == "sendonly" || remote.direction == "inactive";
    if (remoteHolds == info_.remoteHeld) return;
    info_.remoteHeld = remoteHolds;
    host_.publish(info_);
    emitHoldEvent(remoteHolds, "remote");
}

void Session::onAckOfOurOffer(const sip_t *ack) {
    offeringInReinvite_ = false;
    std::string sdp = sdpOf(ack);
    if (sdp.empty()) {  // our offer is dropped unapplied, as when a re-INVITE of ours is refused
        host_.emit(CauseData::warning("reinvite_answer_missing", {}, "remote", {{"sessionId", info_.sessionId}}));
    } else {
        media_->acceptAnswer(sdp);
        noteRemoteDirection(sdp);
    }
    sendHoldChangeIfWanted();  // a HOLD/UNHOLD that came meanwhile
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
        if (!ended()) end(Terminal::Ended, {"remote", "Bye", 0, {}});
        break;
    case nua_i_cancel:
        if (!ended()) end(Terminal::Failed, {"remote", "Canceled", 487, "Request Terminated"});
        break;
    case nua_i_info:
        if (status < 300) onIncomingInfo(sip);
        break;
    case nua_r_info:
        infoDtmf_.onResponse(status, phrase, sip);
        break;
    case nua_r_bye:
    case nua_r_cancel:
    default:
        break;
    }
}

}  // namespace sipw
