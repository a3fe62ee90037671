#include "sip/sip_stack.hpp"

#include "base/error.hpp"
#include "sip/sip_parser.hpp"
#include "sip/tls_files.hpp"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/tport_tag.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace sipw {

std::string localAddressToward(const std::string &host, int port) {
    sockaddr_storage remote{};
    socklen_t len = 0;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&remote);
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&remote);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        len = sizeof *v6;
    } else {
        return {};
    }
    int fd = socket(remote.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    std::string result;
    sockaddr_storage local{};
    socklen_t localLen = sizeof local;
    // connect() on a UDP socket only asks the routing table; nothing goes on the wire.
    if (connect(fd, reinterpret_cast<sockaddr *>(&remote), len) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr *>(&local), &localLen) == 0) {
        char text[INET6_ADDRSTRLEN] = {0};
        const void *addr = local.ss_family == AF_INET
                               ? static_cast<const void *>(&reinterpret_cast<sockaddr_in *>(&local)->sin_addr)
                               : static_cast<const void *>(&reinterpret_cast<sockaddr_in6 *>(&local)->sin6_addr);
        if (inet_ntop(local.ss_family, addr, text, sizeof text)) result = text;
    }
    close(fd);
    return result;
}

namespace {
std::string bracketed(const std::string &addr) {
    return addr.find(':') != std::string::npos ? "[" + addr + "]" : addr;
}
}  // namespace

SipStack::SipStack(su_root_t *root, const Config &config, const ServerUri &server, Listener listener,
                   std::unique_ptr<WsAdapter> wsAdapter)
    : server_(server), listener_(std::move(listener)), wsAdapter_(std::move(wsAdapter)) {
    bool overWebSocket = server.transport == SipTransport::Ws || server.transport == SipTransport::Wss;
    if (overWebSocket && !wsAdapter_) throw Error(ResultCode::Internal, "transport_error", {"no WebSocket flow"});
    // Over WebSocket sofia-sip only ever talks to the adapter on loopback; the adapter writes
    // the addresses the server sees (.invalid Via and Contact).
    localAddress_ = overWebSocket ? "127.0.0.1" : localAddressToward(server.host, server.port);
    std::string bind = localAddress_.empty() ? "*" : bracketed(localAddress_);
    std::string transport = overWebSocket ? "tcp" : transportName(server.transport);
    // An explicit ;transport= makes sofia-sip put it in our Contact too.
    std::string url = "sip:" + bind + ":*;transport=" + (server.transport == SipTransport::Tls ? "tcp" : transport);
    std::string proxy = overWebSocket ? wsAdapter_->proxyUri() : server.sipUri();
    std::string registrar = server.transport == SipTransport::Tls ? "sips:" + config.domain : "sip:" + config.domain;
    std::string from = "<" + config.uri + ">";
    if (!config.displayName.empty()) {
        std::string quoted;
        for (char c : config.displayName) {
            if (c == '"' || c == '\\') quoted += '\\';
            quoted += c;
        }
        from = "\"" + quoted + "\" " + from;
    }

    if (server.transport == SipTransport::Tls) {
        std::string certDir = tlsCertificateFolder(config.tls.caFile);
        std::string sipsUrl = "sips:" + bind + ":*";
        nua_ = nua_create(root, &SipStack::onNua, this,
                          NTATAG_MCLASS(sipMessageClass()),
                          NUTAG_URL(url.c_str()), NUTAG_SIPS_URL(sipsUrl.c_str()),
                          TPTAG_CERTIFICATE(certDir.c_str()),
                          TPTAG_TLS_VERIFY_POLICY(config.tls.verify ? TPTLS_VERIFY_OUT : TPTLS_VERIFY_NONE),
                          TAG_END());
    } else {
        nua_ = nua_create(root, &SipStack::onNua, this, NTATAG_MCLASS(sipMessageClass()), NUTAG_URL(url.c_str()),
                          TAG_END());
    }
    if (!nua_) throw Error(ResultCode::Internal, "transport_error", {"cannot bind " + url});

    // Keep-alives (RFC 5626 §4.4): on TCP sofia-sip's own CRLF ping, answered by a CRLF pong
    // within kPongTimeoutMs or the connection is closed, and nua registers again at once on a new
    // one. They apply to every connection of this agent, so never on WS/WSS, where sofia-sip's
    // connection is the local adapter's (which pings the WebSocket itself). UDP and TLS get OPTIONS
    // keep-alives from the registration (KeepAlive), not sofia-sip's: those never start without
    // a detected NAT, say nothing about our binding, and there are no CRLF pings on TLS.
    unsigned keepAliveMs = static_cast<unsigned>(config.keepAliveIntervalSec) * 1000;
    bool crlfKeepAlive = server.transport == SipTransport::Tcp && keepAliveMs > 0;
    nua_set_params(nua_,
                   NUTAG_PROXY(proxy.c_str()),
                   NUTAG_REGISTRAR(registrar.c_str()),
                   SIPTAG_FROM_STR(from.c_str()),
                   NUTAG_USER_AGENT(config.userAgent.c_str()),
                   NUTAG_OUTBOUND("no-options-keepalive no-validate no-natify"),
                   TAG_IF(crlfKeepAlive, TPTAG_KEEPALIVE(keepAliveMs)),
                   TAG_IF(crlfKeepAlive, TPTAG_PINGPONG(std::min<unsigned>(kPongTimeoutMs, keepAliveMs))),
                   NUTAG_M_USERNAME(config.user.c_str()),
                   NUTAG_MEDIA_ENABLE(0),       // SDP comes from our media layer, not sofia's soa
                   NUTAG_AUTOANSWER(0),
                   NUTAG_AUTOALERT(0),
                   // MESSAGE: nua answers 200 and reports nua_i_message (JsSIP's default answer).
                   NUTAG_ENABLEMESSAGE(1),
                   NUTAG_ENABLEINVITE(1),
                   // DTMF by SIP INFO; nua answers it (200) and reports nua_i_info.
                   NUTAG_ALLOW("INFO"),
                   // REFER is answered by us (202 on a confirmed call, 405 outside one, as JsSIP),
                   // and its NOTIFYs are ours (nua's own report INVITE outcomes as 503).
                   NUTAG_APPL_METHOD("REFER"),
                   // An INVITE with Replaces (attended transfer) may require it; JsSIP lists it too.
                   NUTAG_SUPPORTED("replaces"),
                   // The RFC 3261 timers stay (64*T1 = 32 s: Timer B, F and the wait for an ACK,
                   // H): a lossy path needs every retransmission. Requests the user waits for
                   // have deadlines of their own (Registration, KeepAlive).
                   TAG_END());
}

SipStack::~SipStack() {
    if (!nua_) return;
    if (!shutdownComplete_) {
        // nua asserts if destroyed before its shutdown is final. The owner's forceShutdown() makes
        // that quick; if it still did not happen, leaking this nua beats aborting the process.
        g_warning("sipworker: nua %p destroyed before shutdown completed; leaked", static_cast<void *>(nua_));
        return;
    }
    nua_destroy(nua_);
}

void SipStack::hurry() {
    // nta shortens the timeouts of the transactions already queued, too.
    nua_set_params(nua_, NTATAG_SIP_T1X64(kHurriedT1x64Ms), TAG_END());
}

bool SipStack::finishShutdown(int timeoutMs) {
    if (shutdownComplete_) return true;
    hurry();
    // nua re-checks what keeps it busy on every nua_shutdown(); with the handles gone, nothing does.
    nua_shutdown(nua_);
    GMainContext *context = g_main_context_get_thread_default();
    gint64 deadline = g_get_monotonic_time() + static_cast<gint64>(timeoutMs) * 1000;
    while (!shutdownComplete_ && g_get_monotonic_time() < deadline) {
        if (!g_main_context_iteration(context, FALSE)) g_usleep(2000);
    }
    return shutdownComplete_;
}

void SipStack::shutdown(std::function<void(bool)> done) {
    shutdownDone_ = std::move(done);
    nua_shutdown(nua_);
}

void SipStack::onNua(nua_event_t event, int status, const char *phrase, nua_t *, nua_magic_t *magic,
                     nua_handle_t *nh, nua_hmagic_t *hmagic, const sip_t *sip, tagi_t tags[]) {
    auto *self = static_cast<SipStack *>(magic);
    if (event == nua_r_shutdown) {
        if (status >= 200) {
            self->shutdownComplete_ = true;
            if (auto done = std::move(self->shutdownDone_)) done(status < 300);
        }
        return;
    }
    if (hmagic) {
        static_cast<NuaHandleOwner *>(hmagic)->onNuaEvent(event, status, phrase, nh, sip, tags);
        return;
    }
    if (event == nua_i_invite) {
        if (self->listener_.onNewRequest && self->listener_.onNewRequest(*self, nh, sip))
            return;
        nua_respond(nh, SIP_480_TEMPORARILY_UNAVAILABLE, TAG_END());
        nua_handle_destroy(nh);
        return;
    }
    if (!nh) return;
    switch (event) {
    case nua_i_message:
    case nua_i_options:
        // Answered 200 by nua already; a handle nobody owns is left behind unless destroyed.
        if (status < 300 && self->listener_.onAnsweredRequest) self->listener_.onAnsweredRequest(event, sip);
        nua_handle_destroy(nh);
        break;
    case nua_i_refer:
        // Transfer needs a call to transfer (JsSIP answers 405 outside a dialog).
        nua_respond(nh, SIP_405_METHOD_NOT_ALLOWED, NUTAG_WITH_THIS(self->nua_), TAG_END());
        nua_handle_destroy(nh);
        break;
    case nua_i_info:
        // An INFO outside any call (nua accepts those) leaves a handle behind that nobody else frees.
        nua_handle_destroy(nh);
        break;
    default:
        break;  // other requests nua answers by itself (a stray BYE: 481)
    }
}

}  // namespace sipw
