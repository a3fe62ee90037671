#include "sip/session_registry.hpp"

#include <algorithm>

namespace sipw {

nlohmann::json SessionInfo::toJson() const {
    auto ms = [](long long t) { return t ? nlohmann::json(t) : nlohmann::json(nullptr); };
    auto text = [](const std::string &s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
    return {{"sessionId", sessionId}, {"direction", direction}, {"state", state},
            {"remoteUri", remoteUri}, {"remoteUser", remoteUser}, {"remoteDisplayName", remoteDisplayName},
            {"localUri", localUri}, {"profile", text(profile)}, {"codec", text(codec)}, {"held", held}, {"remoteHeld", remoteHeld}, {"muted", muted}, {"mediaConnected", mediaConnected},
            {"telephoneEvent", telephoneEvent}, {"recording", recording}, {"playingFile", playingFile},
            {"startTime", ms(startTime)}, {"answerTime", ms(answerTime)}, {"endTime", ms(endTime)},
            {"firstAudioTime", ms(firstAudioTime)}};
}

bool SessionRegistry::add(const SessionInfo &info) {
    std::lock_guard<std::mutex> lock(mutex_);
    return sessions_.emplace(info.sessionId, info).second;
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
    if (it == sessions_.end()) return;
    bool newlyEnded = info.terminated() && !it->second.terminated();
    bool hangupRequested = it->second.hangupRequested;  // set here, not by the session
    it->second = info;
    it->second.hangupRequested = hangupRequested;
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
