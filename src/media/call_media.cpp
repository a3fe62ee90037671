#include "media/call_media.hpp"

#include "media/media_runtime.hpp"

namespace sipw {
namespace {

constexpr guint64 kMixerMarginMs = 60;       // decode + one packet beyond the jitterbuffer
constexpr guint kReceiveCheckMs = 500;       // how often the RTP timeout is checked

}  // namespace

CallMedia::CallMedia(GMainContext *context, const MediaOptions &options, MediaSession::Callbacks callbacks,
                     MediaProfile profile)
    : context_(g_main_context_ref(context)), options_(options), callbacks_(std::move(callbacks)), profile_(profile),
      dtmf_(context, [this](const std::string &detail) {
          if (!closed_ && callbacks_.onDtmfFailed) callbacks_.onDtmfFailed(detail);
      }) {}

CallMedia::~CallMedia() {
    close();
    g_main_context_unref(context_);
}

void CallMedia::start() {
    ensureGstInitialized();
    poster_ = std::make_unique<Poster>(context_, weak_from_this());
    std::string error;
    if (!buildShared(error) || !buildTransport(error)) {
        failLater(MediaError::Internal, error);
        teardown();
        return;
    }
    if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        failLater(MediaError::Internal, "the media pipeline could not start");
        teardown();
    }
}

// ---- building -------------------------------------------------------------------------------

bool CallMedia::buildShared(std::string &error) {
    pipeline_ = GstRef<GstElement>::adopt(gst_pipeline_new(nullptr));
    countUntilFinalized(pipeline_.get());
    GstElement *bin = pipeline_.get();

    // Send path, up to the tee; the encoder follows once a codec is agreed.
    // Our transports' send path never blocks (sinks that do not sync): a tone or silence is
    // pushed by the shared ticker instead of a thread of the call's own. webrtcbin's may wait.
    AudioBin source = makeAudioSource(options_.input, onSharedThreads());
    if (!source.bin) return error = source.error, false;
    if (source.noDevice) warnLater("no_sound_device", "input");
    // S16LE mono at kAudioRate from the source on: the encoders only change the rate.
    sendVolume_ = makeElement("volume", error);
    inputSelector_ = makeElement("input-selector", error);
    // A stream that is not selected is dropped, not held until the selected one catches up: the
    // send path is live and its source may be the shared ticker.
    if (inputSelector_) g_object_set(inputSelector_, "sync-streams", FALSE, nullptr);
    sendTee_ = makeElement("tee", error);
    if (sendTee_) g_object_set(sendTee_, "allow-not-linked", TRUE, nullptr);
    if (!addChain(bin, {source.bin, inputSelector_, sendVolume_, sendTee_}, error))
        return false;
    configuredInput_ = GstRef<GstPad>::adopt(gst_element_get_static_pad(inputSelector_, "sink_0"));

    // The codec and RFC 4733 tones meet in the mux (its priority sink mutes the codec during a
    // tone); the tones' source joins at the first DTMF (attachDtmfSource).
    dtmfMux_ = makeElement("rtpdtmfmux", error);
    if (!addChain(bin, {dtmfMux_}, error)) return false;
    sendOutput_ = GstRef<GstPad>::adopt(gst_element_get_static_pad(dtmfMux_, "src"));

    // Receive path: the received streams' decoders feed the selector (linkReceivedPad).
    receiveSelector_ = makeElement("input-selector", error);
    // Here too a stream that is not selected is dropped, not held: the rtp profiles push received
    // audio on shared threads that must not wait.
    if (receiveSelector_) g_object_set(receiveSelector_, "sync-streams", FALSE, nullptr);
    recvTee_ = makeElement("tee", error);
    if (recvTee_) g_object_set(recvTee_, "allow-not-linked", TRUE, nullptr);
    if (!addChain(bin, {receiveSelector_, recvTee_}, error)) return false;
    AudioBin sink = makeAudioSink(options_.output);
    if (!sink.bin) return error = sink.error, false;
    if (sink.noDevice) warnLater("no_sound_device", "output");
    if (!linkOutput(sink, error)) return false;

    GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(bin));  // transfer full
    busWatch_ = gst_bus_create_watch(bus);
    g_source_set_callback(busWatch_, G_SOURCE_FUNC(&CallMedia::onBusWatch), poster_->clone(), &Poster::deleteClone);
    g_source_attach(busWatch_, context_);
    gst_object_unref(bus);
    return true;
}

// Received audio arrives a jitterbuffer later than the live silence of a mixer.
GstClockTime CallMedia::receivedAudioLatency() const {
    return (guint64(options_.jitterBufferMs) + kMixerMarginMs) * GST_MSECOND;
}

// What is received → the output: through a mixer with live silence (a recording runs in real
// time whatever arrives, hold can drop what arrives), or straight to a null sink.
bool CallMedia::linkOutput(const AudioBin &sink, std::string &error) {
    GstElement *bin = pipeline_.get();
    if (options_.output.kind == AudioEndpoint::Kind::Null || sink.noDevice) {
        // Nobody listens: no live silence and no mixing (two threads and a mix per call), and
        // decoding only until the peer's audio starts (and for recordings).
        outputHeard_ = false;
        if (!addChain(bin, {sink.bin}, error)) return false;
        if (!gst_element_link(recvTee_, sink.bin)) return error = "could not link the null output", false;
        return true;
    }
    GstElement *mixer = makeLiveMixer(receivedAudioLatency());
    if (!addChain(bin, {makeLiveSilence(), makeRawCapsFilter(), mixer, makeRawCapsFilter(), sink.bin}, error))
        return false;
    GstPad *teeSrc = requestTeeSrcPad(recvTee_);  // owned by the tee
    // Our transports receive on a thread shared by every call, and a mixer's input may wait
    // until the mixer took the previous buffer: a queue of the call's own waits instead.
    GstRef<GstPad> toMixer = !onSharedThreads() ? GstRef<GstPad>::share(teeSrc)
                                                : throughQueue(bin, teeSrc, receivedAudioLatency(), error);
    if (!toMixer) {
        gst_object_unref(teeSrc);
        return false;
    }
    bool linked = linkToRequested(toMixer.get(), mixer, "sink_%u", remoteMixerPad_);
    gst_object_unref(teeSrc);
    if (!linked) return error = "could not link received audio to the mixer", false;
    if (sink.recorder) outputFile_.watch(sink.bin, sink.recorder);
    return true;
}

bool CallMedia::useCodec(AudioCodec codec, int payloadType, std::string &error, bool agreed) {
    if (!usable()) return error = "the call has no media", false;
    const CodecSpec &spec = codecSpec(codec);
    if (codec_ != &spec || codecPayload_ != payloadType || !encoder_) {
        if (!startEncoder(spec, payloadType, error)) return false;
    }
    if (agreed && reportedCodec_ != spec.sdpName && callbacks_.onNegotiated) {
        reportedCodec_ = spec.sdpName;
        post<CallMedia>([](CallMedia &m) {
            if (!m.closed_ && m.callbacks_.onNegotiated && m.codec_)
                m.callbacks_.onNegotiated(profileName(m.profile_), m.codec_->sdpName);
        });
    }
    return true;
}

bool CallMedia::startEncoder(const CodecSpec &spec, int payloadType, std::string &error) {
    removeEncoder();
    GstElement *encoder = makeEncoderBin(spec, payloadType, options_.ptimeMs, options_.opusComplexity, error);
    if (!encoder) return false;
    gst_bin_add(GST_BIN(pipeline_.get()), encoder);
    encoder_ = encoder;
    // Playing before the tee's thread can push into it: a flushing branch would stop the source.
    gst_element_sync_state_with_parent(encoder);
    GstPad *in = gst_element_get_static_pad(encoder, "sink"), *out = gst_element_get_static_pad(encoder, "src");
    bool linked = linkToRequested(out, dtmfMux_, "sink_%u", encoderMuxPad_);
    GstPad *teeSrc = linked ? requestTeeSrcPad(sendTee_) : nullptr;  // transfer full
    encoderTeePad_ = GstRef<GstPad>::adopt(teeSrc);
    linked = linked && teeSrc && gst_pad_link(teeSrc, in) == GST_PAD_LINK_OK;
    gst_object_unref(in);
    gst_object_unref(out);
    if (!linked) {
        removeEncoder();
        return error = std::string("could not link the ") + spec.sdpName + " encoder", false;
    }
    codec_ = &spec;
    codecPayload_ = payloadType;
    GstPad *encoded = gst_element_get_static_pad(encoder, "src");
    gst_pad_add_probe(encoded, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer poster) {
        static_cast<Poster *>(poster)->post([](CallMedia &m) { m.onEncoderStarted(); });
        return GST_PAD_PROBE_REMOVE;
    }, poster_->clone(), &Poster::deleteClone);
    gst_object_unref(encoded);
    if (telephoneEventPayload_ >= 0) dtmf_.setPayload(telephoneEventPayload_, spec.clockRate);
    return true;
}

void CallMedia::removeEncoder() {
    if (!encoder_) return;
    // Unlinked first, so the tee's streaming thread no longer enters it while it stops.
    if (encoderTeePad_) {
        if (GstPad *peer = gst_pad_get_peer(encoderTeePad_.get())) {
            gst_pad_unlink(encoderTeePad_.get(), peer);
            gst_object_unref(peer);
        }
        gst_element_release_request_pad(sendTee_, encoderTeePad_.get());
    }
    gst_element_set_state(encoder_, GST_STATE_NULL);
    if (encoderMuxPad_) gst_element_release_request_pad(dtmfMux_, encoderMuxPad_.get());
    gst_bin_remove(GST_BIN(pipeline_.get()), encoder_);
    encoder_ = nullptr;
    encoderTeePad_.reset();
    encoderMuxPad_.reset();
}

void CallMedia::useTelephoneEvent(int payloadType) {
    telephoneEventPayload_ = payloadType;
    if (payloadType >= 0 && codec_) dtmf_.setPayload(payloadType, codec_->clockRate);
}

// ---- direction, hold, mute, RTP timeout ---------------------------------------------------------

void CallMedia::applyDirection(const std::string &direction) {
    direction_ = direction;
    bool agreedToSend = direction == "sendrecv" || direction == "sendonly";
    bool sending = !muted_ && !held_ && agreedToSend;
    bool receiving = !held_ && (direction == "sendrecv" || direction == "recvonly");
    // Muting sends silence (as a browser's disabled track does): RTP keeps flowing.
    if (sendVolume_) g_object_set(sendVolume_, "mute", !sending, nullptr);
    if (remoteMixerPad_) g_object_set(remoteMixerPad_.get(), "mute", !receiving, nullptr);
    allowSending(agreedToSend);
}

void CallMedia::setMuted(bool muted) {
    muted_ = muted;
    applyDirection(direction_);
}

void CallMedia::setHeld(bool held) {
    held_ = held;
    applyDirection(direction_);
}

void CallMedia::keepStats(const MediaStats &reading, bool live) {
    if (!reading.valid) return;
    std::string codec = reading.codec.empty() ? stats_.codec : reading.codec;
    stats_ = reading;
    if (codec.empty() && codec_) codec = codecName(codec_->codec);
    stats_.codec = codec;
    if (live && callbacks_.onStats) callbacks_.onStats(stats_);
}

void CallMedia::reportConnected() {
    if (connected_) return;
    connected_ = true;
    lastReceivedUs_ = g_get_monotonic_time();
    checkReceiving();
    if (callbacks_.onConnected) callbacks_.onConnected();
}

// Every kReceiveCheckMs while media flows. Only a call both sides keep sendrecv is expected to
// receive all the time: a held call (either side) may be silent for as long as it likes.
void CallMedia::checkReceiving() {
    if (!usable() || options_.rtpTimeoutMs <= 0) return;
    gint64 now = g_get_monotonic_time();
    if (held_ || direction_ != "sendrecv") {
        lastReceivedUs_ = now;
    } else if (now - lastReceivedUs_ > gint64(options_.rtpTimeoutMs) * 1000) {
        return fail(MediaError::MediaTimeout,
                    "no RTP received for " + std::to_string(options_.rtpTimeoutMs / 1000.0).substr(0, 4) + " s");
    }
    receiveWatch_.start(kReceiveCheckMs, [this] { checkReceiving(); }, context_);
}

// ---- DTMF, recording, files ---------------------------------------------------------------------

void CallMedia::sendDtmf(const std::string &tones, int durationMs, int gapMs) {
    if (!usable()) return;
    if (!telephoneEventNegotiated()) {
        poster_->post([](CallMedia &m) {
            if (!m.closed_ && m.callbacks_.onDtmfFailed)
                m.callbacks_.onDtmfFailed("the peer did not negotiate telephone-event (RFC 4733)");
        });
        return;
    }
    pendingTones_.push_back({tones, durationMs, gapMs});
    sendPendingTones();
}

void CallMedia::onEncoderStarted() {
    if (encoderStarted_ || !usable()) return;
    encoderStarted_ = true;
    sendPendingTones();
}

// Tones go once the codec's first packet has gone.
void CallMedia::sendPendingTones() {
    if (!encoderStarted_ || pendingTones_.empty()) return;
    std::string error;
    if (!attachDtmfSource(error)) {
        pendingTones_.clear();
        if (callbacks_.onDtmfFailed) callbacks_.onDtmfFailed(error);
        return;
    }
    for (const Tones &t : std::exchange(pendingTones_, {})) dtmf_.send(t.tones, t.durationMs, t.gapMs);
}

// rtpdtmfsrc runs a thread of its own, idle until a tone: made for the call's first DTMF rather
// than with every call. It plays in the running pipeline from then on.
bool CallMedia::attachDtmfSource(std::string &error) {
    if (dtmf_.attached()) return true;
    GstElement *source = makeElement("rtpdtmfsrc", error);
    if (!source) return false;
    // Three start and end packets, as RFC 4733 recommends for the end.
    g_object_set(source, "packet-redundancy", 3u, nullptr);
    if (!addChain(pipeline_.get(), {source}, error)) return false;
    GstPad *out = gst_element_get_static_pad(source, "src");
    GstRef<GstPad> muxPad;
    bool linked = linkToRequested(out, dtmfMux_, "priority_sink_%u", muxPad);
    gst_object_unref(out);
    if (!linked || !gst_element_sync_state_with_parent(source)) {
        gst_element_set_state(source, GST_STATE_NULL);
        gst_bin_remove(GST_BIN(pipeline_.get()), source);
        if (muxPad) gst_element_release_request_pad(dtmfMux_, muxPad.get());
        return error = "could not start the DTMF source", false;
    }
    dtmf_.attach(source);
    return true;
}

bool CallMedia::startRecording(const std::string &path, MediaSession::RecordWhat what, std::string &error) {
    if (!usable()) return error = "the call has no media", false;
    std::vector<GstElement *> tees;
    if (what != MediaSession::RecordWhat::Sent) tees.push_back(recvTee_);
    if (what != MediaSession::RecordWhat::Received) tees.push_back(sendTee_);
    if (what != MediaSession::RecordWhat::Sent) {
        wakeDecoders();
        recording_ = true;  // before the recorder links: it waits for decoded audio
    }
    if (recorder_.start(pipeline_.get(), tees, receivedAudioLatency(), path, error)) return true;
    recording_ = false;
    parkDecodersIfIdle();
    return false;
}

void CallMedia::stopRecording() {
    if (pipeline_) recorder_.stop();
    recording_ = false;
    parkDecodersIfIdle();
}

bool CallMedia::playFile(const std::string &source, bool loop, std::string &error) {
    if (!usable()) return error = "the call has no media", false;
    stopPlayingFile();
    auto onEnd = [poster = *poster_] { poster.post([](CallMedia &m) { m.onFileEnded(); }); };
    return fileInput_.start(pipeline_.get(), inputSelector_, source, loop, onEnd, error);
}

void CallMedia::stopPlayingFile() {
    if (pipeline_) fileInput_.stop(configuredInput_.get());
}

void CallMedia::onFileEnded() {
    if (closed_ || !fileInput_.playing()) return;
    // A looping file starts over; otherwise the live silence goes on until stopPlayingFile.
    if (!fileInput_.ended() && callbacks_.onPlayFileEnded) callbacks_.onPlayFileEnded();
}

// ---- errors, bus, teardown ------------------------------------------------------------------------

void CallMedia::fail(MediaError error, const std::string &detail) {
    if (closed_ || failed_) return;
    failed_ = true;
    receiveWatch_.cancel();
    dtmf_.stop();
    if (callbacks_.onError) callbacks_.onError(error, detail);
}

void CallMedia::failLater(MediaError error, const std::string &detail) {
    poster_->post([error, detail](CallMedia &m) { m.fail(error, detail); });
}

void CallMedia::refuseLater(const std::string &detail) {
    poster_->post([detail](CallMedia &m) {
        if (m.usable() && m.callbacks_.onError) m.callbacks_.onError(MediaError::IncompatibleSdp, detail);
    });
}

void CallMedia::warnLater(const std::string &key, const std::string &arg) {
    poster_->post([key, arg](CallMedia &m) {
        if (!m.closed_ && m.callbacks_.onWarning) m.callbacks_.onWarning(key, arg);
    });
}

// Bus watch on the loop context (a sync handler returning DROP leaks whole pipelines).
gboolean CallMedia::onBusWatch(GstBus *, GstMessage *message, gpointer posterPtr) {
    static_cast<Poster *>(posterPtr)->runIfAlive([message](CallMedia &m) { m.handleBusMessage(message); });
    return G_SOURCE_CONTINUE;
}

void CallMedia::handleBusMessage(GstMessage *message) {
    if (closed_) return;
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT && gst_message_has_name(message, "dtmf-event-processed")) {
        gboolean start = FALSE;
        gst_structure_get_boolean(gst_message_get_structure(message), "start", &start);
        bool started = start;
        // Reported from a task, like everything else, so a callback never runs twice at once.
        poster_->post([started](CallMedia &m) {
            if (!m.closed_) m.dtmf_.onProcessed(started);
        });
        return;
    }
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_LATENCY) {
        // A received stream is linked while playing, which changes the pipeline's latency.
        // Unless it is recomputed, the output mixer keeps the latency it had with only the live
        // silence, and received audio arriving a little behind (a loaded machine) is dropped as
        // late: a call silent in one direction.
        poster_->post([](CallMedia &m) {
            if (m.pipeline_ && !m.closed_) gst_bin_recalculate_latency(GST_BIN(m.pipeline_.get()));
        });
        return;
    }
    if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR) return onBusMessage(message);
    GError *error = nullptr;
    gst_message_parse_error(message, &error, nullptr);
    const char *sourceName = GST_MESSAGE_SRC_NAME(message);
    bool transport = sourceName && isTransportElement(sourceName);
    std::string detail = std::string(sourceName ? sourceName : "?") + ": " + (error ? error->message : "error");
    g_clear_error(&error);
    failLater(transport ? MediaError::IceFailed : MediaError::Internal, detail);
}

void CallMedia::close() {
    if (closed_) return;
    closed_ = true;
    receiveWatch_.cancel();
    dtmf_.stop();
    stopRecording();
    if (!outputFile_.finish()) writeEmptyRecording(options_.output.path);
    if (closeTransport()) {
        if (sendVolume_) g_object_set(sendVolume_, "mute", TRUE, nullptr);
        return;
    }
    teardown();
}

void CallMedia::finishClose() { teardown(); }

// The one cleanup path: stop, drop every hook, release every reference.
void CallMedia::teardown() {
    if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
    if (busWatch_) {
        g_source_destroy(busWatch_);
        g_source_unref(busWatch_);
        busWatch_ = nullptr;
    }
    if (pipeline_) {
        GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_.get()));
        gst_bus_set_flushing(bus, TRUE);  // drops queued messages and the refs they hold
        gst_object_unref(bus);
    }
    releaseTransport();
    dtmf_.attach(nullptr);
    recorder_.drop();
    fileInput_.drop();
    outputFile_.reset();
    {
        std::lock_guard<std::mutex> lock(receivedMutex_);
        received_.clear();
    }
    configuredInput_.reset();
    sendOutput_.reset();
    remoteMixerPad_.reset();
    encoderTeePad_.reset();
    encoderMuxPad_.reset();
    sendVolume_ = inputSelector_ = sendTee_ = dtmfMux_ = receiveSelector_ = recvTee_ = encoder_ = nullptr;
    pipeline_.reset();
}

// ---- the MediaSession handed to sessions ---------------------------------------------------------

namespace {

class CallMediaSession final : public MediaSession {
public:
    explicit CallMediaSession(std::shared_ptr<CallMedia> media) : media_(std::move(media)) {}
    ~CallMediaSession() override { media_->close(); }
    void createOffer() override { media_->createOffer(); }
    void acceptOffer(const std::string &sdp) override { media_->acceptOffer(sdp); }
    void acceptAnswer(const std::string &sdp) override { media_->acceptAnswer(sdp); }
    std::string profile() const override { return profileName(media_->mediaProfile()); }
    std::string checkAnswer(const std::string &sdp) const override { return media_->checkAnswer(sdp); }
    std::string refusalHint() const override { return media_->refusalHint(); }
    std::string updateAnswer(const std::string &sdp) override { return media_->updateAnswer(sdp); }
    MediaStats stats() const override { return media_->stats(); }
    void createReoffer(const std::string &direction) override { media_->createReoffer(direction); }
    void acceptReoffer(const std::string &sdp) override { media_->acceptReoffer(sdp); }
    void setMuted(bool muted) override { media_->setMuted(muted); }
    void setHeld(bool held) override { media_->setHeld(held); }
    bool telephoneEventNegotiated() const override { return media_->telephoneEventNegotiated(); }
    void sendDtmf(const std::string &tones, int durationMs, int gapMs) override {
        media_->sendDtmf(tones, durationMs, gapMs);
    }
    bool startRecording(const std::string &path, RecordWhat what, std::string &error) override {
        return media_->startRecording(path, what, error);
    }
    void stopRecording() override { media_->stopRecording(); }
    bool playFile(const std::string &source, bool loop, std::string &error) override {
        return media_->playFile(source, loop, error);
    }
    void stopPlayingFile() override { media_->stopPlayingFile(); }
    void close() override { media_->close(); }

private:
    std::shared_ptr<CallMedia> media_;
};

}  // namespace

std::unique_ptr<MediaSession> asMediaSession(std::shared_ptr<CallMedia> media) {
    media->start();
    return std::make_unique<CallMediaSession>(std::move(media));
}

}  // namespace sipw
