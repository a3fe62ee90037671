// Media for one call: the seam between sessions (signaling) and the media profiles.
//
// Sessions talk to media only through this header, and get their MediaSession objects from a
// MediaFactory the worker hands them, so the SIP side never knows which profile carries a call.
// This header includes neither sofia-sip nor GStreamer.
//
// Threading: every method is called on the worker's loop thread (the GMainContext given at
// creation), and every callback is invoked on that same thread, never from a GStreamer streaming
// thread. Callbacks are never invoked from inside a method call (always from a later loop
// iteration), so the caller may destroy the MediaSession from within a callback... except that the
// destructor must not be called from inside a callback: call close() there, destroy later.
#pragma once

#include "media_api/media_options.hpp"

#include <functional>
#include <memory>
#include <string>

typedef struct _GMainContext GMainContext;

namespace sipw {

// Why the media of a call failed. Sessions map these to JsSIP causes.
enum class MediaError {
    IncompatibleSdp,     // remote offer unusable (unknown profile, no common codec, no usable key) → 488
    BadMediaDescription, // remote answer could not be applied → BYE
    IceFailed,           // ICE or DTLS failed → "RTP Timeout"
    MediaTimeout,        // no RTP for MediaOptions::rtpTimeoutMs while not on hold → "RTP Timeout"
    Internal,            // pipeline could not be built or broke → "WebRTC Error"
};

// Call quality from the RTP and RTCP counters of a call's audio stream. Counters are totals since
// the media started; absent values (nothing measured yet) are negative.
struct MediaStats {
    bool valid = false;           // false until the first counters were read
    std::string codec;            // the negotiated codec: "opus", "PCMU", ...
    long long packetsSent = 0;    // RTP packets we sent (audio and DTMF events)
    long long packetsReceived = 0;
    long long bytesSent = 0;      // RTP payload bytes (headers not counted)
    long long bytesReceived = 0;
    long long packetsLost = 0;    // packets of the peer's stream that never arrived (RFC 3550 A.3: expected - received, never below 0)
    double jitterMs = -1;         // interarrival jitter of what we receive (RFC 3550 §6.4.1)
    double rttMs = -1;            // round trip from the peer's RTCP reports (RFC 3550 §6.4.1 LSR/DLSR)
};

class MediaSession {
public:
    struct Callbacks {
        // The local offer or answer, ready to put in SIP (candidates per the ICE strategy).
        std::function<void(const std::string &sdp)> onLocalDescription;
        // A fatal media error; detail is English text for logs and the event's `reason`.
        std::function<void(MediaError, const std::string &detail)> onError;
        // Media can flow: ICE + DTLS are up (webrtc), or offer and answer are applied (rtp, srtp).
        std::function<void()> onConnected;
        // The profile ("webrtc", "rtp", "srtp") and codec ("opus", "G722", "PCMU", "PCMA") agreed
        // with the peer: once negotiated, and again when a re-negotiation changes the codec.
        std::function<void(const std::string &profile, const std::string &codec)> onNegotiated;
        // Non-fatal: e.g. no sound card, so "device" fell back to silence/null. key = i18n error key.
        std::function<void(const std::string &key, const std::string &arg)> onWarning;
        // The first audio from the peer has been decoded (optional).
        std::function<void()> onFirstAudio;
        // DTMF received in-band (RFC 4733): tone is one of 0-9 * # A-D; the duration is the
        // one the sender's end packet carried.
        std::function<void(char tone, int durationMs)> onDtmf;
        // A file given to playFile (without loop) has been sent to its end (optional).
        std::function<void()> onPlayFileEnded;
        // sendDtmf could not finish (English detail); the tones not yet sent are dropped.
        std::function<void(const std::string &detail)> onDtmfFailed;
        // Fresh counters, about once a second while media flows (optional).
        std::function<void(const MediaStats &)> onStats;
    };

    virtual ~MediaSession() = default;

    // Outgoing call: build the offer → onLocalDescription(offer).
    virtual void createOffer() = 0;
    // Incoming call: apply the peer's offer and build the answer → onLocalDescription(answer),
    // or onError(IncompatibleSdp).
    virtual void acceptOffer(const std::string &remoteSdp) = 0;
    // Outgoing call: apply the peer's answer; onError(BadMediaDescription) if it cannot be used.
    virtual void acceptAnswer(const std::string &remoteSdp) = 0;
    // Outgoing call: a later answer to the same offer (a 2xx after the 18x whose answer started
    // early media). The media follows it, as a browser applies the 2xx's SDP again; empty when it
    // is applied (or the same), else an English reason why this profile cannot follow it (the
    // caller then ends the call as for an answer it cannot use).
    virtual std::string updateAnswer(const std::string &remoteSdp) = 0;
    // The profile carrying the call: "webrtc", "rtp" or "srtp".
    virtual std::string profile() const = 0;
    // Whether `remoteSdp` can answer our offer, without applying it: empty if so, else English
    // text (for a 2xx whose answer the call cannot use).
    virtual std::string checkAnswer(const std::string &remoteSdp) const = 0;
    // The i18n key of a warning that tells the user what to change when the peer refused our
    // offer (488/606), e.g. a plain SIP phone refusing WebRTC media; empty when there is none.
    virtual std::string refusalHint() const = 0;

    // Re-offers for hold/resume keep the codec, ICE candidates and keys; direction is one of
    // "sendrecv", "sendonly", "recvonly", "inactive", applied once the answer (acceptAnswer)
    // says what was agreed.
    virtual void createReoffer(const std::string &direction) = 0;
    // The peer re-offered (hold/resume, or media moved to a new address or codec): answer with the
    // mirrored direction (sendonly → recvonly, ...), narrowed while we hold (sendrecv →
    // sendonly, sendonly → inactive) → onLocalDescription(answer), applied in our pipeline.
    // A re-offer we cannot serve (webrtc: an ICE restart; no common codec) →
    // onError(IncompatibleSdp), and the call goes on as before. A re-offer of ours that is still
    // unanswered was refused (the caller answers 491 while one is under way): it is dropped.
    virtual void acceptReoffer(const std::string &remoteSdp) = 0;
    virtual void setMuted(bool muted) = 0;
    // We hold the call: send silence and drop what arrives, at once and whatever the SDP
    // direction (there is no music on hold). Also decides how acceptReoffer answers.
    virtual void setHeld(bool held) = 0;

    // True once offer and answer both carry RFC 4733 telephone-event at the clock rate of the
    // agreed codec (we always offer it, and answer it when offered), so sendDtmf can be used.
    virtual bool telephoneEventNegotiated() const = 0;
    // Sends `tones` (0-9 * # A-D, already validated) as RFC 4733 events, one after another, each
    // durationMs long and followed by gapMs of pause. The sender enforces at least 250 ms per
    // tone and 100 ms between tones (GStreamer's rtpdtmfsrc). Tones sent while earlier ones are
    // still going are queued behind them. Failure → onDtmfFailed.
    virtual void sendDtmf(const std::string &tones, int durationMs, int gapMs) = 0;

    // Records the call to a WAV file (16-bit mono 48 kHz, real time: silence where nothing is
    // heard): what is received, what is sent (after mute/hold), or both mixed. Replaces a
    // recording already running (that one is finalized). False, with an English reason, if the
    // recorder cannot be built.
    enum class RecordWhat { Received, Sent, Both };
    virtual bool startRecording(const std::string &path, RecordWhat what, std::string &error) = 0;
    // Finalizes the recording (valid WAV header; bounded wait). No-op without one.
    virtual void stopRecording() = 0;
    // Sends a file (path or http(s)/file URL) instead of the input, in real time; at its end
    // silence (onPlayFileEnded), or the file again with `loop`. Replaces a file already playing.
    virtual bool playFile(const std::string &source, bool loop, std::string &error) = 0;
    // Back to the configured input. No-op when no file plays.
    virtual void stopPlayingFile() = 0;

    // Stops media, finalizes a recording (valid WAV header). Idempotent; no callback after it.
    virtual void close() = 0;

    // The latest counters (after close(): the final ones, read as the media stopped).
    virtual MediaStats stats() const = 0;
};

// What the signaling side needs to know of a peer's SDP (an offer or an answer) before any media
// is built for it.
struct RemoteDescription {
    std::string unusableReason;          // empty when a media session can use it; else English text
    std::string direction = "sendrecv";  // of its audio section
    std::string profile;                 // the profile an offer asks for ("webrtc", "rtp", "srtp"), if known
};

// Makes the media sessions of one worker's calls.
class MediaFactory {
public:
    virtual ~MediaFactory() = default;
    // A session whose callbacks run on `loop` (the caller's loop thread): for a call we offer,
    // in options.profile; with `remoteOffer`, one that answers it, in the profile the offer asks for.
    virtual std::unique_ptr<MediaSession> create(GMainContext *loop, const MediaOptions &options,
                                                 MediaSession::Callbacks callbacks,
                                                 const std::string &remoteOffer = {}) = 0;
    // Inspects an offer (or the direction of any description) without building anything: the
    // profile it asks for, and whether a session with `options` (its codecs) could answer it. An
    // empty text is unusable.
    virtual RemoteDescription describe(const std::string &sdp, const MediaOptions &options) const = 0;
};

}  // namespace sipw
