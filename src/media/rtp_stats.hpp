// Call statistics of the rtp and srtp profiles: rtpbin's RTP session counters, read into MediaStats.
//
// The session's "stats" hold one structure per RTP source: ours (internal: packets-sent,
// octets-sent) and the peer's (packets-received, octets-received, packets-lost, jitter in its
// clock's units, and its last report block about our stream: rb-round-trip).
#pragma once

#include "media_api/media_session.hpp"

typedef struct _GstElement GstElement;
typedef struct _GstStructure GstStructure;

namespace sipw {

// The session's "stats" structure as MediaStats (codec left empty): counters summed over the
// sources on each side, jitter in ms at each source's clock rate, the round trip from 1/65536 s
// units, lost packets never below zero. valid == false if there is no source at all.
MediaStats parseRtpSessionStats(const GstStructure *stats);

// The counters of `rtpbin`'s session 0, read now (on any thread: the session locks them).
MediaStats readRtpSessionStats(GstElement *rtpbin);

}  // namespace sipw
