#include "sip/connection_probe.hpp"

namespace sipw {

namespace {
// GLib reports a cancelled probe through the callback after we are gone; this token tells it.
struct CallbackData {
    ConnectionProbe *probe;
    std::shared_ptr<bool> alive;
};
}  // namespace

ConnectionProbe::ConnectionProbe(const ServerUri &server, const TlsOptions &tls, int timeoutSec, Done done)
    : server_(server), tls_(tls), done_(std::move(done)), cancellable_(g_cancellable_new()),
      client_(g_socket_client_new()) {
    g_socket_client_set_timeout(client_, static_cast<guint>(timeoutSec));
    bool useTls = server.transport == SipTransport::Tls || server.transport == SipTransport::Wss;
    if (useTls) {
        g_socket_client_set_tls(client_, TRUE);
        if (tls.verify && !tls.caFile.empty()) {
            GError *error = nullptr;
            database_ = g_tls_file_database_new(tls.caFile.c_str(), &error);
            if (!database_) {
                loadError_ = error ? error->message : tls.caFile;
                g_clear_error(&error);
            }
        }
        g_signal_connect(client_, "event", G_CALLBACK(&ConnectionProbe::onEvent), this);
    }
    g_socket_client_connect_to_host_async(client_, server.host.c_str(), static_cast<guint16>(server.port),
                                          cancellable_, &ConnectionProbe::onConnected,
                                          new CallbackData{this, alive_});
}

ConnectionProbe::~ConnectionProbe() {
    *alive_ = false;
    g_signal_handlers_disconnect_by_data(client_, this);
    g_cancellable_cancel(cancellable_);
    g_object_unref(cancellable_);
    g_object_unref(client_);
    if (database_) g_object_unref(database_);
}

void ConnectionProbe::onEvent(GSocketClient *, GSocketClientEvent event, GSocketConnectable *,
                              GIOStream *connection, gpointer data) {
    auto *self = static_cast<ConnectionProbe *>(data);
    if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING || !G_IS_TLS_CLIENT_CONNECTION(connection)) return;
    GTlsConnection *tlsConnection = G_TLS_CONNECTION(connection);
    if (!self->tls_.verify) {
        // The user opted out (self-signed servers): accept whatever the server presents.
        g_signal_connect(tlsConnection, "accept-certificate",
                         G_CALLBACK(+[](GTlsConnection *, GTlsCertificate *, GTlsCertificateFlags, gpointer) {
                             return TRUE;
                         }),
                         nullptr);
    } else if (self->database_) {
        g_tls_connection_set_database(tlsConnection, self->database_);
    }
}

void ConnectionProbe::onConnected(GObject *source, GAsyncResult *result, gpointer data) {
    std::unique_ptr<CallbackData> token(static_cast<CallbackData *>(data));
    GError *error = nullptr;
    GSocketConnection *connection =
        g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(source), result, &error);
    if (!*token->alive) {  // the probe was destroyed: nobody to tell
        g_clear_error(&error);
        if (connection) g_object_unref(connection);
        return;
    }
    ConnectionProbe *self = token->probe;
    ProbeResult r;
    if (connection) {
        r.ok = true;
        g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
        g_object_unref(connection);
    } else {
        r.detail = error ? error->message : "unknown error";
        if (!self->loadError_.empty()) {
            r.errorKey = "tls_ca_file_unreadable";
            r.detail = self->loadError_;
        } else if (error->domain == G_TLS_ERROR) {
            r.errorKey = error->code == G_TLS_ERROR_BAD_CERTIFICATE ? "tls_verify_failed" : "tls_handshake_failed";
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
            r.errorKey = "connection_timeout";
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
            r.errorKey = "connection_refused";
        } else if (g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND) ||
                   g_error_matches(error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE)) {
            r.errorKey = "dns_failed";
        } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
                   g_error_matches(error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)) {
            r.errorKey = "network_unreachable";
        } else {
            r.errorKey = "transport_error";
        }
        g_clear_error(&error);
    }
    self->done_(r);
}

}  // namespace sipw
