// A DTLS-SRTP handshake (RFC 5763/5764) driven by hand, for WebRTC calls that share one thread.
//
// GStreamer's dtlssrtpenc/dtlssrtpdec run the handshake on threads of their own, per call. This
// engine instead runs wherever its GMainContext is iterated: the caller hands it each datagram
// that looks like DTLS (looksLikeDtls) and gets back datagrams to send, then the SRTP keys for
// srtpenc/srtpdec. OpenSSL does the protocol; the engine feeds it one datagram at a time, sends
// what it writes as one datagram per write, and keeps its retransmission timer on the context.
//
// Identity: one self-signed ECDSA P-256 certificate per process, announced in our SDP as
// a=fingerprint; the peer's certificate is trusted only if it matches the peer's a=fingerprint.
#pragma once

#include <glib.h>
#include <openssl/ssl.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>

namespace sipw {

// The process's one DTLS certificate: made on first use (thread-safe), never freed.
class DtlsCertificate {
public:
    static const DtlsCertificate &shared();

    // SHA-256 as a=fingerprint:sha-256 carries it: "AB:CD:...", uppercase.
    const std::string &fingerprint() const { return fingerprint_; }
    X509 *certificate() const { return certificate_; }
    EVP_PKEY *key() const { return key_; }

    // The SHA-256 fingerprint of any certificate, in the same form; empty if it cannot be made.
    static std::string fingerprintOf(X509 *certificate);

private:
    DtlsCertificate();
    X509 *certificate_ = nullptr;
    EVP_PKEY *key_ = nullptr;
    std::string fingerprint_;
};

class DtlsSrtpHandshake {
public:
    enum class Role { Client, Server };  // a=setup:active is the client

    struct Keys {
        std::string profile;  // "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32"
        std::string local;    // 30 bytes: our SRTP master key (16) then salt (14), for srtpenc's "key"
        std::string remote;   // the peer's, for srtpdec
    };

    // Hooks run on the context's thread, never from inside OpenSSL, so each may call back into
    // this engine (receive) or destroy it.
    struct Hooks {
        std::function<void(const guint8 *data, gsize size)> send;  // one datagram to the peer
        std::function<void(const Keys &)> onKeys;                  // done, the peer's fingerprint verified
        std::function<void(const std::string &why)> onFailed;      // English; at most once
    };

    static constexpr guint kDefaultGiveUpMs = 15000;

    // Makes the process's certificate and DTLS context now (the warm-up) rather than in the
    // first call's handshake. Thread-safe; later calls do nothing.
    static void prepare();

    // Every method runs on the thread that iterates `context` (the timers are attached there).
    // `remoteFingerprintSha256`: the peer's a=fingerprint:sha-256 value, any letter case.
    DtlsSrtpHandshake(Role role, std::string remoteFingerprintSha256, Hooks hooks, GMainContext *context,
                      guint giveUpMs = kDefaultGiveUpMs);
    ~DtlsSrtpHandshake();  // no hook runs after it; timers removed
    DtlsSrtpHandshake(const DtlsSrtpHandshake &) = delete;
    DtlsSrtpHandshake &operator=(const DtlsSrtpHandshake &) = delete;

    // The client sends its ClientHello; the server waits. Either way the give-up time starts.
    void start();
    // A DTLS datagram from the peer (a server that has not started starts here).
    void receive(const guint8 *data, gsize size);
    // Tells the peer we are leaving (close_notify), once the handshake is done.
    void close();
    // The peer's SRTP or SRTCP has arrived: it holds the keys, so it has finished the handshake and
    // will not ask for our last flight again. OpenSSL's state for the association is then freed
    // (about 50 KiB a call); a peer that sends no media gets the give-up time after the keys.
    // From then on nothing more is read or sent here: the peer's close_notify is not heard (the
    // call ends by SIP, or by the RTP timeout), and close() sends nothing.
    void peerHasKeys();
    // The keys have been handed over (a later onFailed may still say the association ended).
    bool done() const { return keysDelivered_; }
    // OpenSSL's state is gone (peerHasKeys, or the give-up time after the keys).
    bool released() const { return keysDelivered_ && !ssl_; }

    // RFC 7983: DTLS records start with a content type of 20..63.
    static bool looksLikeDtls(const guint8 *data, gsize size);

private:
    static int writeToPeer(BIO *bio, const char *data, int size);
    static long controlDatagram(BIO *bio, int command, long number, void *pointer);
    static unsigned int nextRetransmitUs(SSL *ssl, unsigned int previousUs);
    static gboolean onRetransmitDue(gpointer self);
    static gboolean onGiveUp(gpointer self);
    static gboolean onLingerOver(gpointer self);

    void advance();
    std::string readAfterHandshake();  // why the association ended, or empty
    std::string keysFromHandshake(Keys &keys);  // why they cannot be trusted, or empty
    void fail(const std::string &why);
    void flushOutgoing();
    void armRetransmitTimer();
    void removeSource(GSource *&source);
    void removeTimers();  // all three: no more work is due
    void release();

    Role role_;
    std::string remoteFingerprint_;
    Hooks hooks_;
    GMainContext *context_;
    guint giveUpMs_;

    SSL *ssl_ = nullptr;
    BIO *incoming_ = nullptr;  // owned by ssl_
    std::deque<std::string> outgoing_;
    bool flushing_ = false;
    bool started_ = false;
    bool handshakeComplete_ = false;
    bool keysDelivered_ = false;
    bool ended_ = false;  // failed, or closed by us: no more work, no more hooks about the outcome
    GSource *retransmitTimer_ = nullptr;
    GSource *giveUpTimer_ = nullptr;
    GSource *lingerTimer_ = nullptr;  // after the keys, until the peer shows it has them too
    // Shared with each hook call in progress: false once destroyed, so the caller stops touching us.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sipw
