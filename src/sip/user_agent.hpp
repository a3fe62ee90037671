// The SIP user agent of one worker: connection, failover, reconnection and registration, and
// (through SessionManager) its calls. Lives entirely on the worker's loop thread.
#pragma once

#include "config/config.hpp"
#include "sip/connection_probe.hpp"
#include "base/event.hpp"
#include "sip/instant_messages.hpp"
#include "sip/registration.hpp"
#include "base/retry.hpp"
#include "sip/session_manager.hpp"
#include "sip/sip_stack.hpp"
#include "base/loop_thread.hpp"
#include "base/one_shot_timer.hpp"
#include "ws/ws_adapter.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sipw {

class UserAgent {
public:
    using Emit = std::function<void(const CauseData &)>;

    UserAgent(su_root_t *root, std::shared_ptr<SessionRegistry> sessions, Emit emit,
              std::shared_ptr<MediaFactory> media);
    ~UserAgent();

    void init(Config config, const std::vector<std::string> &unknownFields);
    void login();
    void logout();
    void registerNow();
    void unregister();
    // Ends calls, unregisters, shuts the transport down; `done` runs once that is over.
    void shutdown(std::function<void()> done);
    // After shutdown() ran out of time: drops every handle without waiting for the network and
    // finishes nua's shutdown, so the stacks can be destroyed. Runs the loop itself.
    void forceShutdown();

    // Calls (ids and options already validated by the worker).
    // `generation`: the registry's for this use of `id` (SessionRegistry::add).
    void call(const std::string &id, std::uint64_t generation, const std::string &targetUri,
              const CallOptions &options);
    void answer(const std::string &id, const CallOptions &options) { sessions_->answer(id, options); }
    void progress(const std::string &id, const ProgressRequest &request) { sessions_->progress(id, request); }
    void hangup(const std::string &id, const HangupRequest &request) { sessions_->hangup(id, request); }
    void refer(const std::string &id, const std::string &targetUri, const std::string &replacesId,
               const std::vector<std::string> &extraHeaders) {
        sessions_->refer(id, targetUri, replacesId, extraHeaders);
    }
    void referAccept(const std::string &id, const std::string &newId, std::uint64_t generation,
                     const std::string &targetUri,
                     const CallOptions &options);
    void referReject(const std::string &id) { sessions_->referReject(id); }
    // MESSAGE (its fields already validated by the worker).
    void sendMessage(const MessageRequest &request);
    void hold(const std::string &id, bool on) { sessions_->hold(id, on); }
    void mute(const std::string &id, bool on) { sessions_->mute(id, on); }
    void sendDtmf(const std::string &id, const DtmfRequest &request) { sessions_->sendDtmf(id, request); }
    void withSession(const std::string &id, const std::function<void(Session &)> &run) { sessions_->withSession(id, run); }

    const Config &config() const { return config_; }
    su_root_t *root() const { return root_; }

private:
    enum class Link { Down, Probing, Up, ShuttingDown };

    void emitWarning(const std::string &key, const std::vector<std::string> &args);
    void connectToServer();
    void onProbeDone(const ProbeResult &result);
    void onWsOpen();
    void onWsFailure(const WsAdapter *adapter, const WsAdapter::Failure &failure);
    void startStack(std::unique_ptr<WsAdapter> wsAdapter = nullptr);
    // `detail` fills the error text's second placeholder in each language; `wsCloseCode` is the
    // server's WebSocket close code, reported in the event's data when non-zero.
    void onTransportFailure(const std::string &errorKey, const i18n::Message &detail, const SipOutcome *sip,
                            int wsCloseCode = 0);
    // `serverGone`: after a transport failure; what the old stack still sends times out quickly.
    void stopStack(std::function<void()> then, bool serverGone = false);

    // A second INIT while connected runs once the old connection is closed (finishRestart);
    // connection commands posted meanwhile wait for it, in order.
    void finishRestart();
    bool deferredByRestart(std::function<void()> command);

    void scheduleReconnect();
    void cancelReconnect();

    void onRegistered(const SipOutcome &o, int expires);
    void onRegistrationFailed(const SipOutcome &o);
    void onUnregistered(const SipOutcome &o);

    su_root_t *root_;
    Emit emit_;
    Config config_;
    bool configured_ = false;
    bool wantRegistered_ = false;     // REGISTER/LOGIN asked for a binding, LOGOUT/UNREGISTER dropped it
    bool loggedIn_ = false;           // LOGIN without LOGOUT: keep (re)connecting
    Link link_ = Link::Down;
    size_t serverIndex_ = 0;
    std::unique_ptr<ConnectionProbe> probe_;
    std::unique_ptr<WsAdapter> wsConnecting_;  // ws/wss: the WebSocket being opened
    std::unique_ptr<SipStack> stack_;
    std::unique_ptr<Registration> registration_;
    std::vector<std::unique_ptr<SipStack>> retiring_;  // shutting down, destroyed when final
    Retry reconnectRetry_;
    OneShotTimer reconnectTimer_;
    std::function<void()> afterUnregister_;
    bool restartPending_ = false;
    std::function<void()> pendingStart_;               // the latest INIT, while restartPending_
    std::vector<std::function<void()>> afterRestart_;  // LOGIN, LOGOUT… posted after it
    bool closing_ = false;                             // shutdown() or forceShutdown() began
    std::unique_ptr<SessionManager> sessions_;
    std::unique_ptr<InstantMessages> messages_;

    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for callbacks deferred past us
};

}  // namespace sipw
