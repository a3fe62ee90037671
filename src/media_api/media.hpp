// Media for one call: the seam between sessions and a media profile.
//
// Sessions (signaling) talk to media only through this interface, so a second profile (plain RTP
// with rtpbin, for trunks and desk phones) can be added without touching sessions. This header
// includes neither sofia-sip nor GStreamer.
//
// Threading: every method is called on the worker's loop thread (the GMainContext given at
// creation), and every callback is invoked on that same thread, never from a GStreamer streaming
// thread. Callbacks are never invoked from inside a method call (always from a later loop
// iteration), so the caller may destroy the MediaSession from within a callback... except that the
// destructor must not be called from inside a callback: call close() there, destroy later.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

typedef struct _GMainContext GMainContext;

namespace sipw {

// "device" | "file:PATH" | "tone:HZ" | "silence" (input);  "device" | "file:PATH.wav" | "null" (output)
struct AudioEndpoint {
    enum class Kind { Device, File, Tone, Silence, Null };
    Kind kind = Kind::Silence;
    std::string path;   // Kind::File
    double hz = 0;      // Kind::Tone
    // Parses the SPEC forms; false (and why, as an i18n error key + arg) on a bad value.
    static bool parseInput(const std::string &text, AudioEndpoint &out);
    static bool parseOutput(const std::string &text, AudioEndpoint &out);
};

struct IceServer {
    std::string url;         // stun:host:port, turn:host:port?transport=udp|tcp, turns:...
    std::string username;    // TURN only
    std::string credential;  // TURN only
};

struct IceOptions {
    // "first-server" (default): host candidates plus the first srflx/relay candidate of each
    //                            configured server, or gathering complete;
    // "complete": wait for gathering to complete;  "host": host candidates only, send at once.
    std::string strategy = "first-server";
    int gatheringTimeoutMs = 500;        // never wait longer than this after gathering began
    bool relayOnly = false;              // transportPolicy "relay"
    std::vector<IceServer> servers;      // from INIT sipIce
    std::vector<std::string> addresses;  // restrict ICE to these local IPs or interface names (empty: all)
};

struct MediaOptions {
    AudioEndpoint input;                 // what we send
    AudioEndpoint output;                // what we do with what we receive
    IceOptions ice;
    int jitterBufferMs = 40;             // receive latency
    int opusComplexity = 5;              // 0..10: encoder CPU against quality
    int connectTimeoutMs = 10000;        // offer/answer applied → ICE+DTLS up, or IceFailed
};

// Why the media of a call failed. Sessions map these to JsSIP causes.
enum class MediaError {
    IncompatibleSdp,     // remote offer unusable (no fingerprint, RTP/AVP, no common codec) → 488
    BadMediaDescription, // remote answer could not be applied → BYE
    IceFailed,           // ICE or DTLS failed → "RTP Timeout"
    Internal,            // pipeline could not be built or broke → "WebRTC Error"
};

class MediaSession {
public:
    struct Callbacks {
        // The local offer or answer, ready to put in SIP (candidates per the ICE strategy).
        std::function<void(const std::string &sdp)> onLocalDescription;
        // A fatal media error; detail is English text for logs and the event's `reason`.
        std::function<void(MediaError, const std::string &detail)> onError;
        // ICE + DTLS are up and media flows.
        std::function<void()> onConnected;
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
    };

    virtual ~MediaSession() = default;

    // Outgoing call: build the offer → onLocalDescription(offer).
    virtual void createOffer() = 0;
    // Incoming call: apply the peer's offer and build the answer → onLocalDescription(answer),
    // or onError(IncompatibleSdp).
    virtual void acceptOffer(const std::string &remoteSdp) = 0;
    // Outgoing call: apply the peer's answer; onError(BadMediaDescription) if it cannot be used.
    virtual void acceptAnswer(const std::string &remoteSdp) = 0;

    // Re-offers for hold/resume keep ICE candidates and DTLS state; direction is one of
    // "sendrecv", "sendonly", "recvonly", "inactive", applied in our own pipeline once the
    // answer (acceptAnswer) says what was agreed.
    virtual void createReoffer(const std::string &direction) = 0;
    // The peer re-offered (hold/resume): answer from the cached description with the mirrored
    // direction (sendonly → recvonly, ...), narrowed while we hold (sendrecv → sendonly,
    // sendonly → inactive) → onLocalDescription(answer), applied in our pipeline.
    // A re-offer that changes ICE credentials (ICE restart) → onError(IncompatibleSdp).
    virtual void acceptReoffer(const std::string &remoteSdp) = 0;
    virtual void setMuted(bool muted) = 0;
    // We hold the call: send silence and drop what arrives, at once and whatever the SDP
    // direction (there is no music on hold). Also decides how acceptReoffer answers.
    virtual void setHeld(bool held) = 0;

    // True once offer and answer both carry RFC 4733 telephone-event at 48 kHz (we always offer
    // it, and answer it when offered), so sendDtmf can be used.
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
};

// The WebRTC profile: GStreamer webrtcbin, ICE, DTLS-SRTP, Opus, BUNDLE, rtcp-mux.
std::unique_ptr<MediaSession> createWebRtcMedia(GMainContext *loop, const MediaOptions &options,
                                                MediaSession::Callbacks callbacks);

// GStreamer pipelines and webrtcbins of media sessions not yet finalized (each session holds one
// of each while open): for statistics and leak checks; 0 once every session is closed.
int liveMediaObjects();

// Once per process, early: gst_init and DTLS certificate pre-generation, so the first call does
// not pay for it. Safe to call repeatedly and from any thread.
void prewarmMedia();
// Runs prewarmMedia once per process on a background thread (the first call starts it).
void startMediaPrewarm();
// Waits (at most `budget`) for a prewarm started by startMediaPrewarm to finish. Worker
// destruction calls it: a short-lived program (register, exit) must not leave the process while
// that thread is inside GStreamer/OpenSSL, whose exit-time cleanup would pull memory from under it.
void awaitMediaPrewarm(std::chrono::milliseconds budget);

}  // namespace sipw
