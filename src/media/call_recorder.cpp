// A recording: live silence ─┐
//        queue ← a tee ──────┼ audiomixer → 48k mono → wavenc → filesink
//        queue ← another tee ┘
#include "media/call_recorder.hpp"

#include "media/audio_bins.hpp"

#include <chrono>

namespace sipw {
namespace {
constexpr auto kEosWait = std::chrono::seconds(2);
}  // namespace

void WavFinisher::watch(GstElement *sinkBin, GstElement *fileSink) {
    input_ = GstRef<GstPad>::adopt(gst_element_get_static_pad(sinkBin, "sink"));
    latch_ = std::make_shared<Latch>();
    GstPad *pad = gst_element_get_static_pad(fileSink, "sink");
    // On a streaming thread: EOS reached the file, whose header wavenc has just rewritten.
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        [](GstPad *, GstPadProbeInfo *info, gpointer latchPtr) {
            if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) {
                Latch &latch = **static_cast<std::shared_ptr<Latch> *>(latchPtr);
                std::lock_guard<std::mutex> lock(latch.mutex);
                latch.reached = true;
                latch.done.notify_all();
            }
            return GST_PAD_PROBE_OK;
        },
        new std::shared_ptr<Latch>(latch_), [](gpointer p) { delete static_cast<std::shared_ptr<Latch> *>(p); });
    gst_object_unref(pad);
}

bool WavFinisher::finish() {
    if (!input_ || !latch_) return true;
    GstEvent *started = gst_pad_get_sticky_event(input_.get(), GST_EVENT_STREAM_START, 0);
    if (!started) return false;
    gst_event_unref(started);
    // Nothing may follow the EOS into the file: wavenc has then written the final header.
    gst_pad_add_probe(input_.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                      [](GstPad *, GstPadProbeInfo *, gpointer) { return GST_PAD_PROBE_DROP; }, nullptr, nullptr);
    gst_pad_send_event(input_.get(), gst_event_new_eos());
    std::unique_lock<std::mutex> lock(latch_->mutex);
    return latch_->done.wait_for(lock, kEosWait, [this] { return latch_->reached; });
}

void WavFinisher::reset() {
    input_.reset();
    latch_.reset();
}

bool CallRecorder::start(GstElement *pipeline, const std::vector<GstElement *> &tees, GstClockTime latency,
                         const std::string &path, std::string &error) {
    stop();
    GstElement *silence = makeLiveSilence(), *silenceCaps = makeRawCapsFilter();
    GstElement *mixer = makeLiveMixer(latency), *outCaps = makeRawCapsFilter();
    AudioEndpoint file;
    file.kind = AudioEndpoint::Kind::File;
    file.path = path;
    AudioBin sink = makeAudioSink(file);
    if (!sink.bin) error = sink.error;
    if (!addChain(pipeline, {silence, silenceCaps, mixer, outCaps, sink.bin}, error)) return false;
    pipeline_ = pipeline;
    path_ = path;
    elements_ = {silence, silenceCaps, mixer, outCaps, sink.bin};
    file_.watch(sink.bin, sink.recorder);
    // Each element plays before anything can reach it, so downstream first and the tees last: a
    // source pushing into an element that is not playing yet gets FLUSHING back and stops. For a
    // tee that meant the streaming thread of what is received stopped for the rest of the call,
    // for the live silence that the mixer never started (recordings of pure silence, or empty,
    // while audio flowed; RECORD started mid-call, more often on a busy machine).
    for (auto e = elements_.rbegin(); e != elements_.rend(); ++e) gst_element_sync_state_with_parent(*e);
    for (GstElement *tee : tees) {
        GstElement *queue = gst_element_factory_make("queue", nullptr);
        // Full (a stalled recording) it drops the oldest instead of holding the tee's thread,
        // which for the rtp profiles is shared by every call.
        if (queue) gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
        if (!addChain(pipeline, {queue}, error)) {
            stop();
            return false;
        }
        elements_.push_back(queue);
        bool linked = gst_element_link(queue, mixer);
        gst_element_sync_state_with_parent(queue);
        GstPad *teeSrc = requestTeeSrcPad(tee);  // transfer full
        GstPad *queueSink = gst_element_get_static_pad(queue, "sink");
        linked = linked && gst_pad_link(teeSrc, queueSink) == GST_PAD_LINK_OK;
        gst_object_unref(queueSink);
        teePads_.push_back({GstRef<GstElement>::share(tee), GstRef<GstPad>::adopt(teeSrc)});
        if (!linked) {
            stop();
            error = "could not link the recorder";
            return false;
        }
    }
    return true;
}

void CallRecorder::stop() {
    if (!pipeline_) return;
    for (auto &[tee, pad] : teePads_) {
        if (GstPad *peer = gst_pad_get_peer(pad.get())) {
            gst_pad_unlink(pad.get(), peer);
            gst_object_unref(peer);
        }
        gst_element_release_request_pad(tee.get(), pad.get());
    }
    teePads_.clear();
    bool wrote = file_.finish();
    file_.reset();
    for (GstElement *e : elements_) {
        gst_element_set_state(e, GST_STATE_NULL);
        gst_bin_remove(GST_BIN(pipeline_), e);
    }
    elements_.clear();
    pipeline_ = nullptr;
    if (!wrote) writeEmptyRecording(path_);
}

void CallRecorder::drop() {
    teePads_.clear();
    file_.reset();
    elements_.clear();
    pipeline_ = nullptr;
}

}  // namespace sipw
