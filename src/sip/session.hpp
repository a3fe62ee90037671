// One call: the SIP dialog (sofia-sip nua handle) joined to its media (MediaSession).
//
// Sessions are where signaling and media meet; neither side includes the other. A session lives
// on the worker's loop thread, emits the session events in order (newRTCSession → progress →
// accepted → confirmed → exactly one of ended/failed) and publishes its state to the registry.
//
// Lifetime: the session object outlives its terminal event until nua has finished with the
// dialog (the CANCEL answered, the BYE sent), then tells its host it is finished; the host
// destroys it on a later loop iteration.
#pragma once

#include "config/config.hpp"
#include "sip/digest_auth.hpp"
#include "sip/dtmf.hpp"
#include "sip/dtmf_info.hpp"
#include "base/event.hpp"
#include "media_api/media_session.hpp"
#include "base/one_shot_timer.hpp"
#include "sip/session_registry.hpp"
#include "sip/sip_stack.hpp"
#include "sip/transfer.hpp"

#include <glib.h>

#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sipw {

// CALL / ANSWER options, validated by the worker before they reach the loop.
struct CallOptions {
    std::optional<AudioEndpoint> input;   // options.audio.input (else INIT's)
    std::optional<AudioEndpoint> output;  // options.audio.output (else INIT's)
    MediaChoice media;                    // options.media: profile, codecs, rtpTimeoutMs (else INIT's)
    std::vector<std::string> extraHeaders;  // options.extraHeaders: "Name: value" lines
};

// HANGUP: how to end the call (JsSIP's terminate options).
struct HangupRequest {
    bool isTimeout = false;
    int statusCode = 0;        // 400-699: the reject of a ringing incoming call; else the Reason of BYE/CANCEL
    std::string reasonPhrase;  // with statusCode; default: the code's usual phrase
    std::vector<std::string> extraHeaders;
};

// PROGRESS on a ringing incoming call.
struct ProgressRequest {
    int statusCode = 183;  // 180 or 183
    bool withMedia = true; // carry our SDP answer: early media
    CallOptions options;   // audio of the media PROGRESS starts; extraHeaders of the provisional response
};

// What happens to a session, for another part that waits on it (a transfer reports its call's
// progress to the referrer; a replacing call ends the one it replaces once confirmed).
struct SessionMilestone {
    enum class Kind { Progress, Accepted, Confirmed, Failed, Ended };
    Kind kind;
    int status = 0;      // the SIP status that caused it (0 when none: a local cancel, a media error)
    std::string reason;  // its reason phrase
    std::string cause;   // Failed / Ended: the JsSIP cause
};

class Session : public NuaHandleOwner, private TransferOwner {
public:
    // What a session needs from the one that owns it (the session manager).
    class Host {
    public:
        virtual ~Host() = default;
        virtual const Config &config() const = 0;
        virtual void emit(const CauseData &event) = 0;
        virtual void publish(const SessionInfo &info) = 0;
        // The dialog is over on the SIP side too: destroy the session on a later iteration.
        virtual void finished(Session &session) = 0;
        // Makes the call's media and inspects the peer's SDP (the profile is its business).
        virtual MediaFactory &media() = 0;
    };

    // Outgoing; `stack` may be null (not connected): the call then fails with Connection Error.
    Session(Host &host, SipStack *stack, const std::string &id, std::uint64_t generation, const std::string &targetUri,
            CallOptions options, bool transportPending);
    // Incoming: takes over `nh` (already bound to this session by the host). setGeneration()
    // before start(), once the registry has it.
    Session(Host &host, SipStack &stack, const std::string &id, nua_handle_t *nh, const sip_t *invite);
    void setGeneration(std::uint64_t generation) { info_.generation = generation; }
    ~Session() override;
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    // Before start(): extra fields for the data of newRTCSession (referredFrom, replaces...).
    void addNewSessionData(const nlohmann::json &fields);
    // Before start(): who waits on this session's progress (a transfer, a replaced call).
    using Observer = std::function<void(const SessionMilestone &)>;
    void setObserver(Observer observer) { observer_ = std::move(observer); }

    // Outgoing: newRTCSession, then the offer and the INVITE. Incoming: checks the offer, rings,
    // newRTCSession (or 488 and session_failed for an offer we cannot use).
    void start();
    void answer(const CallOptions &options);
    // 180/183 on a ringing incoming call; with media, our answer goes in it and media flows.
    void progress(const ProgressRequest &request);
    // CANCEL before an answer, a reject (480, or statusCode) for an unanswered incoming call, BYE afterwards.
    void hangup(const HangupRequest &request);
    // REFER on a confirmed call (referTo: the Refer-To value, see transfer::referTo).
    void refer(const std::string &referTo, const std::vector<std::string> &extraHeaders);
    SessionTransfer &transfer() { return transfer_; }
    // The Replaces value that names this dialog to its peer ("callid;from-tag=..;to-tag=.."),
    // for an attended transfer; empty without a dialog.
    std::string replacesValue() const;
    nua_handle_t *handle() const { return handle_; }
    void hold(bool on);
    void mute(bool on);
    // A confirmed call (checked by the worker): RFC 4733 when asked for, or for auto when
    // telephone-event was negotiated; SIP INFO otherwise.
    void sendDtmf(const DtmfRequest &request);
    // RECORD / RECORD_STOP, CALL_PLAY / CALL_PLAY_STOP (media helpers) on a confirmed call.
    void record(const std::string &path, MediaSession::RecordWhat what);
    void stopRecording();
    void playFile(const std::string &source, bool loop);
    void stopPlayingFile(const std::string &reason);
    // The worker or its transport is going away: end now (BYE/CANCEL best effort).
    void abandon(const std::string &originator, const std::string &cause);
    // Outgoing call waiting for the transport: use `stack` (sends the INVITE once the offer is ready).
    void attachStack(SipStack *stack);
    bool waitingForTransport() const { return waitingForTransport_; }
    // Let go of the nua handle before its stack is destroyed.
    void releaseHandle();

    const std::string &id() const { return info_.sessionId; }
    const SessionInfo &info() const { return info_; }
    SipStack *stack() const { return stack_; }
    bool ended() const { return info_.terminated(); }

    void onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *nh, const sip_t *sip,
                    tagi_t tags[]) override;

private:
    // After the terminal event, how long nua may take to finish the dialog (CANCEL answered, BYE
    // answered) before the session is dropped regardless: a little over Timer F (64*T1 = 32 s), so a
    // BYE nobody answers has had all its retransmissions. The terminal event does not wait for it.
    static constexpr int kLingerMs = 34000;

    // TransferOwner
    nua_handle_t *dialogHandle() const override { return handle_; }
    nua_t *stackNua() const override { return stack_ ? stack_->nua() : nullptr; }
    bool dialogConfirmed() const override { return info_.confirmed(); }
    CauseData sessionEvent(const std::string &msg, const std::string &originator) const override;
    void emitEvent(const CauseData &event) override { host_.emit(event); }
    void transferStateChanged() override;

    enum class Terminal { Ended, Failed };
    struct Outcome {
        std::string originator;
        std::string cause;
        int status = 0;
        std::string reason;
    };

    void createMedia(const CallOptions &options);
    void onLocalDescription(const std::string &sdp);
    void onMediaError(MediaError error, const std::string &detail);
    void onInviteResponse(int status, const char *phrase, const sip_t *sip);
    void onIncomingReinvite(const sip_t *sip);
    void noteRemoteDirection(const std::string &sdp);
    void onAckOfOurOffer(const sip_t *ack);
    void onReinviteResponse(int status, const char *phrase, const sip_t *sip);
    // A 408 or 481 to a request inside the dialog: the session ends (true if it did).
    bool endOnDialogError(int status, const char *phrase, const sip_t *sip);
    // Hold/resume re-INVITEs, one at a time: the latest HOLD/UNHOLD wish goes out once nothing
    // else is being negotiated.
    void sendHoldReinvite();
    void sendHoldChangeIfWanted();
    void retryAfterGlare();
    std::string holdOfferDirection() const;
    void emitHoldEvent(bool held, const std::string &originator);
    void onCallState(int callState);
    void onIncomingInfo(const sip_t *sip);
    void emitReceivedDtmf(char tone, int durationMs, const char *method);
    void sendInvite(const std::string &sdp);
    void sendAnswer(const std::string &sdp);
    void sendProgress(int status, const std::string *sdp);
    void observe(SessionMilestone::Kind kind, int status, const std::string &reason, const std::string &cause = {});
    // nua_respond keeps the phrase's pointer until its queued signal runs: phrases that are not
    // literals live here, as long as the session.
    const char *keptPhrase(std::string phrase);
    void emitState(const std::string &msg, const std::string &originator, int status = 0,
                   const std::string &reason = {});
    void setState(const std::string &state);
    void end(Terminal how, const Outcome &outcome);
    void finishLater(int delayMs);
    void startNoAnswerTimer();

    Host &host_;
    SipStack *stack_;
    nua_handle_t *handle_ = nullptr;
    std::unique_ptr<MediaSession> media_;
    SessionInfo info_;
    std::string targetUri_;
    CallOptions options_;
    DigestAuth auth_;
    std::string remoteOffer_;       // incoming: the INVITE's SDP until answered
    std::string unsupportedBodyType_;  // incoming: the INVITE's body is of this type, not SDP
    bool remoteDescriptionApplied_ = false;
    bool inviteSent_ = false;
    bool waitingForTransport_ = false;
    std::string pendingOffer_;          // offer ready before the transport was
    bool reinviteOutstanding_ = false;  // our re-INVITE (hold/resume) is being built or awaits its answer
    bool reinviteSent_ = false;         // ... and has been sent
    bool holdOffered_ = false;          // the hold state our outstanding re-INVITE asks for
    bool holdAgreed_ = false;           // the hold state the peer last accepted
    int glareRetries_ = 0;              // 491s in a row for the same wish
    OneShotTimer glareRetryTimer_;
    bool answeringReinvite_ = false;    // the peer re-INVITEd; our next description answers it
    bool offeringInReinvite_ = false;   // ... without an SDP: our 200 offers, its ACK answers
    bool canceled_ = false;             // we sent CANCEL / a reject: the final response is expected
    bool timedOut_ = false;             // HANGUP isTimeout
    bool finished_ = false;
    OneShotTimer noAnswerTimer_;
    OneShotTimer lingerTimer_;
    InfoDtmfSender infoDtmf_;
    SessionTransfer transfer_{*this};
    nlohmann::json newSessionData_ = nlohmann::json::object();
    Observer observer_;
    std::string localAnswer_;       // incoming: our SDP answer, once built (183 and 200 carry it)
    int pendingProgress_ = 0;       // PROGRESS with media: the status to send once the answer is built
    std::vector<std::string> progressHeaders_;  // PROGRESS's extraHeaders
    std::list<std::string> phrases_;            // see keptPhrase
    bool wasReferring_ = false;     // transferStateChanged: our REFER was outstanding
    bool hadIncomingRefer_ = false; // ... a received REFER was waiting
};

// "1001", "alice", "sip:1001@host", "1001@host" → a SIP URI in `domain`; empty if unusable.
std::string targetToUri(const std::string &target, const std::string &domain);

}  // namespace sipw
