// GStreamer's initialization, the count of live media objects, and the warm-up of a process.
#include "media/dtls_srtp.hpp"
#include "media/ice_transport.hpp"
#include "media/inline_jitter_buffer.hpp"
#include "media/media_factory.hpp"
#include "media/media_runtime.hpp"
#include "media/opus_encoder.hpp"

#include <gio/gio.h>
#include <nss.h>
#include <pthread.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace sipw {

namespace {
std::atomic<int> liveObjects{0};
}  // namespace

void ensureGstInitialized() {
    static std::once_flag once;
    std::call_once(once, [] {
        gst_init(nullptr, nullptr);
        // GLib's type system can deadlock when a type that adds an interface at registration
        // (which takes GLib's class-init lock) is first used by two threads at once, one of them
        // inside a class_init (holding that lock): seen between the warm-up creating udpsrc and
        // a first call's ICE agent opening its sockets. The socket types that the UDP elements
        // and libnice register lazily are registered here, once, before either runs.
        for (GType type : {G_TYPE_SOCKET, G_TYPE_SOCKET_ADDRESS, G_TYPE_INET_SOCKET_ADDRESS, G_TYPE_INET_ADDRESS,
                           G_TYPE_NETWORK_ADDRESS, G_TYPE_PROXY_ADDRESS, G_TYPE_SOCKET_CLIENT, G_TYPE_RESOLVER})
            g_type_ensure(type);
    });
}

// A weak reference notify: counted until GObject finalizes the object.
void countUntilFinalized(gpointer object) {
    ++liveObjects;
    g_object_weak_ref(G_OBJECT(object), [](gpointer, GObject *) { --liveObjects; }, nullptr);
}

int liveMediaObjects() { return liveObjects.load(); }

namespace {
std::mutex prewarmMutex;
std::condition_variable prewarmProgress;
bool prewarmRunning = false;
bool callPathReady = false;
// Joined by the first awaitMediaPrewarm that sees it done; never destroyed (a joinable
// std::thread destroyed at exit would terminate the process).
std::thread *prewarmThread = nullptr;

// One offer and its answer between two throwaway sessions of the default profile, on loopback and
// a private context: the first call's set-up then runs code already paged in and bound (measured:
// without it, a process's first offer took ~9 ms longer than later ones, and so did its first answer).
void rehearseOfferAnswer() {
    GMainContext *context = g_main_context_new();
    g_main_context_push_thread_default(context);
    MediaOptions options;
    options.output.kind = AudioEndpoint::Kind::Null;
    options.ice.addresses = {"127.0.0.1"};
    options.ice.strategy = "host";
    std::string offer, answer;
    bool failed = false;
    auto callbacks = [&failed](std::string &description) {
        MediaSession::Callbacks c;
        c.onLocalDescription = [&description](const std::string &sdp) { description = sdp; };
        c.onError = [&failed](MediaError, const std::string &) { failed = true; };
        return c;
    };
    auto runUntil = [context, &failed](const std::string &description) {
        gint64 deadline = g_get_monotonic_time() + 500 * G_TIME_SPAN_MILLISECOND;
        while (description.empty() && !failed && g_get_monotonic_time() < deadline) {
            if (!g_main_context_iteration(context, FALSE)) g_usleep(1000);
        }
    };
    {
        std::unique_ptr<MediaSession> offerer = createRtpMedia(context, options, callbacks(offer));
        std::unique_ptr<MediaSession> answerer = createRtpMedia(context, options, callbacks(answer));
        offerer->createOffer();
        runUntil(offer);
        if (!offer.empty()) answerer->acceptOffer(offer);
        runUntil(answer);
        offerer->close();
        answerer->close();
    }
    while (g_main_context_iteration(context, FALSE)) {}  // what closed sessions left is dropped
    g_main_context_pop_thread_default(context);
    g_main_context_unref(context);
}

// libsrtp2 (Debian's is built on NSS) opens an NSS context for each SRTP cipher and closes it with
// the cipher. Closing the last one shuts NSS down, which unloads its crypto module; the next call's
// first packet then loads it again, on the thread pushing that packet (the shared ticker), holding
// glibc's loader lock meanwhile. One context held for the life of the process keeps NSS loaded.
// Same flags as libsrtp2's own contexts.
void holdSrtpCryptoLoaded() {
    static NSSInitContext *held = NSS_InitContext("", "", "", "", nullptr,
                                                  NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
                                                      NSS_INIT_FORCEOPEN | NSS_INIT_OPTIMIZESPACE);
    (void)held;
}

// Makes each factory's element once, then drops it: its plugin is loaded, its types registered.
void makeOnce(std::initializer_list<const char *> factories) {
    for (const char *factory : factories)
        if (GstElement *e = gst_element_factory_make(factory, nullptr)) gst_object_unref(gst_object_ref_sink(e));
}

// Loads each factory's plugin without making anything. Loading a library holds glibc's loader
// lock, which every thread being created waits for (a call's pipeline starts threads, sipw_create
// starts a worker's), at whatever priority the loading thread runs.
void loadOnly(std::initializer_list<const char *> factories) {
    for (const char *name : factories) {
        GstElementFactory *factory = gst_element_factory_find(name);
        if (!factory) continue;
        if (GstPluginFeature *loaded = gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory))) gst_object_unref(loaded);
        gst_object_unref(factory);
    }
}

// What a first call of the default profile (webrtc on the shared transport, Opus) needs, in the
// order it needs it.
void prewarmCallPath() {
    ensureGstInitialized();
    static std::once_flag once;
    std::call_once(once, [] {
        holdSrtpCryptoLoaded();
        DtlsSrtpHandshake::prepare();
        IceTransport::prepare();
        gst_object_unref(gst_object_ref_sink(makeInlineJitterBuffer()));
        gst_object_unref(gst_object_ref_sink(makeOpusEncoder(5, 20)));
        makeOnce({"pipeline", "bin", "rtpbin", "rtpsession", "rtpssrcdemux", "rtpptdemux", "rtpstorage", "srtpenc",
                  "srtpdec", "opusdec", "rtpopuspay", "rtpopusdepay", "capsfilter", "tee", "queue",
                  "fakesink", "audiomixer", "audiotestsrc", "wavenc", "filesink", "volume", "rtpdtmfmux",
                  "rtpdtmfsrc"});
        rehearseOfferAnswer();
    });
}

// The other profiles and transports: their libraries loaded at once (~20 ms; not in the first
// stage, which a process's first sipw_create calls compete with), then their elements made once,
// webrtcbin's DTLS elements making their certificate (RSA, ~85 ms of CPU): CPU only, at the lowest
// priority so that calls under way keep their CPU (never while loading: the loader lock would be
// held for as long as the scheduler leaves this thread waiting).
void prewarmTheRest() {
    static std::once_flag once;
    std::call_once(once, [] {
        // Not libav (G.722): its ~80 ms load, in the background, held a call's set-up up by as
        // much, and before the first command it held sipw_create up; a call that uses G.722 loads it.
        const auto others = {"webrtcbin", "dtlsdec", "dtlsenc", "nicesrc", "nicesink", "udpsrc", "udpsink",
                             "mulawenc", "mulawdec", "alawenc", "alawdec"};
        loadOnly(others);
        setpriority(PRIO_PROCESS, 0, 19);  // this thread only (Linux)
        makeOnce(others);
    });
}

void setPrewarmState(bool running, bool ready) {
    std::lock_guard<std::mutex> lock(prewarmMutex);
    prewarmRunning = running;
    callPathReady = ready;
    prewarmProgress.notify_all();
}
}  // namespace

void startMediaPrewarm() {
    static std::once_flag started;
    std::call_once(started, [] {
        setPrewarmState(true, false);
        std::lock_guard<std::mutex> lock(prewarmMutex);
        prewarmThread = new std::thread([] {
            pthread_setname_np(pthread_self(), "sipw-prewarm");
            prewarmCallPath();
            setPrewarmState(true, true);
            prewarmTheRest();
            setPrewarmState(false, true);
        });
    });
}

void awaitMediaCallPath(std::chrono::milliseconds budget) {
    std::unique_lock<std::mutex> lock(prewarmMutex);
    prewarmProgress.wait_for(lock, budget, [] { return callPathReady || !prewarmRunning; });
}

void awaitMediaPrewarm(std::chrono::milliseconds budget) {
    std::unique_lock<std::mutex> lock(prewarmMutex);
    prewarmProgress.wait_for(lock, budget, [] { return !prewarmRunning; });
    // Done: wait for the thread's own exit too (its thread-local cleanup runs GLib code, which
    // must not race with the process's exit). Not done within the budget: it is left running.
    if (!prewarmRunning && prewarmThread && prewarmThread->joinable()) prewarmThread->join();
}

void prewarmMedia() {
    prewarmCallPath();
    prewarmTheRest();
}

}  // namespace sipw
