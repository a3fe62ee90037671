// RFC 4733 telephone-events (DTMF in RTP): the event codes of the tones, and the reading of a
// received stream of event packets into whole events. No GStreamer here: the media layer maps
// the RTP packets and hands over timestamp and payload, so the rules are unit-tested on bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipw {

// 0-9 * # A-D (a-d too) → event codes 0..15; -1 for anything else.
int dtmfEventCode(char tone);
// Event codes 0..15 → 0-9 * # A-D; '\0' for anything else.
char dtmfTone(int eventCode);

struct TelephoneEvent {
    char tone;       // 0-9 * # A-D
    int durationMs;  // as the sender last said
};

// One received stream's events, in arrival order (a streaming thread; not thread-safe).
class TelephoneEventReader {
public:
    // A packet's RTP timestamp and payload (event | E R volume | duration, §2.3) at `clockRate`.
    // Returns the events it completes (usually none, at most two):
    // - an event is reported once, at its first end packet; its repeated end packets (§2.5.1.4)
    //   are ignored;
    // - a new event (another timestamp) while one has not ended reports that one first (its
    //   end packets were lost);
    // - a segment that continues a long event (same code, timestamp = previous timestamp +
    //   duration, §2.5.1.3) is added to it, not reported as a new event;
    // - packets of an event older than the current one (late, reordered: up to 10 s behind)
    //   are ignored; further behind, the sender restarted its timestamps: a new event;
    // - a payload that is not exactly 4 bytes is not an event packet and is ignored;
    // - unknown event codes (not DTMF) are followed but not reported.
    std::vector<TelephoneEvent> onPacket(uint32_t timestamp, const uint8_t *payload, std::size_t length, int clockRate);

private:
    bool seen_ = false;    // any event so far
    bool active_ = false;  // the current event has no end packet yet
    uint32_t timestamp_ = 0;
    int event_ = -1;
    uint32_t duration_ = 0;  // of the current segment, in RTP clock units
    uint64_t before_ = 0;    // of the earlier segments of a long event
};

}  // namespace sipw
