// What every media profile shares: one GStreamer pipeline per call with
//
//   source bin → audioconvert → audioresample → 48k mono → input-selector → volume(mute) → tee
//       → encoder bin (the agreed codec) → rtpdtmfmux ─→ sendOutput(): the profile's transport
//   rtpdtmfsrc (RFC 4733, DtmfSender; added at the first tone) → rtpdtmfmux (priority sink: mutes
//       the codec during a tone)
//   a played file (CALL_PLAY, FileInput) → input-selector
//   the transport's received RTP pads (linkReceivedPad), one per stream:
//       audio → (a gate: a null output decodes only what it needs) → decoder bin → input-selector (the newest stream) → tee ─┐
//       live silence ──────────────────────────────────────── audiomixer → sink bin
//       telephone-event → rtpdtmfdepay → fakesink (events read from the RTP payload)
//   a recording (RECORD, CallRecorder) from the tees
//
// The mixer, clocked by the live silence, turns every stretch without received audio (before
// media flows, hold, loss) into silence, so a recording lasts as long as the call.
//
// A profile (media_webrtc.cpp, media_rtp.cpp) derives from CallMedia: it adds its transport to
// the pipeline, negotiates, and tells the base the agreed codec, telephone-event and direction.
// Everything runs on the loop thread of the context given at creation; GStreamer threads only
// post work there (LoopPoster), dropped once the session is gone.
#pragma once

#include "base/loop_post.hpp"
#include "base/one_shot_timer.hpp"
#include "media/audio_bins.hpp"
#include "media/audio_codecs.hpp"
#include "media/call_recorder.hpp"
#include "media/dtmf_sender.hpp"
#include "media/file_input.hpp"
#include "media/gst_ref.hpp"
#include "media_api/media_session.hpp"

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sipw {

class CallMedia : public std::enable_shared_from_this<CallMedia> {
public:
    CallMedia(GMainContext *context, const MediaOptions &options, MediaSession::Callbacks callbacks,
              MediaProfile profile);
    virtual ~CallMedia();
    CallMedia(const CallMedia &) = delete;
    CallMedia &operator=(const CallMedia &) = delete;

    // Builds the pipeline (the shared part, then the profile's transport) and plays it.
    // Failures are reported through onError, later.
    void start();

    // ---- negotiation: the profile's (see MediaSession) ----
    virtual void createOffer() = 0;
    virtual void acceptOffer(const std::string &remoteSdp) = 0;
    virtual void acceptAnswer(const std::string &remoteSdp) = 0;
    virtual std::string checkAnswer(const std::string &remoteSdp) const = 0;
    virtual std::string refusalHint() const { return {}; }
    // Outgoing call: a later answer to the same offer (a 2xx after the 18x whose answer started
    // early media); empty when applied, else why this profile cannot follow it.
    virtual std::string updateAnswer(const std::string &remoteSdp) = 0;
    // Call statistics: the last reading the profile kept (invalid, null in session info, before).
    MediaStats stats() const { return stats_; }
    virtual void createReoffer(const std::string &direction) = 0;
    virtual void acceptReoffer(const std::string &remoteSdp) = 0;

    // ---- the rest of MediaSession, the same in every profile ----
    MediaProfile mediaProfile() const { return profile_; }
    // Sent and received by threads every call shares (rtpbin over our own transports), not by
    // webrtcbin's threads: nothing on the way may block.
    bool onSharedThreads() const {
        return profile_ != MediaProfile::WebRtc || options_.webrtcTransport == WebRtcTransportKind::Shared;
    }
    void setMuted(bool muted);
    void setHeld(bool held);
    bool telephoneEventNegotiated() const { return telephoneEventPayload_ >= 0; }
    void sendDtmf(const std::string &tones, int durationMs, int gapMs);
    bool startRecording(const std::string &path, MediaSession::RecordWhat what, std::string &error);
    void stopRecording();
    bool playFile(const std::string &source, bool loop, std::string &error);
    void stopPlayingFile();
    // Stops media and finalizes the recordings; no callback after it. Idempotent.
    void close();

protected:
    using Poster = LoopPoster<CallMedia>;

    // ---- what the profile provides ----
    // Adds the transport to pipeline(): links sendOutput() (or does so once negotiated) and
    // hands its received RTP pads to linkReceivedPad.
    virtual bool buildTransport(std::string &error) = 0;
    // A bus message the shared part does not handle (loop thread).
    virtual void onBusMessage(GstMessage *) {}
    // Whether the profile's bus errors from `element` are transport failures (→ RTP Timeout).
    virtual bool isTransportElement(const char *) const { return false; }
    // The agreed direction says whether RTP may be sent at all (rtp/srtp stop sending).
    virtual void allowSending(bool) {}
    // close() stops the profile's timers here. True if the pipeline must outlive the session a
    // little (the profile then calls finishClose() itself); it is silent meanwhile.
    virtual bool closeTransport() { return false; }
    // After the pipeline is stopped: drop the profile's hooks and references (also on failure).
    virtual void releaseTransport() {}

    // ---- what the shared part gives the profile ----
    GMainContext *context() const { return context_; }
    const MediaOptions &options() const { return options_; }
    const MediaSession::Callbacks &callbacks() const { return callbacks_; }
    const Poster &poster() const { return *poster_; }
    GstElement *pipeline() const { return pipeline_.get(); }
    // rtpdtmfmux's src: the RTP the profile sends (transfer none).
    GstPad *sendOutput() const { return sendOutput_.get(); }
    bool usable() const { return !closed_ && !failed_ && pipeline_; }
    bool closed() const { return closed_; }
    bool held() const { return held_; }
    const std::string &agreedDirection() const { return direction_; }
    // The codec agreed on, if any yet.
    const CodecSpec *codec() const { return codec_; }
    int codecPayloadType() const { return codecPayload_; }

    // Encodes with `codec` at `payloadType` from now on: (re)links its encoder bin between the
    // send tee and the DTMF mux. `agreed`: offer and answer settled it, so it is reported
    // (onNegotiated) if it changed; an offerer starts its first choice before the answer, so the
    // first packet is ready when the answer comes.
    bool useCodec(AudioCodec codec, int payloadType, std::string &error, bool agreed = true);
    // The telephone-event payload type agreed at the codec's clock (-1: none, DTMF goes by INFO).
    void useTelephoneEvent(int payloadType);
    // The direction agreed in SDP, from our side; with mute and hold it decides what is sent and
    // heard (holding, we send silence and drop what arrives, whatever the SDP says).
    void applyDirection(const std::string &direction);
    // A received RTP pad of the transport (any thread): audio of a known codec to the output,
    // telephone-event to the DTMF reader, anything else (or too many streams) to nothing.
    void linkReceivedPad(GstPad *pad);
    // The transport removed a received pad (any thread): its branch goes too.
    void unlinkReceivedPad(GstPad *pad);
    // Media can flow: onConnected (once), and the RTP timeout is watched from now on.
    void reportConnected();
    // A reading of the call's counters becomes stats() (the codec named by the profile if the
    // reading has none); `live`: also reported (onStats).
    void keepStats(const MediaStats &reading, bool live);

    void fail(MediaError error, const std::string &detail);
    void failLater(MediaError error, const std::string &detail);
    // A re-offer we cannot serve: onError(IncompatibleSdp) later, and the media goes on as before.
    void refuseLater(const std::string &detail);
    void warnLater(const std::string &key, const std::string &arg);
    // Runs `work` on a later loop iteration if the session still exists.
    template <typename Profile>
    void post(std::function<void(Profile &)> work) const {
        poster_->post([work = std::move(work)](CallMedia &m) { work(static_cast<Profile &>(m)); });
    }
    // The teardown a delayed close() ends with.
    void finishClose();

private:
    struct ReceivedBranch {
        GstRef<GstPad> source;        // the transport's pad
        GstElement *branch = nullptr; // owned by the pipeline: decoder bin, or depayloader + sink bin
        GstRef<GstPad> selectorPad;   // audio only: its pad of the receive selector
    };

    bool buildShared(std::string &error);
    // Received audio is decoded for an output someone hears; for a null one only until the first
    // audio is seen (onFirstAudio) and while a recording takes it.
    bool decodingNeeded() const { return outputHeard_ || recording_ || !firstAudioSeen_; }
    // Loop thread. Stops the decoders (their state freed) while decoding is not needed; wakes them.
    void parkDecodersIfIdle();
    void wakeDecoders();
    static GstPadProbeReturn gateReceivedAudio(GstPad *, GstPadProbeInfo *info, gpointer self);
    bool linkOutput(const AudioBin &sink, std::string &error);
    GstClockTime receivedAudioLatency() const;
    bool startEncoder(const CodecSpec &spec, int payloadType, std::string &error);
    void removeEncoder();
    void onFileEnded();
    void onEncoderStarted();
    void sendPendingTones();
    bool attachDtmfSource(std::string &error);
    void checkReceiving();
    void teardown();
    static gboolean onBusWatch(GstBus *, GstMessage *message, gpointer posterPtr);
    void handleBusMessage(GstMessage *message);

    GMainContext *context_;  // owned reference
    MediaOptions options_;
    MediaSession::Callbacks callbacks_;
    MediaProfile profile_;
    std::unique_ptr<Poster> poster_;

    GstRef<GstElement> pipeline_;
    GSource *busWatch_ = nullptr;  // owned reference, attached to context_
    GstElement *sendVolume_ = nullptr;     // owned by pipeline_
    GstElement *inputSelector_ = nullptr;  // owned by pipeline_: the configured input or a file
    GstElement *sendTee_ = nullptr;        // owned by pipeline_: what is sent, for recordings
    GstElement *dtmfMux_ = nullptr;        // owned by pipeline_
    GstElement *receiveSelector_ = nullptr;  // owned by pipeline_: the newest received stream
    GstElement *recvTee_ = nullptr;        // owned by pipeline_: what is received, for recordings
    GstRef<GstPad> configuredInput_;       // input-selector's pad of the configured input
    GstRef<GstPad> sendOutput_;
    GstRef<GstPad> remoteMixerPad_;        // the output mixer's pad of what is received
    WavFinisher outputFile_;               // a `file:` output

    // The encoder of the agreed codec, between the send tee and the mux.
    GstElement *encoder_ = nullptr;        // owned by pipeline_
    GstRef<GstPad> encoderTeePad_, encoderMuxPad_;
    const CodecSpec *codec_ = nullptr;
    int codecPayload_ = -1;
    std::string reportedCodec_;
    MediaStats stats_;  // keepStats()

    std::mutex receivedMutex_;             // pad-added/removed come on GStreamer threads
    std::vector<ReceivedBranch> received_;
    std::atomic<bool> firstAudioSeen_{false};
    std::atomic<bool> outputHeard_{true};
    std::atomic<bool> recording_{false};
    std::atomic<bool> decodersParked_{false};  // set and cleared under receivedMutex_
    std::atomic<gint64> lastReceivedUs_{0};  // monotonic time of the last received RTP buffer
    OneShotTimer receiveWatch_;
    bool connected_ = false;

    CallRecorder recorder_;
    FileInput fileInput_;
    DtmfSender dtmf_;
    int telephoneEventPayload_ = -1;
    // Tones wait for the codec's first packet: a tone's packets must not reach the transport
    // before the codec's caps have (webrtcbin then never takes another buffer from the mux).
    bool encoderStarted_ = false;
    struct Tones {
        std::string tones;
        int durationMs, gapMs;
    };
    std::vector<Tones> pendingTones_;

    std::string direction_ = "sendrecv";  // agreed in SDP
    bool muted_ = false;
    bool held_ = false;
    bool failed_ = false;
    bool closed_ = false;
};

// The MediaSession handed to sessions: owns the only strong reference, so tasks still queued for
// a destroyed session find it gone and are dropped.
std::unique_ptr<MediaSession> asMediaSession(std::shared_ptr<CallMedia> media);

}  // namespace sipw
