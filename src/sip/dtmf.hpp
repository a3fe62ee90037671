// The DTMF command: what a request holds, its limits, and the tones it may carry.
// Shared by the worker (synchronous validation), sessions and both transports.
#pragma once

#include <string>

namespace sipw {

struct DtmfRequest {
    // auto: RFC 4733 when the call negotiated telephone-event, else SIP INFO.
    enum class Transport { Auto, Rfc4733, Info };

    static constexpr int kDefaultDurationMs = 160;
    static constexpr int kMinDurationMs = 40;
    static constexpr int kMaxDurationMs = 6000;
    static constexpr int kDefaultGapMs = 100;
    static constexpr int kMinGapMs = 50;
    static constexpr int kMaxGapMs = 6000;
    static constexpr std::size_t kMaxTones = 64;

    std::string tones;  // normalized: 0-9 * # A-D (a-d accepted, upper-cased)
    int durationMs = kDefaultDurationMs;
    int gapMs = kDefaultGapMs;
    Transport transport = Transport::Auto;
};

// 0-9 * # A-D, and a-d.
inline bool isDtmfTone(char c) {
    return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D') || (c >= 'a' && c <= 'd');
}

}  // namespace sipw
