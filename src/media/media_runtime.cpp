// GStreamer's initialization, the count of live media objects, and the warm-up of a process.
#include "media/media_factory.hpp"
#include "media/media_runtime.hpp"

#include <gio/gio.h>

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
std::condition_variable prewarmFinished;
bool prewarmRunning = false;
}  // namespace

void startMediaPrewarm() {
    static std::once_flag started;
    std::call_once(started, [] {
        {
            std::lock_guard<std::mutex> lock(prewarmMutex);
            prewarmRunning = true;
        }
        std::thread([] {
            prewarmMedia();
            std::lock_guard<std::mutex> lock(prewarmMutex);
            prewarmRunning = false;
            prewarmFinished.notify_all();
        }).detach();
    });
}

void awaitMediaPrewarm(std::chrono::milliseconds budget) {
    std::unique_lock<std::mutex> lock(prewarmMutex);
    prewarmFinished.wait_for(lock, budget, [] { return !prewarmRunning; });
}

void prewarmMedia() {
    ensureGstInitialized();
    static std::once_flag once;
    std::call_once(once, [] {
        // Loads every plugin a call of any profile uses, and makes the DTLS elements generate the
        // process-wide default certificate now rather than during the first call.
        // In the order a first call needs them: one that starts while a plugin loads waits for
        // it (the WebRTC and shared elements first; libav, the slowest to load, last).
        for (const char *factory : {"webrtcbin", "dtlsdec", "dtlsenc", "nicesrc", "nicesink", "opusenc", "opusdec",
                                    "rtpopuspay", "rtpopusdepay", "audiomixer", "audiotestsrc", "wavenc", "volume",
                                    "rtpdtmfmux", "rtpdtmfsrc", "rtpbin", "udpsrc", "udpsink", "srtpenc", "srtpdec",
                                    "mulawenc", "mulawdec", "alawenc", "alawdec", "avenc_g722", "avdec_g722"}) {
            if (GstElement *e = gst_element_factory_make(factory, nullptr))
                gst_object_unref(gst_object_ref_sink(e));
        }
    });
}

}  // namespace sipw
