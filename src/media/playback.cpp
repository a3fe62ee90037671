// One playback: live silence ─┐
//               decoded file ─┴ audiomixer → 48k mono → output sink bin
// The mixer, clocked by the live silence, plays the file in real time into any output (also a
// WAV file or nothing); the file's end is seen on its mixer pad (the mixer itself goes on).
#include "media/playback.hpp"

#include "media/audio_bins.hpp"
#include "base/loop_post.hpp"

#include <gst/gst.h>

namespace sipw {

bool PlaybackIds::add(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_.insert(id).second;
}

void PlaybackIds::remove(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    ids_.erase(id);
}

bool PlaybackIds::contains(const std::string &id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_.count(id) > 0;
}

namespace {
// How long stopping waits for the output to take its end (a WAV header is rewritten then).
constexpr GstClockTime kFinalizeWait = 2 * GST_SECOND;
}  // namespace

class Playback : public std::enable_shared_from_this<Playback> {
public:
    using Ended = std::function<void(const std::string &reason, const std::string &detail)>;
    using Poster = LoopPoster<Playback>;

    Playback(GMainContext *context, PlayRequest request, Ended ended)
        : context_(g_main_context_ref(context)), request_(std::move(request)), ended_(std::move(ended)) {}

    ~Playback() {
        teardown();
        g_main_context_unref(context_);
    }

    // Builds and starts the pipeline; false (with an English reason) if it cannot.
    bool start(std::string &error) {
        poster_ = std::make_unique<Poster>(context_, weak_from_this());
        pipeline_ = GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new(nullptr)));  // ours, not floating
        GstElement *silence = makeLiveSilence();
        GstElement *silenceCaps = gst_element_factory_make("capsfilter", nullptr);
        mixer_ = makeLiveMixer();
        GstElement *outCaps = gst_element_factory_make("capsfilter", nullptr);
        AudioBin sink = makeAudioSink(request_.output);
        if (!silence || !silenceCaps || !mixer_ || !outCaps || !sink.bin) {
            for (GstElement *e : {silence, silenceCaps, mixer_, outCaps, sink.bin})
                if (e) gst_object_unref(gst_object_ref_sink(e));
            mixer_ = nullptr;
            error = sink.bin ? "a GStreamer element is missing" : sink.error;
            return false;
        }
        noDevice_ = sink.noDevice;
        GstCaps *raw = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT,
                                           kAudioRate, "channels", G_TYPE_INT, 1, nullptr);
        g_object_set(silenceCaps, "caps", raw, nullptr);
        g_object_set(outCaps, "caps", raw, nullptr);
        gst_caps_unref(raw);
        sinkBin_ = sink.bin;
        gst_bin_add_many(GST_BIN(pipeline_), silence, silenceCaps, mixer_, outCaps, sink.bin, nullptr);
        if (!gst_element_link_many(silence, silenceCaps, mixer_, outCaps, sink.bin, nullptr))
            return error = "could not link the playback pipeline", false;
        if (!addFile(error)) return false;

        GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_));
        busWatch_ = gst_bus_create_watch(bus);
        g_source_set_callback(busWatch_, G_SOURCE_FUNC(&Playback::onBusMessage), poster_->clone(), &Poster::deleteClone);
        g_source_attach(busWatch_, context_);
        gst_object_unref(bus);
        if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
            return error = "the playback pipeline could not start", false;
        return true;
    }

    bool outputFellBack() const { return noDevice_; }

    // Ends the output (a WAV file gets its final header), then the pipeline; reports `reason`.
    void finish(const std::string &reason, const std::string &detail = {}) {
        if (finished_) return;
        finished_ = true;
        finalizeOutput();
        teardown();
        if (ended_) ended_(reason, detail);
    }

private:
    // A fresh decoder for the file on a new mixer pad (see addMixedFile).
    bool addFile(std::string &error) {
        auto onEnd = [poster = *poster_] { poster.post([](Playback &p) { p.onFileEnded(); }); };
        return addMixedFile(request_.source, pipeline_, mixer_, onEnd, file_, error);
    }

    void removeFile() { removeMixedFile(pipeline_, mixer_, file_); }

    void onFileEnded() {
        if (finished_) return;
        if (!request_.loop) return finish("finished");
        removeFile();
        std::string error;
        if (!addFile(error)) finish("error", error);
    }

    static gboolean onBusMessage(GstBus *, GstMessage *message, gpointer posterPtr) {
        if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR) return G_SOURCE_CONTINUE;
        GError *error = nullptr;
        gst_message_parse_error(message, &error, nullptr);
        std::string detail = error ? error->message : "playback error";
        g_clear_error(&error);
        static_cast<Poster *>(posterPtr)->post([detail](Playback &p) { p.finish("error", detail); });
        return G_SOURCE_CONTINUE;
    }

    // EOS straight into the output and a bounded wait for it to arrive there (the bus watch is
    // gone by then, so the bus can be read directly).
    void finalizeOutput() {
        if (!pipeline_ || !sinkBin_) return;
        if (busWatch_) {
            g_source_destroy(busWatch_);
            g_source_unref(busWatch_);
            busWatch_ = nullptr;
        }
        GstPad *in = gst_element_get_static_pad(sinkBin_, "sink");
        GstEvent *started = gst_pad_get_sticky_event(in, GST_EVENT_STREAM_START, 0);
        if (started) {
            gst_event_unref(started);
            gst_pad_send_event(in, gst_event_new_eos());
            GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_));
            GstMessage *done = gst_bus_timed_pop_filtered(bus, kFinalizeWait,
                                                          GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
            if (done) gst_message_unref(done);
            gst_object_unref(bus);
        } else if (request_.output.kind == AudioEndpoint::Kind::File) {
            writeEmptyRecording(request_.output.path);  // nothing reached the output yet
        }
        gst_object_unref(in);
    }

    void teardown() {
        if (busWatch_) {
            g_source_destroy(busWatch_);
            g_source_unref(busWatch_);
            busWatch_ = nullptr;
        }
        if (!pipeline_) return;
        // After a decoding error the pipeline's state change to PAUSED is still marked failed,
        // and the first change to NULL reports that failure instead of doing it; the second does it.
        for (int attempt = 0; attempt < 3; ++attempt) {
            if (gst_element_set_state(pipeline_, GST_STATE_NULL) != GST_STATE_CHANGE_FAILURE) break;
            GstState state = GST_STATE_VOID_PENDING;
            gst_element_get_state(pipeline_, &state, nullptr, 0);
            if (state == GST_STATE_NULL) break;
        }
        GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_));
        gst_bus_set_flushing(bus, TRUE);
        gst_object_unref(bus);
        file_ = MixedFile();  // goes with the pipeline
        mixer_ = sinkBin_ = nullptr;
        gst_object_unref(pipeline_);
        pipeline_ = nullptr;
    }

    GMainContext *context_;
    PlayRequest request_;
    Ended ended_;
    std::unique_ptr<Poster> poster_;
    GstElement *pipeline_ = nullptr;  // owned
    GstElement *mixer_ = nullptr;     // owned by pipeline_
    GstElement *sinkBin_ = nullptr;   // owned by pipeline_
    MixedFile file_;                  // this round of the file, in pipeline_
    GSource *busWatch_ = nullptr;
    bool noDevice_ = false;
    bool finished_ = false;
};

Playbacks::Playbacks(GMainContext *context, std::shared_ptr<PlaybackIds> ids, Emit emit)
    : context_(g_main_context_ref(context)), ids_(std::move(ids)), emit_(std::move(emit)) {}

Playbacks::~Playbacks() {
    stopAll();
    g_main_context_unref(context_);
}

void Playbacks::play(const PlayRequest &request) {
    std::string id = request.playId;
    auto playback = std::make_shared<Playback>(context_, request, [this, id](const std::string &reason,
                                                                             const std::string &detail) {
        ended(id, reason, detail);
    });
    std::string error;
    gst_init(nullptr, nullptr);
    if (!playback->start(error)) {
        ended(id, "error", error);
        return;
    }
    playing_[id] = playback;
    if (playback->outputFellBack())
        emit_(CauseData::warning("no_sound_device", {"output"}, "system", {{"playId", id}}));
    emit_(CauseData("playStarted", "playStarted").data({{"playId", id}, {"file", request.source}}));
}

void Playbacks::stop(const std::string &playId) {
    auto it = playing_.find(playId);
    if (it == playing_.end()) return;
    auto keep = it->second;  // finish() reports through ended(), which erases it
    keep->finish("stopped");
}

void Playbacks::stopAll() {
    while (!playing_.empty()) stop(playing_.begin()->first);
}

void Playbacks::ended(const std::string &playId, const std::string &reason, const std::string &detail) {
    playing_.erase(playId);
    ids_->remove(playId);
    nlohmann::json data = {{"playId", playId}, {"reason", reason}};
    if (!detail.empty()) data["detail"] = detail;
    emit_(CauseData("playEnded", "playEnded").data(data));
}

}  // namespace sipw
