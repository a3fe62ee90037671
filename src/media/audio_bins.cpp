#include "media/audio_bins.hpp"

#include "media/ticked_source.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sipw {
namespace {

// Element of the first device of a class ("Audio/Source", "Audio/Sink"), or null when the machine
// has none. autoaudiosrc/autoaudiosink are not used for this: without a sound card they pick
// openal/fakesink silently, and openalsrc fails only once data should flow.
GstElement *firstDeviceElement(const char *deviceClass) {
    GstDeviceMonitor *monitor = gst_device_monitor_new();  // transfer full
    gst_device_monitor_add_filter(monitor, deviceClass, nullptr);
    GstElement *element = nullptr;
    if (gst_device_monitor_start(monitor)) {
        GList *devices = gst_device_monitor_get_devices(monitor);  // transfer full
        if (devices) element = gst_device_create_element(GST_DEVICE(devices->data), nullptr);
        g_list_free_full(devices, gst_object_unref);
        gst_device_monitor_stop(monitor);
    }
    gst_object_unref(monitor);
    return element;  // floating
}

GstElement *make(const char *factory, const char *name = nullptr) {
    return gst_element_factory_make(factory, name);  // floating, null if the plugin is missing
}

GstElement *liveTestSource(const char *wave, double hz) {
    GstElement *src = make("audiotestsrc");
    if (!src) return nullptr;
    // 960 samples = 20 ms at 48 kHz, one Opus frame per buffer.
    gst_util_set_object_arg(G_OBJECT(src), "wave", wave);
    g_object_set(src, "is-live", TRUE, "samplesperbuffer", 960, nullptr);
    if (hz > 0) g_object_set(src, "freq", hz, nullptr);
    return src;
}

// decodebin and uridecodebin expose their pads late; the first audio one feeds the converter
// (user data, owned).
void onDecodedPad(GstElement *, GstPad *pad, gpointer converterPtr) {
    auto *converter = static_cast<GstElement *>(converterPtr);
    GstPad *sink = gst_element_get_static_pad(converter, "sink");
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps) caps = gst_pad_query_caps(pad, nullptr);
    const char *media = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    if (!gst_pad_is_linked(sink) && g_str_has_prefix(media, "audio/")) gst_pad_link(pad, sink);
    gst_caps_unref(caps);
    gst_object_unref(sink);
}

// filesrc ! decodebin ! audioconvert ! audioresample mixed with live silence: the mixer, driven
// by the live source, paces the file in real time and keeps the stream going after its end.
GstElement *fileSource(const std::string &path, std::string &error) {
    if (!g_file_test(path.c_str(), G_FILE_TEST_IS_REGULAR)) {
        error = "input file not found: " + path;
        return nullptr;
    }
    GstElement *silence = makeLiveSilence(), *silenceCaps = makeRawCapsFilter();
    GstElement *filesrc = make("filesrc"), *decode = make("decodebin");
    GstElement *convert = make("audioconvert"), *resample = make("audioresample");
    GstElement *mixer = makeLiveMixer(), *outCaps = makeRawCapsFilter();
    GstElement *all[] = {silence, silenceCaps, filesrc, decode, convert, resample, mixer, outCaps};
    for (GstElement *e : all) {
        if (e) continue;
        error = "a GStreamer element is missing (plugins base/good installed?)";
        for (GstElement *other : all)
            if (other) gst_object_unref(gst_object_ref_sink(other));
        return nullptr;
    }
    g_object_set(filesrc, "location", path.c_str(), nullptr);
    GstElement *bin = gst_bin_new(nullptr);
    for (GstElement *e : all) gst_bin_add(GST_BIN(bin), e);
    bool linked = gst_element_link_many(silence, silenceCaps, mixer, outCaps, nullptr) &&
                  gst_element_link(filesrc, decode) &&
                  gst_element_link_many(convert, resample, mixer, nullptr);
    if (!linked) {
        error = "could not link the file source";
        gst_object_unref(gst_object_ref_sink(bin));
        return nullptr;
    }
    g_signal_connect_data(decode, "pad-added", G_CALLBACK(onDecodedPad), gst_object_ref(convert),
                          [](gpointer p, GClosure *) { gst_object_unref(p); }, GConnectFlags(0));
    GstPad *src = gst_element_get_static_pad(outCaps, "src");
    gst_element_add_pad(bin, gst_ghost_pad_new("src", src));
    gst_object_unref(src);
    return bin;
}

// Moves the decoded file (the ghost pad `ghost`) so that its first buffer, seen on the pad
// inside, is at the running time now. Done at the first buffer rather than when the file is
// linked: a file that starts late (a URL, a busy machine) would otherwise lose its start to
// the mixer, which has mixed silence for the time it missed.
GstPadProbeReturn startAtRunningTimeNow(GstPad *pad, GstPadProbeInfo *info, gpointer ghost) {
    // The pipeline's running time, 0 until it plays. Not the pad's own element: while the
    // pipeline goes to PLAYING its children get the clock before their base time, and a
    // running time read then is the clock's absolute time (the file would wait for hours;
    // seen as a PLAY that never ended). A base time of 0 means "not playing yet" likewise.
    GstClockTime now = 0;
    GstObject *top = gst_object_get_parent(GST_OBJECT(pad));
    while (GstObject *parent = top ? gst_object_get_parent(top) : nullptr) {
        gst_object_unref(top);
        top = parent;
    }
    if (top && GST_IS_ELEMENT(top)) {
        GstElement *pipeline = GST_ELEMENT(top);
        if (GstClock *clock = gst_element_get_clock(pipeline)) {
            GstClockTime t = gst_clock_get_time(clock), base = gst_element_get_base_time(pipeline);
            now = base > 0 && t > base ? t - base : 0;
            gst_object_unref(clock);
        }
    }
    if (top) gst_object_unref(top);
    GstClockTime first = 0;
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    if (GstEvent *event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0)) {
        const GstSegment *segment = nullptr;
        gst_event_parse_segment(event, &segment);
        if (GST_BUFFER_PTS_IS_VALID(buffer)) {
            GstClockTime t = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
            if (GST_CLOCK_TIME_IS_VALID(t)) first = t;
        }
        gst_event_unref(event);
    }
    gst_pad_set_offset(GST_PAD(ghost), gint64(now) - gint64(first));
    return GST_PAD_PROBE_REMOVE;
}

}  // namespace

GstElement *makeElement(const char *factory, std::string &error) {
    GstElement *e = gst_element_factory_make(factory, nullptr);  // floating
    if (!e && error.empty()) error = std::string("missing GStreamer element ") + factory;
    return e;
}

bool linkToRequested(GstPad *from, GstElement *to, const char *templateName, GstRef<GstPad> &requested) {
    GstPad *sink = gst_element_request_pad_simple(to, templateName);  // transfer full
    requested = GstRef<GstPad>::adopt(sink);
    return sink && gst_pad_link(from, sink) == GST_PAD_LINK_OK;
}

GstPad *requestTeeSrcPad(GstElement *tee) {
    GstPad *src = gst_element_request_pad_simple(tee, "src_%u");  // transfer full
    if (!src) return nullptr;
    GstPad *sink = gst_element_get_static_pad(tee, "sink");
    // What the sink holds now includes anything that came while the pad was being made; events
    // after this reach the pad through tee itself. Only the kinds the pad lacks: one it has may
    // already be newer than what the sink held when this started.
    gst_pad_sticky_events_foreach(
        sink,
        [](GstPad *, GstEvent **event, gpointer pad) -> gboolean {
            if (GstEvent *have = gst_pad_get_sticky_event(GST_PAD(pad), GST_EVENT_TYPE(*event), 0))
                gst_event_unref(have);
            else
                gst_pad_store_sticky_event(GST_PAD(pad), *event);
            return TRUE;
        },
        src);
    gst_object_unref(sink);
    return src;
}

bool allMade(std::initializer_list<GstElement *> elements, std::string &error) {
    bool complete = true;
    for (GstElement *e : elements) complete = complete && e;
    if (complete) return true;
    for (GstElement *e : elements)
        if (e) gst_object_unref(gst_object_ref_sink(e));
    if (error.empty()) error = "a GStreamer element is missing (plugins base/good/bad/libav installed?)";
    return false;
}

bool linkInOrder(std::initializer_list<GstElement *> elements, std::string &error) {
    GstElement *prev = nullptr;
    for (GstElement *e : elements) {
        if (prev && !gst_element_link(prev, e)) {
            error = std::string("could not link ") + GST_OBJECT_NAME(prev) + " to " + GST_OBJECT_NAME(e);
            return false;
        }
        prev = e;
    }
    return true;
}

GstElement *chainBin(std::initializer_list<GstElement *> elements, std::string &error) {
    if (!allMade(elements, error)) return nullptr;
    GstElement *bin = gst_bin_new(nullptr);
    for (GstElement *e : elements) gst_bin_add(GST_BIN(bin), e);  // the bin takes them all
    if (!linkInOrder(elements, error)) {
        gst_object_unref(gst_object_ref_sink(bin));
        return nullptr;
    }
    // The first element's sink and the last one's src, where they have them.
    for (auto [edge, name] : {std::pair{*elements.begin(), "sink"}, std::pair{*std::prev(elements.end()), "src"}}) {
        if (GstPad *pad = gst_element_get_static_pad(edge, name)) {
            gst_element_add_pad(bin, gst_ghost_pad_new(name, pad));
            gst_object_unref(pad);
        }
    }
    return bin;
}

bool addChain(GstElement *container, std::initializer_list<GstElement *> elements, std::string &error) {
    if (!allMade(elements, error)) return false;
    for (GstElement *e : elements) gst_bin_add(GST_BIN(container), e);  // takes the floating refs
    return linkInOrder(elements, error);
}

GstRef<GstPad> throughQueue(GstElement *container, GstPad *from, GstClockTime most, std::string &error) {
    GstElement *queue = makeElement("queue", error);
    if (!queue) return GstRef<GstPad>();
    g_object_set(queue, "max-size-buffers", 0u, "max-size-bytes", 0u, "max-size-time", guint64(most), nullptr);
    gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
    gst_bin_add(GST_BIN(container), queue);
    GstPad *in = gst_element_get_static_pad(queue, "sink");
    bool linked = gst_pad_link(from, in) == GST_PAD_LINK_OK;
    gst_object_unref(in);
    if (!linked) return error = "could not link a queue", GstRef<GstPad>();
    return GstRef<GstPad>::adopt(gst_element_get_static_pad(queue, "src"));
}

GstElement *makeRawCapsFilter() {
    GstElement *filter = make("capsfilter");
    if (!filter) return nullptr;
    GstCaps *caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate", G_TYPE_INT,
                                        kAudioRate, "channels", G_TYPE_INT, 1, nullptr);
    g_object_set(filter, "caps", caps, nullptr);
    gst_caps_unref(caps);
    return filter;
}

bool addMixedFile(const std::string &source, GstElement *container, GstElement *mixer,
                  std::function<void()> onEnd, MixedFile &file, std::string &error) {
    AudioBin decoded = makeDecodedFile(source);
    if (!decoded.bin) return error = decoded.error, false;
    GstPad *mixerPad = gst_element_request_pad_simple(mixer, "sink_%u");  // transfer full
    GstPad *src = gst_element_get_static_pad(decoded.bin, "src");
    gst_bin_add(GST_BIN(container), decoded.bin);
    bool linked = mixerPad && gst_pad_link(src, mixerPad) == GST_PAD_LINK_OK;
    if (!linked) {
        gst_object_unref(src);
        gst_bin_remove(GST_BIN(container), decoded.bin);
        if (mixerPad) {
            gst_element_release_request_pad(mixer, mixerPad);
            gst_object_unref(mixerPad);
        }
        return error = "could not link the decoded file", false;
    }
    if (GstPad *inside = gst_ghost_pad_get_target(GST_GHOST_PAD(src))) {
        gst_pad_add_probe(inside, GST_PAD_PROBE_TYPE_BUFFER, startAtRunningTimeNow, gst_object_ref(src),
                          gst_object_unref);
        gst_object_unref(inside);
    }
    gst_object_unref(src);
    using OnEnd = std::function<void()>;
    gst_pad_add_probe(mixerPad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, [](GstPad *, GstPadProbeInfo *info, gpointer end) {
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) (*static_cast<OnEnd *>(end))();
        return GST_PAD_PROBE_OK;
    }, new OnEnd(std::move(onEnd)), [](gpointer end) { delete static_cast<OnEnd *>(end); });
    file.decoder = decoded.bin;
    file.mixerPad = GstRef<GstPad>::adopt(mixerPad);
    gst_element_sync_state_with_parent(file.decoder);
    return true;
}

void removeMixedFile(GstElement *container, GstElement *mixer, MixedFile &file) {
    if (file.decoder) {
        gst_element_set_state(file.decoder, GST_STATE_NULL);
        gst_bin_remove(GST_BIN(container), file.decoder);  // drops the container's, the only, reference
        file.decoder = nullptr;
    }
    if (file.mixerPad) {
        gst_element_release_request_pad(mixer, file.mixerPad.get());
        file.mixerPad.reset();
    }
}

GstElement *makeLiveSilence() { return liveTestSource("silence", 0); }

GstElement *makeLiveMixer(GstClockTime latency) {
    GstElement *mixer = make("audiomixer");
    if (!mixer) return nullptr;
    gst_util_set_object_arg(G_OBJECT(mixer), "start-time-selection", "first");
    if (latency) g_object_set(mixer, "latency", latency, nullptr);
    return mixer;
}

bool isAudioUrl(const std::string &text) {
    for (const char *scheme : {"http://", "https://", "file://"})
        if (g_ascii_strncasecmp(text.c_str(), scheme, strlen(scheme)) == 0) return true;
    return false;
}

AudioBin makeDecodedFile(const std::string &pathOrUri) {
    AudioBin r;
    std::string uri = pathOrUri;
    if (!isAudioUrl(pathOrUri)) {
        if (!g_file_test(pathOrUri.c_str(), G_FILE_TEST_IS_REGULAR)) {
            r.error = "file not found: " + pathOrUri;
            return r;
        }
        GError *error = nullptr;
        gchar *converted = gst_filename_to_uri(pathOrUri.c_str(), &error);
        if (!converted) {
            r.error = error ? error->message : "not a usable path";
            g_clear_error(&error);
            return r;
        }
        uri = converted;
        g_free(converted);
    }
    GstElement *decode = make("uridecodebin"), *convert = make("audioconvert");
    GstElement *resample = make("audioresample"), *caps = makeRawCapsFilter();
    GstElement *all[] = {decode, convert, resample, caps};
    for (GstElement *e : all) {
        if (e) continue;
        r.error = "a GStreamer element is missing (plugins base/good installed?)";
        for (GstElement *other : all)
            if (other) gst_object_unref(gst_object_ref_sink(other));
        return r;
    }
    g_object_set(decode, "uri", uri.c_str(), nullptr);
    GstElement *bin = gst_bin_new(nullptr);
    for (GstElement *e : all) gst_bin_add(GST_BIN(bin), e);
    if (!gst_element_link_many(convert, resample, caps, nullptr)) {
        r.error = "could not link the file decoder";
        gst_object_unref(gst_object_ref_sink(bin));
        return r;
    }
    g_signal_connect_data(decode, "pad-added", G_CALLBACK(onDecodedPad), gst_object_ref(convert),
                          [](gpointer p, GClosure *) { gst_object_unref(p); }, GConnectFlags(0));
    GstPad *src = gst_element_get_static_pad(caps, "src");
    gst_element_add_pad(bin, gst_ghost_pad_new("src", src));
    gst_object_unref(src);
    r.bin = bin;
    return r;
}

AudioBin makeAudioSource(const AudioEndpoint &input, bool ticked) {
    AudioBin r;
    switch (input.kind) {
    case AudioEndpoint::Kind::Tone:
        // From a table: computing each sample (sin) was a tenth of a G.711 call's send path (perf).
        if (ticked) r.bin = makeTickedSource(input.hz);  // its caps are already the call's
        else r.bin = chainBin({liveTestSource("sine-table", input.hz), makeRawCapsFilter()}, r.error);
        break;
    case AudioEndpoint::Kind::File:
        r.bin = fileSource(input.path, r.error);
        break;
    case AudioEndpoint::Kind::Device:
        if (GstElement *device = firstDeviceElement("Audio/Source")) {
            r.bin = chainBin({device, make("audioconvert"), make("audioresample"), makeRawCapsFilter()}, r.error);
            break;
        }
        r.noDevice = true;
        [[fallthrough]];
    case AudioEndpoint::Kind::Silence:
    case AudioEndpoint::Kind::Null:
        if (ticked) r.bin = makeTickedSource(0);
        else r.bin = chainBin({liveTestSource("silence", 0), makeRawCapsFilter()}, r.error);
        break;
    }
    return r;
}

AudioBin makeAudioSink(const AudioEndpoint &output) {
    AudioBin r;
    switch (output.kind) {
    case AudioEndpoint::Kind::File: {
        GstElement *sink = make("filesink");
        if (sink) g_object_set(sink, "location", output.path.c_str(), "async", FALSE, nullptr);
        r.bin = chainBin({make("wavenc"), sink}, r.error);
        if (r.bin) r.recorder = sink;
        break;
    }
    case AudioEndpoint::Kind::Device:
        if (GstElement *device = firstDeviceElement("Audio/Sink")) {
            r.bin = chainBin({make("audioconvert"), make("audioresample"), device}, r.error);
            break;
        }
        r.noDevice = true;
        [[fallthrough]];
    case AudioEndpoint::Kind::Null:
    case AudioEndpoint::Kind::Silence:
    case AudioEndpoint::Kind::Tone: {
        GstElement *sink = make("fakesink");
        if (sink) g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
        r.bin = chainBin({sink}, r.error);
        break;
    }
    }
    return r;
}

bool writeEmptyRecording(const std::string &path) {
    auto le16 = [](unsigned char *p, uint16_t v) { p[0] = v & 0xff, p[1] = v >> 8; };
    auto le32 = [](unsigned char *p, uint32_t v) {
        for (int i = 0; i < 4; ++i) p[i] = (v >> (8 * i)) & 0xff;
    };
    const uint16_t channels = 1, bits = 16;
    unsigned char h[44] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' '};
    le32(h + 4, 36);  // RIFF size: the rest of the header, no data
    le32(h + 16, 16);
    le16(h + 20, 1);  // PCM
    le16(h + 22, channels);
    le32(h + 24, kAudioRate);
    le32(h + 28, kAudioRate * channels * bits / 8);
    le16(h + 32, channels * bits / 8);
    le16(h + 34, bits);
    memcpy(h + 36, "data", 4);
    le32(h + 40, 0);
    FILE *f = fopen(path.c_str(), "wb");
    if (!f) return false;
    bool ok = fwrite(h, sizeof h, 1, f) == 1;
    return fclose(f) == 0 && ok;
}

}  // namespace sipw
