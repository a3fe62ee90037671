#include "sip/session_manager.hpp"

#include "base/loop_thread.hpp"
#include "base/random_id.hpp"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

#include <glib.h>

#include <mutex>
#include <thread>

namespace sipw {

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
    std::string replacedId;
    if (sip && sip->sip_replaces) {
        Session *old = replacedBy(stack, sip->sip_replaces);
        int status = 0;
        const char *phrase = "";
        if (!old) status = 481, phrase = "Call/Transaction Does Not Exist";
        else if (old->ended()) status = 603, phrase = "Decline";
        else if (!old->info().confirmed()) status = 403, phrase = "Wrong Status";
        if (status) {
            nua_respond(nh, status, phrase, TAG_END());
            nua_handle_destroy(nh);
            return true;
        }
        replacedId = old->id();
    }
    std::string id = randomId();
    auto session = std::make_unique<Session>(static_cast<Session::Host &>(*this), stack, id, nh, sip);
    if (!replacedId.empty()) {
        // JsSIP's `replaces` accepted: the new call rings like any other; once it is confirmed
        // the call it replaces is ended (BYE, originator local, cause Terminated).
        session->addNewSessionData({{"replaces", replacedId}});
        std::weak_ptr<bool> alive = alive_;
        session->setObserver([this, alive, replacedId](const SessionMilestone &m) {
            if (alive.expired() || m.kind != SessionMilestone::Kind::Confirmed) return;
            if (Session *old = find(replacedId)) old->hangup(HangupRequest{});
        });
    }
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

Session *SessionManager::replacedBy(SipStack &stack, const sip_replaces_t *replaces) {
    auto lookup = [&](const sip_replaces_t *rp) -> Session * {
        nua_handle_t *found = nua_handle_by_replaces(stack.nua(), rp);  // referenced
        if (!found) return nullptr;
        Session *match = nullptr;
        for (auto &[id, session] : sessions_)
            if (session->handle() == found) match = session.get();
        nua_handle_unref(found);
        return match;
    };
    if (Session *s = lookup(replaces)) return s;
    // JsSIP builds the Replaces of its incoming calls with the tags the other way round, and
    // finds dialogs with either order: so do we.
    su_home_t home[1] = {SU_HOME_INIT(home)};
    Session *s = nullptr;
    if (sip_replaces_t *swapped = sip_replaces_dup(home, replaces)) {
        std::swap(swapped->rp_to_tag, swapped->rp_from_tag);
        s = lookup(swapped);
    }
    su_home_deinit(home);
    return s;
}

void SessionManager::progress(const std::string &id, const ProgressRequest &request) {
    if (Session *s = find(id)) s->progress(request);
}

void SessionManager::hangup(const std::string &id, const HangupRequest &request) {
    if (Session *s = find(id)) s->hangup(request);
}

void SessionManager::refer(const std::string &id, const std::string &targetUri, const std::string &replacesId,
                           const std::vector<std::string> &extraHeaders) {
    Session *s = find(id);
    if (!s) return;
    std::string replaces;
    if (!replacesId.empty()) {
        Session *other = find(replacesId);
        replaces = other ? other->replacesValue() : "";
        // The call to replace is gone: an attended transfer is no longer possible.
        if (replaces.empty()) return s->refer({}, extraHeaders);
    }
    s->refer(transfer::referTo(targetUri, replaces), extraHeaders);
}

void SessionManager::referAccept(const std::string &id, const std::string &newId, std::uint64_t generation,
                                 const std::string &targetUri,
                                 const CallOptions &options, SipStack *stack, bool transportPending) {
    std::string target = targetUri;
    CallOptions callOptions = options;
    Session *old = find(id);
    std::optional<SessionTransfer::Incoming> refer;
    if (old) refer = old->transfer().accept();
    if (refer) {
        target = refer->targetUri;
        // Attended transfer: the new call replaces the referrer's call with the target.
        if (!refer->replaces.empty()) callOptions.extraHeaders.push_back("Replaces: " + refer->replaces);
    }
    auto session = std::make_unique<Session>(static_cast<Session::Host &>(*this), stack, newId, generation, target, callOptions,
                                             transportPending);
    session->addNewSessionData({{"referredFrom", id}});
    if (refer) {
        // JsSIP's ReferNotifier wiring: 18x as they come, then the final status; a failure
        // without a SIP response as 487 with the cause as reason.
        std::weak_ptr<bool> alive = alive_;
        session->setObserver([this, alive, id](const SessionMilestone &m) {
            if (alive.expired()) return;
            Session *referrer = find(id);
            if (!referrer) return;
            switch (m.kind) {
            case SessionMilestone::Kind::Progress:
            case SessionMilestone::Kind::Accepted:
                referrer->transfer().notifyProgress(m.status, m.reason);
                break;
            case SessionMilestone::Kind::Failed:
                if (m.status >= 300) referrer->transfer().notifyProgress(m.status, m.reason);
                else referrer->transfer().notifyProgress(487, m.cause);
                break;
            default:
                break;
            }
        });
    }
    Session &s = *session;
    sessions_[newId] = std::move(session);
    s.start();
}

void SessionManager::referReject(const std::string &id) {
    if (Session *s = find(id)) s->transfer().reject();
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
