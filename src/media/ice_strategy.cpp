#include "media/ice_strategy.hpp"

namespace sipw {

bool IceCandidateWait::parseStrategy(const std::string &name, Strategy &out) {
    if (name.empty() || name == "first-server") out = Strategy::FirstServer;
    else if (name == "complete") out = Strategy::Complete;
    else if (name == "host") out = Strategy::Host;
    else return false;
    return true;
}

IceCandidateWait::IceCandidateWait(Strategy strategy, int stunServers, int turnServers,
                                   bool relayOnly)
    : strategy_(strategy), stunServers_(stunServers), turnServers_(turnServers),
      relayOnly_(relayOnly) {}

bool IceCandidateWait::addCandidate(const std::string &line) {
    sdp::Candidate c;
    if (!sdp::parseCandidate(line, c)) return false;
    for (const auto &known : candidates_)
        if (known.line == c.line) return true;
    candidates_.push_back(std::move(c));
    return true;
}

int IceCandidateWait::count(const char *type) const {
    int n = 0;
    for (const auto &c : candidates_)
        if (c.type == type && c.component == 1) ++n;
    return n;
}

bool IceCandidateWait::satisfied() const {
    if (complete_) return true;
    switch (strategy_) {
    case Strategy::Complete:
        return false;
    case Strategy::Host:
        return count("host") > 0 || count("relay") > 0;
    case Strategy::FirstServer: {
        // webrtcbin takes one STUN server, so one srflx candidate answers "the first of each".
        // A relay candidate does not say which TURN server it came from: count them instead.
        bool hostOk = relayOnly_ || count("host") > 0;
        bool stunOk = relayOnly_ || stunServers_ == 0 || count("srflx") > 0;
        bool turnOk = count("relay") >= turnServers_;
        return hostOk && stunOk && turnOk;
    }
    }
    return false;
}

}  // namespace sipw
