#include "sip/session.hpp"

#include "base/i18n.hpp"
#include "base/loop_thread.hpp"
#include "sip/instant_messages.hpp"
#include "sip/registration.hpp"
#include "sip/request_details.hpp"

#include <algorithm>

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/url.h>

namespace sipw {

namespace {

// Text from the network for the user: invalid UTF-8 (a display name in a legacy encoding)
// becomes U+FFFD rather than failing whoever serializes it later.
std::string validUtf8(const std::string &text) {
    if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return text;
    gchar *valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
    std::string out = valid;
    g_free(valid);
    return out;
}

std::string userOf(const std::string &uri) {
    auto colon = uri.find(':');
    auto at = uri.find('@');
    if (colon == std::string::npos || at == std::string::npos || at < colon) return {};
    return uri.substr(colon + 1, at - colon - 1);
}

// The phrase of a status we send: the caller's, else the usual one.
std::string phraseFor(int status, const std::string &given) {
    if (!given.empty()) return given;
    if (const i18n::Text *t = i18n::reasonPhrase(status)) return std::string(t->en);
    const char *known = sip_status_phrase(status);
    return known ? known : "";
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
    if (!media_ || ended() || !(info_.confirmed() || info_.earlyMedia)) return;
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
    if (!media_ || ended() || !(info_.confirmed() || info_.earlyMedia)) return;
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
