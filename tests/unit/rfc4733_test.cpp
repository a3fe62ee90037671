// TelephoneEventReader: RFC 4733 event packets in, whole DTMF events out.
#include "media/rfc4733.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

using namespace sipw;

namespace {

constexpr int kRate = 8000;  // 8 clock units per ms

std::array<uint8_t, 4> packet(int event, bool end, int duration) {
    return {uint8_t(event), uint8_t((end ? 0x80 : 0) | 10), uint8_t(duration >> 8), uint8_t(duration & 0xff)};
}

struct Feed {
    TelephoneEventReader reader;
    std::string tones;
    std::vector<int> durations;
    void operator()(uint32_t timestamp, int event, bool end, int duration) {
        auto p = packet(event, end, duration);
        for (const auto &e : reader.onPacket(timestamp, p.data(), p.size(), kRate)) {
            tones += e.tone;
            durations.push_back(e.durationMs);
        }
    }
    // One event as RFC 4733 senders do it: packets every 20 ms, then three end packets.
    void tone(uint32_t timestamp, int event, int ms) {
        for (int t = 20; t < ms; t += 20) (*this)(timestamp, event, false, t * 8);
        for (int i = 0; i < 3; ++i) (*this)(timestamp, event, true, ms * 8);
    }
};

}  // namespace

TEST(Rfc4733, CodesAndTonesBothWays) {
    const std::string all = "0123456789*#ABCD";
    for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(dtmfEventCode(all[i]), int(i));
        EXPECT_EQ(dtmfTone(int(i)), all[i]);
    }
    EXPECT_EQ(dtmfEventCode('b'), 13);
    EXPECT_EQ(dtmfEventCode('E'), -1);
    EXPECT_EQ(dtmfTone(16), '\0');
    EXPECT_EQ(dtmfTone(-1), '\0');
}

TEST(Rfc4733, EachEventOnceAtItsEndWithItsDuration) {
    Feed f;
    f.tone(1000, 1, 160);
    f.tone(5000, 1, 250);  // the same digit again: another timestamp, another event
    f.tone(9000, 11, 100);
    EXPECT_EQ(f.tones, "11#");
    EXPECT_EQ(f.durations, (std::vector<int>{160, 250, 100}));
}

TEST(Rfc4733, LostEndPacketsAreReportedWhenTheNextEventStarts) {
    Feed f;
    f(1000, 5, false, 400);
    f(1000, 5, false, 800);  // then nothing of its end
    f(3000, 7, false, 160);
    EXPECT_EQ(f.tones, "5");
    f(3000, 7, true, 320);
    EXPECT_EQ(f.tones, "57");
    EXPECT_EQ(f.durations, (std::vector<int>{100, 40}));
}

TEST(Rfc4733, LatePacketsOfAnEarlierEventAreIgnored) {
    Feed f;
    f.tone(1000, 3, 100);
    f(4000, 4, false, 160);
    f(1000, 3, true, 800);  // a reordered end packet of the '3'
    f(4000, 4, true, 480);
    EXPECT_EQ(f.tones, "34");
    EXPECT_EQ(f.durations, (std::vector<int>{100, 60}));
}

TEST(Rfc4733, TimestampsFarBehindAreANewStreamNotLatePackets) {
    Feed f;
    f.tone(5000000, 1, 100);
    f.tone(1000, 2, 100);  // 10 min behind at 8 kHz: the sender started over
    EXPECT_EQ(f.tones, "12");
}

TEST(Rfc4733, LongEventSegmentsAreOneEvent) {
    Feed f;
    // §2.5.1.3: a segment ends at the 16-bit limit; the next one starts at timestamp + duration.
    f(100, 9, false, 30000);
    f(100, 9, false, 65535);
    f(100 + 65535, 9, false, 8000);
    f(100 + 65535, 9, true, 16000);
    EXPECT_EQ(f.tones, "9");
    EXPECT_EQ(f.durations, (std::vector<int>{(65535 + 16000) / 8}));
}

TEST(Rfc4733, TimestampsWrapAround) {
    Feed f;
    f.tone(0xFFFFFF00u, 2, 100);
    f.tone(0x00000100u, 6, 100);  // after the wrap: newer, not a late packet
    EXPECT_EQ(f.tones, "26");
}

TEST(Rfc4733, ShortOrForeignPayloadsAreIgnored) {
    TelephoneEventReader reader;
    uint8_t shortPayload[3] = {1, 0x80, 0};
    EXPECT_TRUE(reader.onPacket(10, shortPayload, sizeof shortPayload, kRate).empty());
    EXPECT_TRUE(reader.onPacket(10, nullptr, 4, kRate).empty());
    auto flash = packet(16, true, 800);  // hook flash: followed, not a DTMF tone
    EXPECT_TRUE(reader.onPacket(20, flash.data(), flash.size(), kRate).empty());
    auto digit = packet(0, true, 800);
    EXPECT_TRUE(reader.onPacket(30, digit.data(), digit.size(), 0).empty());
    auto events = reader.onPacket(30, digit.data(), digit.size(), kRate);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].tone, '0');
    EXPECT_EQ(events[0].durationMs, 100);
}

// A packet of the event's stream that is no event packet (an Opus frame with the telephone-event
// payload type, seen from GStreamer's rtpdtmfmux) neither ends the tone nor starts one.
TEST(Rfc4733, APayloadThatIsNotFourBytesIsNotAnEvent) {
    Feed feed;
    feed(1000, 12, false, 160);
    const uint8_t opus[] = {248, 0xff, 0xfe, 0x10, 0x22, 0x31};
    EXPECT_TRUE(feed.reader.onPacket(1100, opus, sizeof opus, kRate).empty());
    for (int t = 40; t < 300; t += 20) feed(1000, 12, false, t * 8);
    for (int i = 0; i < 3; ++i) feed(1000, 12, true, 300 * 8);
    EXPECT_EQ(feed.tones, "A");  // event code 12
    ASSERT_EQ(feed.durations.size(), 1u);
    EXPECT_EQ(feed.durations[0], 300);
}
