// When a local description has enough ICE candidates to be sent.
//
// SIP has no trickle ICE: the offer/answer must carry its candidates, but waiting for gathering
// to complete can take tens of seconds with a slow STUN/TURN server. This policy decides, from
// the candidates seen so far, whether to send now. The caller enforces gatheringTimeoutMs.
#pragma once

#include "media/sdp_util.hpp"

#include <string>
#include <vector>

namespace sipw {

class IceCandidateWait {
public:
    enum class Strategy {
        FirstServer,  // host candidates + the first srflx (STUN) / relay (each TURN) candidate
        Complete,     // gathering complete
        Host,         // the first host candidates
    };
    static bool parseStrategy(const std::string &name, Strategy &out);

    // stunServers / turnServers: how many were configured; relayOnly: no host/srflx will come.
    IceCandidateWait(Strategy strategy, int stunServers, int turnServers, bool relayOnly);

    // Records a candidate ("candidate:..." with or without "a="); false if unparsable.
    bool addCandidate(const std::string &line);
    void setGatheringComplete() { complete_ = true; }

    bool satisfied() const;
    bool gatheringComplete() const { return complete_; }
    // Every candidate seen so far, in arrival order (also the cache for re-offers).
    const std::vector<sdp::Candidate> &candidates() const { return candidates_; }

private:
    int count(const char *type) const;

    Strategy strategy_;
    int stunServers_;
    int turnServers_;
    bool relayOnly_;
    bool complete_ = false;
    std::vector<sdp::Candidate> candidates_;
};

}  // namespace sipw
