#include "media/dtmf_sender.hpp"

#include "media/rfc4733.hpp"

namespace sipw {
namespace {
// rtpdtmfsrc reports each start/stop within a packet time; no report means it is not running.
constexpr guint kStepTimeoutMs = 2000;
}  // namespace

void DtmfSender::attach(GstElement *source) {
    source_ = source;
    if (source_ && payloadType_ >= 0)
        g_object_set(source_, "pt", guint(payloadType_), "clock-rate", guint(clockRate_), nullptr);
}

void DtmfSender::setPayload(int payloadType, int clockRate) {
    payloadType_ = payloadType;
    clockRate_ = clockRate;
    attach(source_);
}

void DtmfSender::send(const std::string &tones, int durationMs, int gapMs) {
    for (char tone : tones) {
        int code = dtmfEventCode(tone);
        if (code >= 0) queue_.push_back({code, durationMs, gapMs});
    }
    if (step_ == Step::Idle) next();
}

void DtmfSender::stop() {
    timer_.cancel();
    queue_.clear();
    step_ = Step::Idle;
}

void DtmfSender::next() {
    timer_.cancel();
    if (queue_.empty()) {
        step_ = Step::Idle;
        return;
    }
    current_ = queue_.front();
    queue_.pop_front();
    step_ = Step::Starting;
    if (!sendEvent(true)) return fail("rtpdtmfsrc refused the start of a tone");
    arm(kStepTimeoutMs);
}

void DtmfSender::onProcessed(bool started) {
    if (started && step_ == Step::Starting) {
        step_ = Step::Playing;
        arm(guint(current_.durationMs));
    } else if (!started && step_ == Step::Stopping) {
        step_ = Step::Pausing;
        arm(guint(current_.gapMs));
    }
}

void DtmfSender::onTimer() {
    switch (step_) {
    case Step::Playing:
        step_ = Step::Stopping;
        if (!sendEvent(false)) return fail("rtpdtmfsrc refused the end of a tone");
        arm(kStepTimeoutMs);
        break;
    case Step::Pausing:
        next();
        break;
    case Step::Starting:
    case Step::Stopping:
        fail("rtpdtmfsrc did not process a DTMF event (is media flowing?)");
        break;
    case Step::Idle:
        break;
    }
}

// gst_element_send_event on rtpdtmfsrc returns FALSE and sends nothing; its src pad takes it.
bool DtmfSender::sendEvent(bool start) {
    if (!source_) return false;
    GstStructure *s = gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "number", G_TYPE_INT, current_.code,
                                        "volume", G_TYPE_INT, 10, "start", G_TYPE_BOOLEAN, start, nullptr);
    GstPad *src = gst_element_get_static_pad(source_, "src");
    bool sent = gst_pad_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
    gst_object_unref(src);
    return sent;
}

void DtmfSender::fail(const std::string &detail) {
    stop();
    if (failed_) failed_(detail);
}

}  // namespace sipw
