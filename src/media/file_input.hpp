// CALL_PLAY: a file (or URL) sent into a call instead of its configured input. Loop thread only.
//
//   live silence ─┐
//   decoded file ─┴ audiomixer → 48k mono → input-selector (its own pad, made active)
//
// The mixer, clocked by the live silence, paces the file in real time and keeps the stream going
// after its end; the input-selector switches back to the configured input when it stops.
#pragma once

#include "media/audio_bins.hpp"

#include <gst/gst.h>

#include <functional>
#include <string>

namespace sipw {

class FileInput {
public:
    // Plays `source` into `selector` (both in `pipeline`, transfer none). `onEnd` runs on a
    // streaming thread once a round of the file has reached the mixer; the owner then calls
    // ended() on its loop thread. Replaces a file already playing.
    bool start(GstElement *pipeline, GstElement *selector, const std::string &source, bool loop,
               std::function<void()> onEnd, std::string &error);
    // A round ended: a looping file starts over (true); otherwise false (silence follows until stop).
    bool ended();
    // Back to `configuredInput` (the selector's pad of the call's input). No-op when not playing.
    void stop(GstPad *configuredInput);
    bool playing() const { return bin_ != nullptr; }
    // The pipeline is being torn down: forget the elements without touching them.
    void drop();

private:
    bool addRound(std::string &error);

    GstElement *pipeline_ = nullptr;  // transfer none
    GstElement *selector_ = nullptr;  // transfer none
    GstElement *bin_ = nullptr;       // owned by pipeline_
    GstElement *mixer_ = nullptr;     // owned by bin_
    GstRef<GstPad> selectorPad_;
    MixedFile round_;                 // this round of the file, in bin_
    std::string source_;
    bool loop_ = false;
    std::function<void()> onEnd_;
};

}  // namespace sipw
