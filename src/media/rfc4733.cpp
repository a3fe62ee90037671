#include "media/rfc4733.hpp"

namespace sipw {

int dtmfEventCode(char tone) {
    if (tone >= '0' && tone <= '9') return tone - '0';
    if (tone == '*') return 10;
    if (tone == '#') return 11;
    if (tone >= 'a' && tone <= 'd') tone = char(tone - 'a' + 'A');
    if (tone >= 'A' && tone <= 'D') return 12 + (tone - 'A');
    return -1;
}

char dtmfTone(int eventCode) {
    static const char tones[] = "0123456789*#ABCD";
    return eventCode >= 0 && eventCode < 16 ? tones[eventCode] : '\0';
}

namespace {

constexpr uint32_t kLateWindowSeconds = 10;

// RTP timestamps wrap: `a` is before `b` if it is less than half the range behind.
bool before(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }

}  // namespace

std::vector<TelephoneEvent> TelephoneEventReader::onPacket(uint32_t timestamp, const uint8_t *payload,
                                                         std::size_t length, int clockRate) {
    std::vector<TelephoneEvent> done;
    // An event packet is exactly 4 bytes (§2.3); anything else on the stream is not one (seen: an
    // Opus packet carrying the telephone-event payload type, which would otherwise end a tone).
    if (!payload || length != 4 || clockRate <= 0) return done;
    int event = payload[0];
    bool end = payload[1] & 0x80;
    uint32_t duration = uint32_t(payload[2]) << 8 | payload[3];
    auto report = [&] {
        if (char tone = dtmfTone(event_))
            done.push_back({tone, int((before_ + duration_) * 1000 / uint64_t(clockRate))});
    };

    // A late packet of an earlier event is a few hundred ms behind; far behind, the sender
    // restarted its timestamps (a new stream) and it is a new event.
    bool late = seen_ && before(timestamp, timestamp_) && timestamp_ - timestamp < uint32_t(clockRate) * kLateWindowSeconds;
    if (late) return done;
    if (active_ && timestamp != timestamp_) {
        if (event == event_ && timestamp == timestamp_ + duration_) {
            before_ += duration_;  // the next segment of a long event
            timestamp_ = timestamp;
        } else {
            report();  // a new event began before an end packet of this one reached us
            active_ = false;
        }
    }
    if (!active_ && timestamp != timestamp_) {
        active_ = true;
        before_ = 0;
        timestamp_ = timestamp;
    } else if (!active_) {
        if (seen_) return done;  // a repeated end packet of the event already reported
        active_ = true;          // the very first packet, at timestamp 0
        before_ = 0;
    }
    seen_ = true;
    event_ = event;
    duration_ = duration;
    if (end) {
        report();
        active_ = false;  // keeps the timestamp: its repeated end packets are ignored
    }
    return done;
}

}  // namespace sipw
