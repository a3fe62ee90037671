// Sending DTMF as RFC 4733 telephone-events through GStreamer's rtpdtmfsrc, one tone at a time:
// start → (processed) → duration → stop → (processed) → gap → next. rtpdtmfsrc reports each step
// with a dtmf-event-processed bus message; waiting for it keeps the digits in order and whole (it
// enforces 250 ms tones and 100 ms gaps itself). Loop thread only.
#pragma once

#include "base/one_shot_timer.hpp"

#include <gst/gst.h>

#include <deque>
#include <functional>
#include <string>

namespace sipw {

class DtmfSender {
public:
    using Failed = std::function<void(const std::string &detail)>;
    // `failed` gets an English detail when a tone cannot be sent (the rest are dropped).
    DtmfSender(GMainContext *context, Failed failed) : context_(context), failed_(std::move(failed)) {}

    // rtpdtmfsrc of the call (transfer none: owned by its pipeline), given the payload set so
    // far; null detaches.
    void attach(GstElement *source);
    bool attached() const { return source_ != nullptr; }
    // The negotiated telephone-event payload type and the RTP clock it runs at (the codec's).
    void setPayload(int payloadType, int clockRate);
    // Queues `tones` (0-9 * # A-D, already validated) behind those still being sent.
    void send(const std::string &tones, int durationMs, int gapMs);
    // A dtmf-event-processed message from the bus.
    void onProcessed(bool started);
    // Drops the queue and any tone under way (no callback).
    void stop();

private:
    enum class Step { Idle, Starting, Playing, Stopping, Pausing };
    struct Tone {
        int code = 0;
        int durationMs = 0;
        int gapMs = 0;
    };
    void next();
    void onTimer();
    bool sendEvent(bool start);
    void arm(guint ms) { timer_.start(ms, [this] { onTimer(); }, context_); }
    void fail(const std::string &detail);

    GMainContext *context_;
    Failed failed_;
    GstElement *source_ = nullptr;
    int payloadType_ = -1, clockRate_ = 0;
    std::deque<Tone> queue_;
    Tone current_;
    Step step_ = Step::Idle;
    OneShotTimer timer_;
};

}  // namespace sipw
