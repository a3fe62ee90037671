#include "sip/user_agent.hpp"

#include "sip/keep_alive.hpp"

#include "base/error.hpp"

#include <glib.h>

namespace sipw {

namespace {
const char *const kReconnectId = "transport";
}

UserAgent::UserAgent(su_root_t *root, std::shared_ptr<SessionRegistry> sessions, Emit emit,
                     std::shared_ptr<MediaFactory> media)
    : root_(root), emit_(std::move(emit)), reconnectRetry_(-1, 2000, 30000),
      sessions_(std::make_unique<SessionManager>(config_, std::move(sessions), emit_, std::move(media))),
      messages_(std::make_unique<InstantMessages>(config_, emit_)) {}

UserAgent::~UserAgent() {
    cancelReconnect();
    probe_.reset();
    wsConnecting_.reset();
    registration_.reset();
    sessions_.reset();  // sessions let go of their nua handles before the stacks go
    messages_.reset();
    stack_.reset();
    retiring_.clear();
}

void UserAgent::emitWarning(const std::string &key, const std::vector<std::string> &args) {
    emit_(CauseData::warning(key, args, "system"));
}

void UserAgent::init(Config config, const std::vector<std::string> &unknownFields) {
    auto start = [this, config = std::move(config), unknownFields]() mutable {
        config_ = std::move(config);
        configured_ = true;
        serverIndex_ = 0;
        reconnectRetry_ = Retry(-1, config_.reconnect.minIntervalSec * 1000, config_.reconnect.maxIntervalSec * 1000);
        for (const auto &field : unknownFields) emitWarning("unknown_field", {field});
        // JsSIP's via_transport writes that name in Via whatever the socket is; here Via always
        // names the transport really used (responses are routed by it), so a different value is said.
        if (!config_.viaTransport.empty() && !config_.servers.empty()) {
            std::string used = transportName(config_.servers.front().transport);
            if (g_ascii_strcasecmp(config_.viaTransport.c_str(), used.c_str()) != 0)
                emitWarning("via_transport_ignored", {config_.viaTransport, used});
        }
        if (config_.registerOnInit) login();
    };
    if (restartPending_) {
        // The previous INIT still waits for the old connection to close: this one replaces it,
        // and so do the commands posted after it.
        pendingStart_ = std::move(start);
        afterRestart_.clear();
        return;
    }
    if (link_ == Link::Down) {
        start();
        return;
    }
    // A second INIT replaces the user agent, as JsSIP's wrapper does: drop the old connection first.
    sessions_->abandonAll(nullptr, "local", "Terminated");
    loggedIn_ = false;
    wantRegistered_ = false;
    restartPending_ = true;
    pendingStart_ = std::move(start);
    stopStack([this] { finishRestart(); });
}

void UserAgent::finishRestart() {
    // Never during the worker's own teardown: that would open a new connection (and register)
    // after sipw_destroy returned.
    if (closing_ || !restartPending_) return;
    restartPending_ = false;
    auto start = std::move(pendingStart_);
    auto queued = std::move(afterRestart_);
    pendingStart_ = nullptr;
    afterRestart_.clear();
    start();
    for (auto &command : queued) command();
    if (link_ == Link::Down) sessions_->failWaiting("Connection Error");
}

bool UserAgent::deferredByRestart(std::function<void()> command) {
    if (!restartPending_) return false;
    afterRestart_.push_back(std::move(command));
    return true;
}

void UserAgent::login() {
    if (deferredByRestart([this] { login(); })) return;
    loggedIn_ = true;
    wantRegistered_ = config_.registerOnInit || wantRegistered_;
    if (link_ == Link::Up) {
        if (wantRegistered_ && registration_ && !registration_->registered() && !registration_->busy())
            registration_->registerNow();
        return;
    }
    if (link_ == Link::Probing) return;
    cancelReconnect();
    connectToServer();
}

void UserAgent::connectToServer() {
    const ServerUri &server = config_.servers[serverIndex_];
    emit_(CauseData("connecting", "connecting").originator("local").data({{"server", server.original}}));
    link_ = Link::Probing;
    if (server.transport == SipTransport::Udp) {
        startStack();
        return;
    }
    if (server.transport == SipTransport::Ws || server.transport == SipTransport::Wss) {
        // The WebSocket itself is the probe: `connected` once its handshake (TLS included) is done.
        WsAdapter::Timing wsTiming;
        wsTiming.keepaliveSec = config_.keepAliveIntervalSec;
        wsConnecting_ = std::make_unique<WsAdapter>(
            server, config_.tls,
            WsAdapter::Callbacks{
                [this] { onWsOpen(); },
                [this](const WsAdapter *adapter, const WsAdapter::Failure &f) { onWsFailure(adapter, f); },
                [this](const std::string &key, const std::vector<std::string> &args) { emitWarning(key, args); },
            },
            wsTiming);
        return;
    }
    probe_ = std::make_unique<ConnectionProbe>(server, config_.tls, 5,
                                               [this](const ProbeResult &r) { onProbeDone(r); });
}

void UserAgent::onProbeDone(const ProbeResult &result) {
    // The probe may not be destroyed from inside its own callback: retire it on the next turn.
    std::shared_ptr<ConnectionProbe> finished(probe_.release());
    runSoon([finished] {});
    if (link_ != Link::Probing) return;
    if (!result.ok) {
        onTransportFailure(result.errorKey, {result.detail, result.detail}, nullptr);
        return;
    }
    startStack();
}

void UserAgent::onWsOpen() {
    if (link_ != Link::Probing || !wsConnecting_) return;
    startStack(std::move(wsConnecting_));
}

void UserAgent::onWsFailure(const WsAdapter *adapter, const WsAdapter::Failure &failure) {
    if (adapter == wsConnecting_.get()) {
        // Not from inside its own callback: destroyed on the next turn.
        std::shared_ptr<WsAdapter> failed(wsConnecting_.release());
        runSoon([failed] {});
    } else if (!stack_ || stack_->wsAdapter() != adapter) {
        return;  // the flow of a stack already retiring: its end was reported before
    }
    if (link_ == Link::Down || link_ == Link::ShuttingDown) return;
    onTransportFailure(failure.errorKey, failure.detail, nullptr, failure.closeCode);
}

void UserAgent::startStack(std::unique_ptr<WsAdapter> wsAdapter) {
    const ServerUri &server = config_.servers[serverIndex_];
    try {
        stack_ = std::make_unique<SipStack>(
            root_, config_, server,
            SipStack::Listener{[this](SipStack &stack, nua_handle_t *nh, const sip_t *sip) {
                                   return sessions_->incoming(stack, nh, sip);
                               },
                               [this](nua_event_t event, const sip_t *sip) {
                                   if (event == nua_i_options && KeepAlive::isOwnKeepAlive(sip)) return;
                                   emit_(event == nua_i_message ? receivedMessageEvent(sip) : receivedOptionsEvent(sip));
                               }},
            std::move(wsAdapter));
    } catch (const Error &e) {
        onTransportFailure(e.key(), {e.message().en, e.message().zh}, nullptr);
        return;
    }
    registration_ = std::make_unique<Registration>(
        *stack_, config_,
        Registration::Callbacks{
            [this](const SipOutcome &o, int expires) { onRegistered(o, expires); },
            [this](const SipOutcome &o) { onRegistrationFailed(o); },
            [this](const SipOutcome &o) { onUnregistered(o); },
            [this] { emit_(CauseData("registrationExpiring", "registrationExpiring").originator("system")); },
        });
    link_ = Link::Up;
    emit_(CauseData("connected", "connected").originator("local").data({{"server", server.original},
                                                                          {"transport", transportName(server.transport)}}));
    if (wantRegistered_) registration_->registerNow();
    sessions_->attachStack(stack_.get());
}

void UserAgent::referAccept(const std::string &id, const std::string &newId, std::uint64_t generation,
                            const std::string &targetUri,
                            const CallOptions &options) {
    sessions_->referAccept(id, newId, generation, targetUri, options, link_ == Link::Up ? stack_.get() : nullptr,
                           link_ == Link::Probing || restartPending_);
}

void UserAgent::sendMessage(const MessageRequest &request) {
    messages_->send(link_ == Link::Up ? stack_.get() : nullptr, request);
}

void UserAgent::call(const std::string &id, std::uint64_t generation, const std::string &targetUri,
                     const CallOptions &options) {
    // INIT then CALL at once is the normal script: a call made while the transport is still
    // connecting builds its offer meanwhile and goes out once connected.
    sessions_->call(id, generation, targetUri, options, link_ == Link::Up ? stack_.get() : nullptr,
                    link_ == Link::Probing || restartPending_);
}

void UserAgent::onTransportFailure(const std::string &errorKey, const i18n::Message &detail, const SipOutcome *sip,
                                   int wsCloseCode) {
    const ServerUri &server = config_.servers[serverIndex_];
    i18n::Message message{i18n::format(errorKey, {server.original, detail.en}).en,
                          i18n::format(errorKey, {server.original, detail.zh}).zh};
    auto disconnected = CauseData("disconnected", "disconnected")
                            .originator("system")
                            .cause("Connection Error")
                            .detail(message)
                            .reason(detail.en);
    if (sip) disconnected.statusCode(sip->status, sip->reason);
    auto data = nlohmann::json{{"server", server.original}, {"key", errorKey}, {"text", message.en},
                               {"textCN", message.zh}};
    if (wsCloseCode != 0) data["closeCode"] = wsCloseCode;
    disconnected.data(data);
    link_ = Link::Down;
    registration_.reset();
    if (stack_) {
        sessions_->abandonAll(stack_.get(), "system", "Connection Error");
        messages_->releaseStack(stack_.get());
        stopStack(nullptr, /*serverGone=*/true);
    }
    emit_(disconnected);

    if (serverIndex_ + 1 < config_.servers.size()) {
        emitWarning("server_failover", {server.original, config_.servers[serverIndex_ + 1].original});
        ++serverIndex_;
        connectToServer();
        return;
    }
    sessions_->failWaiting("Connection Error");
    if (wantRegistered_) {
        auto failed = CauseData("registrationFailed", "registrationFailed")
                          .originator("system")
                          .cause(sip ? sip->cause : "Connection Error")
                          .detail(message)
                          .data(data);
        if (sip) failed.statusCode(sip->status, sip->reason);
        emit_(failed);
    }
    serverIndex_ = 0;
    if (loggedIn_) scheduleReconnect();
}

void UserAgent::stopStack(std::function<void()> then, bool serverGone) {
    cancelReconnect();
    probe_.reset();
    wsConnecting_.reset();
    registration_.reset();
    if (!stack_) {
        link_ = Link::Down;
        if (then) then();
        return;
    }
    SipStack *stack = stack_.get();
    retiring_.push_back(std::move(stack_));
    link_ = Link::Down;
    std::weak_ptr<bool> alive = alive_;
    if (serverGone) stack->hurry();  // the BYEs and unREGISTER it would wait for cannot arrive
    stack->shutdown([this, alive, stack, then = std::move(then)](bool) {
        // Destroy on the next turn: we are inside the stack's own callback.
        runSoon([this, alive, stack] {
            if (alive.expired()) return;
            sessions_->releaseStack(stack);
            messages_->releaseStack(stack);
            for (auto it = retiring_.begin(); it != retiring_.end(); ++it) {
                if (it->get() == stack) {
                    retiring_.erase(it);
                    break;
                }
            }
        });
        if (then) then();
    });
}

void UserAgent::scheduleReconnect() {
    cancelReconnect();
    int delay = reconnectRetry_.nextDelayMs(kReconnectId, config_.reconnect.minIntervalSec * 1000);
    if (delay <= 0) return;
    reconnectTimer_.start(static_cast<guint>(delay), [this] {
        if (loggedIn_ && link_ == Link::Down) connectToServer();
    });
}

void UserAgent::cancelReconnect() { reconnectTimer_.cancel(); }

void UserAgent::logout() {
    if (deferredByRestart([this] { logout(); })) return;
    loggedIn_ = false;
    wantRegistered_ = false;
    cancelReconnect();
    sessions_->abandonAll(nullptr, "local", "Terminated");
    auto disconnect = [this] {
        bool hadLink = stack_ != nullptr || probe_ != nullptr || wsConnecting_ != nullptr;
        stopStack(nullptr);
        if (hadLink) emit_(CauseData("disconnected", "disconnected").originator("local"));
    };
    if (registration_ && (registration_->registered() || registration_->busy())) {
        afterUnregister_ = disconnect;
        registration_->unregister();
    } else {
        disconnect();
    }
}

void UserAgent::registerNow() {
    if (deferredByRestart([this] { registerNow(); })) return;
    wantRegistered_ = true;
    loggedIn_ = true;
    if (link_ == Link::Up && registration_) {
        registration_->registerNow();
    } else if (link_ == Link::Down) {
        cancelReconnect();
        connectToServer();
    }
}

void UserAgent::unregister() {
    if (deferredByRestart([this] { unregister(); })) return;
    wantRegistered_ = false;
    if (registration_ && (registration_->registered() || registration_->busy())) {
        registration_->unregister();
    } else {
        emitWarning("not_registered", {});
    }
}

void UserAgent::onRegistered(const SipOutcome &o, int expires) {
    reconnectRetry_.reset(kReconnectId);
    emit_(CauseData("registered", "registered").originator("remote").statusCode(o.status, o.reason).data({{"expires", expires}}));
}

void UserAgent::onRegistrationFailed(const SipOutcome &o) {
    if (o.transportFailure()) {
        std::string key = !o.errorKey.empty() ? o.errorKey : o.status == 408 ? "connection_timeout" : "connection_lost";
        onTransportFailure(key, {o.reason, o.reason}, &o);
        return;
    }
    emit_(CauseData("registrationFailed", "registrationFailed")
              .originator(o.local ? "system" : "remote")
              .statusCode(o.status, o.reason)
              .cause(o.cause));
}

void UserAgent::onUnregistered(const SipOutcome &o) {
    auto ev = CauseData("unregistered", "unregistered").originator(o.local ? "system" : "remote").statusCode(o.status, o.reason);
    if (o.status >= 300) ev.cause(o.cause);
    emit_(ev);
    if (auto then = std::move(afterUnregister_)) then();
}

void UserAgent::forceShutdown() {
    closing_ = true;
    cancelReconnect();
    probe_.reset();
    wsConnecting_.reset();
    registration_.reset();  // nua_handle_destroy: pending transactions are abandoned
    sessions_->abandonAll(nullptr, "local", "Terminated");
    sessions_->releaseStack(nullptr);
    messages_->releaseStack(nullptr);
    if (stack_) retiring_.push_back(std::move(stack_));
    auto stacks = std::move(retiring_);  // finishing runs the loop, which may touch retiring_
    retiring_.clear();
    for (auto &stack : stacks) stack->finishShutdown(1000);
}

void UserAgent::shutdown(std::function<void()> done) {
    closing_ = true;
    restartPending_ = false;
    pendingStart_ = nullptr;
    afterRestart_.clear();
    loggedIn_ = false;
    wantRegistered_ = false;
    cancelReconnect();
    probe_.reset();
    wsConnecting_.reset();
    sessions_->abandonAll(nullptr, "local", "Terminated");
    bool wasRegistered = registration_ && registration_->registered();
    bool hadStack = stack_ != nullptr;
    if (!hadStack) {
        done();
        return;
    }
    // nua_shutdown unregisters and ends dialogs itself; report the outcome as JsSIP's wrapper would.
    stopStack([this, wasRegistered, done = std::move(done)] {
        if (wasRegistered) emit_(CauseData("unregistered", "unregistered").originator("local"));
        emit_(CauseData("disconnected", "disconnected").originator("local"));
        done();
    });
}

}  // namespace sipw
