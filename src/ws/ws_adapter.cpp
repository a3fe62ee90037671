#include "ws/ws_adapter.hpp"

#include "base/loop_thread.hpp"
#include "ws/loopback_peer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace sipw {

namespace {

constexpr gsize kReadChunk = 16 * 1024;
// sofia-sip reads its socket on the same loop; more than this unread means it is stuck.
constexpr std::size_t kMaxQueuedToPeer = 1024 * 1024;

i18n::Message sameInBoth(const std::string &text) { return {text, text}; }

// What the server wrote in a close frame, made safe to show: printable UTF-8, bounded.
std::string printableCloseReason(const char *data) {
    if (!data || !*data) return {};
    std::string text(data);
    if (text.size() > 123) text.resize(123);  // RFC 6455 §5.5: control frames carry ≤ 125 bytes
    const char *end = nullptr;
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), &end)) text.resize(end - text.data());
    for (char &c : text)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return text;
}

}  // namespace

// GLib completes asynchronous operations after a cancel too; the token says whether we still exist.
struct WsAdapter::CallbackToken {
    WsAdapter *adapter;
    std::shared_ptr<bool> alive;
};

WsAdapter::WsAdapter(const ServerUri &server, const TlsOptions &tls, Callbacks callbacks, Timing timing)
    : server_(server), tls_(tls), callbacks_(std::move(callbacks)), timing_(timing),
      context_(g_main_context_ref_thread_default()),
      rewriter_(ws::SipWsRewriter::Options{server.transport == SipTransport::Wss, ws::randomInvalidHost()}) {
    startListener();
    if (!failed_) startWebSocket();
}

WsAdapter::~WsAdapter() {
    *alive_ = false;
    connectTimer_.cancel();
    cancelSource(keepaliveTimer_);
    if (cancellable_) {
        g_cancellable_cancel(cancellable_);
        g_object_unref(cancellable_);
    }
    if (socket_) {
        g_signal_handlers_disconnect_by_data(socket_, this);
        if (soup_websocket_connection_get_state(socket_) == SOUP_WEBSOCKET_STATE_OPEN)
            soup_websocket_connection_close(socket_, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
        g_object_unref(socket_);
    }
    if (session_) {
        soup_session_abort(session_);
        g_object_unref(session_);
    }
    if (handshake_) g_object_unref(handshake_);
    closeLoopback();
    g_main_context_unref(context_);
}

std::string WsAdapter::proxyUri() const { return "sip:127.0.0.1:" + std::to_string(listenPort_) + ";transport=tcp"; }

void WsAdapter::warn(const std::string &key, const std::vector<std::string> &args) {
    if (callbacks_.onWarning) callbacks_.onWarning(key, args);
}

bool WsAdapter::markFailed() {
    if (failed_) return false;
    failed_ = true;
    connectTimer_.cancel();
    cancelSource(keepaliveTimer_);
    // sofia-sip must see the flow die now: its requests then fail at once (503) instead of
    // timing out, and it reconnects only through a new adapter.
    closeLoopback();
    return true;
}

void WsAdapter::fail(Failure failure) {
    if (markFailed() && callbacks_.onFailure) callbacks_.onFailure(this, failure);
}

void WsAdapter::failSoon(Failure failure) {
    if (!markFailed()) return;
    // From the constructor: callbacks never run before the owner has the adapter.
    runSoon([alive = std::weak_ptr<bool>(alive_), self = this, failure = std::move(failure)] {
        if (!alive.expired() && self->callbacks_.onFailure) self->callbacks_.onFailure(self, failure);
    });
}

// ---- The WebSocket side -------------------------------------------------------------------------

void WsAdapter::startWebSocket() {
    bool secure = server_.transport == SipTransport::Wss;
    session_ = soup_session_new();
    if (secure && tls_.verify && !tls_.caFile.empty()) {
        GError *error = nullptr;
        GTlsDatabase *database = g_tls_file_database_new(tls_.caFile.c_str(), &error);
        if (!database) {
            g_clear_error(&error);
            failSoon({"tls_ca_file_unreadable", sameInBoth(tls_.caFile), 0});
            return;
        }
        soup_session_set_tls_database(session_, database);
        g_object_unref(database);
    }

    std::string host = server_.host.find(':') != std::string::npos ? "[" + server_.host + "]" : server_.host;
    std::string path = server_.path.empty() ? "/" : server_.path;
    // libsoup names the upgrade request by its HTTP URL.
    std::string url = std::string(secure ? "https://" : "http://") + host + ":" + std::to_string(server_.port) + path;
    SoupMessage *handshake = soup_message_new(SOUP_METHOD_GET, url.c_str());
    if (!handshake) {
        failSoon({"transport_error", sameInBoth("bad WebSocket URL " + server_.original), 0});
        return;
    }
    if (secure && !tls_.verify) {
        // The user opted out (self-signed servers): accept whatever the server presents.
        g_signal_connect(handshake, "accept-certificate",
                         G_CALLBACK(+[](SoupMessage *, GTlsCertificate *, GTlsCertificateFlags, gpointer) { return TRUE; }),
                         nullptr);
    }
    static const char *const kProtocols[] = {"sip", nullptr};
    cancellable_ = g_cancellable_new();
    handshake_ = handshake;  // kept: its peer certificate is checked once the upgrade is done
    soup_session_websocket_connect_async(session_, handshake, nullptr, const_cast<char **>(kProtocols),
                                         G_PRIORITY_DEFAULT, cancellable_, &WsAdapter::onHandshakeDone,
                                         new CallbackToken{this, alive_});

    connectTimer_.startSeconds(static_cast<guint>(timing_.connectTimeoutSec), [this] { onConnectTimeout(); }, context_);
}

void WsAdapter::onConnectTimeout() {
    g_cancellable_cancel(cancellable_);
    fail({"connection_timeout", {}, 0});
}

void WsAdapter::onHandshakeDone(GObject *source, GAsyncResult *result, gpointer data) {
    std::unique_ptr<CallbackToken> token(static_cast<CallbackToken *>(data));
    GError *error = nullptr;
    SoupWebsocketConnection *socket = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &error);
    if (!*token->alive || token->adapter->failed_) {  // destroyed, or timed out meanwhile
        g_clear_error(&error);
        if (socket) g_object_unref(socket);
        return;
    }
    WsAdapter *self = token->adapter;
    self->connectTimer_.cancel();
    if (!socket) {
        Failure f;
        std::string detail = error ? error->message : "unknown error";
        f.detail = sameInBoth(detail);
        if (error && error->domain == G_TLS_ERROR) {
            f.errorKey = error->code == G_TLS_ERROR_BAD_CERTIFICATE ? "tls_verify_failed" : "tls_handshake_failed";
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
            f.errorKey = "connection_refused";
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
            f.errorKey = "connection_timeout";
        } else if (g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) ||
                   g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE)) {
            f.errorKey = "dns_failed";
            f.detail = sameInBoth(self->server_.host);
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
                   g_error_matches(error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)) {
            f.errorKey = "network_unreachable";
        } else if (error && error->domain == SOUP_WEBSOCKET_ERROR) {
            f.errorKey = "ws_handshake_failed";  // an HTTP answer, but not a WebSocket upgrade
        } else {
            f.errorKey = "transport_error";
        }
        g_clear_error(&error);
        self->fail(std::move(f));
        return;
    }
    self->socket_ = socket;
    std::string certificateProblem = self->verifyPeerCertificate();
    if (!certificateProblem.empty()) {
        self->fail({"tls_verify_failed", sameInBoth(certificateProblem), 0});
        return;
    }
    g_signal_connect(socket, "message", G_CALLBACK(&WsAdapter::onWsMessage), self);
    g_signal_connect(socket, "error", G_CALLBACK(&WsAdapter::onWsError), self);
    g_signal_connect(socket, "closed", G_CALLBACK(&WsAdapter::onWsClosed), self);
    g_signal_connect(socket, "pong", G_CALLBACK(&WsAdapter::onWsPong), self);
    // RFC 7118 §4: a server that did not pick "sip" does not speak SIP on this connection.
    const char *protocol = soup_websocket_connection_get_protocol(socket);
    if (!protocol || g_strcmp0(protocol, "sip") != 0) {
        self->fail({"ws_no_sip_protocol", {}, 0});
        return;
    }
    soup_websocket_connection_set_max_incoming_payload_size(socket, ws::kMaxSipMessageBytes);
    self->lastHeardUs_ = g_get_monotonic_time();
    if (self->timing_.keepaliveSec > 0) {
        soup_websocket_connection_set_keepalive_interval(socket, static_cast<guint>(self->timing_.keepaliveSec));
        self->keepaliveTimer_ = g_timeout_source_new_seconds(static_cast<guint>(self->timing_.keepaliveSec));
        g_source_set_callback(self->keepaliveTimer_, &WsAdapter::onKeepaliveCheck, self, nullptr);
        g_source_attach(self->keepaliveTimer_, self->context_);
    }
    if (self->callbacks_.onOpen) self->callbacks_.onOpen();
}

std::string WsAdapter::verifyPeerCertificate() {
    if (server_.transport != SipTransport::Wss || !tls_.verify) return {};
    // GnuTLS resumes TLS sessions process-wide, keyed by address and host only, and a resumed
    // session skips certificate verification: a session opened by a worker with other trust
    // settings (verify off, another caFile) would let this one through unchecked. So the chain
    // is verified here again, against this worker's own trust store, whatever the handshake did.
    GTlsCertificate *certificate = soup_message_get_tls_peer_certificate(handshake_);
    if (!certificate) return "the server presented no certificate";
    GError *error = nullptr;
    GTlsDatabase *database = nullptr;
    if (!tls_.caFile.empty()) {
        database = g_tls_file_database_new(tls_.caFile.c_str(), &error);
    } else {
        database = g_tls_backend_get_default_database(g_tls_backend_get_default());
    }
    if (!database) {
        std::string problem = error ? error->message : "no certificate database";
        g_clear_error(&error);
        return problem;
    }
    GSocketConnectable *identity = g_network_address_new(server_.host.c_str(), static_cast<guint16>(server_.port));
    GTlsCertificateFlags flags =
        g_tls_database_verify_chain(database, certificate, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER, identity,
                                    nullptr, G_TLS_DATABASE_VERIFY_NONE, nullptr, &error);
    g_object_unref(identity);
    g_object_unref(database);
    std::string problem;
    if (error) {
        problem = error->message;
        g_clear_error(&error);
    } else if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA) {
        problem = "the certificate is not signed by a trusted authority";
    } else if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY) {
        problem = "the certificate does not match " + server_.host;
    } else if (flags & G_TLS_CERTIFICATE_EXPIRED) {
        problem = "the certificate has expired";
    } else if (flags != 0) {
        problem = "the certificate is not valid (flags " + std::to_string(static_cast<int>(flags)) + ")";
    }
    return problem;
}

gboolean WsAdapter::onKeepaliveCheck(gpointer p) {
    auto *self = static_cast<WsAdapter *>(p);
    // libsoup pings every interval; a live server answers each with a pong (RFC 6455 §5.5.2).
    gint64 silentUs = g_get_monotonic_time() - self->lastHeardUs_;
    if (silentUs > 2LL * self->timing_.keepaliveSec * G_USEC_PER_SEC + G_USEC_PER_SEC) {
        g_source_unref(self->keepaliveTimer_);
        self->keepaliveTimer_ = nullptr;
        self->fail({"ws_keepalive_timeout", {}, 0});
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void WsAdapter::onWsPong(SoupWebsocketConnection *, GBytes *, gpointer p) {
    static_cast<WsAdapter *>(p)->lastHeardUs_ = g_get_monotonic_time();
}

void WsAdapter::onWsMessage(SoupWebsocketConnection *, gint, GBytes *message, gpointer p) {
    auto *self = static_cast<WsAdapter *>(p);
    self->lastHeardUs_ = g_get_monotonic_time();
    if (self->failed_) return;
    gsize size = 0;
    const char *data = static_cast<const char *>(g_bytes_get_data(message, &size));
    std::string out, error;
    switch (self->rewriter_.fromWebSocket(std::string_view(data ? data : "", size), out, error, g_get_monotonic_time())) {
    case ws::SipWsRewriter::Outcome::Forward:
        self->sendToPeer(out);
        break;
    case ws::SipWsRewriter::Outcome::Ignore:
        break;
    case ws::SipWsRewriter::Outcome::Reject:
        self->warn("ws_bad_message", {self->server_.original, error});
        break;
    }
}

void WsAdapter::onWsError(SoupWebsocketConnection *, GError *error, gpointer p) {
    auto *self = static_cast<WsAdapter *>(p);
    if (error) self->lastSocketError_ = error->message;
}

void WsAdapter::onWsClosed(SoupWebsocketConnection *socket, gpointer p) {
    auto *self = static_cast<WsAdapter *>(p);
    int code = soup_websocket_connection_get_close_code(socket);
    std::string reason = printableCloseReason(soup_websocket_connection_get_close_data(socket));
    Failure f;
    if (!self->lastSocketError_.empty()) {
        // libsoup closed it over a protocol violation (a malformed or oversized frame).
        f.errorKey = "ws_protocol_error";
        f.detail = sameInBoth(self->lastSocketError_);
    } else {
        f.errorKey = "ws_closed";
        f.closeCode = code;
        const i18n::Text *text = i18n::wsCloseCode(code);
        std::string number = std::to_string(code);
        f.detail.en = text ? number + " " + std::string(text->en) : number;
        f.detail.zh = text ? number + " " + std::string(text->zh) : number;
        if (!reason.empty()) {
            f.detail.en += " (" + reason + ")";
            f.detail.zh += "（" + reason + "）";
        }
    }
    self->fail(std::move(f));
}

void WsAdapter::sendToServer(const std::string &message) {
    if (!isOpen()) return;
    // RFC 7118 §5.1: text frames for UTF-8 messages, binary frames for anything else.
    if (g_utf8_validate(message.data(), static_cast<gssize>(message.size()), nullptr))
        soup_websocket_connection_send_text(socket_, message.c_str());
    else
        soup_websocket_connection_send_binary(socket_, message.data(), message.size());
}

// ---- The loopback side, toward sofia-sip --------------------------------------------------------

void WsAdapter::startListener() {
    GError *error = nullptr;
    listener_ = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
    if (listener_) {
        GInetAddress *loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
        GSocketAddress *address = g_inet_socket_address_new(loopback, 0);
        g_object_unref(loopback);
        bool ok = g_socket_bind(listener_, address, FALSE, &error) && g_socket_listen(listener_, &error);
        g_object_unref(address);
        if (ok) {
            GSocketAddress *bound = g_socket_get_local_address(listener_, &error);
            if (bound) {
                listenPort_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
                g_object_unref(bound);
            }
        }
    }
    if (listenPort_ == 0) {
        std::string detail = error ? error->message : "cannot listen on 127.0.0.1";
        g_clear_error(&error);
        failSoon({"transport_error", sameInBoth(detail), 0});
        return;
    }
    g_socket_set_blocking(listener_, FALSE);
    acceptSource_ = g_socket_create_source(listener_, G_IO_IN, nullptr);
    g_source_set_callback(acceptSource_, G_SOURCE_FUNC(&WsAdapter::onAcceptable), this, nullptr);
    g_source_attach(acceptSource_, context_);
}

gboolean WsAdapter::onAcceptable(GSocket *, GIOCondition, gpointer p) {
    auto *self = static_cast<WsAdapter *>(p);
    GError *error = nullptr;
    GSocket *peer = g_socket_accept(self->listener_, nullptr, &error);
    if (!peer) {
        g_clear_error(&error);
        return G_SOURCE_CONTINUE;
    }
    int peerPort = 0;
    if (GSocketAddress *remote = g_socket_get_remote_address(peer, nullptr)) {
        peerPort = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(remote));
        g_object_unref(remote);
    }
    if (!loopbackPeerIsThisProcess(peerPort, self->listenPort_)) {
        // Another local program: it must not speak SIP on our authenticated flow.
        g_socket_close(peer, nullptr);
        g_object_unref(peer);
        self->warn("ws_foreign_peer", {std::to_string(peerPort)});
        return G_SOURCE_CONTINUE;
    }
    // One flow: sofia-sip reconnecting (after closing an idle connection) replaces the old one.
    self->closePeer();
    self->peer_ = peer;
    g_socket_set_blocking(peer, FALSE);
    g_socket_set_option(peer, IPPROTO_TCP, TCP_NODELAY, 1, nullptr);
    self->peerReadSource_ = g_socket_create_source(peer, G_IO_IN, nullptr);
    g_source_set_callback(self->peerReadSource_, G_SOURCE_FUNC(&WsAdapter::onPeerReadable), self, nullptr);
    g_source_attach(self->peerReadSource_, self->context_);
    self->flushToPeer();  // server messages that arrived while sofia-sip had no connection
    return G_SOURCE_CONTINUE;
}

gboolean WsAdapter::onPeerReadable(GSocket *, GIOCondition, gpointer p) {
    auto *self = static_cast<WsAdapter *>(p);
    char buffer[kReadChunk];
    GError *error = nullptr;
    gssize n = g_socket_receive(self->peer_, buffer, sizeof buffer, nullptr, &error);
    if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_clear_error(&error);
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {  // sofia-sip closed its connection (shutdown) or it broke
        g_clear_error(&error);
        self->closePeer();  // destroys this very source, which GLib allows
        return G_SOURCE_REMOVE;
    }
    self->framer_.append(std::string_view(buffer, static_cast<std::size_t>(n)));
    std::string message, frameError;
    for (;;) {
        auto result = self->framer_.next(message, frameError);
        if (result == ws::SipStreamFramer::Result::NeedMore) break;
        if (result == ws::SipStreamFramer::Result::Error) {
            // Our own stack wrote something unframeable: drop this connection, sofia-sip reconnects.
            self->warn("ws_bad_message", {"sofia-sip", frameError});
            self->closePeer();
            return G_SOURCE_REMOVE;
        }
        std::string out, rewriteError;
        switch (self->rewriter_.toWebSocket(message, out, rewriteError, g_get_monotonic_time())) {
        case ws::SipWsRewriter::Outcome::Forward:
            self->sendToServer(out);
            break;
        case ws::SipWsRewriter::Outcome::Ignore:
            break;
        case ws::SipWsRewriter::Outcome::Reject:
            self->warn("ws_bad_message", {"sofia-sip", rewriteError});
            break;
        }
        if (!self->peer_) return G_SOURCE_REMOVE;  // a callback closed the flow meanwhile
    }
    return G_SOURCE_CONTINUE;
}

void WsAdapter::sendToPeer(const std::string &message) {
    if (toPeer_.size() + message.size() > kMaxQueuedToPeer) {
        warn("ws_bad_message", {server_.original, "sofia-sip is not reading; message dropped"});
        return;
    }
    toPeer_ += message;
    if (peer_ && !peerWriteSource_) flushToPeer();
}

void WsAdapter::flushToPeer() {
    while (peer_ && !toPeer_.empty()) {
        GError *error = nullptr;
        gssize n = g_socket_send(peer_, toPeer_.data(), toPeer_.size(), nullptr, &error);
        if (n < 0) {
            bool wouldBlock = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
            g_clear_error(&error);
            if (!wouldBlock) {
                closePeer();
                return;
            }
            // sofia-sip is busy: finish when its socket takes more.
            if (!peerWriteSource_) {
                peerWriteSource_ = g_socket_create_source(peer_, G_IO_OUT, nullptr);
                g_source_set_callback(peerWriteSource_, G_SOURCE_FUNC(&WsAdapter::onPeerWritable), this,
                                      nullptr);
                g_source_attach(peerWriteSource_, context_);
            }
            return;
        }
        toPeer_.erase(0, static_cast<std::size_t>(n));
    }
    cancelSource(peerWriteSource_);
}

gboolean WsAdapter::onPeerWritable(GSocket *, GIOCondition, gpointer p) {
    auto *self = static_cast<WsAdapter *>(p);
    self->flushToPeer();  // cancels this source once the queue is empty
    return self->peerWriteSource_ ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

void WsAdapter::closePeer() {
    cancelSource(peerReadSource_);
    cancelSource(peerWriteSource_);
    if (peer_) {
        g_socket_close(peer_, nullptr);
        g_object_unref(peer_);
        peer_ = nullptr;
    }
    framer_ = ws::SipStreamFramer();
}

void WsAdapter::closeLoopback() {
    closePeer();
    toPeer_.clear();
    cancelSource(acceptSource_);
    if (listener_) {
        g_socket_close(listener_, nullptr);
        g_object_unref(listener_);
        listener_ = nullptr;
    }
}

}  // namespace sipw
