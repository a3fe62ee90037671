#include "sip/session_manager.hpp"

#include "base/loop_thread.hpp"

#include <glib.h>

#include <mutex>
#include <thread>

namespace sipw {

std::string newSessionId() {
    gchar *uuid = g_uuid_string_random();
    std::string id;
    for (const gchar *p = uuid; *p; ++p)
        if (*p != '-') id += *p;
    g_free(uuid);
    return id;
}

SessionManager::SessionManager(const Config &config, std::shared_ptr<SessionRegistry> registry, Emit emit,
                               std::shared_ptr<MediaFactory> media)
    : config_(config), registry_(std::move(registry)), emit_(std::move(emit)), media_(std::move(media)) {}

SessionManager::~SessionManager() {
    *alive_ = false;
    sessions_.clear();  // each releases its handle and closes its media
    retired_.clear();
}

Session *SessionManager::find(const std::string &id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second.get();
}

void SessionManager::forEachSession(const std::function<void(Session &)> &run) {
    for (auto &[id, session] : sessions_) run(*session);
    for (auto &session : retired_) run(*session);
}

void SessionManager::call(const std::string &id, std::uint64_t generation, const std::string &targetUri,
                          const CallOptions &options, SipStack *stack, bool transportPending) {
    auto session = std::make_unique<Session>(static_cast<Session::Host &>(*this), stack, id, generation, targetUri,
                                             options, transportPending);
    Session &s = *session;
    auto it = sessions_.find(id);
    if (it != sessions_.end()) {
        // The id was deleted and is used again while its former session still finishes.
        retired_.push_back(std::move(it->second));
        it->second = std::move(session);
    } else {
        sessions_[id] = std::move(session);
    }
    s.start();
}

bool SessionManager::incoming(SipStack &stack, nua_handle_t *nh, const sip_t *sip) {
    std::string id = newSessionId();
    auto session = std::make_unique<Session>(static_cast<Session::Host &>(*this), stack, id, nh, sip);
    nua_handle_bind(nh, static_cast<NuaHandleOwner *>(session.get()));
    session->setGeneration(registry_->add(session->info()));
    Session &s = *session;
    sessions_[id] = std::move(session);
    s.start();
    return true;
}

void SessionManager::answer(const std::string &id, const CallOptions &options) {
    if (Session *s = find(id)) s->answer(options);
}

void SessionManager::hangup(const std::string &id, bool isTimeout) {
    if (Session *s = find(id)) s->hangup(isTimeout);
}

void SessionManager::hold(const std::string &id, bool on) {
    if (Session *s = find(id)) s->hold(on);
}

void SessionManager::mute(const std::string &id, bool on) {
    if (Session *s = find(id)) s->mute(on);
}

void SessionManager::sendDtmf(const std::string &id, const DtmfRequest &request) {
    if (Session *s = find(id)) s->sendDtmf(request);
}

void SessionManager::withSession(const std::string &id, const std::function<void(Session &)> &run) {
    if (Session *s = find(id)) run(*s);
}

void SessionManager::abandonAll(SipStack *stack, const std::string &originator, const std::string &cause) {
    forEachSession([&](Session &session) {
        if (!stack || session.stack() == stack) session.abandon(originator, cause);
    });
}

void SessionManager::attachStack(SipStack *stack) {
    forEachSession([&](Session &session) { session.attachStack(stack); });
}

void SessionManager::failWaiting(const std::string &cause) {
    forEachSession([&](Session &session) {
        if (session.waitingForTransport()) session.abandon("system", cause);
    });
}

void SessionManager::releaseStack(SipStack *stack) {
    forEachSession([&](Session &session) {
        if (!stack || session.stack() == stack) session.releaseHandle();
    });
}

void SessionManager::finished(Session &session) {
    // Called from the session's own timer: destroy it once that callback has returned.
    std::string id = session.id();
    Session *which = &session;
    std::weak_ptr<bool> alive = alive_;
    runSoon([this, alive, id, which] {
        if (alive.expired()) return;
        auto it = sessions_.find(id);
        if (it != sessions_.end() && it->second.get() == which) {
            sessions_.erase(it);
            return;
        }
        for (auto r = retired_.begin(); r != retired_.end(); ++r) {
            if (r->get() == which) {
                retired_.erase(r);
                return;
            }
        }
    });
}

}  // namespace sipw
