// The WebRTC media profile: one GStreamer pipeline with a webrtcbin per call.
//
//   source bin → audioconvert → audioresample → 48k mono → input-selector → volume(mute) → tee
//       → opusenc → rtpopuspay → rtpdtmfmux (sink) → webrtcbin
//   a played file (CALL_PLAY): live silence + decoded file → audiomixer → input-selector (sink_1)
//   rtpdtmfsrc (RFC 4733 telephone-event, 48 kHz) → rtpdtmfmux (priority sink)
//   webrtcbin → rtpopusdepay → opusdec → audioconvert → audioresample → tee ─┐
//   live silence ───────────────────────────────────────────────────── audiomixer → sink bin
//   webrtcbin (telephone-event pad) → rtpdtmfdepay → fakesink   (events read from the RTP payload)
//   a recording (RECORD): live silence + queue(s) from the tees → audiomixer → wavenc → filesink
//
// The mixer, clocked by the live silence, turns every stretch without received audio (before
// media flows, hold, loss) into silence, so a recording lasts as long as the call.
#include "media/media_factory.hpp"

#include "media/audio_bins.hpp"
#include "media/gst_ref.hpp"
#include "media/ice_strategy.hpp"
#include "base/loop_post.hpp"
#include "base/one_shot_timer.hpp"
#include "media/rfc4733.hpp"
#include "media/sdp_identity.hpp"
#include "media/sdp_util.hpp"
#include "media/webrtc_stats.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sipw {
namespace {

constexpr int kOpusPayload = 111;          // what browsers use
constexpr int kTelephoneEventPayload = 101;  // our offer's RFC 4733 payload type
constexpr int kTelephoneEventRate = 48000;   // beside Opus, at Opus's clock rate
// rtpdtmfsrc reports each start/stop within a packet time; no report means it is not running.
constexpr guint kDtmfStepTimeoutMs = 2000;
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

// What webrtcbin's receive pads lead to (user data of pad-added, owned by the handler).
struct ReceiveBranches {
    GstElement *audio;  // rtpopusdepay
    GstElement *dtmf;   // rtpdtmfdepay
};

bool isTelephoneEvent(GstCaps *caps) {
    if (!caps || gst_caps_is_empty(caps)) return false;
    const char *name = gst_structure_get_string(gst_caps_get_structure(caps, 0), "encoding-name");
    return name && g_ascii_strcasecmp(name, "TELEPHONE-EVENT") == 0;
}

// webrtcbin exposes one receive pad per payload type once packets of that type arrive: Opus
// feeds the audio depayloader, telephone-event (RFC 4733) the DTMF one. Both were built with
// the pipeline, so this (a streaming thread) only links.
void onWebrtcPadAdded(GstElement *, GstPad *pad, gpointer branchesPtr) {
    if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
    auto *branches = static_cast<ReceiveBranches *>(branchesPtr);
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps) caps = gst_pad_query_caps(pad, nullptr);
    GstElement *target = isTelephoneEvent(caps) ? branches->dtmf : branches->audio;
    if (caps) gst_caps_unref(caps);
    GstPad *sink = gst_element_get_static_pad(target, "sink");
    if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
    gst_object_unref(sink);
}

void freeReceiveBranches(gpointer p, GClosure *) {
    auto *branches = static_cast<ReceiveBranches *>(p);
    gst_object_unref(branches->audio);
    gst_object_unref(branches->dtmf);
    delete branches;
}

// A caps event of rtpdtmfsrc's stream, forwarded by rtpdtmfmux, must not reach webrtcbin: it
// would take telephone-event for the transceiver's codec. The payload type goes into the SDP
// as text instead (sdp::withTelephoneEvent).
GstPadProbeReturn dropTelephoneEventCaps(GstPad *, GstPadProbeInfo *info, gpointer) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
    GstCaps *caps = nullptr;
    gst_event_parse_caps(event, &caps);
    return isTelephoneEvent(caps) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

// webrtcbin builds an offer from the caps its sink pad received, or, before any arrived, from a
// caps query to its peer. Asked, rtpdtmfmux answers with what both its inputs could send, which
// does not intersect the Opus codec preferences ("Caps negotiation on pad sink_0 failed"): so
// the mux's source answers that query with Opus, which is what webrtcbin's transceiver carries.
GstPadProbeReturn answerCapsQueryWithOpus(GstPad *, GstPadProbeInfo *info, gpointer) {
    GstQuery *query = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(query) != GST_QUERY_CAPS) return GST_PAD_PROBE_OK;
    GstCaps *filter = nullptr;
    gst_query_parse_caps(query, &filter);
    GstCaps *opus = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                        "encoding-name", G_TYPE_STRING, "OPUS", "clock-rate",
                                        G_TYPE_INT, 48000, nullptr);
    if (filter) {
        GstCaps *both = gst_caps_intersect_full(filter, opus, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(opus);
        opus = both;
    }
    gst_query_set_caps_result(query, opus);
    gst_caps_unref(opus);
    return GST_PAD_PROBE_HANDLED;
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
        offeredTelephoneEvent_ = remote.telephoneEventPayload;
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
        if (remote.telephoneEventPayload == kTelephoneEventPayload) useTelephoneEvent(kTelephoneEventPayload);
        if (remote.setup == "active") setupRole_ = "passive";
        else if (remote.setup == "passive") setupRole_ = "active";
        answerPending_ = true;
        appliedAnswer_ = remoteSdp;
        setRemote(remoteSdp, GST_WEBRTC_SDP_TYPE_ANSWER, Step::RemoteAnswerSet);
    }

    // A 2xx after an early 18x answer. webrtcbin 1.22 can neither take a second answer nor
    // restart ICE and DTLS, so the answer must keep the ICE session and the DTLS certificate of
    // the first; what may differ (the direction: a PBX sends early media "sendonly") is applied.
    std::string updateAnswer(const std::string &remoteSdp) {
        if (!usable()) return {};
        auto remote = sdp::inspectRemote(remoteSdp);
        std::string why = remote.unusableReason();
        if (!why.empty()) return why;
        if (appliedAnswer_.empty()) return "no earlier answer to update";
        if (!sdp::sameMediaEndpoint(appliedAnswer_, remoteSdp))
            return "the final answer moves the media to another endpoint (new ICE credentials, DTLS fingerprint or "
                   "codec), which webrtcbin 1.22 cannot follow";
        appliedAnswer_ = remoteSdp;
        applyDirection(sdp::answerDirection(remote.direction, held_ ? "sendonly" : "sendrecv"));
        return {};
    }

    MediaStats stats() const { return stats_; }

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

    bool telephoneEventNegotiated() const { return telephoneEventNegotiated_; }

    void sendDtmf(const std::string &tones, int durationMs, int gapMs) {
        if (!usable()) return;
        if (!telephoneEventNegotiated_)
            return dtmfFailedLater("the peer did not negotiate telephone-event (RFC 4733)");
        for (char tone : tones) {
            int code = dtmfEventCode(tone);
            if (code >= 0) dtmfQueue_.push_back({code, durationMs, gapMs});
        }
        if (dtmfStep_ == DtmfStep::Idle) nextDtmfTone();
    }

    void close() {
        if (closed_) return;
        // The final counters, read while the media still runs (webrtcbin answers on its thread).
        if (connected_ && webrtc_ && !failed_) {
            MediaStats last = readWebRtcStats(webrtc_, kFinalStatsWaitMs);
            if (last.valid) keepStats(last);
        }
        closed_ = true;
        statsTimer_.cancel();
        gatherTimer_.cancel();
        connectTimer_.cancel();
        dtmfTimer_.cancel();
        dtmfQueue_.clear();
        stopRecording();
        bool recorded = finishRecording();
        if (!recorded) writeEmptyRecording(options_.output.path);
        // Stopping webrtcbin while it still works on a description (the answer of a call hung
        // up at once) leaks libnice's agent with its sockets: measured, ~0.3 fds per such call.
        // So the pipeline (silent: callbacks are off) outlives us until webrtcbin has replied,
        // at most kCloseGraceMs.
        if (outstandingRequests_ > 0) keepAliveUntilIdle_ = weak_from_this().lock();
        if (!keepAliveUntilIdle_) return teardownPipeline();
        if (sendVolume_) g_object_set(sendVolume_, "mute", TRUE, nullptr);
        closeGraceTimer_.start(kCloseGraceMs, [this] { finishClose(); }, context_);
    }

    void finishClose() {
        closeGraceTimer_.cancel();
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
    static GstElement *liveSilence(std::string &error) {
        GstElement *silence = makeLiveSilence();
        if (!silence) error = "missing GStreamer element audiotestsrc";
        return silence;
    }

    static GstElement *liveMixer(GstClockTime latency, std::string &error) {
        GstElement *mixer = makeLiveMixer(latency);
        if (!mixer) error = "missing GStreamer element audiomixer";
        return mixer;
    }

    // Received audio arrives a jitterbuffer later than the live silence of a mixer.
    GstClockTime receivedAudioLatency() const {
        return (guint64(options_.jitterBufferMs) + kMixerMarginMs) * GST_MSECOND;
    }

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
        GstElement *mixer = liveMixer(receivedAudioLatency(), error);
        GstElement *silence = liveSilence(error);
        GstElement *silenceCaps = rawFilter(error);
        GstElement *outCaps = rawFilter(error);
        if (!addChain({silence, silenceCaps, mixer, outCaps, sinkBin}, error)) return false;
        GstPad *remotePad = gst_element_request_pad_simple(mixer, "sink_%u");  // transfer full
        GstPad *resampleSrc = gst_element_request_pad_simple(recvResample, "src_%u");  // a tee's
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
        inputSelector_ = make("input-selector", error);
        sendTee_ = make("tee", error);
        if (sendTee_) g_object_set(sendTee_, "allow-not-linked", TRUE, nullptr);
        if (!addChain({source.bin, make("audioconvert", error), make("audioresample", error),
                       sendCaps, inputSelector_, sendVolume_, sendTee_, encoder, payloader_},
                      error))
            return false;
        GstPad *configuredInput = gst_element_get_static_pad(inputSelector_, "sink_0");
        configuredInput_ = GstRef<GstPad>::adopt(configuredInput);
        GstElement *dtmfMux = make("rtpdtmfmux", error);
        dtmfSource_ = make("rtpdtmfsrc", error);
        if (dtmfSource_)  // three start and end packets, as RFC 4733 recommends for the end
            g_object_set(dtmfSource_, "pt", guint(kTelephoneEventPayload), "clock-rate",
                         guint(kTelephoneEventRate), "packet-redundancy", 3u, nullptr);
        if (!addChain({dtmfMux}, error) || !addChain({dtmfSource_}, error)) return false;
        // Opus into the mux's normal sink, DTMF into its priority sink (which mutes Opus while
        // a tone is sent), the mux into webrtcbin.
        if (!linkRequested(payloader_, "src", dtmfMux, "sink_%u") ||
            !linkRequested(dtmfSource_, "src", dtmfMux, "priority_sink_%u"))
            return error = "could not link the DTMF mux", false;
        GstPad *muxSrc = gst_element_get_static_pad(dtmfMux, "src");
        gst_pad_add_probe(muxSrc, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, dropTelephoneEventCaps, nullptr, nullptr);
        gst_pad_add_probe(muxSrc, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM, answerCapsQueryWithOpus, nullptr, nullptr);
        GstPad *sendPad = gst_element_request_pad_simple(webrtc_, "sink_%u");  // transfer full
        bool linked = sendPad && gst_pad_link(muxSrc, sendPad) == GST_PAD_LINK_OK;
        if (sendPad) {
            GstWebRTCRTPTransceiver *transceiver = nullptr;
            g_object_get(sendPad, "transceiver", &transceiver, nullptr);  // transfer full
            transceiver_ = GstRef<GstWebRTCRTPTransceiver>::adopt(transceiver);
            gst_object_unref(sendPad);
        }
        gst_object_unref(muxSrc);
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
        recvTee_ = make("tee", error);
        if (recvTee_) g_object_set(recvTee_, "allow-not-linked", TRUE, nullptr);
        if (!addChain({depayloader, decoder, decodedCaps, make("audioconvert", error), recvResample, recvTee_}, error))
            return false;

        // Received DTMF: depayloaded into nothing; the events are read from the packets.
        GstElement *dtmfDepayloader = make("rtpdtmfdepay", error);
        GstElement *dtmfSink = make("fakesink", error);
        if (dtmfSink) g_object_set(dtmfSink, "sync", FALSE, "async", FALSE, nullptr);
        if (!addChain({dtmfDepayloader, dtmfSink}, error)) return false;
        GstPad *dtmfIn = gst_element_get_static_pad(dtmfDepayloader, "sink");
        gst_pad_add_probe(dtmfIn, GST_PAD_PROBE_TYPE_BUFFER, &WebRtcSession::onDtmfPacket,
                          new DtmfProbe{*poster_, {}, 8000}, [](gpointer p) { delete static_cast<DtmfProbe *>(p); });
        gst_object_unref(dtmfIn);

        // Output: live silence mixed with what is received. Everything below is made in one go
        // and handed to addChain, which owns it from then on (also on failure).
        AudioBin sink = makeAudioSink(options_.output);
        if (!sink.bin) return error = sink.error, false;
        if (sink.noDevice) warnLater("no_sound_device", "output");
        if (!linkOutput(recvTee_, sink, error)) return false;

        // Hooks: every one posts to the loop; their user data are owned by GLib (destroy notify).
        handlers_.push_back(g_signal_connect_data(
            webrtc_, "pad-added", G_CALLBACK(onWebrtcPadAdded),
            new ReceiveBranches{GST_ELEMENT(gst_object_ref(depayloader)), GST_ELEMENT(gst_object_ref(dtmfDepayloader))},
            freeReceiveBranches, GConnectFlags(0)));
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

    // Links `from`'s static pad to a new request pad of `to` (the pipeline owns both pads).
    static bool linkRequested(GstElement *from, const char *srcName, GstElement *to, const char *templateName) {
        GstPad *src = gst_element_get_static_pad(from, srcName);
        GstPad *sink = gst_element_request_pad_simple(to, templateName);  // transfer full
        bool linked = src && sink && gst_pad_link(src, sink) == GST_PAD_LINK_OK;
        if (src) gst_object_unref(src);
        if (sink) gst_object_unref(sink);
        return linked;
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
            gst_webrtc_session_description_free(local);
            // Telephone-event goes in as text, before set-local-description: webrtcbin takes
            // its payload map from the descriptions applied, and offers/answers only Opus.
            if (step == Step::OfferCreated || offeredTelephoneEvent_ >= 0)
                baseLocalSdp_ = sdp::withTelephoneEvent(baseLocalSdp_, step == Step::OfferCreated
                                                                           ? kTelephoneEventPayload
                                                                           : offeredTelephoneEvent_);
            if (step == Step::AnswerCreated) {
                setupRole_ = sdp::inspectRemote(baseLocalSdp_).setup;
                if (offeredTelephoneEvent_ >= 0) useTelephoneEvent(offeredTelephoneEvent_);
            }
            GstSDPMessage *message = nullptr;
            if (gst_sdp_message_new_from_text(baseLocalSdp_.c_str(), &message) != GST_SDP_OK || !message)
                return fail(MediaError::Internal, "our own description could not be parsed");
            local = gst_webrtc_session_description_new(
                step == Step::OfferCreated ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER, message);
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
        gatherTimer_.start(guint(std::max(0, options_.ice.gatheringTimeoutMs)), [this] { onGatheringDeadline(); },
                           context_);
    }

    void onGatheringDeadline() {
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
        gatherTimer_.cancel();
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
        if (connectTimer_.active() || connected_ || !descriptionSent_ || !remoteApplied_) return;
        connectTimer_.start(guint(std::max(1000, options_.connectTimeoutMs)), [this] {
            if (!connected_)
                fail(MediaError::IceFailed,
                     "no media connection (ICE/DTLS) within " + std::to_string(options_.connectTimeoutMs / 1000) + " s");
        }, context_);
    }

    // Our last description with every candidate gathered since, a new direction and version.
    std::string cachedDescription(const std::string &direction, bool forAnswer) {
        std::string text = sdp::withCandidates(baseLocalSdp_, ice_.candidates(), ice_.gatheringComplete());
        text = sdp::withDirectionAndVersion(text, direction, ++sdpVersion_);
        // An answer keeps our DTLS role; an offer says actpass (RFC 5763 §5), and the peer keeps
        // its role in the answer (RFC 8842 §5.3: no new DTLS association), as ours is fixed.
        if (!forAnswer) text = sdp::withSetupRole(text, "actpass");
        else if (!setupRole_.empty() && setupRole_ != "actpass") text = sdp::withSetupRole(text, setupRole_);
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
            connectTimer_.cancel();
            scheduleStats();
            if (callbacks_.onConnected) callbacks_.onConnected();
        }
    }

    // ---- statistics -----------------------------------------------------------------------

    void scheduleStats() {
        statsTimer_.start(kStatsIntervalMs, [this] {
            if (closed_ || failed_ || !webrtc_) return;
            Poster poster(*poster_);
            requestWebRtcStats(webrtc_, [poster](const MediaStats &stats) {
                poster.post([stats](WebRtcSession &s) { s.onStats(stats); });
            });
        }, context_);
    }

    void onStats(const MediaStats &stats) {
        if (closed_ || failed_) return;
        if (stats.valid) {
            keepStats(stats);
            if (callbacks_.onStats) callbacks_.onStats(stats_);
        }
        scheduleStats();
    }

    void keepStats(const MediaStats &stats) {
        std::string codec = stats.codec.empty() ? stats_.codec : stats.codec;
        stats_ = stats;
        stats_.codec = codec.empty() ? "opus" : codec;
    }

    // Bus watch on the loop context (a sync handler returning DROP leaks whole pipelines).
    void recalculateLatency() {
        if (pipeline_ && !closed_) gst_bin_recalculate_latency(GST_BIN(pipeline_.get()));
    }

    static gboolean onBusMessage(GstBus *, GstMessage *message, gpointer posterPtr) {
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT &&
            gst_message_has_name(message, "dtmf-event-processed")) {
            gboolean start = FALSE;
            gst_structure_get_boolean(gst_message_get_structure(message), "start", &start);
            bool started = start;
            static_cast<Poster *>(posterPtr)->post([started](WebRtcSession &s) { s.onDtmfProcessed(started); });
            return G_SOURCE_CONTINUE;
        }
        if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_LATENCY) {
            // The received stream is linked while playing, which changes the pipeline's latency.
            // Unless it is recomputed, the output mixer keeps the latency it had with only the
            // live silence, and received audio arriving a little behind (a loaded machine) is
            // dropped as late: a call silent in one direction.
            static_cast<Poster *>(posterPtr)->post([](WebRtcSession &s) { s.recalculateLatency(); });
            return G_SOURCE_CONTINUE;
        }
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
        gatherTimer_.cancel();
        connectTimer_.cancel();
        dtmfTimer_.cancel();
        dtmfQueue_.clear();
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

public:
    // ---- recording (RECORD) ----------------------------------------------------------------

    bool startRecording(const std::string &path, MediaSession::RecordWhat what, std::string &error) {
        if (!usable()) return error = "the call has no media", false;
        stopRecording();
        auto rec = std::make_unique<Recorder>();
        rec->path = path;
        GstElement *silence = liveSilence(error), *silenceCaps = rawFilter(error);
        GstElement *mixer = liveMixer(receivedAudioLatency(), error), *outCaps = rawFilter(error);
        AudioEndpoint file;
        file.kind = AudioEndpoint::Kind::File;
        file.path = path;
        AudioBin sink = makeAudioSink(file);
        if (!sink.bin && error.empty()) error = sink.error;
        if (!addChain({silence, silenceCaps, mixer, outCaps, sink.bin}, error)) return false;
        rec->elements = {silence, silenceCaps, mixer, outCaps, sink.bin};
        rec->input = GstRef<GstPad>::adopt(gst_element_get_static_pad(sink.bin, "sink"));
        rec->latch = std::make_shared<EosLatch>();
        GstPad *fileSinkPad = gst_element_get_static_pad(sink.recorder, "sink");
        gst_pad_add_probe(fileSinkPad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, onRecorderEvent,
                          new std::shared_ptr<EosLatch>(rec->latch),
                          [](gpointer p) { delete static_cast<std::shared_ptr<EosLatch> *>(p); });
        gst_object_unref(fileSinkPad);
        std::vector<GstElement *> tees;
        if (what != MediaSession::RecordWhat::Sent) tees.push_back(recvTee_);
        if (what != MediaSession::RecordWhat::Received) tees.push_back(sendTee_);
        for (GstElement *tee : tees) {
            GstElement *queue = make("queue", error);
            if (!addChain({queue}, error)) return false;
            rec->elements.push_back(queue);
            GstPad *teeSrc = gst_element_request_pad_simple(tee, "src_%u");
            GstPad *queueSink = gst_element_get_static_pad(queue, "sink");
            bool linked = gst_pad_link(teeSrc, queueSink) == GST_PAD_LINK_OK && gst_element_link(queue, mixer);
            gst_object_unref(queueSink);
            rec->teePads.push_back({GstRef<GstElement>::adopt(GST_ELEMENT(gst_object_ref(tee))), GstRef<GstPad>::adopt(teeSrc)});
            if (!linked) {
                recorder_ = std::move(rec);
                stopRecording();
                return error = "could not link the recorder", false;
            }
        }
        for (GstElement *e : rec->elements) gst_element_sync_state_with_parent(e);
        recorder_ = std::move(rec);
        return true;
    }

    // Detaches the recorder from the tees, ends its file (wavenc rewrites the header) and removes it.
    void stopRecording() {
        if (!recorder_ || !pipeline_) return;
        auto rec = std::move(recorder_);
        for (auto &[tee, pad] : rec->teePads) {
            if (GstPad *peer = gst_pad_get_peer(pad.get())) {
                gst_pad_unlink(pad.get(), peer);
                gst_object_unref(peer);
            }
            gst_element_release_request_pad(tee.get(), pad.get());
        }
        GstEvent *started = gst_pad_get_sticky_event(rec->input.get(), GST_EVENT_STREAM_START, 0);
        bool wrote = false;
        if (started) {
            gst_event_unref(started);
            gst_pad_send_event(rec->input.get(), gst_event_new_eos());
            std::unique_lock<std::mutex> lock(rec->latch->mutex);
            wrote = rec->latch->done.wait_for(lock, kRecordingEosWait, [&] { return rec->latch->reached; });
        }
        for (GstElement *e : rec->elements) {
            gst_element_set_state(e, GST_STATE_NULL);
            gst_bin_remove(GST_BIN(pipeline_.get()), e);
        }
        if (!wrote) writeEmptyRecording(rec->path);
    }

    // ---- a file instead of the input (CALL_PLAY) ---------------------------------------------

    bool playFile(const std::string &source, bool loop, std::string &error) {
        if (!usable()) return error = "the call has no media", false;
        stopPlayingFile();
        GstElement *silence = liveSilence(error), *silenceCaps = rawFilter(error);
        GstElement *mixer = liveMixer(0, error), *outCaps = rawFilter(error);
        GstElement *bin = gst_bin_new(nullptr);
        for (GstElement *e : {silence, silenceCaps, mixer, outCaps}) {
            if (!e) {
                for (GstElement *o : {silence, silenceCaps, mixer, outCaps})
                    if (o) gst_object_unref(gst_object_ref_sink(o));
                gst_object_unref(gst_object_ref_sink(bin));
                return false;
            }
        }
        gst_bin_add_many(GST_BIN(bin), silence, silenceCaps, mixer, outCaps, nullptr);
        gst_element_link_many(silence, silenceCaps, mixer, outCaps, nullptr);
        GstPad *out = gst_element_get_static_pad(outCaps, "src");
        gst_element_add_pad(bin, gst_ghost_pad_new("src", out));
        gst_object_unref(out);
        gst_bin_add(GST_BIN(pipeline_.get()), bin);
        fileInputBin_ = bin;
        fileMixer_ = mixer;
        fileSource_ = source;
        fileLoop_ = loop;
        if (!addDecodedFile(error)) {
            stopPlayingFile();
            return false;
        }
        GstPad *selectorPad = gst_element_request_pad_simple(inputSelector_, "sink_%u");
        fileInput_ = GstRef<GstPad>::adopt(selectorPad);
        GstPad *binSrc = gst_element_get_static_pad(bin, "src");
        bool linked = gst_pad_link(binSrc, selectorPad) == GST_PAD_LINK_OK;
        gst_object_unref(binSrc);
        if (!linked) {
            stopPlayingFile();
            return error = "could not link the file to the call", false;
        }
        gst_element_sync_state_with_parent(bin);
        g_object_set(inputSelector_, "active-pad", selectorPad, nullptr);
        return true;
    }

    void stopPlayingFile() {
        if (!fileInputBin_ || !pipeline_) return;
        if (configuredInput_) g_object_set(inputSelector_, "active-pad", configuredInput_.get(), nullptr);
        gst_element_set_state(fileInputBin_, GST_STATE_NULL);
        if (fileInput_) {
            gst_element_release_request_pad(inputSelector_, fileInput_.get());
            fileInput_.reset();
        }
        file_ = MixedFile();  // goes with the bin
        gst_bin_remove(GST_BIN(pipeline_.get()), fileInputBin_);
        fileInputBin_ = fileMixer_ = nullptr;
    }

private:
    // ---- DTMF (RFC 4733) -------------------------------------------------------------------

    // The payload type both sides agreed on; rtpdtmfsrc sends with it from now on.
    void useTelephoneEvent(int payloadType) {
        telephoneEventNegotiated_ = true;
        if (dtmfSource_) g_object_set(dtmfSource_, "pt", guint(payloadType), nullptr);
    }

    // One tone at a time: start → (processed) → duration → stop → (processed) → gap → next.
    // rtpdtmfsrc reports each step with a dtmf-event-processed message; waiting for it keeps
    // the digits in order and whole (it enforces 250 ms tones and 100 ms gaps itself).
    void nextDtmfTone() {
        dtmfTimer_.cancel();
        if (dtmfQueue_.empty()) {
            dtmfStep_ = DtmfStep::Idle;
            return;
        }
        currentTone_ = dtmfQueue_.front();
        dtmfQueue_.pop_front();
        dtmfStep_ = DtmfStep::Starting;
        if (!sendDtmfEvent(true)) return dtmfFailed("rtpdtmfsrc refused the start of a tone");
        armDtmfTimer(kDtmfStepTimeoutMs);
    }

    void onDtmfProcessed(bool started) {
        if (closed_ || failed_) return;
        if (started && dtmfStep_ == DtmfStep::Starting) {
            dtmfStep_ = DtmfStep::Playing;
            armDtmfTimer(guint(currentTone_.durationMs));
        } else if (!started && dtmfStep_ == DtmfStep::Stopping) {
            dtmfStep_ = DtmfStep::Pausing;
            armDtmfTimer(guint(currentTone_.gapMs));
        }
    }

    void onDtmfTimer() {
        dtmfTimer_.cancel();
        switch (dtmfStep_) {
        case DtmfStep::Playing:
            dtmfStep_ = DtmfStep::Stopping;
            if (!sendDtmfEvent(false)) return dtmfFailed("rtpdtmfsrc refused the end of a tone");
            armDtmfTimer(kDtmfStepTimeoutMs);
            break;
        case DtmfStep::Pausing:
            nextDtmfTone();
            break;
        case DtmfStep::Starting:
        case DtmfStep::Stopping:
            dtmfFailed("rtpdtmfsrc did not process a DTMF event (is media flowing?)");
            break;
        case DtmfStep::Idle:
            break;
        }
    }

    // gst_element_send_event on rtpdtmfsrc returns FALSE and sends nothing; its src pad takes it.
    bool sendDtmfEvent(bool start) {
        if (!dtmfSource_) return false;
        GstStructure *s = gst_structure_new("dtmf-event", "type", G_TYPE_INT, 1, "number", G_TYPE_INT,
                                            currentTone_.code, "volume", G_TYPE_INT, 10, "start",
                                            G_TYPE_BOOLEAN, start, nullptr);
        GstPad *src = gst_element_get_static_pad(dtmfSource_, "src");
        bool sent = gst_pad_send_event(src, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
        gst_object_unref(src);
        return sent;
    }

    void armDtmfTimer(guint ms) {
        dtmfTimer_.start(ms, [this] { onDtmfTimer(); }, context_);
    }

    void dtmfFailed(const std::string &detail) {
        dtmfTimer_.cancel();
        dtmfQueue_.clear();
        dtmfStep_ = DtmfStep::Idle;
        if (!closed_ && callbacks_.onDtmfFailed) callbacks_.onDtmfFailed(detail);
    }

    void dtmfFailedLater(const std::string &detail) {
        poster_->post([detail](WebRtcSession &s) {
            if (!s.closed_ && s.callbacks_.onDtmfFailed) s.callbacks_.onDtmfFailed(detail);
        });
    }

    // Buffer probe on rtpdtmfdepay's sink (streaming thread): rtpdtmfdepay's own messages
    // carry no duration, so the packets are read (TelephoneEventReader) and each event posted.
    struct DtmfProbe {
        Poster poster;
        TelephoneEventReader reader;
        int clockRate = 8000;
    };
    static GstPadProbeReturn onDtmfPacket(GstPad *pad, GstPadProbeInfo *info, gpointer probePtr) {
        auto *probe = static_cast<DtmfProbe *>(probePtr);
        if (GstCaps *caps = gst_pad_get_current_caps(pad)) {
            gst_structure_get_int(gst_caps_get_structure(caps, 0), "clock-rate", &probe->clockRate);
            gst_caps_unref(caps);
        }
        GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
        if (!gst_rtp_buffer_map(GST_PAD_PROBE_INFO_BUFFER(info), GST_MAP_READ, &rtp)) return GST_PAD_PROBE_OK;
        auto events = probe->reader.onPacket(gst_rtp_buffer_get_timestamp(&rtp),
                                             static_cast<const uint8_t *>(gst_rtp_buffer_get_payload(&rtp)),
                                             gst_rtp_buffer_get_payload_len(&rtp), probe->clockRate);
        gst_rtp_buffer_unmap(&rtp);
        for (const TelephoneEvent &e : events) {
            probe->poster.post([e](WebRtcSession &s) {
                if (!s.closed_ && s.callbacks_.onDtmf) s.callbacks_.onDtmf(e.tone, e.durationMs);
            });
        }
        return GST_PAD_PROBE_OK;
    }

    // A fresh decoder of fileSource_ on a new pad of the file mixer (see addMixedFile).
    bool addDecodedFile(std::string &error) {
        auto onEnd = [poster = *poster_] { poster.post([](WebRtcSession &s) { s.onDecodedFileEnded(); }); };
        return addMixedFile(fileSource_, fileInputBin_, fileMixer_, onEnd, file_, error);
    }

    void onDecodedFileEnded() {
        if (closed_ || !fileInputBin_ || !file_.decoder) return;
        if (!fileLoop_) {
            if (callbacks_.onPlayFileEnded) callbacks_.onPlayFileEnded();
            return;  // the live silence goes on until stopPlayingFile
        }
        removeMixedFile(fileInputBin_, fileMixer_, file_);
        std::string error;
        if (!addDecodedFile(error) && callbacks_.onPlayFileEnded) callbacks_.onPlayFileEnded();
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
        configuredInput_.reset();
        fileInput_.reset();
        if (recorder_) recorder_->elements.clear();
        recorder_.reset();
        webrtc_ = sendVolume_ = payloader_ = dtmfSource_ = inputSelector_ = sendTee_ = recvTee_ = nullptr;
        fileMixer_ = fileInputBin_ = nullptr;
        file_ = MixedFile();
        pipeline_.reset();
    }

    GMainContext *context_;  // owned reference
    MediaOptions options_;
    MediaSession::Callbacks callbacks_;
    std::unique_ptr<Poster> poster_;

    GstRef<GstElement> pipeline_;
    GstElement *webrtc_ = nullptr;      // owned by pipeline_
    GstElement *sendVolume_ = nullptr;  // owned by pipeline_
    GstElement *payloader_ = nullptr;   // owned by pipeline_
    GstElement *dtmfSource_ = nullptr;  // owned by pipeline_: rtpdtmfsrc
    GstElement *inputSelector_ = nullptr;  // owned by pipeline_: configured input or a file
    GstElement *sendTee_ = nullptr;     // owned by pipeline_: what is sent, for recordings
    GstElement *recvTee_ = nullptr;     // owned by pipeline_: what is received, for recordings
    GstRef<GstPad> configuredInput_;    // input-selector's pad of the configured input
    // CALL_PLAY: a bin (live silence + decoded file → mixer) on input-selector's fileInput_.
    GstElement *fileInputBin_ = nullptr;  // owned by pipeline_
    GstElement *fileMixer_ = nullptr;     // owned by fileInputBin_
    MixedFile file_;                      // this round of the file, in fileInputBin_
    GstRef<GstPad> fileInput_;
    std::string fileSource_;
    bool fileLoop_ = false;
    // RECORD: elements added to pipeline_, fed by request pads of the tees.
    struct Recorder {
        std::string path;
        std::vector<GstElement *> elements;  // owned by pipeline_
        std::vector<std::pair<GstRef<GstElement>, GstRef<GstPad>>> teePads;
        GstRef<GstPad> input;  // the WAV sink bin's pad
        std::shared_ptr<EosLatch> latch;
    };
    std::unique_ptr<Recorder> recorder_;
    GstRef<GstWebRTCRTPTransceiver> transceiver_;
    GstRef<GstPad> remoteMixerPad_;
    GstRef<GstPad> recorderInput_;
    std::shared_ptr<EosLatch> eosLatch_;
    std::vector<gulong> handlers_;      // on webrtc_
    GSource *busWatch_ = nullptr;       // owned references, attached to context_
    OneShotTimer gatherTimer_;
    OneShotTimer connectTimer_;
    OneShotTimer closeGraceTimer_;
    OneShotTimer statsTimer_;
    MediaStats stats_;
    std::string appliedAnswer_;          // outgoing: the peer's answer in use (updateAnswer compares)
    int outstandingRequests_ = 0;                       // promises webrtcbin has not answered
    std::shared_ptr<WebRtcSession> keepAliveUntilIdle_; // closed, waiting for those answers
    static constexpr guint kCloseGraceMs = 1000;
    static constexpr guint kStatsIntervalMs = 1000;  // live statistics (sipw_session_info "stats")
    static constexpr int kFinalStatsWaitMs = 300;    // the last reading as the call ends

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
    // DTMF: the peer's offered telephone-event/48000 payload type (-1: none), and sending.
    enum class DtmfStep { Idle, Starting, Playing, Stopping, Pausing };
    struct PendingTone {
        int code = 0;
        int durationMs = 0;
        int gapMs = 0;
    };
    int offeredTelephoneEvent_ = -1;
    bool telephoneEventNegotiated_ = false;
    std::deque<PendingTone> dtmfQueue_;
    PendingTone currentTone_;
    DtmfStep dtmfStep_ = DtmfStep::Idle;
    OneShotTimer dtmfTimer_;
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
    bool telephoneEventNegotiated() const override { return session_->telephoneEventNegotiated(); }
    bool startRecording(const std::string &path, RecordWhat what, std::string &error) override {
        return session_->startRecording(path, what, error);
    }
    void stopRecording() override { session_->stopRecording(); }
    bool playFile(const std::string &source, bool loop, std::string &error) override {
        return session_->playFile(source, loop, error);
    }
    void stopPlayingFile() override { session_->stopPlayingFile(); }
    void sendDtmf(const std::string &tones, int durationMs, int gapMs) override {
        session_->sendDtmf(tones, durationMs, gapMs);
    }
    void close() override { session_->close(); }
    std::string updateAnswer(const std::string &sdp) override { return session_->updateAnswer(sdp); }
    MediaStats stats() const override { return session_->stats(); }

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
