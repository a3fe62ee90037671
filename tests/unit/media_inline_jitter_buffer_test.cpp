// The inline jitter buffer: packets in sequence go on as they come, a gap waits at most the
// latency, and late, duplicate and restarted packets are handled, all without a thread of its own.
#include "media/inline_jitter_buffer.hpp"

#include "media_fixture.hpp"

#include <gst/rtp/gstrtpbuffer.h>

#include <mutex>
#include <vector>

using namespace sipw;
using namespace sipw_media_test;

namespace {

constexpr guint kLatencyMs = 100;

struct Delivered {
    guint16 seq;
    bool discont;
    GstClockTime pts;
};

// A playing jitter buffer between a pad the test pushes into and one that collects what leaves.
class JitterBufferTest : public MediaTest {
protected:
    void SetUp() override {
        MediaTest::SetUp();
        pipeline_ = gst_pipeline_new(nullptr);
        jitterBuffer_ = makeInlineJitterBuffer();
        g_object_set(jitterBuffer_, "latency", kLatencyMs, nullptr);
        gst_bin_add(GST_BIN(pipeline_), jitterBuffer_);
        input_ = gst_pad_new("input", GST_PAD_SRC);
        output_ = gst_pad_new("output", GST_PAD_SINK);
        g_object_set_data(G_OBJECT(output_), "test", this);
        gst_pad_set_chain_function(output_, [](GstPad *pad, GstObject *, GstBuffer *buffer) {
            auto *self = static_cast<JitterBufferTest *>(g_object_get_data(G_OBJECT(pad), "test"));
            GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
            if (gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) {
                std::lock_guard<std::mutex> lock(self->mutex_);
                self->delivered_.push_back({gst_rtp_buffer_get_seq(&rtp),
                                            GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DISCONT), GST_BUFFER_PTS(buffer)});
                gst_rtp_buffer_unmap(&rtp);
            }
            gst_buffer_unref(buffer);
            return GST_FLOW_OK;
        });
        GstPad *sink = gst_element_get_static_pad(jitterBuffer_, "sink");
        GstPad *src = gst_element_get_static_pad(jitterBuffer_, "src");
        ASSERT_EQ(gst_pad_link(input_, sink), GST_PAD_LINK_OK);
        ASSERT_EQ(gst_pad_link(src, output_), GST_PAD_LINK_OK);
        gst_object_unref(sink);
        gst_object_unref(src);
        gst_pad_set_active(input_, TRUE);
        gst_pad_set_active(output_, TRUE);
        // Live: playing at once, without a preroll buffer.
        ASSERT_EQ(gst_element_set_state(pipeline_, GST_STATE_PAUSED), GST_STATE_CHANGE_NO_PREROLL);
        ASSERT_NE(gst_element_set_state(pipeline_, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
        gst_pad_push_event(input_, gst_event_new_stream_start("jitter-buffer-test"));
        GstCaps *caps = gst_caps_from_string("application/x-rtp, media=audio, clock-rate=8000, encoding-name=PCMU");
        gst_pad_push_event(input_, gst_event_new_caps(caps));
        gst_caps_unref(caps);
        GstSegment segment;
        gst_segment_init(&segment, GST_FORMAT_TIME);
        gst_pad_push_event(input_, gst_event_new_segment(&segment));
    }

    void TearDown() override {
        gst_element_set_state(pipeline_, GST_STATE_NULL);
        gst_pad_set_active(input_, FALSE);
        gst_pad_set_active(output_, FALSE);
        gst_object_unref(input_);
        gst_object_unref(output_);
        gst_object_unref(pipeline_);
        MediaTest::TearDown();
    }

    // An RTP packet stamped with its arrival (the running time now), as the UDP source does.
    void arrive(guint16 seq) {
        GstBuffer *buffer = gst_rtp_buffer_new_allocate(160, 0, 0);
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        gst_rtp_buffer_map(buffer, GST_MAP_WRITE, &rtp);
        gst_rtp_buffer_set_seq(&rtp, seq);
        gst_rtp_buffer_set_timestamp(&rtp, guint32(seq) * 160);
        gst_rtp_buffer_set_ssrc(&rtp, 0x1234);
        gst_rtp_buffer_set_payload_type(&rtp, 0);
        gst_rtp_buffer_unmap(&rtp);
        GstClock *clock = gst_element_get_clock(pipeline_);
        GST_BUFFER_PTS(buffer) = gst_clock_get_time(clock) - gst_element_get_base_time(pipeline_);
        gst_object_unref(clock);
        EXPECT_EQ(gst_pad_push(input_, buffer), GST_FLOW_OK);
    }

    std::vector<guint16> deliveredSeqs() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<guint16> seqs;
        for (const Delivered &d : delivered_) seqs.push_back(d.seq);
        return seqs;
    }

    std::vector<Delivered> delivered() {
        std::lock_guard<std::mutex> lock(mutex_);
        return delivered_;
    }

    GstElement *pipeline_ = nullptr, *jitterBuffer_ = nullptr;
    GstPad *input_ = nullptr, *output_ = nullptr;
    std::mutex mutex_;
    std::vector<Delivered> delivered_;
};

using Seqs = std::vector<guint16>;

TEST_F(JitterBufferTest, PacketsInSequenceGoOnAsTheyArrive) {
    for (guint16 seq = 65533; seq != 3; ++seq) arrive(seq);  // across the wrap
    // Pushed on the caller's thread, before arrive() returned: no waiting for a tick.
    EXPECT_EQ(deliveredSeqs(), (Seqs{65533, 65534, 65535, 0, 1, 2}));
    auto out = delivered();
    EXPECT_TRUE(out.front().discont);  // the stream's first buffer
    for (size_t i = 1; i < out.size(); ++i) {
        EXPECT_FALSE(out[i].discont);
        EXPECT_GE(out[i].pts, out[i - 1].pts);
    }
}

TEST_F(JitterBufferTest, ReorderedPacketsLeaveInOrderWithoutWaiting) {
    arrive(10);
    arrive(12);
    arrive(13);
    EXPECT_EQ(deliveredSeqs(), (Seqs{10}));  // 12 and 13 wait for 11
    arrive(11);
    EXPECT_EQ(deliveredSeqs(), (Seqs{10, 11, 12, 13}));
    auto out = delivered();
    for (size_t i = 1; i < out.size(); ++i) EXPECT_GE(out[i].pts, out[i - 1].pts);  // never back in time
    arrive(12);  // a duplicate of one already gone
    arrive(14);
    arrive(14);  // a duplicate in a row
    EXPECT_EQ(deliveredSeqs(), (Seqs{10, 11, 12, 13, 14}));
}

TEST_F(JitterBufferTest, AGapIsGivenUpAfterTheLatencyAndItsPacketThenDropped) {
    arrive(100);
    arrive(102);
    arrive(103);
    runFor(kLatencyMs / 2);
    EXPECT_EQ(deliveredSeqs(), (Seqs{100}));  // still waiting for 101
    runUntil([&] { return deliveredSeqs().size() == 3; }, 1000);
    EXPECT_EQ(deliveredSeqs(), (Seqs{100, 102, 103}));
    EXPECT_TRUE(delivered()[1].discont);  // 102 follows a gap
    arrive(101);  // too late: dropped
    arrive(104);
    EXPECT_EQ(deliveredSeqs(), (Seqs{100, 102, 103, 104}));
}

// What webrtcbin sets and reads on a jitter buffer: "do-retransmission" is kept, "stats" counts
// what went on, what was given up, what came too late and what came twice.
TEST_F(JitterBufferTest, StatsCountPushedLostLateAndDuplicates) {
    g_object_set(jitterBuffer_, "do-retransmission", TRUE, nullptr);
    gboolean retransmission = FALSE;
    g_object_get(jitterBuffer_, "do-retransmission", &retransmission, nullptr);
    EXPECT_TRUE(retransmission);
    arrive(200);
    arrive(203);  // 201 and 202 are missing
    arrive(203);  // a duplicate of a held one
    ASSERT_TRUE(runUntil([&] { return deliveredSeqs().size() == 2; }, 1000));
    arrive(201);  // too late
    arrive(204);
    GstStructure *stats = nullptr;
    g_object_get(jitterBuffer_, "stats", &stats, nullptr);
    ASSERT_NE(stats, nullptr);
    guint64 pushed = 0, lost = 0, late = 0, duplicates = 0, rtxSuccess = 1;
    EXPECT_TRUE(gst_structure_get(stats, "num-pushed", G_TYPE_UINT64, &pushed, "num-lost", G_TYPE_UINT64, &lost,
                                  "num-late", G_TYPE_UINT64, &late, "num-duplicates", G_TYPE_UINT64, &duplicates,
                                  "rtx-success-count", G_TYPE_UINT64, &rtxSuccess, nullptr));
    gst_structure_free(stats);
    EXPECT_EQ(pushed, 3u);  // 200, 203, 204
    EXPECT_EQ(lost, 2u);    // 201 and 202, given up
    EXPECT_EQ(late, 1u);
    EXPECT_EQ(duplicates, 1u);
    EXPECT_EQ(rtxSuccess, 0u);
}

TEST_F(JitterBufferTest, AJumpFarOutOfAnyReorderingStartsAfresh) {
    arrive(500);
    arrive(501);
    arrive(503);          // held for 502
    arrive(502 + 20000);  // a restarted sender: not 20000 lost packets to wait for
    arrive(502 + 20001);
    // What was held of the old run goes first, without waiting for 502.
    EXPECT_EQ(deliveredSeqs(), (Seqs{500, 501, 503, 20502, 20503}));
    EXPECT_TRUE(delivered()[2].discont);
    EXPECT_TRUE(delivered()[3].discont);
    arrive(20502 - 1000);  // far behind: the old run, a new start again
    EXPECT_EQ(deliveredSeqs().back(), 19502);
}

TEST_F(JitterBufferTest, ALongRunBehindOneGapDoesNotWaitTheLatency) {
    arrive(1);
    for (guint16 seq = 3; seq < 3 + 70; ++seq) arrive(seq);  // 2 never comes; more than it holds
    auto seqs = deliveredSeqs();
    ASSERT_GE(seqs.size(), 2u);
    EXPECT_EQ(seqs[1], 3);  // the gap was given up before the latency
    for (size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + (i == 1 ? 2 : 1));
}

TEST_F(JitterBufferTest, WhatIsHeldIsFreedWhenItStops) {
    arrive(1);
    arrive(3);  // held for 2
    gst_element_set_state(pipeline_, GST_STATE_NULL);  // no leak (ASan) and no crash
    EXPECT_EQ(deliveredSeqs(), (Seqs{1}));
}

}  // namespace
