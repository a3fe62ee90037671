// Call statistics of the WebRTC profile: webrtcbin's get-stats, read into MediaStats.
//
// webrtcbin answers get-stats on its own thread with one structure per RTCStats object (W3C
// webrtc-stats names): inbound-rtp (what we receive, counted by our RTP session: packets-received,
// bytes-received, packets-lost, jitter), outbound-rtp (what we send: packets-sent, bytes-sent),
// remote-inbound-rtp (the peer's RTCP receiver reports about our stream: round-trip-time), codec.
#pragma once

#include "media_api/media_session.hpp"

#include <functional>

typedef struct _GstElement GstElement;
typedef struct _GstStructure GstStructure;

namespace sipw {

// The reply of get-stats as MediaStats: counters summed over the audio streams (there is one),
// jitter and round trip converted from seconds to milliseconds, lost packets never below zero.
MediaStats parseWebRtcStats(const GstStructure *reply);

// Asks `webrtc` for its statistics. `done` runs once, on webrtcbin's thread, with the result
// (valid == false if webrtcbin did not answer).
void requestWebRtcStats(GstElement *webrtc, std::function<void(const MediaStats &)> done);

// The same, waiting at most `timeoutMs` for the answer (valid == false after that). For the last
// reading as a call ends; webrtcbin answers from its own thread without needing the caller's loop.
MediaStats readWebRtcStats(GstElement *webrtc, int timeoutMs);

}  // namespace sipw
