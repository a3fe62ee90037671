// One call: the SIP dialog (sofia-sip nua handle) joined to its media (MediaSession).
//
// Sessions are where signaling and media meet; neither side includes the other. A session lives
// on the worker's loop thread, emits the SPEC §4 events in order (newRTCSession → progress →
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

#include <glib.h>

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

class Session : public NuaHandleOwner {
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
    Session(Host &host, SipStack *stack, const std::string &id, const std::string &targetUri, CallOptions options,
            bool transportPending);
    // Incoming: takes over `nh` (already bound to this session by the host).
    Session(Host &host, SipStack &stack, const std::string &id, nua_handle_t *nh, const sip_t *invite);
    ~Session() override;
    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    // Outgoing: newRTCSession, then the offer and the INVITE. Incoming: checks the offer, rings,
    // newRTCSession (or 488 and session_failed for an offer we cannot use).
    void start();
    void answer(const CallOptions &options);
    // CANCEL before an answer, a 480 reject for an unanswered incoming call, BYE afterwards.
    void hangup(bool isTimeout);
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
    void onReinviteResponse(int status, const sip_t *sip);
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
};

// "1001", "alice", "sip:1001@host", "1001@host" → a SIP URI in `domain`; empty if unusable.
std::string targetToUri(const std::string &target, const std::string &domain);

}  // namespace sipw
