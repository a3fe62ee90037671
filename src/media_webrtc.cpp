// The WebRTC media profile: one GStreamer pipeline with a webrtcbin per call.
//
//   source bin → audioconvert → audioresample → 48k mono → volume(mute) → opusenc → rtpopuspay
//       → webrtcbin
//   webrtcbin → rtpopusdepay → opusdec → audioconvert → audioresample ─┐
//   live silence ───────────────────────────────────────────────────── audiomixer → sink bin
//
// The mixer, clocked by the live silence, turns every stretch without received audio (before
// media flows, hold, loss) into silence, so a recording lasts as long as the call.
#include "media.hpp"

#include "audio_bins.hpp"
#include "gst_ref.hpp"
#include "ice_strategy.hpp"
#include "loop_post.hpp"
#include "sdp_util.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace sipw {
namespace {

constexpr int kOpusPayload = 111;          // what browsers use
constexpr auto kRecordingEosWait = std::chrono::seconds(2);
constexpr guint64 kMixerMarginMs = 60;     // decode + one packet beyond the jitterbuffer

std::atomic<int> liveObjects{0};

// Counts `object` in liveMediaObjects() until GObject finalizes it (weak reference notify).
void countUntilFinalized(gpointer object) {
    ++liveObjects;
    g_object_weak_ref(G_OBJECT(object), [](gpointer, GObject *) { --liveObjects; }, nullptr);
}

void ensureGstInitialized() {
    static std::once_flag once;
    std::call_once(once, [] { gst_init(nullptr, nullptr); });
}

// "stun:host:port" → "stun://host:port"; "turn:host:port?transport=udp" + user/pass →
// "turn://user:pass@host:port?transport=udp" (the URI forms webrtcbin parses).
std::string webrtcbinServerUri(const IceServer &server) {
    std::string url = server.url;
    auto colon = url.find(':');
    if (colon == std::string::npos) return {};
    std::string scheme = url.substr(0, colon);
    std::string rest = url.substr(colon + 1);
    while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
    if (scheme == "stun" || scheme == "stuns") return "stun://" + rest;
    if (scheme != "turn" && scheme != "turns") return {};
    gchar *user = g_uri_escape_string(server.username.c_str(), nullptr, FALSE);
    gchar *pass = g_uri_escape_string(server.credential.c_str(), nullptr, FALSE);
    std::string uri = scheme + "://" + user + ":" + pass + "@" + rest;
    g_free(user);
    g_free(pass);
    return uri;
}

bool isTurn(const IceServer &s) { return s.url.rfind("turn", 0) == 0; }

// Local IP addresses for an `ice.addresses` entry: an IP literal as is, an interface name
// resolved to its IPv4/IPv6 addresses.
std::vector<std::string> resolveLocalAddresses(const std::string &entry) {
    if (g_hostname_is_ip_address(entry.c_str())) return {entry};
    std::vector<std::string> out;
    struct ifaddrs *list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (struct ifaddrs *i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || entry != i->ifa_name) continue;
        int family = i->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6) continue;
        char host[NI_MAXHOST];
        socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        if (getnameinfo(i->ifa_addr, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) == 0)
            out.emplace_back(host);
    }
    freeifaddrs(list);
    return out;
}

// Raised by a pad probe (streaming thread) when EOS reaches the recording's filesink, i.e. when
// wavenc has rewritten the header; waited for (bounded) by close().
struct EosLatch {
    std::mutex mutex;
    std::condition_variable done;
    bool reached = false;
};

GstPadProbeReturn onRecorderEvent(GstPad *, GstPadProbeInfo *info, gpointer latchPtr) {
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) {
        auto &latch = **static_cast<std::shared_ptr<EosLatch> *>(latchPtr);
        std::lock_guard<std::mutex> lock(latch.mutex);
        latch.reached = true;
        latch.done.notify_all();
    }
    return GST_PAD_PROBE_OK;
}

// webrtcbin exposes its receive pad once the remote description is applied; it feeds the
// depayloader that was built with the pipeline (user data: the depayloader, owned).
void onWebrtcPadAdded(GstElement *, GstPad *pad, gpointer depayloader) {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
    GstPad *sink = gst_element_get_static_pad(GST_ELEMENT(depayloader), "sink");
    if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
    gst_object_unref(sink);
}

class WebRtcSession;
using Poster = LoopPoster<WebRtcSession>;

// What a promise reply is for.
enum class Step { OfferCreated, AnswerCreated, LocalSet, RemoteOfferSet, RemoteAnswerSet };

class WebRtcSession : public std::enable_shared_from_this<WebRtcSession> {
public:
    WebRtcSession(GMainContext *context, const MediaOptions &options,
                  MediaSession::Callbacks callbacks)
        : context_(g_main_context_ref(context)), options_(options), callbacks_(std::move(callbacks)),
          ice_(strategyOf(options.ice), stunCount(options.ice), turnCount(options.ice),
               options.ice.relayOnly) {}

    ~WebRtcSession() {
        close();
        g_main_context_unref(context_);
    }

    // Builds and starts the pipeline; failures are reported through onError (later).
    void start() {
        poster_ = std::make_unique<Poster>(context_, weak_from_this());
        IceCandidateWait::Strategy unused;
        if (!IceCandidateWait::parseStrategy(options_.ice.strategy, unused))
            warnLater("ice_strategy_unknown", options_.ice.strategy);
        std::string error;
        if (!buildPipeline(error)) {
            failLater(MediaError::Internal, error);
            teardownPipeline();
            return;
        }
        if (gst_element_set_state(pipeline_.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
            failLater(MediaError::Internal, "the media pipeline could not start");
            teardownPipeline();
        }
    }

    void createOffer() {
        if (!usable()) return;
        if (role_ != Role::None) return failLater(MediaError::Internal, "createOffer called twice");
        role_ = Role::Offerer;
        request("create-offer", nullptr, Step::OfferCreated);
    }

    void acceptOffer(const std::string &remoteSdp) {
        if (!usable()) return;
        if (role_ != Role::None)
            return failLater(MediaError::Internal, "acceptOffer on a session that already negotiated");
        role_ = Role::Answerer;
        auto remote = sdp::inspectRemote(remoteSdp);
        std::string why = remote.unusableReason();
        if (!why.empty()) return failLater(MediaError::IncompatibleSdp, why);
        remoteUfrag_ = remote.iceUfrag;
        usePayloadType(remote.opusPayload);
        setRemote(remoteSdp, GST_WEBRTC_SDP_TYPE_OFFER, Step::RemoteOfferSet);
    }

    void acceptAnswer(const std::string &remoteSdp) {
        if (!usable()) return;
        auto remote = sdp::inspectRemote(remoteSdp);
        std::string why = remote.unusableReason();
        if (!why.empty()) return failLater(MediaError::BadMediaDescription, why);
        if (reofferPending_) {
            // The answer to our own hold/resume re-offer: webrtcbin was not renegotiated, so
            // beyond checking that the peer kept the same ICE session there is only the agreed
            // direction to apply (what we offered, narrowed by what the peer answered).
            reofferPending_ = false;
            if (remote.iceUfrag != remoteUfrag_)
                return failLater(MediaError::BadMediaDescription, "ICE restart is not supported");
            applyDirection(sdp::commonDirection(offeredDirection_, sdp::answerDirection(remote.direction)));
            return;
        }
        if (role_ != Role::Offerer || remoteApplied_)
            return failLater(MediaError::BadMediaDescription, "no offer of ours is awaiting an answer");
        remoteUfrag_ = remote.iceUfrag;
        if (remote.setup == "active") setupRole_ = "passive";
        else if (remote.setup == "passive") setupRole_ = "active";
        answerPending_ = true;
        setRemote(remoteSdp, GST_WEBRTC_SDP_TYPE_ANSWER, Step::RemoteAnswerSet);
    }

    void createReoffer(const std::string &direction) {
        if (!usable()) return;
        if (!isDirection(direction))
            return failLater(MediaError::Internal, "unknown media direction: " + direction);
        if (answerPending_) {
            // SIP confirmed the call while webrtcbin still applies the answer (asynchronous):
            // a HOLD right after session_confirmed re-offers once that is done.
            afterAnswer_.push_back([direction](WebRtcSession &s) { s.createReoffer(direction); });
            return;
        }
        if (!descriptionSent_ || !remoteApplied_)
            return failLater(MediaError::Internal, "re-offer before the first offer/answer completed");
        // Applied once answered; holding stops the audio at once (setHeld).
        offeredDirection_ = direction;
        reofferPending_ = true;
        sendLater(cachedDescription(direction, /*forAnswer=*/false));
    }

    // Answers a remote re-offer (hold/resume) from the cached description, without
    // renegotiating webrtcbin; our direction mirrors the peer's, narrowed by our own hold.
    void acceptReoffer(const std::string &remoteSdp) {
        if (!usable()) return;
        auto remote = sdp::inspectRemote(remoteSdp);
        std::string why = remote.unusableReason();
        if (!why.empty()) return failLater(MediaError::IncompatibleSdp, why);
        if (answerPending_) {
            afterAnswer_.push_back([remoteSdp](WebRtcSession &s) { s.acceptReoffer(remoteSdp); });
            return;
        }
        if (!descriptionSent_ || !remoteApplied_)
            return failLater(MediaError::IncompatibleSdp, "re-offer before the first offer/answer completed");
        if (remote.iceUfrag != remoteUfrag_)
            return failLater(MediaError::IncompatibleSdp, "ICE restart is not supported");
        std::string direction = sdp::answerDirection(remote.direction, held_ ? "sendonly" : "sendrecv");
        applyDirection(direction);
        sendLater(cachedDescription(direction, /*forAnswer=*/true));
    }

    void setMuted(bool muted) {
        muted_ = muted;
        applyDirection(localDirection_);
    }

    void setHeld(bool held) {
        held_ = held;
        applyDirection(localDirection_);
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        destroySource(gatherTimer_);
        destroySource(connectTimer_);
        bool recorded = finishRecording();
        if (!recorded) writeEmptyRecording(options_.output.path);
        // Stopping webrtcbin while it still works on a description (the answer of a call hung
        // up at once) leaks libnice's agent with its sockets: measured, ~0.3 fds per such call.
        // So the pipeline (silent: callbacks are off) outlives us until webrtcbin has replied,
        // at most kCloseGraceMs.
        if (outstandingRequests_ > 0) keepAliveUntilIdle_ = weak_from_this().lock();
        if (!keepAliveUntilIdle_) return teardownPipeline();
        if (sendVolume_) g_object_set(sendVolume_, "mute", TRUE, nullptr);
        closeGraceTimer_ = g_timeout_source_new(kCloseGraceMs);
        g_source_set_callback(closeGraceTimer_, [](gpointer poster) -> gboolean {
            static_cast<Poster *>(poster)->runIfAlive([](WebRtcSession &s) { s.finishClose(); });
            return G_SOURCE_REMOVE;
        }, poster_->clone(), &Poster::deleteClone);
        g_source_attach(closeGraceTimer_, context_);
    }

    void finishClose() {
        destroySource(closeGraceTimer_);
        teardownPipeline();
        auto self = std::move(keepAliveUntilIdle_);  // may be the last reference: released on return
    }

private:
    enum class Role { None, Offerer, Answerer };

    static IceCandidateWait::Strategy strategyOf(const IceOptions &o) {
        IceCandidateWait::Strategy s = IceCandidateWait::Strategy::FirstServer;
        IceCandidateWait::parseStrategy(o.strategy, s);
        return s;
    }
    static int turnCount(const IceOptions &o) {
        int n = 0;
        for (const auto &s : o.servers) n += isTurn(s) ? 1 : 0;
        return n;
    }
    static int stunCount(const IceOptions &o) {
        // webrtcbin takes a single STUN server.
        return static_cast<int>(o.servers.size()) > turnCount(o) ? 1 : 0;
    }
    static bool isDirection(const std::string &d) {
        return d == "sendrecv" || d == "sendonly" || d == "recvonly" || d == "inactive";
    }

    bool usable() const { return !closed_ && !failed_ && pipeline_; }

    // ---- building -------------------------------------------------------------------------

    static GstElement *make(const char *factory, std::string &error) {
        GstElement *e = gst_element_factory_make(factory, nullptr);  // floating
        if (!e) error = std::string("missing GStreamer element ") + factory;
        return e;
    }

    static GstCaps *rawAudioCaps() {
        return gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "S16LE", "rate",
                                   G_TYPE_INT, kAudioRate, "channels", G_TYPE_INT, 1, nullptr);
    }

    // A capsfilter for rawAudioCaps (floating; null, with `error` set, if missing).
    static GstElement *rawFilter(std::string &error) {
        GstElement *filter = make("capsfilter", error);
        if (!filter) return nullptr;
        GstCaps *caps = rawAudioCaps();
        g_object_set(filter, "caps", caps, nullptr);
        gst_caps_unref(caps);
        return filter;
    }

    static GstCaps *opusRtpCaps(int payloadType) {
        // minptime/useinbandfec become the a=fmtp line, as browsers write it.
        return gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                   "encoding-name", G_TYPE_STRING, "OPUS", "clock-rate", G_TYPE_INT,
                                   48000, "encoding-params", G_TYPE_STRING, "2", "payload",
                                   G_TYPE_INT, payloadType, "minptime", G_TYPE_STRING, "10",
                                   "useinbandfec", G_TYPE_STRING, "1", nullptr);
    }

    // Adds `elements` (floating) to the pipeline and links them in order.
    bool addChain(std::initializer_list<GstElement *> elements, std::string &error) {
        for (GstElement *e : elements) {
            if (e) continue;
            for (GstElement *other : elements)
                if (other) gst_object_unref(gst_object_ref_sink(other));
            if (error.empty()) error = "a GStreamer element could not be made";
            return false;
        }
        for (GstElement *e : elements) gst_bin_add(GST_BIN(pipeline_.get()), e);  // takes the floating ref
        GstElement *prev = nullptr;
        for (GstElement *e : elements) {
            if (prev && !gst_element_link(prev, e)) {
                error = std::string("could not link ") + GST_OBJECT_NAME(prev) + " to " +
                        GST_OBJECT_NAME(e);
                return false;
            }
            prev = e;
        }
        return true;
    }

    // What is received → the output: through a mixer with live silence (a recording runs in real
    // time whatever arrives, hold can drop what arrives), or straight to a null sink.
    bool linkOutput(GstElement *recvResample, const AudioBin &sink, std::string &error) {
        GstElement *sinkBin = sink.bin;
        if (options_.output.kind == AudioEndpoint::Kind::Null || sink.noDevice) {
            // Nobody listens: no live silence and no mixing (two threads and a mix per call),
            // only the decoding, which tells when the peer's audio starts.
            if (!addChain({sinkBin}, error)) return false;
            if (!gst_element_link(recvResample, sinkBin)) return error = "could not link the null output", false;
            return true;
        }
        GstElement *mixer = make("audiomixer", error);
        if (mixer)  // received audio arrives a jitterbuffer later than the live silence
            g_object_set(mixer, "latency",
                         (guint64(options_.jitterBufferMs) + kMixerMarginMs) * GST_MSECOND, nullptr);
        GstElement *silence = make("audiotestsrc", error);
        if (silence) {
            gst_util_set_object_arg(G_OBJECT(silence), "wave", "silence");
            g_object_set(silence, "is-live", TRUE, "samplesperbuffer", 960, nullptr);
        }
        GstElement *silenceCaps = rawFilter(error);
        GstElement *outCaps = rawFilter(error);
        if (!addChain({silence, silenceCaps, mixer, outCaps, sinkBin}, error)) return false;
        GstPad *remotePad = gst_element_request_pad_simple(mixer, "sink_%u");  // transfer full
        GstPad *resampleSrc = gst_element_get_static_pad(recvResample, "src");
        bool linked = remotePad && gst_pad_link(resampleSrc, remotePad) == GST_PAD_LINK_OK;
        gst_object_unref(resampleSrc);
        remoteMixerPad_ = GstRef<GstPad>::adopt(remotePad);
        if (!linked) return error = "could not link received audio to the mixer", false;

        if (sink.recorder) {
            recorderInput_ = GstRef<GstPad>::adopt(gst_element_get_static_pad(sinkBin, "sink"));
            GstPad *fileSinkPad = gst_element_get_static_pad(sink.recorder, "sink");
            eosLatch_ = std::make_shared<EosLatch>();
            gst_pad_add_probe(fileSinkPad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onRecorderEvent,
                              new std::shared_ptr<EosLatch>(eosLatch_), [](gpointer p) {
                                  delete static_cast<std::shared_ptr<EosLatch> *>(p);
                              });
            gst_object_unref(fileSinkPad);
        }
        return true;
    }

    bool buildPipeline(std::string &error) {
        pipeline_ = GstRef<GstElement>::adopt(gst_pipeline_new(nullptr));
        countUntilFinalized(pipeline_.get());
        webrtc_ = make("webrtcbin", error);
        if (!webrtc_) return false;
        countUntilFinalized(webrtc_);
        gst_bin_add(GST_BIN(pipeline_.get()), webrtc_);
        configureWebrtc();

        // Send path.
        AudioBin source = makeAudioSource(options_.input);
        if (!source.bin) return error = source.error, false;
        if (source.noDevice) warnLater("no_sound_device", "input");
        GstElement *sendCaps = make("capsfilter", error);
        if (sendCaps) {
            GstCaps *caps = gst_caps_new_simple("audio/x-raw", "rate", G_TYPE_INT, kAudioRate,
                                                "channels", G_TYPE_INT, 1, nullptr);
            g_object_set(sendCaps, "caps", caps, nullptr);
            gst_caps_unref(caps);
        }
        sendVolume_ = make("volume", error);
        GstElement *encoder = make("opusenc", error);
        // Complexity 10 (the default) makes Opus encoding most of a call's CPU; 5 keeps voice
        // quality and halves it (measured with bench/call_bench).
        if (encoder) g_object_set(encoder, "complexity", options_.opusComplexity, nullptr);
        payloader_ = make("rtpopuspay", error);
        if (payloader_) g_object_set(payloader_, "pt", kOpusPayload, nullptr);
        if (!addChain({source.bin, make("audioconvert", error), make("audioresample", error),
                       sendCaps, sendVolume_, encoder, payloader_},
                      error))
            return false;
        GstPad *sendPad = gst_element_request_pad_simple(webrtc_, "sink_%u");  // transfer full
        GstPad *payloaderSrc = gst_element_get_static_pad(payloader_, "src");
        bool linked = sendPad && gst_pad_link(payloaderSrc, sendPad) == GST_PAD_LINK_OK;
        if (sendPad) {
            GstWebRTCRTPTransceiver *transceiver = nullptr;
            g_object_get(sendPad, "transceiver", &transceiver, nullptr);  // transfer full
            transceiver_ = GstRef<GstWebRTCRTPTransceiver>::adopt(transceiver);
            gst_object_unref(sendPad);
        }
        gst_object_unref(payloaderSrc);
        if (!linked || !transceiver_) return error = "could not link audio to webrtcbin", false;
        usePayloadType(kOpusPayload);

        // Receive path, built now so webrtcbin's late pad only needs one link.
        GstElement *depayloader = make("rtpopusdepay", error);
        GstElement *decoder = make("opusdec", error);
        if (decoder) {
            g_object_set(decoder, "plc", TRUE, nullptr);
            // The first decoded buffer: when the peer's audio really starts (for statistics).
            GstPad *decoded = gst_element_get_static_pad(decoder, "src");
            gst_pad_add_probe(decoded, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer poster) {
                static_cast<Poster *>(poster)->post([](WebRtcSession &s) {
                    if (!s.closed_ && s.callbacks_.onFirstAudio) s.callbacks_.onFirstAudio();
                });
                return GST_PAD_PROBE_REMOVE;
            }, poster_->clone(), &Poster::deleteClone);
            gst_object_unref(decoded);
        }
        GstElement *recvResample = make("audioresample", error);
        // The SDP says opus/48000/2, but a call is mono: the decoder then decodes one channel.
        GstElement *decodedCaps = rawFilter(error);
        if (!addChain({depayloader, decoder, decodedCaps, make("audioconvert", error), recvResample}, error))
            return false;

        // Output: live silence mixed with what is received. Everything below is made in one go
        // and handed to addChain, which owns it from then on (also on failure).
        AudioBin sink = makeAudioSink(options_.output);
        if (!sink.bin) return error = sink.error, false;
        if (sink.noDevice) warnLater("no_sound_device", "output");
        if (!linkOutput(recvResample, sink, error)) return false;

        // Hooks: every one posts to the loop; their user data are owned by GLib (destroy notify).
        handlers_.push_back(g_signal_connect_data(
            webrtc_, "pad-added", G_CALLBACK(onWebrtcPadAdded), gst_object_ref(depayloader),
            [](gpointer p, GClosure *) { gst_object_unref(p); }, GConnectFlags(0)));
        connectPosting("on-ice-candidate", G_CALLBACK(+[](GstElement *, guint, gchar *candidate,
                                                            gpointer poster) {
                           std::string line = candidate ? candidate : "";
                           static_cast<Poster *>(poster)->post(
                               [line](WebRtcSession &s) { s.onCandidate(line); });
                       }));
        for (const char *property : {"notify::ice-gathering-state", "notify::ice-connection-state",
                                     "notify::connection-state"})
            connectPosting(property, G_CALLBACK(+[](GstElement *, GParamSpec *, gpointer poster) {
                               static_cast<Poster *>(poster)->post(
                                   [](WebRtcSession &s) { s.onStateChanged(); });
                           }));

        GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_.get()));  // transfer full
        busWatch_ = gst_bus_create_watch(bus);
        g_source_set_callback(busWatch_, G_SOURCE_FUNC(&WebRtcSession::onBusMessage),
                              poster_->clone(), &Poster::deleteClone);
        g_source_attach(busWatch_, context_);
        gst_object_unref(bus);
        return true;
    }

    void connectPosting(const char *signal, GCallback callback) {
        handlers_.push_back(g_signal_connect_data(webrtc_, signal, callback, poster_->clone(),
                                                  &Poster::deleteCloneClosure, GConnectFlags(0)));
    }

    void configureWebrtc() {
        gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
        g_object_set(webrtc_, "latency", guint(std::max(0, options_.jitterBufferMs)), nullptr);
        if (options_.ice.relayOnly)
            gst_util_set_object_arg(G_OBJECT(webrtc_), "ice-transport-policy", "relay");
        bool haveStun = false;
        for (const auto &server : options_.ice.servers) {
            std::string uri = webrtcbinServerUri(server);
            gboolean added = FALSE;
            if (uri.empty()) {
                warnLater("ice_server_invalid", server.url);
            } else if (isTurn(server)) {
                g_signal_emit_by_name(webrtc_, "add-turn-server", uri.c_str(), &added);
                if (!added) warnLater("ice_server_invalid", server.url);
            } else if (!haveStun) {
                g_object_set(webrtc_, "stun-server", uri.c_str(), nullptr);
                haveStun = true;
            } else {
                warnLater("ice_server_ignored", server.url);  // webrtcbin takes one STUN server
            }
        }

        GObject *ice = nullptr;
        g_object_get(webrtc_, "ice-agent", &ice, nullptr);  // transfer full
        if (!ice) return;
        // No ICE-TCP host candidates: SIP peers use UDP, and each TCP candidate is a listen socket.
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "ice-tcp"))
            g_object_set(ice, "ice-tcp", FALSE, nullptr);
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent")) {
            GObject *agent = nullptr;
            g_object_get(ice, "agent", &agent, nullptr);  // transfer full (NiceAgent)
            // UPnP port mapping adds ~200 ms to every gathering and is of no use to a softphone.
            if (agent && g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "upnp"))
                g_object_set(agent, "upnp", FALSE, nullptr);
            // Connectivity checks are paced one per Ta (20 ms by default); a call has a handful
            // of pairs, and each round of the check/nomination dance waits for a tick.
            if (agent && g_object_class_find_property(G_OBJECT_GET_CLASS(agent), "stun-pacing-timer"))
                g_object_set(agent, "stun-pacing-timer", 5u, nullptr);
            if (agent) g_object_unref(agent);
        }
        for (const auto &entry : options_.ice.addresses) {
            auto addresses = resolveLocalAddresses(entry);
            if (addresses.empty()) warnLater("ice_address_unknown", entry);
            for (const auto &address : addresses) {
                gboolean ok = FALSE;
                g_signal_emit_by_name(ice, "add-local-ip-address", address.c_str(), &ok);
                if (!ok) warnLater("ice_address_unknown", address);
            }
        }
        g_object_unref(ice);
    }

    // Payload type of Opus for the transceiver and the payloader (the offer's, when answering).
    void usePayloadType(int payloadType) {
        g_object_set(payloader_, "pt", guint(payloadType), nullptr);
        GstCaps *caps = opusRtpCaps(payloadType);
        g_object_set(transceiver_.get(), "codec-preferences", caps, nullptr);
        gst_caps_unref(caps);
    }

    // ---- negotiation ----------------------------------------------------------------------

    // Emits a webrtcbin action with a promise whose reply is handled on the loop thread.
    void request(const char *action, GstWebRTCSessionDescription *description, Step step) {
        GstPromise *promise = gst_promise_new_with_change_func(
            [](GstPromise *p, gpointer data) {
                auto *link = static_cast<std::pair<Poster, Step> *>(data);
                std::shared_ptr<GstStructure> reply;  // freed with the task, run or dropped
                std::string error;
                if (gst_promise_wait(p) != GST_PROMISE_RESULT_REPLIED) {
                    error = "webrtcbin did not answer";
                } else if (const GstStructure *r = gst_promise_get_reply(p)) {  // transfer none
                    GError *gerror = nullptr;
                    if (gst_structure_has_field(r, "error")) {
                        gst_structure_get(r, "error", G_TYPE_ERROR, &gerror, nullptr);
                        error = gerror ? gerror->message : "webrtcbin reported an error";
                        g_clear_error(&gerror);
                    } else {
                        reply.reset(gst_structure_copy(r), gst_structure_free);
                    }
                }
                Step step = link->second;
                link->first.post([step, reply, error](WebRtcSession &s) {
                    s.onReply(step, reply.get(), error);
                });
            },
            new std::pair<Poster, Step>(*poster_, step),
            [](gpointer p) { delete static_cast<std::pair<Poster, Step> *>(p); });
        ++outstandingRequests_;
        if (description) g_signal_emit_by_name(webrtc_, action, description, promise);
        else g_signal_emit_by_name(webrtc_, action, nullptr, promise);
        gst_promise_unref(promise);  // webrtcbin keeps its own reference until it replies
    }

    void setRemote(const std::string &text, GstWebRTCSDPType type, Step step) {
        GstSDPMessage *message = nullptr;
        gst_sdp_message_new_from_text(text.c_str(), &message);  // checked by inspectRemote
        GstWebRTCSessionDescription *description =
            gst_webrtc_session_description_new(type, message);  // takes the message
        request("set-remote-description", description, step);
        gst_webrtc_session_description_free(description);
    }

    void onReply(Step step, const GstStructure *reply, const std::string &error) {
        --outstandingRequests_;
        if (closed_) {
            if (outstandingRequests_ <= 0 && keepAliveUntilIdle_) finishClose();
            return;
        }
        if (failed_) return;
        if (!error.empty()) {
            switch (step) {
            case Step::RemoteOfferSet:
            case Step::AnswerCreated:
                return fail(MediaError::IncompatibleSdp, error);
            case Step::RemoteAnswerSet:
                return fail(MediaError::BadMediaDescription, error);
            default:
                return fail(MediaError::Internal, error);
            }
        }
        switch (step) {
        case Step::OfferCreated:
        case Step::AnswerCreated: {
            const char *field = step == Step::OfferCreated ? "offer" : "answer";
            GstWebRTCSessionDescription *local = nullptr;
            if (reply) gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &local, nullptr);
            if (!local) return fail(MediaError::Internal, std::string("webrtcbin made no ") + field);
            gchar *text = gst_sdp_message_as_text(local->sdp);
            baseLocalSdp_ = text;
            g_free(text);
            if (step == Step::AnswerCreated) setupRole_ = sdp::inspectRemote(baseLocalSdp_).setup;
            // Gathering starts with set-local-description: the strategy's deadline starts now.
            startGatheringDeadline();
            request("set-local-description", local, Step::LocalSet);
            gst_webrtc_session_description_free(local);
            scheduleEvaluation();
            break;
        }
        case Step::RemoteOfferSet:
            remoteApplied_ = true;
            request("create-answer", nullptr, Step::AnswerCreated);
            break;
        case Step::RemoteAnswerSet: {
            remoteApplied_ = true;
            startConnectWatchdog();
            answerPending_ = false;
            auto deferred = std::move(afterAnswer_);
            afterAnswer_.clear();
            for (auto &task : deferred) task(*this);
            break;
        }
        case Step::LocalSet:
            break;
        }
    }

    // ---- ICE candidates and the send decision ---------------------------------------------

    void startGatheringDeadline() {
        destroySource(gatherTimer_);
        gatherTimer_ = g_timeout_source_new(guint(std::max(0, options_.ice.gatheringTimeoutMs)));
        g_source_set_callback(gatherTimer_, [](gpointer poster) -> gboolean {
            static_cast<Poster *>(poster)->runIfAlive([](WebRtcSession &s) { s.onGatheringDeadline(); });
            return G_SOURCE_REMOVE;
        }, poster_->clone(), &Poster::deleteClone);
        g_source_attach(gatherTimer_, context_);
    }

    void onGatheringDeadline() {
        destroySource(gatherTimer_);
        if (!closed_ && !failed_ && !descriptionSent_ && !baseLocalSdp_.empty())
            sendLocalDescription();
    }

    void onCandidate(const std::string &line) {
        if (closed_) return;
        ice_.addCandidate(line);
        scheduleEvaluation();
    }

    // Candidates come one task each; deciding at low priority lets a queued burst be read first.
    void scheduleEvaluation() {
        if (evaluationQueued_ || descriptionSent_) return;
        evaluationQueued_ = true;
        poster_->post([](WebRtcSession &s) { s.evaluate(); }, G_PRIORITY_LOW);
    }

    void evaluate() {
        evaluationQueued_ = false;
        if (closed_ || failed_ || descriptionSent_ || baseLocalSdp_.empty()) return;
        if (ice_.satisfied()) sendLocalDescription();
    }

    void sendLocalDescription() {
        destroySource(gatherTimer_);
        descriptionSent_ = true;
        sdpVersion_ = sdp::originVersion(baseLocalSdp_);
        std::string text = sdp::withCandidates(baseLocalSdp_, ice_.candidates(), ice_.gatheringComplete());
        if (options_.ice.relayOnly && !hasRelayCandidate()) {
            // Nothing could ever connect: say why now rather than after the watchdog.
            return failLater(MediaError::IceFailed,
                             "no relay candidate from the TURN server (check its address and credentials)");
        }
        if (callbacks_.onLocalDescription) callbacks_.onLocalDescription(text);
        if (remoteApplied_) startConnectWatchdog();
    }

    bool hasRelayCandidate() const {
        for (const auto &c : ice_.candidates())
            if (c.type == "relay") return true;
        return false;
    }

    // Offer and answer are both applied: media must connect within the bound, or the call ends
    // (a peer behind a firewall, a wrong TURN password, DTLS that never completes).
    void startConnectWatchdog() {
        if (connectTimer_ || connected_ || !descriptionSent_ || !remoteApplied_) return;
        connectTimer_ = g_timeout_source_new(guint(std::max(1000, options_.connectTimeoutMs)));
        g_source_set_callback(connectTimer_, [](gpointer poster) -> gboolean {
            static_cast<Poster *>(poster)->runIfAlive([](WebRtcSession &s) {
                destroySource(s.connectTimer_);
                if (!s.connected_)
                    s.fail(MediaError::IceFailed, "no media connection (ICE/DTLS) within " +
                                                      std::to_string(s.options_.connectTimeoutMs / 1000) + " s");
            });
            return G_SOURCE_REMOVE;
        }, poster_->clone(), &Poster::deleteClone);
        g_source_attach(connectTimer_, context_);
    }

    // Our last description with every candidate gathered since, a new direction and version.
    std::string cachedDescription(const std::string &direction, bool forAnswer) {
        std::string text = sdp::withCandidates(baseLocalSdp_, ice_.candidates(), ice_.gatheringComplete());
        text = sdp::withDirectionAndVersion(text, direction, ++sdpVersion_);
        if (forAnswer && !setupRole_.empty() && setupRole_ != "actpass")
            text = sdp::withSetupRole(text, setupRole_);
        return text;
    }

    void sendLater(std::string text) {
        poster_->post([text](WebRtcSession &s) {
            if (!s.closed_ && s.callbacks_.onLocalDescription) s.callbacks_.onLocalDescription(text);
        });
    }

    // ---- state ----------------------------------------------------------------------------

    void onStateChanged() {
        if (closed_ || failed_ || !webrtc_) return;
        GstWebRTCICEGatheringState gathering;
        GstWebRTCICEConnectionState ice;
        GstWebRTCPeerConnectionState peer;
        g_object_get(webrtc_, "ice-gathering-state", &gathering, "ice-connection-state", &ice,
                     "connection-state", &peer, nullptr);
        if (gathering == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !ice_.gatheringComplete()) {
            ice_.setGatheringComplete();
            scheduleEvaluation();
        }
        if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
            return fail(MediaError::IceFailed, "ICE connectivity checks failed");
        if (peer == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
            return fail(MediaError::IceFailed, "the DTLS or ICE transport failed");
        if (peer == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !connected_) {
            connected_ = true;
            destroySource(connectTimer_);
            if (callbacks_.onConnected) callbacks_.onConnected();
        }
    }

    // Bus watch on the loop context (a sync handler returning DROP leaks whole pipelines).
    static gboolean onBusMessage(GstBus *, GstMessage *message, gpointer posterPtr) {
        if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ERROR) return G_SOURCE_CONTINUE;
        GError *error = nullptr;
        gst_message_parse_error(message, &error, nullptr);
        const char *sourceName = GST_MESSAGE_SRC_NAME(message);
        bool transport = sourceName && (strstr(sourceName, "dtls") || strstr(sourceName, "nice"));
        std::string detail = std::string(sourceName ? sourceName : "?") + ": " +
                             (error ? error->message : "error");
        g_clear_error(&error);
        // Reported from a task, like everything else, so a callback never runs twice at once.
        static_cast<Poster *>(posterPtr)->post([transport, detail](WebRtcSession &s) {
            s.fail(transport ? MediaError::IceFailed : MediaError::Internal, detail);
        });
        return G_SOURCE_CONTINUE;
    }

    // `direction`: the one agreed in SDP, from our side. Holding, we have no music on hold to
    // send and do not listen, whatever the SDP says (as JsSIP mutes its tracks on hold).
    void applyDirection(const std::string &direction) {
        localDirection_ = direction;
        bool sending = !muted_ && !held_ && (direction == "sendrecv" || direction == "sendonly");
        bool receiving = !held_ && (direction == "sendrecv" || direction == "recvonly");
        // Muting sends silence (as a browser's disabled track does): RTP keeps flowing.
        if (sendVolume_) g_object_set(sendVolume_, "mute", !sending, nullptr);
        if (remoteMixerPad_) g_object_set(remoteMixerPad_.get(), "mute", !receiving, nullptr);
    }

    void fail(MediaError error, const std::string &detail) {
        if (closed_ || failed_) return;
        failed_ = true;
        destroySource(gatherTimer_);
        destroySource(connectTimer_);
        if (callbacks_.onError) callbacks_.onError(error, detail);
    }

    void failLater(MediaError error, const std::string &detail) {
        poster_->post([error, detail](WebRtcSession &s) { s.fail(error, detail); });
    }

    void warnLater(const std::string &key, const std::string &arg) {
        poster_->post([key, arg](WebRtcSession &s) {
            if (!s.closed_ && s.callbacks_.onWarning) s.callbacks_.onWarning(key, arg);
        });
    }

    // ---- teardown -------------------------------------------------------------------------

    // EOS into the recording branch, then wait (bounded) until wavenc has rewritten the header.
    // Returns false when no audio ever reached the recorder (closed within the mixer latency):
    // wavenc would then write a header without a stream, so the caller writes an empty WAV.
    bool finishRecording() {
        if (!recorderInput_ || !eosLatch_) return true;
        GstEvent *started = gst_pad_get_sticky_event(recorderInput_.get(), GST_EVENT_STREAM_START, 0);
        if (!started) return false;
        gst_event_unref(started);
        // Nothing may follow the EOS into the file: wavenc has then written the final header.
        gst_pad_add_probe(recorderInput_.get(), GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                          [](GstPad *, GstPadProbeInfo *, gpointer) { return GST_PAD_PROBE_DROP; }, nullptr, nullptr);
        gst_pad_send_event(recorderInput_.get(), gst_event_new_eos());
        std::unique_lock<std::mutex> lock(eosLatch_->mutex);
        return eosLatch_->done.wait_for(lock, kRecordingEosWait, [this] { return eosLatch_->reached; });
    }

    // The one cleanup path: stop, drop every hook, release every reference.
    void teardownPipeline() {
        if (pipeline_) gst_element_set_state(pipeline_.get(), GST_STATE_NULL);
        if (busWatch_) {
            g_source_destroy(busWatch_);
            g_source_unref(busWatch_);
            busWatch_ = nullptr;
        }
        if (pipeline_) {
            GstBus *bus = gst_pipeline_get_bus(GST_PIPELINE(pipeline_.get()));
            gst_bus_set_flushing(bus, TRUE);  // drops queued messages and the refs they hold
            gst_object_unref(bus);
        }
        for (gulong id : handlers_) g_signal_handler_disconnect(webrtc_, id);
        handlers_.clear();
        recorderInput_.reset();
        remoteMixerPad_.reset();
        transceiver_.reset();
        webrtc_ = sendVolume_ = payloader_ = nullptr;
        pipeline_.reset();
    }

    static void destroySource(GSource *&source) {
        if (!source) return;
        g_source_destroy(source);
        g_source_unref(source);
        source = nullptr;
    }

    GMainContext *context_;  // owned reference
    MediaOptions options_;
    MediaSession::Callbacks callbacks_;
    std::unique_ptr<Poster> poster_;

    GstRef<GstElement> pipeline_;
    GstElement *webrtc_ = nullptr;      // owned by pipeline_
    GstElement *sendVolume_ = nullptr;  // owned by pipeline_
    GstElement *payloader_ = nullptr;   // owned by pipeline_
    GstRef<GstWebRTCRTPTransceiver> transceiver_;
    GstRef<GstPad> remoteMixerPad_;
    GstRef<GstPad> recorderInput_;
    std::shared_ptr<EosLatch> eosLatch_;
    std::vector<gulong> handlers_;      // on webrtc_
    GSource *busWatch_ = nullptr;       // owned references, attached to context_
    GSource *gatherTimer_ = nullptr;
    GSource *connectTimer_ = nullptr;
    GSource *closeGraceTimer_ = nullptr;
    int outstandingRequests_ = 0;                       // promises webrtcbin has not answered
    std::shared_ptr<WebRtcSession> keepAliveUntilIdle_; // closed, waiting for those answers
    static constexpr guint kCloseGraceMs = 1000;

    IceCandidateWait ice_;
    Role role_ = Role::None;
    std::string baseLocalSdp_;          // webrtcbin's description, before our fix-ups
    std::string setupRole_;             // our DTLS role once negotiated (active/passive)
    std::string remoteUfrag_;
    std::string localDirection_ = "sendrecv";  // agreed in SDP
    std::string offeredDirection_;             // of our re-offer awaiting its answer
    unsigned long long sdpVersion_ = 0;
    bool evaluationQueued_ = false;
    bool remoteApplied_ = false;
    bool descriptionSent_ = false;
    bool reofferPending_ = false;
    bool answerPending_ = false;        // the peer's first answer is being applied
    std::vector<std::function<void(WebRtcSession &)>> afterAnswer_;  // re-offers waiting for it
    bool connected_ = false;
    bool muted_ = false;
    bool held_ = false;
    bool failed_ = false;
    bool closed_ = false;
};

// The MediaSession handed to sessions: owns the only strong reference, so tasks still queued
// for a destroyed session find it gone and are dropped.
class WebRtcMedia final : public MediaSession {
public:
    explicit WebRtcMedia(std::shared_ptr<WebRtcSession> session) : session_(std::move(session)) {}
    ~WebRtcMedia() override { session_->close(); }
    void createOffer() override { session_->createOffer(); }
    void acceptOffer(const std::string &sdp) override { session_->acceptOffer(sdp); }
    void acceptAnswer(const std::string &sdp) override { session_->acceptAnswer(sdp); }
    void createReoffer(const std::string &direction) override { session_->createReoffer(direction); }
    void acceptReoffer(const std::string &sdp) override { session_->acceptReoffer(sdp); }
    void setMuted(bool muted) override { session_->setMuted(muted); }
    void setHeld(bool held) override { session_->setHeld(held); }
    void close() override { session_->close(); }

private:
    std::shared_ptr<WebRtcSession> session_;
};

}  // namespace

std::unique_ptr<MediaSession> createWebRtcMedia(GMainContext *loop, const MediaOptions &options,
                                                MediaSession::Callbacks callbacks) {
    ensureGstInitialized();
    auto session = std::make_shared<WebRtcSession>(loop, options, std::move(callbacks));
    session->start();
    return std::make_unique<WebRtcMedia>(std::move(session));
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
        // Loads every plugin a call uses, and makes the DTLS elements generate the process-wide
        // default certificate now rather than during the first call.
        for (const char *factory : {"webrtcbin", "dtlsdec", "dtlsenc", "nicesrc", "nicesink",
                                    "opusenc", "opusdec", "rtpopuspay", "rtpopusdepay",
                                    "audiomixer", "audiotestsrc", "wavenc", "volume"}) {
            if (GstElement *e = gst_element_factory_make(factory, nullptr))
                gst_object_unref(gst_object_ref_sink(e));
        }
    });
}

}  // namespace sipw
