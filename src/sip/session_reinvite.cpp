// Session: requests inside an established dialog that renegotiate the media — our hold/resume
// re-INVITEs (with 491 glare retries), the peer's re-INVITEs and the ACKs of our offers, and the
// failures of in-dialog requests that end the dialog.
#include "sip/session.hpp"

#include "sip/registration.hpp"
#include "sip/request_details.hpp"

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>

namespace sipw {

namespace {

// A hold/resume re-INVITE answered 491 (glare, both sides re-INVITEd at once) is retried after
// the RFC 3261 §14.1 delay; a peer that keeps answering 491 has refused it after this many.
constexpr int kMaxGlareRetries = 4;

}  // namespace

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

bool Session::endOnDialogError(int status, const char *phrase, const sip_t *sip) {
    if (ended() || (status != 408 && status != 481)) return false;
    // RFC 3261 §12.2.1.2: a 481 or 408 to a request inside the dialog ends it (the peer lost it,
    // or is gone). As JsSIP: Dialog Error, or Request Timeout when nothing answered at all.
    SipOutcome o = sipOutcome(status, phrase, sip);
    bool timedOut = o.local && status == 408;
    end(Terminal::Ended, {timedOut ? "system" : "remote", timedOut ? "Request Timeout" : "Dialog Error", status, o.reason});
    finishLater(kLingerMs);
    return true;
}

void Session::onReinviteResponse(int status, const char *phrase, const sip_t *sip) {
    if (status < 200) return;
    if ((status == 401 || status == 407) && auth_.answer(handle_, sip)) return;
    reinviteOutstanding_ = false;
    reinviteSent_ = false;
    if (ended() || endOnDialogError(status, phrase, sip)) return;
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

void Session::onIncomingReinvite(const sip_t *sip) {
    if (reinviteOutstanding_) {
        // Glare: our own re-offer is being built or awaits its answer. RFC 3261 §14.2: 491, and
        // both sides retry after their §14.1 delays (onReinviteResponse). nua leaves it to us:
        // it does not run offer/answer itself here.
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

}  // namespace sipw
