// Session: setting a call up — the media of the call, our INVITE and the answers to it, answering
// and provisional responses to the peer's INVITE, and the local descriptions the media produces.
#include "sip/session.hpp"

#include "base/i18n.hpp"
#include "sip/registration.hpp"
#include "sip/request_details.hpp"

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>

namespace sipw {

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
    callbacks.onStats = [this](const MediaStats &stats) {
        info_.stats = stats;
        host_.publish(info_);
    };
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
    if (!unsupportedBodyType_.empty()) {
        nua_respond(handle_, SIP_415_UNSUPPORTED_MEDIA, SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
        canceled_ = true;
        end(Terminal::Failed, {"system", "Missing SDP", 415, "Unsupported Media Type (" + validUtf8(unsupportedBodyType_) + ")"});
        finishLater(kLingerMs);
        return;
    }
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
    // JsSIP's init_incoming: the 180 goes out and `progress` (originator local) follows it.
    emitState("session_progress", "local", 180, "Ringing");
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
    setState("answering");
    emitState("session_connecting", "local");  // as JsSIP's answer() does
    if (media_) {
        // PROGRESS started the media: the 200 carries the same answer, the media goes on.
        if (options.input || options.output)
            host_.emit(CauseData::warning("answer_keeps_early_media", {"options.audio"}, "local",
                                          {{"sessionId", info_.sessionId}}));
        options_.extraHeaders = options.extraHeaders;
        pendingProgress_ = 0;
        if (!localAnswer_.empty()) sendAnswer(localAnswer_);
        return;  // else onLocalDescription sends it
    }
    options_ = options;
    createMedia(options_);
    media_->acceptOffer(remoteOffer_);
}

void Session::progress(const ProgressRequest &request) {
    if (ended() || info_.direction != "incoming" || info_.state != "ringing") return;  // checked by the worker
    progressHeaders_ = request.options.extraHeaders;
    if (!request.withMedia) {
        sendProgress(request.statusCode, nullptr);
        return;
    }
    if (!localAnswer_.empty()) {
        sendProgress(request.statusCode, &localAnswer_);
        return;
    }
    pendingProgress_ = request.statusCode;  // sent once the answer is built
    if (media_) return;
    options_ = request.options;
    createMedia(options_);
    media_->acceptOffer(remoteOffer_);
}

void Session::sendProgress(int status, const std::string *sdp) {
    std::string phrase = phraseFor(status, {});
    std::string headers = headerLines(progressHeaders_);
    nua_respond(handle_, status, keptPhrase(phrase),
                TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")), TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp ? sdp->c_str() : "")),
                TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
    if (sdp && !info_.earlyMedia) {
        info_.earlyMedia = true;
        host_.publish(info_);
    }
    emitState("session_progress", "local", status, phrase);
}

void Session::sendAnswer(const std::string &sdp) {
    std::string headers = headerLines(options_.extraHeaders);
    nua_respond(handle_, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()),
                TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
    info_.answerTime = nowMillis();
    setState("accepted");
    emitState("session_accepted", "local", 200, "OK");
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
    if (!localAnswer_.empty()) return;  // our answer went out already (183, then the 200)
    localAnswer_ = sdp;
    if (info_.state == "answering") {
        sendAnswer(sdp);
    } else if (pendingProgress_ && info_.state == "ringing") {
        int status = pendingProgress_;
        pendingProgress_ = 0;
        sendProgress(status, &localAnswer_);
    }
}

void Session::onInviteResponse(int status, const char *phrase, const sip_t *sip) {
    if (reinviteOutstanding_ && info_.answerTime) {
        onReinviteResponse(status, phrase, sip);  // the answer to our hold/resume re-INVITE
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
    if (info_.callId.empty() && sip && sip->sip_call_id && sip->sip_call_id->i_id) info_.callId = sip->sip_call_id->i_id;
    if (status < 200) {
        if (info_.state == "calling") setState("progress");
        std::string sdp = sdpOf(sip);
        if (!sdp.empty() && !remoteDescriptionApplied_) {
            remoteDescriptionApplied_ = true;  // early media: the answer comes with the 18x
            media_->acceptAnswer(sdp);
            info_.earlyMedia = true;
            host_.publish(info_);
        } else if (!sdp.empty()) {
            // JsSIP applies every 18x's SDP; one that cannot be followed gets no `progress`.
            std::string why = media_->updateAnswer(sdp);
            if (!why.empty()) {
                host_.emit(CauseData::warning("sdp_bad_answer", {why}, "remote", {{"sessionId", info_.sessionId}}));
                return;
            }
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
        // After early media JsSIP applies the 2xx's SDP again: a different answer replaces the
        // early one. One the media cannot follow ends the call like any unusable answer.
        if (remoteDescriptionApplied_ && !sdp.empty()) {
            std::string why = media_->updateAnswer(sdp);
            if (!why.empty()) {
                nua_bye(handle_, TAG_END());
                end(Terminal::Failed, {"remote", "Bad Media Description", status, why});
                finishLater(kLingerMs);
                return;
            }
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

}  // namespace sipw
