// CallMedia's received streams: each RTP pad the transport adds gets a branch of its own, audio
// to the decoder and the output's selector, telephone-event to the DTMF reader.
#include "media/call_media.hpp"

#include "media/audio_bins.hpp"
#include "media/audio_codecs.hpp"
#include "media/rfc4733.hpp"

#include <gst/rtp/rtp.h>

namespace sipw {
namespace {

constexpr size_t kMaxReceivedStreams = 8;  // a peer flooding new SSRCs gets no more branches

// Buffer probe on a telephone-event stream (streaming thread): rtpdtmfdepay's own messages carry
// no duration, so the packets are read (TelephoneEventReader) and each event posted.
struct DtmfProbe {
    LoopPoster<CallMedia> poster;
    std::function<void(CallMedia &, TelephoneEvent)> deliver;
    TelephoneEventReader reader;
    int clockRate = 8000;
};

GstPadProbeReturn onDtmfPacket(GstPad *pad, GstPadProbeInfo *info, gpointer probePtr) {
    auto *probe = static_cast<DtmfProbe *>(probePtr);
    if (GstCaps *caps = gst_pad_get_current_caps(pad)) {
        gst_structure_get_int(gst_caps_get_structure(caps, 0), "clock-rate", &probe->clockRate);
        gst_caps_unref(caps);
    }
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp)) return GST_PAD_PROBE_OK;
    auto events = probe->reader.onPacket(gst_rtp_buffer_get_timestamp(&rtp),
                                         static_cast<const uint8_t *>(gst_rtp_buffer_get_payload(&rtp)),
                                         gst_rtp_buffer_get_payload_len(&rtp), probe->clockRate);
    gst_rtp_buffer_unmap(&rtp);
    for (const TelephoneEvent &e : events)
        probe->poster.post([deliver = probe->deliver, e](CallMedia &m) { deliver(m, e); });
    return GST_PAD_PROBE_OK;
}

}  // namespace

void CallMedia::linkReceivedPad(GstPad *pad) {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC || !pipeline_) return;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps) caps = gst_pad_query_caps(pad, nullptr);
    bool telephoneEvent = isTelephoneEventCaps(caps);
    const CodecSpec *spec = codecOfCaps(caps);
    if (caps) gst_caps_unref(caps);

    std::lock_guard<std::mutex> lock(receivedMutex_);
    std::string error;
    ReceivedBranch branch;
    branch.source = GstRef<GstPad>::share(pad);
    bool audio = spec && received_.size() < kMaxReceivedStreams;
    if (audio) {
        branch.branch = makeDecoderBin(*spec, error);
        audio = branch.branch != nullptr;
    } else if (telephoneEvent && received_.size() < kMaxReceivedStreams) {
        GstElement *sink = makeElement("fakesink", error);
        if (sink) g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
        branch.branch = chainBin({makeElement("rtpdtmfdepay", error), sink}, error);
        if (branch.branch) {
            GstPad *in = gst_element_get_static_pad(branch.branch, "sink");
            auto deliver = [](CallMedia &m, TelephoneEvent e) {
                if (!m.closed_ && m.callbacks_.onDtmf) m.callbacks_.onDtmf(e.tone, e.durationMs);
            };
            gst_pad_add_probe(in, GST_PAD_PROBE_TYPE_BUFFER, onDtmfPacket, new DtmfProbe{*poster_, deliver, {}, 8000},
                              [](gpointer p) { delete static_cast<DtmfProbe *>(p); });
            gst_object_unref(in);
        }
    }
    if (!branch.branch) {
        // Never left unlinked (not-linked would stop the transport's stream): into nothing.
        GstElement *sink = makeElement("fakesink", error);
        if (sink) g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
        branch.branch = sink;
    }
    if (!branch.branch) return;
    gst_bin_add(GST_BIN(pipeline_.get()), branch.branch);
    // Playing before anything reaches it: a flushing branch would stop the transport's stream.
    gst_element_sync_state_with_parent(branch.branch);
    if (audio) {
        GstPad *out = gst_element_get_static_pad(branch.branch, "src");
        // The first decoded buffer: when the peer's audio really starts (for statistics).
        gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer self) {
            auto *media = static_cast<CallMedia *>(self);
            if (!media->firstAudioSeen_.exchange(true))
                media->poster_->post([](CallMedia &m) {
                    if (!m.closed_ && m.callbacks_.onFirstAudio) m.callbacks_.onFirstAudio();
                });
            return GST_PAD_PROBE_REMOVE;
        }, this, nullptr);  // removed at the first buffer, and the pipeline dies before the session
        if (linkToRequested(out, receiveSelector_, "sink_%u", branch.selectorPad))
            g_object_set(receiveSelector_, "active-pad", branch.selectorPad.get(), nullptr);
        gst_object_unref(out);
        // Every RTP buffer of an audio stream says the peer still sends (RTP timeout).
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer self) {
            static_cast<CallMedia *>(self)->lastReceivedUs_ = g_get_monotonic_time();
            return GST_PAD_PROBE_OK;
        }, this, nullptr);
        // A null output: packets nobody will hear are dropped before the depayloader, so neither
        // it nor the decoder runs (decoding was a third of a null-output call's Opus time).
        GstPad *in = gst_element_get_static_pad(branch.branch, "sink");
        gst_pad_add_probe(in, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer self) {
            auto *media = static_cast<CallMedia *>(self);
            bool needed = media->outputHeard_ || media->recording_ || !media->firstAudioSeen_;
            return needed ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
        }, this, nullptr);
        gst_object_unref(in);
    }
    GstPad *in = gst_element_get_static_pad(branch.branch, "sink");
    gst_pad_link(pad, in);
    gst_object_unref(in);
    received_.push_back(std::move(branch));
}

void CallMedia::unlinkReceivedPad(GstPad *pad) {
    GstRef<GstPad> removed = GstRef<GstPad>::share(pad);
    // The element goes on the loop thread, out of the transport's signal emission.
    poster_->post([removed = std::make_shared<GstRef<GstPad>>(std::move(removed))](CallMedia &m) {
        if (!m.pipeline_) return;
        std::lock_guard<std::mutex> lock(m.receivedMutex_);
        for (auto it = m.received_.begin(); it != m.received_.end(); ++it) {
            if (it->source.get() != removed->get()) continue;
            gst_element_set_state(it->branch, GST_STATE_NULL);
            if (it->selectorPad) gst_element_release_request_pad(m.receiveSelector_, it->selectorPad.get());
            gst_bin_remove(GST_BIN(m.pipeline_.get()), it->branch);
            m.received_.erase(it);
            return;
        }
    });
}

}  // namespace sipw
