// WAV files written from a call's pipeline: the `file:` output and RECORD's recordings. A WAV
// file is only complete once EOS has reached its filesink (wavenc rewrites the header then), so
// closing one sends EOS and waits for it, bounded.
#pragma once

#include "media/gst_ref.hpp"

#include <gst/gst.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sipw {

// Finishes the WAV file of a sink bin made by makeAudioSink (a `file:` output).
class WavFinisher {
public:
    // `sinkBin` and its `fileSink` (transfer none: owned by a pipeline).
    void watch(GstElement *sinkBin, GstElement *fileSink);
    bool watching() const { return static_cast<bool>(input_); }
    // EOS into the bin, then waits (bounded) until the header is written. False when no audio
    // ever reached it (closed within the mixer latency): wavenc then writes a header without a
    // stream, so the caller writes an empty WAV instead.
    bool finish();
    void reset();

private:
    struct Latch {
        std::mutex mutex;
        std::condition_variable done;
        bool reached = false;
    };
    GstRef<GstPad> input_;
    std::shared_ptr<Latch> latch_;
};

// RECORD: what passes some tees of a playing pipeline (received and/or sent audio), mixed with
// live silence so that the file runs in real time, into a WAV file. Loop thread only.
class CallRecorder {
public:
    // `latency`: how far behind the live silence the tees' audio may arrive.
    bool start(GstElement *pipeline, const std::vector<GstElement *> &tees, GstClockTime latency,
               const std::string &path, std::string &error);
    // Detaches from the tees, finishes the file (an empty WAV if nothing was written) and removes
    // the recorder's elements. No-op when not recording.
    void stop();
    bool active() const { return pipeline_ != nullptr; }
    // The pipeline is being torn down: forget the elements without touching them.
    void drop();

private:
    GstElement *pipeline_ = nullptr;  // transfer none, while recording
    std::string path_;
    std::vector<GstElement *> elements_;  // owned by pipeline_
    std::vector<std::pair<GstRef<GstElement>, GstRef<GstPad>>> teePads_;
    WavFinisher file_;
};

}  // namespace sipw
