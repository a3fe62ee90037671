// The core object behind one sipw_worker: validates commands synchronously, runs them on its
// loop thread, and publishes events through its hub.
#pragma once

#include "base/event_hub.hpp"
#include "base/names.hpp"
#include "base/payload.hpp"
#include "base/loop_thread.hpp"
#include "sip/session_registry.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

typedef struct su_root_s su_root_t;

namespace sipw {

class UserAgent;
class Playbacks;
struct IgnoredOptions;
class PlaybackIds;

class Worker {
public:
    // options: {"eventQueue": bool, "queueCapacity": int, "backlogCapacity": int}. Throws Error.
    explicit Worker(const nlohmann::json &options);
    ~Worker();  // shutdown()
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;

    // Validates and queues a command; throws Error with the result code on refusal.
    void post(const std::string &command, const nlohmann::json &data);
    // The same from text as it came through the C ABI: parses the JSON payload (NULL/"null"
    // → no data) and checks UTF-8.
    void post(const std::string &command, const std::string *dataJson);

    // Largest accepted payload: a command is a few hundred bytes; anything near this is a bug.
    static constexpr std::size_t kMaxPayloadBytes = 64 * 1024;

    // Ends pulling at once (blocked pullers wake), then hangs up, unregisters (bounded wait) and
    // stops the threads. Once it returned no listener runs, except the one that called it.
    // Idempotent; afterwards every command is refused with ShuttingDown.
    void shutdown();
    bool shuttingDown() const { return shuttingDown_; }

    const std::shared_ptr<EventHub> &hub() const { return hub_; }
    // The locale INIT chose; none before INIT.
    std::optional<i18n::Locale> locale() const {
        int l = locale_.load();
        return l < 0 ? std::nullopt : std::optional<i18n::Locale>(static_cast<i18n::Locale>(l));
    }
    std::optional<std::string> sessionInfo(const std::string &sessionId);

    // Upper bound of the whole destroy sequence (unregister + nua shutdown).
    static constexpr int kShutdownBudgetMs = 4000;
    // Longest wait in the destructor for the media prewarm thread (normally 0.1–0.4 s).
    static constexpr int kPrewarmBudgetMs = 5000;

private:
    void stopEverything();
    void emit(const CauseData &event);
    // `name`: the command as posted (messages quote it: "UNHOLD" stays "UNHOLD").
    void postConnectionCommand(names::Command command, const std::string &name, const nlohmann::json &data);
    void postSessionCommand(names::Command command, const std::string &name, const nlohmann::json &data);
    void postCall(const Payload &payload);
    void postMessage(const std::string &name, const nlohmann::json &data);
    // CALL, ANSWER and PROGRESS options that had no effect: one `warning` each.
    void warnIgnoredOptions(const IgnoredOptions &ignored, const std::string &sessionId);
    // A target of CALL or REFER as a SIP URI in our domain; InvalidArgument naming `field` if unusable.
    std::string targetUri(const Payload &payload, const std::string &field);
    void postPlayCommand(names::Command command, const std::string &name, const nlohmann::json &data);
    void runOnLoop(std::function<void(UserAgent &)> task);

    std::shared_ptr<EventHub> hub_;
    std::shared_ptr<SessionRegistry> sessions_ = std::make_shared<SessionRegistry>();
    std::unique_ptr<LoopThread> loop_;
    std::unique_ptr<UserAgent> agent_;   // loop thread only
    std::unique_ptr<Playbacks> playbacks_;  // loop thread only: PLAY to the local output
    std::shared_ptr<PlaybackIds> playIds_;  // ids of live playbacks, for synchronous checks
    su_root_t *root_ = nullptr;          // loop thread only
    std::atomic<bool> initialized_{false};
    std::atomic<bool> shuttingDown_{false};
    std::once_flag shutdownOnce_;
    std::atomic<int> locale_{-1};  // i18n::Locale once INIT set it
    std::mutex identityMutex_;
    EventIdentity identity_;      // guarded by identityMutex_
    std::string domain_;          // guarded by identityMutex_: completes CALL targets
};

}  // namespace sipw
