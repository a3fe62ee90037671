// What callers may know about sessions, readable from any thread.
//
// Sessions live on the loop thread; commands arrive on callers' threads and must be refused
// synchronously (unknown id → -3, wrong state → -2), and sipw_session_info must answer at once.
// So every session publishes a copy of its public state here, and the worker checks commands
// against it before posting them to the loop.
#pragma once

#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sipw {

// Session states (sipw_session_info "state"):
//   outgoing: "calling" (offer being built / INVITE sent) → "progress" (1xx) → "accepted" (2xx)
//   incoming: "ringing" (180 sent, waiting for ANSWER) → "answering" (ANSWER taken, media being
//             prepared) → "accepted" (200 sent, waiting for ACK)
//   both:     → "confirmed" (ACK) → "terminated"
struct SessionInfo {
    std::string sessionId;
    std::string direction;  // "incoming" | "outgoing"
    std::string state = "calling";
    std::string remoteUri;
    std::string remoteUser;
    std::string remoteDisplayName;
    std::string localUri;
    std::string profile;  // "webrtc" | "rtp" | "srtp": of our offer, or the one the peer's offer asks for
    std::string codec;    // the agreed audio codec ("opus", "G722", "PCMU", "PCMA"); empty until negotiated
    bool held = false;        // we put the call on hold
    bool remoteHeld = false;  // the peer put the call on hold
    bool muted = false;
    bool mediaConnected = false;  // media can flow (webrtc: ICE and DTLS are up)
    bool hangupRequested = false; // HANGUP accepted, not yet carried out on the loop
    bool telephoneEvent = false;  // RFC 4733 DTMF negotiated (known once media is connected)
    bool recording = false;       // RECORD running
    bool playingFile = false;     // CALL_PLAY: a file is sent instead of the input
    long long startTime = 0;   // ms since the epoch
    long long answerTime = 0;  // 0 until answered
    long long endTime = 0;     // 0 until terminated
    long long firstAudioTime = 0;  // the peer's first audio decoded; 0 until then

    bool terminated() const { return state == "terminated"; }
    bool confirmed() const { return state == "confirmed"; }
    nlohmann::json toJson() const;
};

class SessionRegistry {
public:
    // Ended sessions stay readable (info, SESSTION_DEL) until deleted; beyond this many the oldest
    // ended ones are forgotten, so a robot making calls for days does not grow without bound.
    static constexpr std::size_t kRetainedEnded = 256;

    // Adds a new session; false if the id is taken.
    bool add(const SessionInfo &info);
    std::optional<SessionInfo> find(const std::string &id) const;
    // Replaces the published state of a known session (ignored if deleted meanwhile).
    void update(const SessionInfo &info);
    // Moves a session from state `from` to `to` at once; false if it is in another state or unknown.
    // Commands claim their transition here so that a second one, posted before the loop ran the
    // first, is refused synchronously instead of being dropped on the loop.
    bool advance(const std::string &id, const std::string &from, const std::string &to);
    void erase(const std::string &id);
    // Marks a live session as being hung up; false if it ended or a HANGUP was already accepted,
    // so a second HANGUP (or an ANSWER after it) is refused instead of silently doing nothing.
    bool requestHangup(const std::string &id);
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, SessionInfo> sessions_;
    std::deque<std::string> ended_;  // ids in the order they ended
};

}  // namespace sipw
