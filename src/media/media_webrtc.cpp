// The WebRTC media profile: the shared call pipeline (call_media.hpp) sent and received through a
// webrtcbin: ICE, DTLS-SRTP, BUNDLE, rtcp-mux; opus, G722, PCMU or PCMA.
//
//   ... rtpdtmfmux → webrtcbin (sink_0; its transceiver's codec preferences: what we offer)
//   webrtcbin (a pad per received payload type) → CallMedia::linkReceivedPad
//
// SIP carries no trickle ICE: our description waits for candidates (IceCandidateWait) and is
// fixed up as text (sdp_util.hpp) before it goes out. Hold/resume re-offers are answered from
// the cached description without renegotiating webrtcbin.
#include "media/call_media.hpp"
#include "media/ice_strategy.hpp"
#include "media/inline_jitter_buffer.hpp"
#include "media/local_addresses.hpp"
#include "media/media_factory.hpp"
#include "media/media_runtime.hpp"
#include "media/remote_sdp.hpp"
#include "media/sdp_identity.hpp"
#include "media/sdp_util.hpp"
#include "media/webrtc_stats.hpp"

#define GST_USE_UNSTABLE_API
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>

#include <cstring>

namespace sipw {
namespace {

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

// A caps event of rtpdtmfsrc's stream, forwarded by rtpdtmfmux, must not reach webrtcbin: it
// would take telephone-event for the transceiver's codec. The payload type goes into the SDP
// as text instead (sdp::withTelephoneEvent).
GstPadProbeReturn dropTelephoneEventCaps(GstPad *, GstPadProbeInfo *info, gpointer) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
    GstCaps *caps = nullptr;
    gst_event_parse_caps(event, &caps);
    return isTelephoneEventCaps(caps) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

// webrtcbin builds an offer from the caps its sink pad received, or, before any arrived, from a
// caps query to its peer. Asked, rtpdtmfmux answers with what both its inputs could send, which
// does not intersect the codec preferences ("Caps negotiation on pad sink_0 failed"): so the
// mux's source answers that query with the transceiver's codec preferences (user data).
GstPadProbeReturn answerCapsQueryWithPreferences(GstPad *, GstPadProbeInfo *info, gpointer transceiver) {
    GstQuery *query = GST_PAD_PROBE_INFO_QUERY(info);
    if (GST_QUERY_TYPE(query) != GST_QUERY_CAPS) return GST_PAD_PROBE_OK;
    GstCaps *preferences = nullptr;
    g_object_get(transceiver, "codec-preferences", &preferences, nullptr);  // transfer full
    if (!preferences) return GST_PAD_PROBE_OK;
    GstCaps *filter = nullptr;
    gst_query_parse_caps(query, &filter);
    if (filter) {
        GstCaps *both = gst_caps_intersect_full(filter, preferences, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(preferences);
        preferences = both;
    }
    gst_query_set_caps_result(query, preferences);
    gst_caps_unref(preferences);
    return GST_PAD_PROBE_HANDLED;
}

// What a promise reply is for.
enum class Step { OfferCreated, AnswerCreated, LocalSet, RemoteOfferSet, RemoteAnswerSet };

class WebRtcSession final : public CallMedia {
public:
    WebRtcSession(GMainContext *context, const MediaOptions &options, MediaSession::Callbacks callbacks)
        : CallMedia(context, options, std::move(callbacks), MediaProfile::WebRtc),
          ice_(strategyOf(options.ice), stunCount(options.ice), turnCount(options.ice), options.ice.relayOnly) {}
    ~WebRtcSession() override { close(); }

    void createOffer() override {
        if (!usable()) return;
        if (role_ != Role::None) return failLater(MediaError::Internal, "createOffer called twice");
        role_ = Role::Offerer;
        std::string error;
        AudioCodec first = options().codecs.front();
        if (!useCodec(first, codecSpec(first).payloadType, error, /*agreed=*/false))
            return failLater(MediaError::Internal, error);
        request("create-offer", nullptr, Step::OfferCreated);
    }

    void acceptOffer(const std::string &remoteSdp) override {
        if (!usable()) return;
        if (role_ != Role::None)
            return failLater(MediaError::Internal, "acceptOffer on a session that already negotiated");
        role_ = Role::Answerer;
        auto remote = sdp::inspect(remoteSdp);
        std::string why = sdp::unusableReason(remote, MediaProfile::WebRtc, options().codecs);
        if (!why.empty()) return failLater(MediaError::IncompatibleSdp, why);
        remoteUfrag_ = remote.iceUfrag;
        auto choice = *sdp::chooseCodec(remote, options().codecs);
        // Our answer carries the offerer's most preferred codec we allow, at its payload type.
        GstCaps *preference = rtpCaps(codecSpec(choice.codec), choice.payloadType);
        g_object_set(transceiver_.get(), "codec-preferences", preference, nullptr);
        gst_caps_unref(preference);
        std::string error;
        if (!useCodec(choice.codec, choice.payloadType, error)) return failLater(MediaError::Internal, error);
        offeredTelephoneEvent_ = choice.telephoneEventPayload;
        setRemote(remoteSdp, GST_WEBRTC_SDP_TYPE_OFFER, Step::RemoteOfferSet);
    }

    std::string checkAnswer(const std::string &remoteSdp) const override {
        return sdp::unusableReason(sdp::inspect(remoteSdp), MediaProfile::WebRtc, options().codecs);
    }

    std::string refusalHint() const override { return "webrtc_offer_refused"; }

    void acceptAnswer(const std::string &remoteSdp) override {
        if (!usable()) return;
        auto remote = sdp::inspect(remoteSdp);
        std::string why = checkAnswer(remoteSdp);
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
        appliedAnswer_ = remoteSdp;
        answeredCodec_ = *sdp::chooseCodec(remote, options().codecs);
        // The codec we started with: agreed now. Another one: its encoder replaces ours once
        // webrtcbin has taken the answer (until then webrtcbin holds our stream inside its
        // input, and stopping the encoder would wait for it forever).
        if (codec() && codec()->codec == answeredCodec_.codec && !useAnsweredCodec()) return;
        if (remote.setup == "active") setupRole_ = "passive";
        else if (remote.setup == "passive") setupRole_ = "active";
        answerPending_ = true;
        setRemote(remoteSdp, GST_WEBRTC_SDP_TYPE_ANSWER, Step::RemoteAnswerSet);
    }

    // A 2xx after an early 18x answer. webrtcbin 1.22 can neither take a second answer nor
    // restart ICE and DTLS, so the answer must keep the ICE session, the DTLS certificate and the
    // codec of the first; what may differ (the direction: a PBX sends early media "sendonly") is
    // applied.
    std::string updateAnswer(const std::string &remoteSdp) override {
        if (!usable()) return {};
        std::string why = checkAnswer(remoteSdp);
        if (!why.empty()) return why;
        if (appliedAnswer_.empty()) return "no earlier answer to update";
        if (!sdp::sameMediaEndpoint(appliedAnswer_, remoteSdp))
            return "the final answer moves the media to another endpoint (new ICE credentials, DTLS fingerprint or "
                   "codec), which webrtcbin 1.22 cannot follow";
        appliedAnswer_ = remoteSdp;
        auto remote = sdp::inspect(remoteSdp);
        applyDirection(sdp::answerDirection(remote.direction, held() ? "sendonly" : "sendrecv"));
        return {};
    }

    void createReoffer(const std::string &direction) override {
        if (!usable()) return;
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
    void acceptReoffer(const std::string &remoteSdp) override {
        if (!usable()) return;
        auto remote = sdp::inspect(remoteSdp);
        std::string why = sdp::unusableReason(remote, MediaProfile::WebRtc, options().codecs);
        if (!why.empty()) return refuseLater(why);
        if (answerPending_) {
            afterAnswer_.push_back([remoteSdp](WebRtcSession &s) { s.acceptReoffer(remoteSdp); });
            return;
        }
        if (!descriptionSent_ || !remoteApplied_) return refuseLater("re-offer before the first offer/answer completed");
        if (remote.iceUfrag != remoteUfrag_) return refuseLater("ICE restart is not supported");
        std::string direction = sdp::answerDirection(remote.direction, held() ? "sendonly" : "sendrecv");
        applyDirection(direction);
        sendLater(cachedDescription(direction, /*forAnswer=*/true));
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

    // ---- building -------------------------------------------------------------------------

    bool buildTransport(std::string &error) override {
        IceCandidateWait::Strategy unused;
        if (!IceCandidateWait::parseStrategy(options().ice.strategy, unused))
            warnLater("ice_strategy_unknown", options().ice.strategy);
        webrtc_ = makeElement("webrtcbin", error);
        if (!webrtc_) return false;
        countUntilFinalized(webrtc_);
        gst_bin_add(GST_BIN(pipeline()), webrtc_);
        configureWebrtc();

        GstPad *sendPad = gst_element_request_pad_simple(webrtc_, "sink_%u");  // transfer full
        bool linked = sendPad && gst_pad_link(sendOutput(), sendPad) == GST_PAD_LINK_OK;
        if (sendPad) {
            GstWebRTCRTPTransceiver *transceiver = nullptr;
            g_object_get(sendPad, "transceiver", &transceiver, nullptr);  // transfer full
            transceiver_ = GstRef<GstWebRTCRTPTransceiver>::adopt(transceiver);
            gst_object_unref(sendPad);
        }
        if (!linked || !transceiver_) return error = "could not link audio to webrtcbin", false;
        // Our offer lists every codec we allow, most preferred first, and a packet time other
        // than the usual 20 ms (an "a-" field becomes an SDP attribute). Not in answers: there
        // webrtcbin intersects these caps with the offer's, and a different a=ptime would fail.
        GstCaps *preferences = gst_caps_new_empty();
        for (AudioCodec codec : options().codecs) {
            const CodecSpec &spec = codecSpec(codec);
            GstCaps *caps = rtpCaps(spec, spec.payloadType);
            if (options().ptimeMs != 20)
                gst_caps_set_simple(caps, "a-ptime", G_TYPE_STRING, std::to_string(options().ptimeMs).c_str(), nullptr);
            gst_caps_append(preferences, caps);
        }
        g_object_set(transceiver_.get(), "codec-preferences", preferences, nullptr);
        gst_caps_unref(preferences);
        gst_pad_add_probe(sendOutput(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, dropTelephoneEventCaps, nullptr, nullptr);
        gst_pad_add_probe(sendOutput(), GST_PAD_PROBE_TYPE_QUERY_UPSTREAM, answerCapsQueryWithPreferences,
                          gst_object_ref(transceiver_.get()), gst_object_unref);

        // Hooks: every one posts to the loop; their user data are owned by GLib (destroy notify).
        // Received pads are linked on the streaming thread that adds them, before data flows. The
        // session outlives them: its teardown stops the pipeline before anything is released.
        handlers_.push_back(g_signal_connect(webrtc_, "pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, gpointer self) {
            static_cast<WebRtcSession *>(self)->linkReceivedPad(pad);
        }), this));
        handlers_.push_back(g_signal_connect(webrtc_, "pad-removed", G_CALLBACK(+[](GstElement *, GstPad *pad, gpointer self) {
            static_cast<WebRtcSession *>(self)->unlinkReceivedPad(pad);
        }), this));
        connect("on-ice-candidate", G_CALLBACK(+[](GstElement *, guint, gchar *candidate, gpointer poster) {
            std::string line = candidate ? candidate : "";
            static_cast<Poster *>(poster)->post([line](CallMedia &m) { static_cast<WebRtcSession &>(m).onCandidate(line); });
        }));
        for (const char *property : {"notify::ice-gathering-state", "notify::ice-connection-state",
                                     "notify::connection-state"})
            connect(property, G_CALLBACK(+[](GstElement *, GParamSpec *, gpointer poster) {
                static_cast<Poster *>(poster)->post([](CallMedia &m) { static_cast<WebRtcSession &>(m).onStateChanged(); });
            }));
        return true;
    }

    void connect(const char *signal, GCallback callback) {
        handlers_.push_back(g_signal_connect_data(webrtc_, signal, callback, poster().clone(),
                                                  &Poster::deleteCloneClosure, GConnectFlags(0)));
    }

    void configureWebrtc() {
        gst_util_set_object_arg(G_OBJECT(webrtc_), "bundle-policy", "max-bundle");
        g_object_set(webrtc_, "latency", guint(std::max(0, options().jitterBufferMs)), nullptr);
        // The jitter buffer without threads of the rtp profiles (inline_jitter_buffer.hpp) in
        // webrtcbin's rtpbin: received audio goes on on the thread that delivers it, and a packet
        // in sequence plays at once.
        if (GstElement *rtpbin = gst_bin_get_by_name(GST_BIN(webrtc_), "rtpbin")) {
            g_signal_connect(rtpbin, "request-jitterbuffer", G_CALLBACK(+[](GstElement *, guint, gpointer) {
                return makeInlineJitterBuffer();
            }), nullptr);
            gst_object_unref(rtpbin);
        }
        if (options().ice.relayOnly) gst_util_set_object_arg(G_OBJECT(webrtc_), "ice-transport-policy", "relay");
        bool haveStun = false;
        for (const auto &server : options().ice.servers) {
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
        for (const auto &entry : options().ice.addresses) {
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

    bool isTransportElement(const char *name) const override { return strstr(name, "dtls") || strstr(name, "nice"); }

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
                link->first.post([step, reply, error](CallMedia &m) {
                    static_cast<WebRtcSession &>(m).onReply(step, reply.get(), error);
                });
            },
            new std::pair<Poster, Step>(poster(), step),
            [](gpointer p) { delete static_cast<std::pair<Poster, Step> *>(p); });
        ++outstandingRequests_;
        if (description) g_signal_emit_by_name(webrtc_, action, description, promise);
        else g_signal_emit_by_name(webrtc_, action, nullptr, promise);
        gst_promise_unref(promise);  // webrtcbin keeps its own reference until it replies
    }

    void setRemote(const std::string &text, GstWebRTCSDPType type, Step step) {
        GstSDPMessage *message = nullptr;
        gst_sdp_message_new_from_text(text.c_str(), &message);  // checked by sdp::inspect
        GstWebRTCSessionDescription *description =
            gst_webrtc_session_description_new(type, message);  // takes the message
        request("set-remote-description", description, step);
        gst_webrtc_session_description_free(description);
    }

    // The codec (and its telephone-event) of the answer to our offer; false if it failed.
    bool useAnsweredCodec() {
        std::string error;
        if (!useCodec(answeredCodec_.codec, answeredCodec_.payloadType, error)) {
            fail(MediaError::Internal, error);
            return false;
        }
        int clock = codecSpec(answeredCodec_.codec).clockRate;
        if (answeredCodec_.telephoneEventPayload == telephoneEventPayloadType(clock))
            useTelephoneEvent(answeredCodec_.telephoneEventPayload);
        return true;
    }

    // Telephone-event goes in as text, before set-local-description: webrtcbin takes its payload
    // map from the descriptions applied, and offers/answers only the audio codecs. An offer
    // carries it at the clock of each codec offered; an answer at the agreed codec's, if offered.
    std::string withTelephoneEvents(std::string text, bool offer) {
        if (offer) {
            for (int rate : clockRatesOf(options().codecs))
                text = sdp::withTelephoneEvent(text, telephoneEventPayloadType(rate), rate);
        } else if (offeredTelephoneEvent_ >= 0 && codec()) {
            text = sdp::withTelephoneEvent(text, offeredTelephoneEvent_, codec()->clockRate);
            useTelephoneEvent(offeredTelephoneEvent_);
        }
        return text;
    }

    void onReply(Step step, const GstStructure *reply, const std::string &error) {
        --outstandingRequests_;
        if (closed()) {
            if (outstandingRequests_ <= 0 && keepAliveUntilIdle_) finishWebrtcClose();
            return;
        }
        if (!usable()) return;
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
            bool offer = step == Step::OfferCreated;
            const char *field = offer ? "offer" : "answer";
            GstWebRTCSessionDescription *local = nullptr;
            if (reply) gst_structure_get(reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &local, nullptr);
            if (!local) return fail(MediaError::Internal, std::string("webrtcbin made no ") + field);
            gchar *text = gst_sdp_message_as_text(local->sdp);
            baseLocalSdp_ = withTelephoneEvents(text, offer);
            g_free(text);
            gst_webrtc_session_description_free(local);
            if (!offer) setupRole_ = sdp::inspect(baseLocalSdp_).setup;
            GstSDPMessage *message = nullptr;
            if (gst_sdp_message_new_from_text(baseLocalSdp_.c_str(), &message) != GST_SDP_OK || !message)
                return fail(MediaError::Internal, "our own description could not be parsed");
            local = gst_webrtc_session_description_new(offer ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER,
                                                       message);
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
            if (!useAnsweredCodec()) return;
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
        gatherTimer_.start(guint(std::max(0, options().ice.gatheringTimeoutMs)), [this] { onGatheringDeadline(); },
                           context());
    }

    void onGatheringDeadline() {
        if (usable() && !descriptionSent_ && !baseLocalSdp_.empty()) sendLocalDescription();
    }

    void onCandidate(const std::string &line) {
        if (closed()) return;
        ice_.addCandidate(line);
        scheduleEvaluation();
    }

    // Candidates come one task each; deciding at low priority lets a queued burst be read first.
    void scheduleEvaluation() {
        if (evaluationQueued_ || descriptionSent_) return;
        evaluationQueued_ = true;
        poster().post([](CallMedia &m) { static_cast<WebRtcSession &>(m).evaluate(); }, G_PRIORITY_LOW);
    }

    void evaluate() {
        evaluationQueued_ = false;
        if (!usable() || descriptionSent_ || baseLocalSdp_.empty()) return;
        if (ice_.satisfied()) sendLocalDescription();
    }

    void sendLocalDescription() {
        gatherTimer_.cancel();
        descriptionSent_ = true;
        sdpVersion_ = sdp::originVersion(baseLocalSdp_);
        std::string text = sdp::withCandidates(baseLocalSdp_, ice_.candidates(), ice_.gatheringComplete());
        if (options().ice.relayOnly && !hasRelayCandidate()) {
            // Nothing could ever connect: say why now rather than after the watchdog.
            return failLater(MediaError::IceFailed,
                             "no relay candidate from the TURN server (check its address and credentials)");
        }
        if (callbacks().onLocalDescription) callbacks().onLocalDescription(text);
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
        if (connectTimer_.active() || iceConnected_ || !descriptionSent_ || !remoteApplied_) return;
        connectTimer_.start(guint(std::max(1000, options().connectTimeoutMs)), [this] {
            if (!iceConnected_)
                fail(MediaError::IceFailed,
                     "no media connection (ICE/DTLS) within " + std::to_string(options().connectTimeoutMs / 1000) + " s");
        }, context());
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
        post<WebRtcSession>([text](WebRtcSession &s) {
            if (!s.closed() && s.callbacks().onLocalDescription) s.callbacks().onLocalDescription(text);
        });
    }

    // ---- state ----------------------------------------------------------------------------

    void onStateChanged() {
        if (!usable() || !webrtc_) return;
        GstWebRTCICEGatheringState gathering;
        GstWebRTCICEConnectionState ice;
        GstWebRTCPeerConnectionState peer;
        g_object_get(webrtc_, "ice-gathering-state", &gathering, "ice-connection-state", &ice, "connection-state",
                     &peer, nullptr);
        if (gathering == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE && !ice_.gatheringComplete()) {
            ice_.setGatheringComplete();
            scheduleEvaluation();
        }
        if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
            return fail(MediaError::IceFailed, "ICE connectivity checks failed");
        if (peer == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
            return fail(MediaError::IceFailed, "the DTLS or ICE transport failed");
        if (peer == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED && !iceConnected_) {
            iceConnected_ = true;
            connectTimer_.cancel();
            scheduleStats();
            reportConnected();
        }
    }

    // ---- statistics -----------------------------------------------------------------------

    void scheduleStats() {
        statsTimer_.start(kStatsIntervalMs, [this] {
            if (!usable() || !webrtc_) return;
            Poster poster = this->poster();
            requestWebRtcStats(webrtc_, [poster](const MediaStats &stats) {
                poster.post([stats](CallMedia &m) { static_cast<WebRtcSession &>(m).onStats(stats); });
            });
        }, context());
    }

    void onStats(const MediaStats &stats) {
        if (!usable()) return;
        keepStats(stats, true);
        scheduleStats();
    }

    // ---- teardown -------------------------------------------------------------------------

    // Stopping webrtcbin while it still works on a description (the answer of a call hung up at
    // once) leaks libnice's agent with its sockets: measured, ~0.3 fds per such call. So the
    // pipeline (silent: callbacks are off) outlives us until webrtcbin has replied, at most
    // kCloseGraceMs.
    bool closeTransport() override {
        // The final counters, read while the media still runs (webrtcbin answers on its thread).
        statsTimer_.cancel();
        if (iceConnected_ && webrtc_) keepStats(readWebRtcStats(webrtc_, kFinalStatsWaitMs), false);
        gatherTimer_.cancel();
        connectTimer_.cancel();
        if (outstandingRequests_ <= 0) return false;
        keepAliveUntilIdle_ = shared_from_this();
        closeGraceTimer_.start(kCloseGraceMs, [this] { finishWebrtcClose(); }, context());
        return true;
    }

    void finishWebrtcClose() {
        closeGraceTimer_.cancel();
        finishClose();
        auto self = std::move(keepAliveUntilIdle_);  // may be the last reference: released on return
    }

    void releaseTransport() override {
        for (gulong id : handlers_) g_signal_handler_disconnect(webrtc_, id);
        handlers_.clear();
        transceiver_.reset();
        webrtc_ = nullptr;
    }

    GstElement *webrtc_ = nullptr;  // owned by the pipeline
    GstRef<GstWebRTCRTPTransceiver> transceiver_;
    std::vector<gulong> handlers_;  // on webrtc_
    OneShotTimer gatherTimer_;
    OneShotTimer connectTimer_;
    OneShotTimer closeGraceTimer_;
    OneShotTimer statsTimer_;
    std::string appliedAnswer_;  // outgoing: the peer's answer in use (updateAnswer compares)
    static constexpr guint kStatsIntervalMs = 1000;  // live statistics (sipw_session_info "stats")
    static constexpr int kFinalStatsWaitMs = 300;    // the last reading as the call ends
    int outstandingRequests_ = 0;                   // promises webrtcbin has not answered
    std::shared_ptr<CallMedia> keepAliveUntilIdle_; // closed, waiting for those answers
    static constexpr guint kCloseGraceMs = 1000;

    IceCandidateWait ice_;
    Role role_ = Role::None;
    std::string baseLocalSdp_;   // webrtcbin's description, with telephone-event added
    std::string setupRole_;      // our DTLS role once negotiated (active/passive)
    std::string remoteUfrag_;
    std::string offeredDirection_;  // of our re-offer awaiting its answer
    unsigned long long sdpVersion_ = 0;
    int offeredTelephoneEvent_ = -1;  // the peer's offered telephone-event at the agreed codec's clock
    sdp::CodecChoice answeredCodec_;  // what the answer to our offer agreed
    bool evaluationQueued_ = false;
    bool remoteApplied_ = false;
    bool descriptionSent_ = false;
    bool reofferPending_ = false;
    bool answerPending_ = false;  // the peer's first answer is being applied
    std::vector<std::function<void(WebRtcSession &)>> afterAnswer_;  // re-offers waiting for it
    bool iceConnected_ = false;
};

}  // namespace

std::unique_ptr<MediaSession> createWebRtcMedia(GMainContext *loop, const MediaOptions &options,
                                                MediaSession::Callbacks callbacks) {
    return asMediaSession(std::make_shared<WebRtcSession>(loop, options, std::move(callbacks)));
}

}  // namespace sipw
