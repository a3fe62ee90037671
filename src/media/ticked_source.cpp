#include "media/ticked_source.hpp"

#include "media/audio_bins.hpp"
#include "media/pushed_source.hpp"
#include "media/ticker.hpp"

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <vector>

namespace sipw {
namespace {

constexpr GstClockTime kFrame = kTickInterval;  // one buffer per tick
constexpr int kFrameSamples = int(kAudioRate * kFrame / GST_SECOND);
// A source this far behind (a stalled machine) skips ahead, as a live source drops what it missed,
// instead of pushing the backlog at once.
constexpr GstClockTime kMostBehind = 10 * kFrame;
constexpr double kToneLevel = 0.8;  // audiotestsrc's default volume

// Whole periods of a tone, or one frame of silence. Tables live as long as the process: buffers
// point into them, on any thread, until whenever.
using Samples = std::vector<gint16>;

const Samples &silenceTable() {
    static const Samples *silence = new Samples(kFrameSamples, 0);
    return *silence;
}

// Samples in a table of `hz`: whole frames (a buffer points into one run of the table) holding
// whole periods; for a tone of a whole number of Hz that is at most one second (440 Hz: 4800
// samples). Other tones get one second, whose end meets its start off-phase once a second.
size_t toneTableSamples(double hz) {
    long long whole = std::llround(hz);
    if (double(whole) != hz) return kAudioRate;
    long long period = kAudioRate / std::gcd(whole, (long long)kAudioRate);
    return size_t(std::lcm(period, (long long)kFrameSamples));
}

const Samples &toneTable(double hz) {
    static std::mutex mutex;
    static auto *tables = new std::map<long long, std::unique_ptr<Samples>>();
    std::lock_guard<std::mutex> lock(mutex);
    auto &table = (*tables)[std::llround(hz * 1000)];
    if (!table) {
        // Paid by the set-up of the first call with this tone: a sine per sample of a whole
        // second took ~1 ms. The phasor turns by one sample's step instead, re-anchored on the
        // exact sine every kAnchorSamples so that rounding cannot accumulate.
        constexpr size_t kAnchorSamples = 480;
        const double step = 2 * M_PI * hz / kAudioRate;
        const double cosStep = std::cos(step), sinStep = std::sin(step);
        double sine = 0, cosine = 1;
        table = std::make_unique<Samples>(toneTableSamples(hz));
        for (size_t i = 0; i < table->size(); ++i) {
            if (i % kAnchorSamples == 0) {
                sine = std::sin(step * double(i));
                cosine = std::cos(step * double(i));
            }
            (*table)[i] = gint16(std::lround(kToneLevel * 32767 * sine));
            const double next = sine * cosStep + cosine * sinStep;
            cosine = cosine * cosStep - sine * sinStep;
            sine = next;
        }
    }
    return *table;
}

}  // namespace
}  // namespace sipw

// ---- the element --------------------------------------------------------------------------------

struct SipwTickedSource {
    GstElement parent;
    GstPad *src;                 // owned by the element
    const std::vector<gint16> *table;  // immortal
    // Touched by the ticker thread only, while the source is registered.
    bool started;
    GstClockTime firstTime;      // running time of the first buffer
    guint64 frames;              // buffers pushed
};

struct SipwTickedSourceClass {
    GstElementClass parent_class;
};

G_DEFINE_TYPE(SipwTickedSource, sipw_ticked_source, GST_TYPE_ELEMENT)

namespace sipw {
namespace {

SipwTickedSource *asTicked(gpointer object) { return reinterpret_cast<SipwTickedSource *>(object); }

void pushNextBuffer(GstElement *element) {
    SipwTickedSource *source = asTicked(element);
    GstClockTime now = 0;
    if (!playingRunningTime(GST_ELEMENT(source), now)) return;
    bool discont = false;
    if (!source->started) {
        GstCaps *caps = gst_pad_get_pad_template_caps(source->src);
        pushStreamStart(GST_ELEMENT(source), source->src, caps);
        gst_caps_unref(caps);
        source->started = discont = true;
        source->firstTime = now > kFrame ? now - kFrame : 0;  // the frame that just ended
        source->frames = 0;
    }
    GstClockTime pts = source->firstTime + source->frames * kFrame;
    if (now > pts + kMostBehind) {
        source->frames = (now - kFrame - source->firstTime) / kFrame;
        pts = source->firstTime + source->frames * kFrame;
        discont = true;
    }
    const std::vector<gint16> &samples = *source->table;
    size_t offset = (source->frames * kFrameSamples) % samples.size();
    GstBuffer *buffer = gst_buffer_new();
    // Read-only: an element that writes (volume when muted) gets a copy.
    gst_buffer_append_memory(buffer, gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY,
                                                            const_cast<gint16 *>(samples.data() + offset),
                                                            kFrameSamples * sizeof(gint16), 0,
                                                            kFrameSamples * sizeof(gint16), nullptr, nullptr));
    GST_BUFFER_PTS(buffer) = pts;
    GST_BUFFER_DURATION(buffer) = kFrame;
    GST_BUFFER_OFFSET(buffer) = source->frames * kFrameSamples;
    GST_BUFFER_OFFSET_END(buffer) = (source->frames + 1) * kFrameSamples;
    if (discont) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    ++source->frames;
    gst_pad_push(source->src, buffer);  // flushing, not linked: the pipeline is stopping or relinking
}

gboolean onSourceQuery(GstPad *pad, GstObject *parent, GstQuery *query) {
    if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
        gst_query_set_latency(query, TRUE, kFrame, kFrame);  // live: one frame is pushed once it has ended
        return TRUE;
    }
    return gst_pad_query_default(pad, parent, query);
}

GstStaticPadTemplate srcTemplate = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)48000, channels=(int)1, layout=(string)interleaved"));
static_assert(kAudioRate == 48000, "the pad template's rate is kAudioRate");

GstStateChangeReturn changeState(GstElement *element, GstStateChange transition) {
    SipwTickedSource *source = asTicked(element);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) stopTicking(element);
    GstStateChangeReturn result =
        GST_ELEMENT_CLASS(sipw_ticked_source_parent_class)->change_state(element, transition);
    if (result == GST_STATE_CHANGE_FAILURE) return result;
    switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
        source->started = false;
        startTicking(element, pushNextBuffer);
        return GST_STATE_CHANGE_NO_PREROLL;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
        return GST_STATE_CHANGE_NO_PREROLL;
    default:
        return result;
    }
}

}  // namespace

GstElement *makeTickedSource(double hz) {
    auto *source = asTicked(g_object_new(sipw_ticked_source_get_type(), nullptr));
    source->table = hz > 0 ? &toneTable(hz) : &silenceTable();
    return GST_ELEMENT(source);  // floating
}

}  // namespace sipw

static void sipw_ticked_source_class_init(SipwTickedSourceClass *klass) {
    GstElementClass *element = GST_ELEMENT_CLASS(klass);
    gst_element_class_add_static_pad_template(element, &sipw::srcTemplate);
    gst_element_class_set_static_metadata(element, "Ticked audio source", "Source/Audio",
                                          "Tone or silence pushed by a thread shared by every such source",
                                          "sipworker");
    element->change_state = sipw::changeState;
}

static void sipw_ticked_source_init(SipwTickedSource *self) {
    self->src = gst_pad_new_from_static_template(&sipw::srcTemplate, "src");
    gst_pad_use_fixed_caps(self->src);
    gst_pad_set_query_function(self->src, sipw::onSourceQuery);
    gst_element_add_pad(GST_ELEMENT(self), self->src);
    GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SOURCE);
}
