// CallMedia's received streams: each RTP pad the transport adds gets a branch of its own, audio
// to the decoder and the output's selector, telephone-event to the DTMF reader.
//
// A null output decodes only until the peer's audio starts and while a recording takes it; in
// between its decoders are parked: stopped (their codec state freed), with everything the
// transport's pad would push to them dropped on that pad, and what they lost on stopping (its
// sticky events) given back when a recording wakes them.
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
    if (audio) {
        GstPad *out = gst_element_get_static_pad(branch.branch, "src");
        // The first decoded buffer: when the peer's audio really starts (for statistics).
        gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer self) {
            auto *media = static_cast<CallMedia *>(self);
            if (!media->firstAudioSeen_.exchange(true))
                media->poster_->post([](CallMedia &m) {
                    if (!m.closed_ && m.callbacks_.onFirstAudio) m.callbacks_.onFirstAudio();
                    m.parkDecodersIfIdle();
                });
            return GST_PAD_PROBE_REMOVE;
        }, this, nullptr);  // removed at the first buffer, and the pipeline dies before the session
        if (linkToRequested(out, receiveSelector_, "sink_%u", branch.selectorPad))
            g_object_set(receiveSelector_, "active-pad", branch.selectorPad.get(), nullptr);
        gst_object_unref(out);
        // On the transport's pad, before anything reaches the branch: a parked one would answer
        // FLUSHING, and the transport's stream would stop.
        gst_pad_add_probe(pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                          gateReceivedAudio, this, nullptr);
    }
    if (audio && decodersParked_) {
        gst_element_set_locked_state(branch.branch, TRUE);  // woken with the others
    } else {
        // Playing before anything reaches it: a flushing branch would stop the transport's stream.
        gst_element_sync_state_with_parent(branch.branch);
    }
    GstPad *in = gst_element_get_static_pad(branch.branch, "sink");
    gst_pad_link(pad, in);
    gst_object_unref(in);
    received_.push_back(std::move(branch));
}

GstPadProbeReturn CallMedia::gateReceivedAudio(GstPad *, GstPadProbeInfo *info, gpointer self) {
    auto *media = static_cast<CallMedia *>(self);
    if (!(GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER))
        // A sticky event dropped here stays pending on the pad and comes again with the next buffer.
        return media->decodersParked_ ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
    media->lastReceivedUs_ = g_get_monotonic_time();  // the peer still sends (RTP timeout)
    // Packets nobody will hear go no further: neither depayloader nor decoder runs for them
    // (decoding was a third of a null-output call's Opus time).
    return media->decodingNeeded() ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

void CallMedia::parkDecodersIfIdle() {
    if (!pipeline_ || decodingNeeded() || decodersParked_) return;
    std::lock_guard<std::mutex> lock(receivedMutex_);
    decodersParked_ = true;  // first: nothing more is pushed into the branches
    for (ReceivedBranch &b : received_) {
        if (!b.selectorPad) continue;  // not audio
        gst_element_set_locked_state(b.branch, TRUE);  // the pipeline's changes pass it by
        gst_element_set_state(b.branch, GST_STATE_NULL);  // waits for a push inside it to end
    }
}

void CallMedia::wakeDecoders() {
    if (!pipeline_ || !decodersParked_) return;
    std::lock_guard<std::mutex> lock(receivedMutex_);
    for (ReceivedBranch &b : received_) {
        if (!b.selectorPad) continue;
        gst_element_set_locked_state(b.branch, FALSE);
        gst_element_sync_state_with_parent(b.branch);
        // Stopping cleared the branch's stream-start, caps and segment, which the transport's pad
        // holds as already delivered: given again before any buffer may pass.
        // Collected first: the foreach holds the pad's lock, which the decoder may need (queries).
        std::vector<GstEvent *> sticky;
        gst_pad_sticky_events_foreach(b.source.get(), [](GstPad *, GstEvent **event, gpointer events) -> gboolean {
            static_cast<std::vector<GstEvent *> *>(events)->push_back(gst_event_ref(*event));
            return TRUE;
        }, &sticky);
        GstPad *in = gst_element_get_static_pad(b.branch, "sink");
        for (GstEvent *event : sticky) gst_pad_send_event(in, event);  // takes the reference
        gst_object_unref(in);
    }
    decodersParked_ = false;  // events first; buffers once the caller needs decoding
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
