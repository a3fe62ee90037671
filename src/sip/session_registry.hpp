// What callers may know about sessions, readable from any thread.
//
// Sessions live on the loop thread; commands arrive on callers' threads and must be refused
// synchronously (unknown id → -3, wrong state → -2), and sipw_session_info must answer at once.
// So every session publishes a copy of its public state here, and the worker checks commands
// against it before posting them to the loop.
#pragma once

#include "media_api/media_session.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
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
    // Which session holds the id now: an id deleted and used again names a new session, and the
    // old one, still finishing, must not overwrite it. Set by SessionRegistry::add; not shown.
    std::uint64_t generation = 0;
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
    bool earlyMedia = false;       // a 18x with SDP was sent (PROGRESS) or applied (outgoing)

    // The INVITE's details (incoming; callId also for outgoing calls once answered).
    std::string callId;
    std::string toUri;
    std::string requestUri;
    nlohmann::json headers;        // name → [values]; null for outgoing calls
    std::string referredFrom;      // REFER_ACCEPT: the session whose REFER made this call
    std::string replaces;          // an incoming INVITE with Replaces: the session it replaces
    std::optional<MediaStats> stats;  // once media flows; the final counters after the end

    // Transfer. Our REFERs: one at a time (referRequests claimed by the worker, referOutcomes
    // counted by the session). Received REFERs: incomingRefers counted by the session, the one
    // waiting (referTarget) claimed by REFER_ACCEPT / REFER_REJECT through referAnswered.
    int referRequests = 0;
    int referOutcomes = 0;
    int incomingRefers = 0;
    int referAnswered = 0;
    std::string referTarget;

    bool terminated() const { return state == "terminated"; }
    bool confirmed() const { return state == "confirmed"; }
    nlohmann::json toJson() const;

private:
    nlohmann::json base() const;  // the fields every session has
};

class SessionRegistry {
public:
    // Ended sessions stay readable (info, SESSTION_DEL) until deleted; beyond this many the oldest
    // ended ones are forgotten, so a robot making calls for days does not grow without bound.
    static constexpr std::size_t kRetainedEnded = 256;

    // Adds a new session and returns its generation (never 0); 0 if the id is taken.
    std::uint64_t add(const SessionInfo &info);
    std::optional<SessionInfo> find(const std::string &id) const;
    // Replaces the published state of a known session (ignored if deleted meanwhile, and if the
    // id now belongs to a newer session).
    void update(const SessionInfo &info);
    // Moves a session from state `from` to `to` at once; false if it is in another state or unknown.
    // Commands claim their transition here so that a second one, posted before the loop ran the
    // first, is refused synchronously instead of being dropped on the loop.
    bool advance(const std::string &id, const std::string &from, const std::string &to);
    void erase(const std::string &id);
    // Marks a live session as being hung up; false if it ended or a HANGUP was already accepted,
    // so a second HANGUP (or an ANSWER after it) is refused instead of silently doing nothing.
    bool requestHangup(const std::string &id);
    // REFER: false while a REFER of ours on this session has no outcome yet.
    bool claimOutgoingRefer(const std::string &id);
    // REFER_ACCEPT / REFER_REJECT: takes the received REFER waiting on the session (its target in
    // `target`); false when none waits or another command took it.
    bool claimIncomingRefer(const std::string &id, std::string &target);
    std::size_t size() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, SessionInfo> sessions_;
    std::deque<std::string> ended_;  // ids in the order they ended
    std::uint64_t lastGeneration_ = 0;
};

}  // namespace sipw
