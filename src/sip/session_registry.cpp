#include "sip/session_registry.hpp"

#include <algorithm>

namespace sipw {

namespace {

nlohmann::json statsJson(const std::optional<MediaStats> &stats) {
    if (!stats || !stats->valid) return nullptr;
    auto measured = [](double v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
    return {{"codec", stats->codec},
            {"packetsSent", stats->packetsSent},
            {"packetsReceived", stats->packetsReceived},
            {"packetsLost", stats->packetsLost},
            {"jitterMs", measured(stats->jitterMs)},
            {"rttMs", measured(stats->rttMs)},
            {"bytesSent", stats->bytesSent},
            {"bytesReceived", stats->bytesReceived}};
}

}  // namespace

nlohmann::json SessionInfo::toJson() const {
    auto text = [](const std::string &t) { return t.empty() ? nlohmann::json(nullptr) : nlohmann::json(t); };
    nlohmann::json out = base();
    out["callId"] = text(callId);
    out["stats"] = statsJson(stats);
    out["referTarget"] = text(referTarget);
    if (direction == "incoming") {
        out["toUri"] = toUri;
        out["requestUri"] = requestUri;
        out["headers"] = headers.is_object() ? headers : nlohmann::json::object();
        out["replaces"] = text(replaces);
    } else {
        out["referredFrom"] = text(referredFrom);
    }
    return out;
}

nlohmann::json SessionInfo::base() const {
    auto ms = [](long long t) { return t ? nlohmann::json(t) : nlohmann::json(nullptr); };
    auto text = [](const std::string &s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
    return {{"sessionId", sessionId}, {"direction", direction}, {"state", state},
            {"remoteUri", remoteUri}, {"remoteUser", remoteUser}, {"remoteDisplayName", remoteDisplayName},
            {"localUri", localUri}, {"profile", text(profile)}, {"codec", text(codec)}, {"held", held}, {"remoteHeld", remoteHeld}, {"muted", muted}, {"mediaConnected", mediaConnected},
            {"telephoneEvent", telephoneEvent}, {"recording", recording}, {"playingFile", playingFile},
            {"startTime", ms(startTime)}, {"answerTime", ms(answerTime)}, {"endTime", ms(endTime)},
            {"firstAudioTime", ms(firstAudioTime)}, {"earlyMedia", earlyMedia}};
}

std::uint64_t SessionRegistry::add(const SessionInfo &info) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, added] = sessions_.emplace(info.sessionId, info);
    if (!added) return 0;
    it->second.generation = ++lastGeneration_;
    return it->second.generation;
}

std::optional<SessionInfo> SessionRegistry::find(const std::string &id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    return it->second;
}

void SessionRegistry::update(const SessionInfo &info) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(info.sessionId);
    if (it == sessions_.end() || it->second.generation != info.generation) return;
    bool newlyEnded = info.terminated() && !it->second.terminated();
    // Set here by the worker's commands, not by the session: kept across its publications.
    bool hangupRequested = it->second.hangupRequested;
    int referRequests = it->second.referRequests, referAnswered = it->second.referAnswered;
    bool answerClaimed = it->second.state == "answering" && info.state == "ringing";
    it->second = info;
    it->second.hangupRequested = hangupRequested;
    it->second.referRequests = referRequests;
    it->second.referAnswered = referAnswered;
    if (answerClaimed) it->second.state = "answering";  // ANSWER taken, not yet run on the loop
    if (!newlyEnded) return;
    ended_.push_back(info.sessionId);
    while (ended_.size() > kRetainedEnded) {
        sessions_.erase(ended_.front());
        ended_.pop_front();
    }
}

bool SessionRegistry::advance(const std::string &id, const std::string &from, const std::string &to) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.state != from) return false;
    it->second.state = to;
    return true;
}

bool SessionRegistry::requestHangup(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.terminated() || it->second.hangupRequested) return false;
    it->second.hangupRequested = true;
    return true;
}

bool SessionRegistry::claimOutgoingRefer(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.referRequests > it->second.referOutcomes) return false;
    ++it->second.referRequests;
    return true;
}

bool SessionRegistry::claimIncomingRefer(const std::string &id, std::string &target) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    SessionInfo &s = it->second;
    if (s.referTarget.empty() || s.incomingRefers <= s.referAnswered) return false;
    s.referAnswered = s.incomingRefers;
    target = s.referTarget;
    return true;
}

void SessionRegistry::erase(const std::string &id) {
    std::lock_guard<std::mutex> lock(mutex_);
    sessions_.erase(id);
    ended_.erase(std::remove(ended_.begin(), ended_.end(), id), ended_.end());
}

std::size_t SessionRegistry::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.size();
}

}  // namespace sipw
