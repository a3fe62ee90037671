// The transport: one sofia-sip `nua` bound to one server over UDP, TCP or TLS, or over WS/WSS
// through a WsAdapter (sofia-sip then talks TCP to the adapter's loopback port).
//
// Lives on the worker's loop thread. Every nua event is routed to the object that owns the
// handle (the registration, a session), or to the stack's owner for requests that open a new
// handle (an incoming INVITE).
#pragma once

#include "config/config.hpp"
#include "ws/ws_adapter.hpp"

#include <sofia-sip/nua.h>
#include <sofia-sip/su_glib.h>

#include <functional>
#include <memory>
#include <string>

namespace sipw {

// Whatever owns a nua handle receives its events. Set as the handle's magic.
class SipStack;

class NuaHandleOwner {
public:
    virtual ~NuaHandleOwner() = default;
    virtual void onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *nh,
                            const sip_t *sip, tagi_t tags[]) = 0;
};

class SipStack {
public:
    // TCP keep-alive: a CRLF ping unanswered for this long closes the flow (RFC 5626 §4.4.1).
    static constexpr unsigned kPongTimeoutMs = 10000;
    // 64*T1 for a stack whose server is gone (hurry()).
    static constexpr unsigned kHurriedT1x64Ms = 300;

    struct Listener {
        // A request that is not for an existing handle (an incoming INVITE). The listener either
        // binds an owner to `nh` (nua_handle_bind) or the stack rejects and destroys it.
        std::function<bool(SipStack &stack, nua_handle_t *nh, const sip_t *sip)>
            onNewRequest;
        // A request outside any dialog that the stack has answered (MESSAGE, OPTIONS: 200); its
        // handle is destroyed after this returns.
        std::function<void(nua_event_t event, const sip_t *sip)> onAnsweredRequest;
    };

    // Creates the transport for `server`. Throws Error (tls_setup_failed, transport_error…).
    // For ws/wss `wsAdapter` is the open WebSocket flow; the stack owns it from then on.
    SipStack(su_root_t *root, const Config &config, const ServerUri &server, Listener listener,
             std::unique_ptr<WsAdapter> wsAdapter = nullptr);
    ~SipStack();  // nua_destroy, then the adapter; call after shutdown() finished, or to force
    SipStack(const SipStack &) = delete;
    SipStack &operator=(const SipStack &) = delete;

    nua_t *nua() const { return nua_; }
    const ServerUri &server() const { return server_; }
    const std::string &localAddress() const { return localAddress_; }
    const WsAdapter *wsAdapter() const { return wsAdapter_.get(); }

    // nua_shutdown: ends every dialog and registration; `done(ok)` once nua says it is final.
    void shutdown(std::function<void(bool ok)> done);
    bool shutdownComplete() const { return shutdownComplete_; }
    // The server is gone: every transaction still open (a BYE, an unREGISTER, an INVITE without a
    // provisional response) gives up within kHurriedT1x64Ms instead of 64*T1, and so does what
    // the stack sends from now on. For a stack that is being shut down.
    void hurry();
    // Last resort when the graceful shutdown ran out of time: call after destroying every handle;
    // hurries, then runs the loop until nua reports the final status or timeoutMs passes.
    bool finishShutdown(int timeoutMs);

private:
    static void onNua(nua_event_t event, int status, const char *phrase, nua_t *nua, nua_magic_t *magic,
                      nua_handle_t *nh, nua_hmagic_t *hmagic, const sip_t *sip, tagi_t tags[]);

    ServerUri server_;
    Listener listener_;
    std::unique_ptr<WsAdapter> wsAdapter_;  // outlives nua: sofia-sip's proxy is its listener
    std::string localAddress_;
    nua_t *nua_ = nullptr;
    std::function<void(bool)> shutdownDone_;
    bool shutdownComplete_ = false;
};

// The local address the kernel would use to reach `host` (no packet is sent), so Contact and
// Via carry an address the server can route back to. Empty if host is not a literal address.
std::string localAddressToward(const std::string &host, int port);

}  // namespace sipw
