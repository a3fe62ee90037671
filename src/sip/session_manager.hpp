// The calls of one worker: creates sessions for CALL and for incoming INVITEs, routes commands
// to them, and destroys them once nua is done with their dialogs. Loop thread only.
#pragma once

#include "sip/session.hpp"
#include "sip/session_registry.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sipw {

class SessionManager : private Session::Host {
public:
    using Emit = std::function<void(const CauseData &)>;

    // `config` must outlive the manager (the user agent's); `media` makes the calls' media.
    SessionManager(const Config &config, std::shared_ptr<SessionRegistry> registry, Emit emit,
                   std::shared_ptr<MediaFactory> media);
    ~SessionManager() override;

    // With a null `stack` the call waits for attachStack() when `transportPending`, else fails
    // with Connection Error.
    void call(const std::string &id, std::uint64_t generation, const std::string &targetUri,
              const CallOptions &options, SipStack *stack, bool transportPending);
    // The transport is up: calls waiting for it send their INVITE.
    void attachStack(SipStack *stack);
    // The transport could not be brought up: calls waiting for it fail with `cause`.
    void failWaiting(const std::string &cause);
    // An INVITE that opens a dialog; binds `nh` to a new session. Always takes it. One with a
    // Replaces header that names a confirmed call of ours replaces that call once confirmed (as
    // JsSIP: 481 when it names no call, 603 when that call ended, 403 while it is not confirmed).
    bool incoming(SipStack &stack, nua_handle_t *nh, const sip_t *sip);

    void answer(const std::string &id, const CallOptions &options);
    void progress(const std::string &id, const ProgressRequest &request);
    void hangup(const std::string &id, const HangupRequest &request);
    // REFER on session `id` to `targetUri`; attended when `replacesId` names another session.
    void refer(const std::string &id, const std::string &targetUri, const std::string &replacesId,
               const std::vector<std::string> &extraHeaders);
    // REFER_ACCEPT: a new outgoing session `newId` to the target of the REFER received on `id`
    // (`targetUri`, as the worker read it, if that REFER is gone meanwhile), whose progress is
    // NOTIFYed to the referrer.
    void referAccept(const std::string &id, const std::string &newId, std::uint64_t generation,
                     const std::string &targetUri,
                     const CallOptions &options, SipStack *stack, bool transportPending);
    void referReject(const std::string &id);
    void hold(const std::string &id, bool on);
    void mute(const std::string &id, bool on);
    void sendDtmf(const std::string &id, const DtmfRequest &request);
    // The media helpers of one call; `run` gets the session if it still exists.
    void withSession(const std::string &id, const std::function<void(Session &)> &run);

    // Ends every live session of `stack` (all stacks when null) with BYE/CANCEL/reject.
    void abandonAll(SipStack *stack, const std::string &originator, const std::string &cause);
    // `stack` is about to be destroyed: its sessions let go of their nua handles.
    void releaseStack(SipStack *stack);
    std::size_t liveSessions() const { return sessions_.size() + retired_.size(); }

private:
    const Config &config() const override { return config_; }
    void emit(const CauseData &event) override { emit_(event); }
    void publish(const SessionInfo &info) override { registry_->update(info); }
    void finished(Session &session) override;
    MediaFactory &media() override { return *media_; }

    Session *find(const std::string &id);
    // The session whose dialog `replaces` names (tags in either order, as JsSIP's _findDialog).
    Session *replacedBy(SipStack &stack, const sip_replaces_t *replaces);
    void forEachSession(const std::function<void(Session &)> &run);

    const Config &config_;
    std::shared_ptr<SessionRegistry> registry_;
    Emit emit_;
    std::shared_ptr<MediaFactory> media_;
    std::map<std::string, std::unique_ptr<Session>> sessions_;  // until nua is done with them
    // Sessions whose id was deleted (SESSTION_DEL) and taken by a new CALL while they were still
    // finishing: commands for the id reach the new one; these only finish.
    std::vector<std::unique_ptr<Session>> retired_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipw
