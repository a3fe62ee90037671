// GStreamer source and sink bins for the AudioEndpoint forms of media.hpp (private to the
// media layer; parsing of the forms is in audio_endpoint.cpp).
#pragma once

#include "media/gst_ref.hpp"
#include "media_api/media_options.hpp"

#include <gst/gst.h>

#include <functional>
#include <string>

namespace sipw {

// Every bin produces or takes raw audio at this rate; the pipeline resamples around it.
constexpr int kAudioRate = 48000;

struct AudioBin {
    GstElement *bin = nullptr;       // transfer full (floating) until added to a pipeline; null on error
    GstElement *recorder = nullptr;  // transfer none: the filesink of a file recording, else null
    bool noDevice = false;           // "device" was asked for and there is none: fell back
    std::string error;               // English, when bin is null
};

// A live (or, for files, clock-paced) source of S16LE mono audio at kAudioRate (the call's raw
// caps, so the send path needs no converter of its own) with a pad "src". A file that ends
// is followed by silence, so the call goes on. `ticked`: a tone or silence comes from the shared
// ticker (ticked_source.hpp), for a downstream that never blocks.
AudioBin makeAudioSource(const AudioEndpoint &input, bool ticked = false);
// A raw audio sink with a ghost pad "sink". A file recording is 16-bit mono at kAudioRate.
AudioBin makeAudioSink(const AudioEndpoint &output);

// A new element of `factory` (floating), or null with `error` naming it (an error already set
// is kept: the first missing element is the one reported).
GstElement *makeElement(const char *factory, std::string &error);
// Links `from` to a new request pad of `to` from `templateName`; the request pad (transfer full,
// also after a failed link, for the caller to release) in `requested`.
bool linkToRequested(GstPad *from, GstElement *to, const char *templateName, GstRef<GstPad> &requested);
// A new src pad of `tee` (transfer full) holding the sticky events its sink pad holds. tee copies
// them as it makes the pad, but an event arriving meanwhile (the first stream-start and caps, as
// the pipeline starts) reaches only the pads it had: the branch then got data before its
// stream-start and caps (GStreamer's warning), and a call end sent nothing.
GstPad *requestTeeSrcPad(GstElement *tee);
// True if every element was made; otherwise releases the ones that were (floating) and says so.
bool allMade(std::initializer_list<GstElement *> elements, std::string &error);
// `elements` (floating) in a new bin (floating), linked in order, with ghost pads "sink" (the
// first one's) and "src" (the last one's) where they have them. Null, everything released, if an
// element is missing or will not link.
GstElement *chainBin(std::initializer_list<GstElement *> elements, std::string &error);
// Adds `elements` (floating) to `container` and links them in order. On a missing element
// nothing is added (and the others are released); on a link failure they stay in `container`.
bool addChain(GstElement *container, std::initializer_list<GstElement *> elements, std::string &error);
// `from` → a new queue in `container` that holds at most `most` and drops the oldest beyond (a
// thread of its own between `from` and what may wait downstream): the queue's output pad, or null
// with `error`.
GstRef<GstPad> throughQueue(GstElement *container, GstPad *from, GstClockTime most, std::string &error);
// A capsfilter for the call's raw audio: S16LE mono at kAudioRate (floating; null if missing).
GstElement *makeRawCapsFilter();

// Live silence in 20 ms buffers stamped with the running time: the clock of a mixer.
GstElement *makeLiveSilence();
// An audiomixer for a live pipeline (null if the plugin is missing), `latency` behind its live
// input. Its output starts at its first input's time, not at zero: a mixer added to a playing
// pipeline would otherwise first push the whole call so far at once (measured: the peer heard
// ~1.3 s of silence and lost the start of a played file, a recording began with silence).
GstElement *makeLiveMixer(GstClockTime latency = 0);

// A file (path) or URL (file://, http://, https://) decoded to raw mono audio at kAudioRate, as
// fast as downstream takes it, on a ghost pad "src" that ends with EOS. Pace it with a live mixer.
AudioBin makeDecodedFile(const std::string &pathOrUri);
// One round of a file mixed into a live mixer (PLAY, CALL_PLAY, each round of a loop).
struct MixedFile {
    GstElement *decoder = nullptr;  // owned by the container it was added to
    GstRef<GstPad> mixerPad;        // the mixer's request pad
};
// Adds makeDecodedFile(source) to `container` (a bin of a playing pipeline), links it to a new
// request pad of the live `mixer` and starts it. Its first buffer plays at the running time it
// is decoded at, so a file added mid-call, a loop's next round or a slow URL is neither late
// nor cut. `onEnd` runs on a streaming thread once the whole file has reached the mixer.
// On failure `file` stays empty and nothing is left in `container`.
bool addMixedFile(const std::string &source, GstElement *container, GstElement *mixer,
                  std::function<void()> onEnd, MixedFile &file, std::string &error);
// Stops the decoder, removes it from `container` and releases its mixer pad; `file` is empty after.
void removeMixedFile(GstElement *container, GstElement *mixer, MixedFile &file);

// "http://…", "https://…", "file://…": played through uridecodebin as given.
bool isAudioUrl(const std::string &text);

// Writes a valid WAV file without samples (same format as the recordings), for a call that ended
// before any audio reached the recorder: wavenc writes nothing it has not been given.
bool writeEmptyRecording(const std::string &path);

}  // namespace sipw
