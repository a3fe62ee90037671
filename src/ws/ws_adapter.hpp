// SIP over WebSocket (RFC 7118) for sofia-sip, which has no WebSocket transport of its own.
//
// The adapter owns a TCP listener on 127.0.0.1 that becomes sofia-sip's outbound proxy, and one
// WebSocket (libsoup, subprotocol "sip") to the real server: one flow per worker. Each SIP message
// sofia-sip writes to the loopback stream goes out as one WebSocket message, and each WebSocket
// message comes back into the stream, both rewritten by SipWsRewriter (Via, Contact,
// Request-URI, Content-Length).
//
// Everything runs on the thread-default GMainContext of the thread that creates the adapter (the
// worker's loop thread). The WebSocket's real state drives the callbacks: onOpen once the
// handshake succeeded with the "sip" subprotocol; onFailure once, when it could not open, was
// closed by the server, broke or stopped answering pings. After onFailure the adapter is inert:
// its loopback listener and connection are closed, so sofia-sip's pending requests fail at once
// instead of waiting for their timeouts.
#pragma once

#include "config/config.hpp"
#include "base/i18n.hpp"
#include "base/one_shot_timer.hpp"
#include "ws/sip_ws_rewrite.hpp"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sipw {

class WsAdapter {
public:
    struct Failure {
        std::string errorKey;    // i18n error key: ws_closed, ws_handshake_failed, tls_verify_failed…
        i18n::Message detail;    // the second argument of that text, in both languages
        int closeCode = 0;       // the server's WebSocket close code, when it sent one
    };
    struct Callbacks {
        std::function<void()> onOpen;
        // `adapter` tells an owner with several adapters (one opening, one retiring) which one failed.
        std::function<void(const WsAdapter *adapter, const Failure &)> onFailure;
        // A message that could not be carried (malformed SIP from the server…): dropped, not fatal.
        std::function<void(const std::string &key, const std::vector<std::string> &args)> onWarning;
    };
    struct Timing {
        int connectTimeoutSec = 10;  // TCP + TLS + HTTP upgrade
        int keepaliveSec = 30;       // WebSocket ping interval (0: none); no pong for 2 intervals = dead
    };

    // Starts at once: binds the loopback listener and opens the WebSocket. Callbacks run on the
    // creating thread's main context, never from inside the constructor or destructor.
    WsAdapter(const ServerUri &server, const TlsOptions &tls, Callbacks callbacks, Timing timing);
    WsAdapter(const ServerUri &server, const TlsOptions &tls, Callbacks callbacks)
        : WsAdapter(server, tls, std::move(callbacks), Timing()) {}
    ~WsAdapter();  // closes the WebSocket (code 1000) and the loopback side
    WsAdapter(const WsAdapter &) = delete;
    WsAdapter &operator=(const WsAdapter &) = delete;

    // sofia-sip's outbound proxy: "sip:127.0.0.1:<port>;transport=tcp".
    std::string proxyUri() const;
    bool isOpen() const { return socket_ != nullptr && !failed_; }

private:
    struct CallbackToken;

    void startListener();
    void startWebSocket();
    static void onHandshakeDone(GObject *source, GAsyncResult *result, gpointer token);
    void onConnectTimeout();
    static gboolean onKeepaliveCheck(gpointer self);
    std::string verifyPeerCertificate();  // empty when fine (or not asked for)
    static void onWsMessage(SoupWebsocketConnection *, gint type, GBytes *message, gpointer self);
    static void onWsError(SoupWebsocketConnection *, GError *error, gpointer self);
    static void onWsClosed(SoupWebsocketConnection *, gpointer self);
    static void onWsPong(SoupWebsocketConnection *, GBytes *, gpointer self);

    static gboolean onAcceptable(GSocket *, GIOCondition, gpointer self);
    static gboolean onPeerReadable(GSocket *, GIOCondition, gpointer self);
    static gboolean onPeerWritable(GSocket *, GIOCondition, gpointer self);
    void sendToServer(const std::string &message);
    void sendToPeer(const std::string &message);
    void flushToPeer();
    void closePeer();
    void closeLoopback();

    bool markFailed();               // false if it already failed
    void fail(Failure failure);      // marks failed and reports at once
    void failSoon(Failure failure);  // marks failed now, reports from the loop (constructor paths)
    void warn(const std::string &key, const std::vector<std::string> &args);

    ServerUri server_;
    TlsOptions tls_;
    Callbacks callbacks_;
    Timing timing_;
    GMainContext *context_;
    ws::SipWsRewriter rewriter_;

    // The WebSocket side.
    SoupSession *session_ = nullptr;
    GCancellable *cancellable_ = nullptr;
    SoupMessage *handshake_ = nullptr;
    SoupWebsocketConnection *socket_ = nullptr;
    OneShotTimer connectTimer_;
    GSource *keepaliveTimer_ = nullptr;
    gint64 lastHeardUs_ = 0;       // last message or pong from the server
    std::string lastSocketError_;  // libsoup's last "error" (protocol error, frame too big…)
    bool failed_ = false;

    // The loopback side, toward sofia-sip.
    GSocket *listener_ = nullptr;
    GSource *acceptSource_ = nullptr;
    int listenPort_ = 0;
    GSocket *peer_ = nullptr;
    GSource *peerReadSource_ = nullptr;
    GSource *peerWriteSource_ = nullptr;
    std::string toPeer_;  // asynchronous write queue: bytes sofia-sip has not taken yet
    ws::SipStreamFramer framer_;

    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipw
