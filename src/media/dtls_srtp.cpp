// The DTLS-SRTP handshake engine: OpenSSL fed datagram by datagram, timers on a GMainContext.
#include "media/dtls_srtp.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace sipw {

namespace {

// Below any path MTU a call is likely to meet (with ICE/TURN headers on top); larger handshake
// messages (certificates) are fragmented by OpenSSL itself.
constexpr long kMtu = 1200;

// RFC 5764 4.2: client key | server key | client salt | server salt.
constexpr int kKeyLength = 16;
constexpr int kSaltLength = 14;
constexpr int kKeyingMaterialLength = 2 * (kKeyLength + kSaltLength);
const char kExporterLabel[] = "EXTRACTOR-dtls_srtp";

// Retransmission: libwebrtc-like, faster than OpenSSL's default 1 s first wait (call setup is
// waiting on us) but backing off so a lost path is not flooded.
constexpr unsigned kFirstRetransmitUs = 500 * 1000;
constexpr unsigned kLongestRetransmitUs = 4 * 1000 * 1000;

// The certificate is only a carrier for the key the fingerprint pins, so it is valid long
// enough that a long-running process never presents an expired one.
constexpr long kCertificateValiditySeconds = 10L * 365 * 24 * 3600;

std::string lastOpenSslError() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "unknown error";
    const char *reason = ERR_reason_error_string(code);
    return reason ? reason : "error " + std::to_string(code);
}

std::string srtpProfileName(const char *openSslName) {
    const std::string name = openSslName ? openSslName : "";
    if (name == "SRTP_AES128_CM_SHA1_80")
        return "AES_CM_128_HMAC_SHA1_80";
    if (name == "SRTP_AES128_CM_SHA1_32")
        return "AES_CM_128_HMAC_SHA1_32";
    return {};
}

SSL_CTX *makeSharedContext() {
    const DtlsCertificate &identity = DtlsCertificate::shared();
    SSL_CTX *context = SSL_CTX_new(DTLS_method());
    if (!context)
        throw std::runtime_error("cannot create the DTLS context: " + lastOpenSslError());
    SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION);
    // Self-signed on both sides: the chain proves nothing, the fingerprint check after the
    // handshake is the authentication. But a certificate must come, or there is nothing to pin.
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       [](int, X509_STORE_CTX *) { return 1; });
    bool ready = SSL_CTX_use_certificate(context, identity.certificate()) == 1 &&
                 SSL_CTX_use_PrivateKey(context, identity.key()) == 1 &&
                 // Returns 0 on success, unlike its neighbours.
                 SSL_CTX_set_tlsext_use_srtp(context, "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32") == 0;
    if (!ready) {
        std::string why = lastOpenSslError();
        SSL_CTX_free(context);
        throw std::runtime_error("cannot set up the DTLS context: " + why);
    }
    return context;
}

// Made once, shared by every handshake of the process, never freed.
SSL_CTX *sharedContext() {
    static SSL_CTX *context = makeSharedContext();
    return context;
}

}  // namespace

void DtlsSrtpHandshake::prepare() { sharedContext(); }

DtlsCertificate::DtlsCertificate() {
    key_ = EVP_EC_gen("P-256");
    certificate_ = X509_new();
    BIGNUM *serial = BN_new();
    X509_NAME *name = X509_NAME_new();
    bool made = key_ && certificate_ && serial && name && X509_set_version(certificate_, 2) == 1 &&
                BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
                BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate_)) &&
                X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                           reinterpret_cast<const unsigned char *>("sipw"), -1, -1, 0) == 1 &&
                X509_set_subject_name(certificate_, name) == 1 && X509_set_issuer_name(certificate_, name) == 1 &&
                // A day back, for peers whose clocks run behind ours.
                X509_gmtime_adj(X509_getm_notBefore(certificate_), -24 * 3600) &&
                X509_gmtime_adj(X509_getm_notAfter(certificate_), kCertificateValiditySeconds) &&
                X509_set_pubkey(certificate_, key_) == 1 && X509_sign(certificate_, key_, EVP_sha256()) > 0;
    BN_free(serial);
    X509_NAME_free(name);
    if (made)
        fingerprint_ = fingerprintOf(certificate_);
    if (!made || fingerprint_.empty()) {
        std::string why = lastOpenSslError();
        X509_free(certificate_);
        EVP_PKEY_free(key_);
        throw std::runtime_error("cannot make the DTLS certificate: " + why);
    }
}

const DtlsCertificate &DtlsCertificate::shared() {
    // Deliberately leaked: handshakes may still run while static destructors do.
    static const DtlsCertificate *certificate = new DtlsCertificate();
    return *certificate;
}

std::string DtlsCertificate::fingerprintOf(X509 *certificate) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!certificate || X509_digest(certificate, EVP_sha256(), digest, &length) != 1)
        return {};
    static const char hex[] = "0123456789ABCDEF";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        if (i)
            text += ':';
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0xf];
    }
    return text;
}

namespace {

// OpenSSL's datagram BIO owns a socket; ours hands each write (one record flight's datagram)
// to the engine, which passes it on through its send hook once OpenSSL has returned.
BIO_METHOD *datagramMethod(int (*write)(BIO *, const char *, int), long (*control)(BIO *, int, long, void *)) {
    static BIO_METHOD *method = [&] {
        BIO_METHOD *made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sipw DTLS datagrams");
        BIO_meth_set_write(made, write);
        BIO_meth_set_ctrl(made, control);
        BIO_meth_set_create(made, [](BIO *bio) {
            BIO_set_init(bio, 1);
            return 1;
        });
        return made;
    }();
    return method;
}

}  // namespace

DtlsSrtpHandshake::DtlsSrtpHandshake(Role role, std::string remoteFingerprintSha256, Hooks hooks,
                                     GMainContext *context, guint giveUpMs)
    : role_(role), remoteFingerprint_(std::move(remoteFingerprintSha256)), hooks_(std::move(hooks)),
      context_(context ? g_main_context_ref(context) : g_main_context_ref_thread_default()), giveUpMs_(giveUpMs) {
    remoteFingerprint_.erase(0, remoteFingerprint_.find_first_not_of(" \t"));
    remoteFingerprint_.erase(remoteFingerprint_.find_last_not_of(" \t\r\n") + 1);
    ssl_ = SSL_new(sharedContext());
    if (!ssl_)
        throw std::runtime_error("cannot create a DTLS session: " + lastOpenSslError());
    incoming_ = BIO_new(BIO_s_mem());
    // An empty read means "wait for the next datagram", not end of stream.
    BIO_set_mem_eof_return(incoming_, -1);
    BIO *toPeer = BIO_new(datagramMethod(writeToPeer, controlDatagram));
    BIO_set_data(toPeer, this);
    SSL_set_bio(ssl_, incoming_, toPeer);
    // The MTU is ours to say: there is no socket to ask.
    SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl_, kMtu);
    DTLS_set_timer_cb(ssl_, nextRetransmitUs);
    if (role_ == Role::Client)
        SSL_set_connect_state(ssl_);
    else
        SSL_set_accept_state(ssl_);
}

DtlsSrtpHandshake::~DtlsSrtpHandshake() {
    *alive_ = false;
    removeTimers();
    SSL_free(ssl_);
    g_main_context_unref(context_);
}

bool DtlsSrtpHandshake::looksLikeDtls(const guint8 *data, gsize size) {
    return data && size > 0 && data[0] >= 20 && data[0] <= 63;
}

void DtlsSrtpHandshake::start() {
    if (started_ || ended_)
        return;
    started_ = true;
    giveUpTimer_ = g_timeout_source_new(giveUpMs_);
    g_source_set_callback(giveUpTimer_, onGiveUp, this, nullptr);
    g_source_attach(giveUpTimer_, context_);
    if (role_ == Role::Client)
        advance();
}

void DtlsSrtpHandshake::receive(const guint8 *data, gsize size) {
    if (ended_ || !looksLikeDtls(data, size) || size > G_MAXINT)
        return;
    // A prompt client's hello may come before our side has been told to start.
    start();
    if (ended_)
        return;
    BIO_write(incoming_, data, static_cast<int>(size));
    advance();
}

void DtlsSrtpHandshake::close() {
    if (ended_ || !handshakeComplete_)
        return;
    ended_ = true;
    removeTimers();
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
    flushOutgoing();
}

void DtlsSrtpHandshake::peerHasKeys() {
    if (keysDelivered_ && !ended_)
        release();
}

void DtlsSrtpHandshake::release() {
    ended_ = true;
    removeTimers();
    outgoing_.clear();
    SSL_free(ssl_);  // and the two BIOs
    ssl_ = nullptr;
    incoming_ = nullptr;
}

// One step of OpenSSL on what has arrived, then its datagrams out, then the outcome: in that
// order, so the peer gets our last flight (or alert) before our owner hears of success (or failure).
void DtlsSrtpHandshake::advance() {
    // The error queue is per thread, shared with every other engine (and TLS user) on it.
    ERR_clear_error();
    std::string failure;
    bool completedNow = false;
    if (!handshakeComplete_) {
        int result = SSL_do_handshake(ssl_);
        if (result == 1) {
            handshakeComplete_ = completedNow = true;
        } else {
            int error = SSL_get_error(ssl_, result);
            if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
                failure = "DTLS handshake failed: " + lastOpenSslError();
        }
    }
    if (handshakeComplete_ && failure.empty())
        failure = readAfterHandshake();
    // Each datagram stands alone: whatever OpenSSL left of this one must not prefix the next.
    (void)BIO_reset(incoming_);

    Keys keys;
    if (completedNow && failure.empty())
        failure = keysFromHandshake(keys);
    if (!failure.empty()) {
        ended_ = true;
        removeTimers();
    } else {
        if (completedNow) {
            keysDelivered_ = true;
            removeSource(giveUpTimer_);
            // Long enough for a peer that lost our last flight to ask again: as long as a
            // handshake may take.
            lingerTimer_ = g_timeout_source_new(giveUpMs_);
            g_source_set_callback(lingerTimer_, onLingerOver, this, nullptr);
            g_source_attach(lingerTimer_, context_);
        }
        armRetransmitTimer();
    }
    ERR_clear_error();

    auto alive = alive_;
    flushOutgoing();
    if (!*alive)
        return;
    if (!failure.empty()) {
        auto onFailed = hooks_.onFailed;
        if (onFailed)
            onFailed(failure);
    } else if (completedNow) {
        auto onKeys = hooks_.onKeys;
        if (onKeys)
            onKeys(keys);
    }
}

// After the handshake the peer sends only alerts and retransmissions here (SRTP goes elsewhere);
// reading lets OpenSSL answer a retransmitted final flight and notice the peer leaving.
std::string DtlsSrtpHandshake::readAfterHandshake() {
    unsigned char discarded[2048];
    for (;;) {
        int result = SSL_read(ssl_, discarded, sizeof discarded);
        if (result > 0)
            continue;
        int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
            return {};
        if (error == SSL_ERROR_ZERO_RETURN)
            return "the peer closed the DTLS association";
        return "DTLS failed: " + lastOpenSslError();
    }
}

std::string DtlsSrtpHandshake::keysFromHandshake(Keys &keys) {
    X509 *peerCertificate = SSL_get1_peer_certificate(ssl_);
    std::string peerFingerprint = DtlsCertificate::fingerprintOf(peerCertificate);
    X509_free(peerCertificate);
    if (peerFingerprint.empty() || g_ascii_strcasecmp(peerFingerprint.c_str(), remoteFingerprint_.c_str()) != 0)
        return "the peer's DTLS certificate does not match its a=fingerprint";

    SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(ssl_);
    keys.profile = srtpProfileName(profile ? profile->name : nullptr);
    if (keys.profile.empty())
        return "the peer agreed no SRTP protection profile over DTLS";

    unsigned char material[kKeyingMaterialLength];
    if (SSL_export_keying_material(ssl_, material, sizeof material, kExporterLabel, sizeof kExporterLabel - 1,
                                   nullptr, 0, 0) != 1)
        return "cannot export the SRTP keys from DTLS: " + lastOpenSslError();
    const char *bytes = reinterpret_cast<const char *>(material);
    std::string clientKey = std::string(bytes, kKeyLength) + std::string(bytes + 2 * kKeyLength, kSaltLength);
    std::string serverKey = std::string(bytes + kKeyLength, kKeyLength) +
                            std::string(bytes + 2 * kKeyLength + kSaltLength, kSaltLength);
    OPENSSL_cleanse(material, sizeof material);
    keys.local = role_ == Role::Client ? clientKey : serverKey;
    keys.remote = role_ == Role::Client ? serverKey : clientKey;
    return {};
}

void DtlsSrtpHandshake::flushOutgoing() {
    // A send hook that delivers straight into the peer may come back here through our
    // receive(): the outermost flush sends everything, in order.
    if (flushing_)
        return;
    flushing_ = true;
    auto alive = alive_;
    while (!outgoing_.empty()) {
        std::string datagram = std::move(outgoing_.front());
        outgoing_.pop_front();
        auto send = hooks_.send;
        if (send)
            send(reinterpret_cast<const guint8 *>(datagram.data()), datagram.size());
        if (!*alive)
            return;
    }
    flushing_ = false;
}

void DtlsSrtpHandshake::armRetransmitTimer() {
    removeSource(retransmitTimer_);
    timeval remaining{};
    if (ended_ || DTLSv1_get_timeout(ssl_, &remaining) != 1)
        return;
    guint64 ms = static_cast<guint64>(remaining.tv_sec) * 1000 + (remaining.tv_usec + 999) / 1000;
    retransmitTimer_ = g_timeout_source_new(static_cast<guint>(MIN(ms, G_MAXUINT)));
    g_source_set_callback(retransmitTimer_, onRetransmitDue, this, nullptr);
    g_source_attach(retransmitTimer_, context_);
}

void DtlsSrtpHandshake::removeTimers() {
    removeSource(retransmitTimer_);
    removeSource(giveUpTimer_);
    removeSource(lingerTimer_);
}

void DtlsSrtpHandshake::removeSource(GSource *&source) {
    if (!source)
        return;
    g_source_destroy(source);
    g_source_unref(source);
    source = nullptr;
}

gboolean DtlsSrtpHandshake::onRetransmitDue(gpointer data) {
    auto *self = static_cast<DtlsSrtpHandshake *>(data);
    self->removeSource(self->retransmitTimer_);
    ERR_clear_error();
    // -1 is OpenSSL giving up after too many retransmissions; our own give-up time usually comes
    // first, but either way the handshake has timed out.
    if (DTLSv1_handle_timeout(self->ssl_) < 0) {
        self->fail("DTLS handshake timed out");
        return G_SOURCE_REMOVE;
    }
    ERR_clear_error();
    self->armRetransmitTimer();
    self->flushOutgoing();
    return G_SOURCE_REMOVE;
}

gboolean DtlsSrtpHandshake::onGiveUp(gpointer data) {
    auto *self = static_cast<DtlsSrtpHandshake *>(data);
    self->removeSource(self->giveUpTimer_);
    if (!self->keysDelivered_)
        self->fail("DTLS handshake timed out");
    return G_SOURCE_REMOVE;
}

gboolean DtlsSrtpHandshake::onLingerOver(gpointer data) {
    auto *self = static_cast<DtlsSrtpHandshake *>(data);
    self->removeSource(self->lingerTimer_);
    if (!self->ended_)
        self->release();
    return G_SOURCE_REMOVE;
}

void DtlsSrtpHandshake::fail(const std::string &why) {
    if (ended_)
        return;
    ended_ = true;
    removeTimers();
    auto onFailed = hooks_.onFailed;
    if (onFailed)
        onFailed(why);
}

int DtlsSrtpHandshake::writeToPeer(BIO *bio, const char *data, int size) {
    auto *self = static_cast<DtlsSrtpHandshake *>(BIO_get_data(bio));
    if (!self || size < 0)
        return -1;
    self->outgoing_.emplace_back(data, static_cast<size_t>(size));
    return size;
}

long DtlsSrtpHandshake::controlDatagram(BIO *, int command, long, void *) {
    // Nothing is ever pending (each write has gone whole); no MTU overhead (kMtu is already what
    // a datagram may carry); the socket timeout OpenSSL would set is our GSource instead.
    if (command == BIO_CTRL_FLUSH)
        return 1;
    return command == BIO_CTRL_DGRAM_GET_FALLBACK_MTU ? kMtu : 0;
}

unsigned int DtlsSrtpHandshake::nextRetransmitUs(SSL *, unsigned int previousUs) {
    if (previousUs == 0)
        return kFirstRetransmitUs;
    return previousUs >= kLongestRetransmitUs / 2 ? kLongestRetransmitUs : previousUs * 2;
}

}  // namespace sipw
