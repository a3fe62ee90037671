// Checks that a stream server (TCP, or TLS with certificate verification) is reachable before
// sofia-sip uses it.
//
// sofia-sip connects lazily and reports little: a refused TCP connection or a certificate that
// does not verify leaves a REGISTER waiting for its 32 s timeout. A GIO connection attempt on the
// worker's loop gives a prompt, precise answer, and the state for `connected`/`disconnected`.
#pragma once

#include "config/config.hpp"

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <string>

namespace sipw {

struct ProbeResult {
    bool ok = false;
    std::string errorKey;    // i18n error key: connection_refused, connection_timeout, tls_verify_failed…
    std::string detail;      // English detail from GLib
};

class ConnectionProbe {
public:
    using Done = std::function<void(const ProbeResult &)>;
    // Starts at once on the thread-default main context; `done` runs there exactly once unless
    // the probe is destroyed first (then never).
    ConnectionProbe(const ServerUri &server, const TlsOptions &tls, int timeoutSec, Done done);
    ~ConnectionProbe();
    ConnectionProbe(const ConnectionProbe &) = delete;
    ConnectionProbe &operator=(const ConnectionProbe &) = delete;

private:
    static void onConnected(GObject *source, GAsyncResult *result, gpointer self);
    static void onEvent(GSocketClient *client, GSocketClientEvent event, GSocketConnectable *,
                        GIOStream *connection, gpointer self);

    ServerUri server_;
    TlsOptions tls_;
    Done done_;
    GCancellable *cancellable_;
    GSocketClient *client_;
    GTlsDatabase *database_ = nullptr;
    std::string loadError_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipw
