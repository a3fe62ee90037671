// The DTLS-SRTP handshake engine: two engines agree on keys (directly and through loss and
// garbage), refuse a wrong fingerprint, free their state once the peer has the keys, and
// interoperate with GStreamer's dtlssrtpenc/dtlssrtpdec, whose keys must then decrypt what
// srtpenc protected with ours (and the other way round).
#include "media/dtls_srtp.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace sipw;

namespace {

constexpr gint64 kPatienceUs = 10 * G_USEC_PER_SEC;
using Role = DtlsSrtpHandshake::Role;

// Iterates `context` until `done` or the patience runs out; true if done.
bool iterateUntil(GMainContext *context, const std::function<bool()> &done, gint64 patienceUs = kPatienceUs) {
    const gint64 deadline = g_get_monotonic_time() + patienceUs;
    while (!done()) {
        if (g_get_monotonic_time() > deadline)
            return false;
        if (!g_main_context_iteration(context, FALSE))
            g_usleep(1000);
    }
    return true;
}

struct Outcome {
    std::vector<DtlsSrtpHandshake::Keys> keys;
    std::vector<std::string> failures;
    bool settled() const { return !keys.empty() || !failures.empty(); }
};

// Two engines on one context. Each datagram reaches the other from an idle source, as from a
// socket, or with `direct` from inside the send hook; unless `dropToServer`/`dropToClient` say it
// is lost (n: the datagram's index so far) or `mangleToServer` rewrites it.
class EnginePair {
public:
    std::function<bool(int n)> dropToServer = [](int) { return false; };
    std::function<bool(int n)> dropToClient = [](int) { return false; };
    std::function<std::string(const guint8 *, gsize)> mangleToServer;
    bool direct = false;
    Outcome client, server;
    int sentToServer = 0, sentToClient = 0;
    std::unique_ptr<DtlsSrtpHandshake> clientEngine, serverEngine;

    explicit EnginePair(std::string clientExpects = DtlsCertificate::shared().fingerprint(),
                        std::string serverExpects = DtlsCertificate::shared().fingerprint(),
                        guint giveUpMs = DtlsSrtpHandshake::kDefaultGiveUpMs)
        : context_(g_main_context_new()) {
        clientEngine = std::make_unique<DtlsSrtpHandshake>(
            Role::Client, clientExpects, hooksFor(client, [this](const guint8 *data, gsize size) {
                if (dropToServer(sentToServer++))
                    return;
                deliver(serverEngine, mangleToServer ? mangleToServer(data, size)
                                                     : std::string(reinterpret_cast<const char *>(data), size));
            }),
            context_, giveUpMs);
        serverEngine = std::make_unique<DtlsSrtpHandshake>(
            Role::Server, serverExpects, hooksFor(server, [this](const guint8 *data, gsize size) {
                if (!dropToClient(sentToClient++))
                    deliver(clientEngine, std::string(reinterpret_cast<const char *>(data), size));
            }),
            context_, giveUpMs);
    }
    ~EnginePair() {
        clientEngine.reset();
        serverEngine.reset();
        g_main_context_unref(context_);  // datagrams still in flight go with their sources
    }
    void start() {
        serverEngine->start();
        clientEngine->start();
    }
    bool runUntil(const std::function<bool()> &done, gint64 patienceUs = kPatienceUs) {
        return iterateUntil(context_, done, patienceUs);
    }
    bool runUntilSettled() {
        return runUntil([this] { return client.settled() && server.settled(); });
    }
    GMainContext *context() const { return context_; }

private:
    static DtlsSrtpHandshake::Hooks hooksFor(Outcome &outcome, std::function<void(const guint8 *, gsize)> send) {
        DtlsSrtpHandshake::Hooks hooks;
        hooks.send = std::move(send);
        hooks.onKeys = [&outcome](const DtlsSrtpHandshake::Keys &keys) { outcome.keys.push_back(keys); };
        hooks.onFailed = [&outcome](const std::string &why) { outcome.failures.push_back(why); };
        return hooks;
    }
    struct Delivery {
        std::unique_ptr<DtlsSrtpHandshake> *to;
        std::string datagram;
        void run() const {
            if (*to)
                (*to)->receive(reinterpret_cast<const guint8 *>(datagram.data()), datagram.size());
        }
    };
    void deliver(std::unique_ptr<DtlsSrtpHandshake> &to, std::string datagram) {
        if (direct)
            return Delivery{&to, std::move(datagram)}.run();
        GSource *idle = g_idle_source_new();
        g_source_set_callback(
            idle, [](gpointer delivery) { return static_cast<Delivery *>(delivery)->run(), G_SOURCE_REMOVE; },
            new Delivery{&to, std::move(datagram)}, [](gpointer delivery) { delete static_cast<Delivery *>(delivery); });
        g_source_attach(idle, context_);
        g_source_unref(idle);
    }

    GMainContext *context_;
};

void expectMatchingKeys(const EnginePair &pair) {
    ASSERT_EQ(pair.client.keys.size(), 1u);
    ASSERT_EQ(pair.server.keys.size(), 1u);
    EXPECT_TRUE(pair.client.failures.empty()) << pair.client.failures.front();
    EXPECT_TRUE(pair.server.failures.empty()) << pair.server.failures.front();
    const auto &c = pair.client.keys[0], &s = pair.server.keys[0];
    EXPECT_EQ(c.local.size(), 30u);
    EXPECT_EQ(c.remote.size(), 30u);
    EXPECT_NE(c.local, c.remote);
    EXPECT_EQ(c.local, s.remote);
    EXPECT_EQ(c.remote, s.local);
    EXPECT_EQ(c.profile, s.profile);
    EXPECT_TRUE(c.profile == "AES_CM_128_HMAC_SHA1_80" || c.profile == "AES_CM_128_HMAC_SHA1_32") << c.profile;
    EXPECT_TRUE(pair.clientEngine->done());
    EXPECT_TRUE(pair.serverEngine->done());
}

}  // namespace

TEST(DtlsCertificateTest, IsMadeOnceWithAnUppercaseSha256Fingerprint) {
    const DtlsCertificate &certificate = DtlsCertificate::shared();
    EXPECT_EQ(&certificate, &DtlsCertificate::shared());
    EXPECT_EQ(certificate.fingerprint().size(), 32u * 3 - 1);
    EXPECT_TRUE(g_regex_match_simple("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", certificate.fingerprint().c_str(),
                                     GRegexCompileFlags(0), GRegexMatchFlags(0)));
    EXPECT_EQ(EVP_PKEY_get_base_id(certificate.key()), EVP_PKEY_EC);
    EXPECT_EQ(DtlsCertificate::fingerprintOf(certificate.certificate()), certificate.fingerprint());
}

TEST(DtlsSrtpHandshakeTest, RecognisesDtlsByItsFirstByte) {
    const guint8 handshake = 22, rtp = 0x80, stun = 0x00;
    EXPECT_TRUE(DtlsSrtpHandshake::looksLikeDtls(&handshake, 1));
    EXPECT_FALSE(DtlsSrtpHandshake::looksLikeDtls(&rtp, 1));
    EXPECT_FALSE(DtlsSrtpHandshake::looksLikeDtls(&stun, 1));
    EXPECT_FALSE(DtlsSrtpHandshake::looksLikeDtls(&handshake, 0));
    EXPECT_FALSE(DtlsSrtpHandshake::looksLikeDtls(nullptr, 5));
}

TEST(DtlsSrtpHandshakeTest, TwoEnginesAgreeOnKeys) {
    // Expected fingerprints in lower case: a=fingerprint may carry either.
    std::string lower = DtlsCertificate::shared().fingerprint();
    for (char &c : lower)
        c = g_ascii_tolower(c);
    EnginePair pair(lower, lower);
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
}

TEST(DtlsSrtpHandshakeTest, DatagramsDeliveredWithinTheSendHookAlsoWork) {
    // The peer answers from inside our send hook: the engine must not be re-entered inside OpenSSL.
    EnginePair pair;
    pair.direct = true;
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
}

TEST(DtlsSrtpHandshakeTest, AWrongFingerprintFailsThatSide) {
    const std::string right = DtlsCertificate::shared().fingerprint(), wrong = "AA:BB";
    for (bool clientIsWrong : {false, true}) {
        EnginePair pair(clientIsWrong ? wrong : right, clientIsWrong ? right : wrong);
        Outcome &refusing = clientIsWrong ? pair.client : pair.server;
        pair.start();
        ASSERT_TRUE(pair.runUntil([&] { return refusing.settled(); }));
        EXPECT_TRUE(refusing.keys.empty());
        ASSERT_EQ(refusing.failures.size(), 1u);
        EXPECT_EQ(refusing.failures[0], "the peer's DTLS certificate does not match its a=fingerprint");
        EXPECT_FALSE((clientIsWrong ? pair.clientEngine : pair.serverEngine)->done());
    }
}

TEST(DtlsSrtpHandshakeTest, LostDatagramsAreRetransmitted) {
    EnginePair pair;
    pair.dropToServer = [](int n) { return n < 2; };  // the first ClientHello and its first resend
    pair.dropToClient = [](int n) { return n == 0; };  // the server's first flight, in part
    pair.start();
    const gint64 began = g_get_monotonic_time();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
    EXPECT_GE(pair.sentToServer, 3);
    EXPECT_LT(g_get_monotonic_time() - began, 8 * G_USEC_PER_SEC);
}

TEST(DtlsSrtpHandshakeTest, TheFinalFlightLostIsResent) {
    EnginePair pair;
    // The server's last flight (ChangeCipherSpec, Finished) is lost once: the client resends its
    // own, and the already finished server must answer it again.
    int serverFlights = 0;
    pair.dropToClient = [&](int) { return pair.serverEngine->done() && serverFlights++ == 0; };
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
    EXPECT_GE(serverFlights, 1);
}

TEST(DtlsSrtpHandshakeTest, NobodyAnsweringTimesOut) {
    EnginePair pair(DtlsCertificate::shared().fingerprint(), DtlsCertificate::shared().fingerprint(), 1600);
    pair.dropToServer = [](int) { return true; };
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    for (const Outcome *outcome : {&pair.client, &pair.server}) {
        EXPECT_TRUE(outcome->keys.empty());
        ASSERT_EQ(outcome->failures.size(), 1u);
        EXPECT_EQ(outcome->failures[0], "DTLS handshake timed out");
    }
    const int sent = pair.sentToServer;
    EXPECT_GE(sent, 2);  // the hello and at least one resend
    pair.runUntil([] { return false; }, G_USEC_PER_SEC);
    EXPECT_EQ(pair.client.failures.size(), 1u);  // nothing more once failed
    EXPECT_EQ(pair.sentToServer, sent);
}

namespace {

// Random datagrams; with `dtls12Headers`, every fourth looks like a DTLS 1.2 epoch-0 handshake
// record, which gets past record checks into the handshake parser.
void feedJunk(EnginePair &pair, bool dtls12Headers) {
    GRand *random = g_rand_new_with_seed(7);
    for (int i = 0; i < 200; ++i) {
        guint8 junk[300];
        gsize size = g_rand_int_range(random, 0, sizeof junk);
        for (gsize j = 0; j < size; ++j)
            junk[j] = static_cast<guint8>(g_rand_int(random));
        if (size > 0 && i % 2)
            junk[0] = 22;
        if (dtls12Headers && size > 13 && i % 4 == 1) {
            junk[1] = 0xfe;
            junk[2] = 0xfd;
            junk[3] = junk[4] = 0;
        }
        pair.serverEngine->receive(junk, size);
        pair.clientEngine->receive(junk, size);
    }
    g_rand_free(random);
    pair.serverEngine->receive(nullptr, 0);
    pair.clientEngine->receive(nullptr, 3);
}

}  // namespace

TEST(DtlsSrtpHandshakeTest, JunkAndTruncatedDatagramsAreIgnored) {
    EnginePair pair;
    feedJunk(pair, false);
    // During the handshake every other datagram to the server arrives truncated; the
    // retransmissions then bring it whole.
    int n = 0;
    pair.mangleToServer = [&n](const guint8 *data, gsize size) {
        return std::string(reinterpret_cast<const char *>(data), n++ % 2 ? size : size / 2);
    };
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
}

TEST(DtlsSrtpHandshakeTest, MalformedHandshakeRecordsFailCleanly) {
    EnginePair pair;
    feedJunk(pair, true);
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    // OpenSSL may take a malformed handshake message as fatal: either outcome, reported once.
    EXPECT_EQ(pair.client.keys.size() + pair.client.failures.size(), 1u);
    EXPECT_EQ(pair.server.keys.size() + pair.server.failures.size(), 1u);
    for (const auto &why : pair.client.failures)
        EXPECT_EQ(why.rfind("DTLS", 0), 0u) << why;
    if (!pair.client.keys.empty() && !pair.server.keys.empty()) {
        EXPECT_EQ(pair.client.keys[0].local, pair.server.keys[0].remote);
    }
}

TEST(DtlsSrtpHandshakeTest, APeerClosingIsReported) {
    EnginePair pair;
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
    pair.clientEngine->close();
    ASSERT_TRUE(pair.runUntil([&] { return !pair.server.failures.empty(); }));
    EXPECT_EQ(pair.server.failures[0], "the peer closed the DTLS association");
    EXPECT_TRUE(pair.client.failures.empty());
}

TEST(DtlsSrtpHandshakeTest, TheStateIsReleasedOnceThePeerShowsItHasTheKeys) {
    EnginePair pair;
    pair.serverEngine->peerHasKeys();  // before the keys: nothing to release yet
    EXPECT_FALSE(pair.serverEngine->released());
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
    // Done, but held: the peer may still lose our last flight and ask again.
    EXPECT_FALSE(pair.clientEngine->released());
    EXPECT_FALSE(pair.serverEngine->released());

    pair.serverEngine->peerHasKeys();
    pair.clientEngine->peerHasKeys();
    EXPECT_TRUE(pair.serverEngine->released());
    EXPECT_TRUE(pair.clientEngine->released());
    EXPECT_TRUE(pair.serverEngine->done());
    // Released engines read nothing, send nothing and say nothing more, whatever comes.
    const int sentToServer = pair.sentToServer, sentToClient = pair.sentToClient;
    feedJunk(pair, true);
    pair.clientEngine->close();
    pair.serverEngine->close();
    pair.runUntil([] { return false; }, G_USEC_PER_SEC);
    EXPECT_EQ(pair.sentToServer, sentToServer);
    EXPECT_EQ(pair.sentToClient, sentToClient);
    EXPECT_EQ(pair.client.keys.size() + pair.client.failures.size(), 1u);
    EXPECT_EQ(pair.server.keys.size() + pair.server.failures.size(), 1u);
}

TEST(DtlsSrtpHandshakeTest, APeerThatSendsNoMediaFreesTheStateAfterTheGiveUpTime) {
    EnginePair pair(DtlsCertificate::shared().fingerprint(), DtlsCertificate::shared().fingerprint(), 1200);
    pair.start();
    ASSERT_TRUE(pair.runUntilSettled());
    expectMatchingKeys(pair);
    EXPECT_FALSE(pair.serverEngine->released());
    ASSERT_TRUE(pair.runUntil([&] { return pair.serverEngine->released() && pair.clientEngine->released(); },
                              3 * G_USEC_PER_SEC));
    EXPECT_TRUE(pair.client.failures.empty());
    EXPECT_TRUE(pair.server.failures.empty());
}

TEST(DtlsSrtpHandshakeTest, DestroyingFromAHookIsSafe) {
    EnginePair pair;
    pair.direct = true;
    // Hooks replaced: the client engine is destroyed from its own onKeys, mid-flush.
    DtlsSrtpHandshake::Hooks hooks;
    hooks.send = [&](const guint8 *data, gsize size) { pair.serverEngine->receive(data, size); };
    hooks.onKeys = [&](const DtlsSrtpHandshake::Keys &keys) {
        pair.client.keys.push_back(keys);
        pair.clientEngine.reset();
    };
    pair.clientEngine = std::make_unique<DtlsSrtpHandshake>(Role::Client, DtlsCertificate::shared().fingerprint(),
                                                            hooks, pair.context());
    pair.start();
    EXPECT_TRUE(pair.runUntil([&] { return !pair.clientEngine; }));
    EXPECT_EQ(pair.client.keys.size(), 1u);
}

// Interoperation with GStreamer's DTLS-SRTP elements, the peers webrtcbin puts on the other end.
namespace {

std::string fingerprintOfPem(const gchar *pem) {
    if (!pem)
        return {};
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    std::string fingerprint = DtlsCertificate::fingerprintOf(certificate);
    X509_free(certificate);
    BIO_free(bio);
    return fingerprint;
}

GstBuffer *bufferOf(const std::string &bytes) {
    return gst_buffer_new_memdup(bytes.data(), bytes.size());
}

std::string bytesOf(GstSample *sample) {
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ))
        return {};
    std::string bytes(reinterpret_cast<const char *>(map.data), map.size);
    gst_buffer_unmap(buffer, &map);
    return bytes;
}

std::string pullBytes(GstElement *appsink, GstClockTime timeout = 5 * GST_SECOND) {
    GstSample *sample = gst_app_sink_try_pull_sample(GST_APP_SINK(appsink), timeout);
    if (!sample)
        return {};
    std::string bytes = bytesOf(sample);
    gst_sample_unref(sample);
    return bytes;
}

// An RTP packet (PCMU, 160 bytes of payload) whose payload is recognisable.
std::string rtpPacket(guint16 seq) {
    std::string packet = {'\x80', '\x00', char(seq >> 8), char(seq & 0xff), 0, 0, 0x12, 0x34,
                          '\x0a', '\x0b', '\x0c', '\x0d'};
    for (int i = 0; i < 160; ++i)
        packet += char(i * 7 + seq);
    return packet;
}

const gchar *srtpAuthFor(const std::string &profile) {
    return profile == "AES_CM_128_HMAC_SHA1_32" ? "hmac-sha1-32" : "hmac-sha1-80";
}

GstElement *launch(const char *description) {
    GError *error = nullptr;
    GstElement *pipeline = gst_parse_launch(description, &error);
    EXPECT_EQ(error, nullptr) << (error ? error->message : "");
    g_clear_error(&error);
    return pipeline;
}

// One GStreamer DTLS-SRTP end: appsrc → dtlssrtpdec → appsink("decrypted"), and
// (appsrc("rtp") →) dtlssrtpenc → appsink("wire"), sharing a connection-id as webrtcbin's do.
// What the wire appsink gets (DTLS and SRTP, from GStreamer's threads) waits in `fromGst`.
class GstDtlsPeer {
public:
    GstDtlsPeer(bool isClient, const char *connectionId) {
        gchar *description = g_strdup_printf(
            "appsrc name=in is-live=true format=time ! dtlssrtpdec name=dec connection-id=%s "
            "dec.rtp_src ! appsink name=decrypted sync=false async=false "
            "dec.rtcp_src ! fakesink sync=false async=false "
            "appsrc name=rtp is-live=true format=time "
            "caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0 "
            "! enc.rtp_sink_0 "
            "dtlssrtpenc name=enc connection-id=%s is-client=%s ! appsink name=wire sync=false async=false "
            "emit-signals=true",
            connectionId, connectionId, isClient ? "true" : "false");
        pipeline = launch(description);
        g_free(description);
        in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
        rtp = gst_bin_get_by_name(GST_BIN(pipeline), "rtp");
        dec = gst_bin_get_by_name(GST_BIN(pipeline), "dec");
        enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
        decrypted = gst_bin_get_by_name(GST_BIN(pipeline), "decrypted");
        GstElement *wire = gst_bin_get_by_name(GST_BIN(pipeline), "wire");
        g_signal_connect(wire, "new-sample", G_CALLBACK(+[](GstElement *sink, GstDtlsPeer *self) {
                             GstSample *sample = gst_app_sink_pull_sample(GST_APP_SINK(sink));
                             if (sample) {
                                 std::lock_guard<std::mutex> lock(self->mutex_);
                                 self->fromGst.push_back(bytesOf(sample));
                                 gst_sample_unref(sample);
                             }
                             return GST_FLOW_OK;
                         }),
                         this);
        gst_object_unref(wire);
        g_signal_connect(enc, "on-key-set", G_CALLBACK(+[](GstElement *, GstDtlsPeer *self) { self->keySet = true; }),
                         this);
        gchar *pem = nullptr;
        g_object_get(dec, "pem", &pem, nullptr);
        fingerprint = fingerprintOfPem(pem);
        g_free(pem);
    }
    ~GstDtlsPeer() {
        gst_element_set_state(pipeline, GST_STATE_NULL);
        for (GstElement *element : {in, rtp, dec, enc, decrypted})
            gst_object_unref(element);
        gst_object_unref(pipeline);
    }
    bool play() { return gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE; }
    void push(GstElement *appsrc, const guint8 *data, gsize size) {
        gst_app_src_push_buffer(GST_APP_SRC(appsrc), gst_buffer_new_memdup(data, size));
    }
    std::vector<std::string> takeFromGst() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::string> taken(fromGst.begin(), fromGst.end());
        fromGst.clear();
        return taken;
    }
    std::string peerFingerprint() const {
        gchar *pem = nullptr;
        g_object_get(dec, "peer-pem", &pem, nullptr);
        std::string fingerprint = fingerprintOfPem(pem);
        g_free(pem);
        return fingerprint;
    }

    GstElement *pipeline, *in, *rtp, *dec, *enc, *decrypted;
    std::string fingerprint;  // of the certificate GStreamer presents
    std::atomic<bool> keySet{false};

private:
    std::mutex mutex_;
    std::deque<std::string> fromGst;
};

class DtlsSrtpGstInteropTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
    void SetUp() override {
        for (const char *name : {"dtlssrtpenc", "dtlssrtpdec", "srtpenc", "srtpdec"}) {
            GstElementFactory *factory = gst_element_factory_find(name);
            if (!factory)
                GTEST_SKIP() << name << " is not installed (gstreamer1.0-plugins-bad)";
            gst_object_unref(factory);
        }
        context_ = g_main_context_new();
    }
    void TearDown() override {
        engine_.reset();
        if (context_)
            g_main_context_unref(context_);
    }

    // Our engine against `gst`: datagrams between them until both ends have keys. The
    // non-DTLS datagrams GStreamer sends after that (its SRTP) are kept in `srtpFromGst_`.
    void handshake(GstDtlsPeer &gst, Role ourRole) {
        DtlsSrtpHandshake::Hooks hooks;
        hooks.send = [&gst](const guint8 *data, gsize size) { gst.push(gst.in, data, size); };
        hooks.onKeys = [this](const DtlsSrtpHandshake::Keys &keys) { outcome_.keys.push_back(keys); };
        hooks.onFailed = [this](const std::string &why) { outcome_.failures.push_back(why); };
        ASSERT_FALSE(gst.fingerprint.empty());
        engine_ = std::make_unique<DtlsSrtpHandshake>(ourRole, gst.fingerprint, hooks, context_);
        ASSERT_TRUE(gst.play());
        engine_->start();
        bool settled = iterateUntil(context_, [&] {
            for (const std::string &datagram : gst.takeFromGst()) {
                auto *data = reinterpret_cast<const guint8 *>(datagram.data());
                if (DtlsSrtpHandshake::looksLikeDtls(data, datagram.size()))
                    engine_->receive(data, datagram.size());
                else
                    srtpFromGst_.push_back(datagram);
            }
            return (outcome_.settled() && gst.keySet) || !outcome_.failures.empty();
        });
        ASSERT_TRUE(settled) << "ours settled: " << outcome_.settled() << ", GStreamer's key set: " << gst.keySet;
        ASSERT_TRUE(outcome_.failures.empty()) << outcome_.failures.front();
        ASSERT_EQ(outcome_.keys.size(), 1u);
        EXPECT_EQ(outcome_.keys[0].local.size(), 30u);
        // GStreamer saw the certificate whose fingerprint we put in our SDP.
        EXPECT_EQ(gst.peerFingerprint(), DtlsCertificate::shared().fingerprint());
        gint state = -1;
        g_object_get(gst.dec, "connection-state", &state, nullptr);
        EXPECT_EQ(state, 4);  // GST_DTLS_CONNECTION_STATE_CONNECTED (not in a public header)
    }

    // srtpenc with our local key: what GStreamer's dtlssrtpdec must decrypt.
    std::string protectWithOurKey(const std::string &packet) {
        const auto &keys = outcome_.keys.at(0);
        GstElement *pipeline = launch(
            "appsrc name=src format=time caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0 "
            "! srtpenc name=enc ! appsink name=sink sync=false");
        GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
        GstBuffer *key = bufferOf(keys.local);
        g_object_set(enc, "key", key, nullptr);
        gst_util_set_object_arg(G_OBJECT(enc), "rtp-auth", srtpAuthFor(keys.profile));
        gst_buffer_unref(key);
        GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
        GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
        gst_element_set_state(pipeline, GST_STATE_PLAYING);
        gst_app_src_push_buffer(GST_APP_SRC(src), bufferOf(packet));
        std::string protectedPacket = pullBytes(sink);
        gst_element_set_state(pipeline, GST_STATE_NULL);
        for (GstElement *element : {enc, src, sink, pipeline})
            gst_object_unref(element);
        return protectedPacket;
    }

    // srtpdec with our remote key: decrypts what GStreamer's dtlssrtpenc protected.
    std::string unprotectWithOurKey(const std::string &srtpPacket) {
        GstElement *pipeline = launch("appsrc name=src format=time ! srtpdec name=dec ! appsink name=sink sync=false");
        GstElement *dec = gst_bin_get_by_name(GST_BIN(pipeline), "dec");
        g_signal_connect(dec, "request-key", G_CALLBACK(+[](GstElement *, guint ssrc, DtlsSrtpGstInteropTest *self) {
                             const auto &keys = self->outcome_.keys.at(0);
                             GstBuffer *key = bufferOf(keys.remote);
                             GstCaps *caps = gst_caps_new_simple(
                                 "application/x-srtp", "ssrc", G_TYPE_UINT, ssrc, "srtp-key", GST_TYPE_BUFFER, key,
                                 "srtp-cipher", G_TYPE_STRING, "aes-128-icm", "srtp-auth", G_TYPE_STRING,
                                 srtpAuthFor(keys.profile), "srtcp-cipher", G_TYPE_STRING, "aes-128-icm",
                                 "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", nullptr);
                             gst_buffer_unref(key);
                             return caps;
                         }),
                         this);
        GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
        GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
        GstCaps *caps = gst_caps_from_string("application/x-srtp,ssrc=(uint)168496141");
        g_object_set(src, "caps", caps, nullptr);
        gst_caps_unref(caps);
        gst_element_set_state(pipeline, GST_STATE_PLAYING);
        gst_app_src_push_buffer(GST_APP_SRC(src), bufferOf(srtpPacket));
        std::string packet = pullBytes(sink);
        gst_element_set_state(pipeline, GST_STATE_NULL);
        for (GstElement *element : {dec, src, sink, pipeline})
            gst_object_unref(element);
        return packet;
    }

    GMainContext *context_ = nullptr;
    std::unique_ptr<DtlsSrtpHandshake> engine_;
    Outcome outcome_;
    std::vector<std::string> srtpFromGst_;
};

}  // namespace

TEST_F(DtlsSrtpGstInteropTest, OurClientAgainstGStreamersServer) {
    GstDtlsPeer gst(false, "sipw-dtls-test-gst-server");
    handshake(gst, Role::Client);
    if (HasFatalFailure())
        return;
    // What we protect with our key, GStreamer decrypts with the one it derived.
    const std::string packet = rtpPacket(1);
    const std::string srtp = protectWithOurKey(packet);
    ASSERT_GT(srtp.size(), packet.size());
    EXPECT_NE(srtp.substr(12), packet.substr(12));
    gst.push(gst.in, reinterpret_cast<const guint8 *>(srtp.data()), srtp.size());
    EXPECT_EQ(pullBytes(gst.decrypted), packet);
}

TEST_F(DtlsSrtpGstInteropTest, OurServerAgainstGStreamersClient) {
    GstDtlsPeer gst(true, "sipw-dtls-test-gst-client");
    handshake(gst, Role::Server);
    if (HasFatalFailure())
        return;
    // What GStreamer protects, we decrypt with our remote key.
    const std::string packet = rtpPacket(2);
    gst.push(gst.rtp, reinterpret_cast<const guint8 *>(packet.data()), packet.size());
    ASSERT_TRUE(iterateUntil(context_, [&] {
        for (const std::string &datagram : gst.takeFromGst())
            if (!DtlsSrtpHandshake::looksLikeDtls(reinterpret_cast<const guint8 *>(datagram.data()), datagram.size()))
                srtpFromGst_.push_back(datagram);
        return !srtpFromGst_.empty();
    }));
    EXPECT_NE(srtpFromGst_[0].substr(12, 20), packet.substr(12, 20));
    EXPECT_EQ(unprotectWithOurKey(srtpFromGst_[0]), packet);
}
