// The rtp (RTP/AVP) and srtp (RTP/SAVP, SDES keys) profiles, and the webrtc profile on the shared
// transport: the shared call pipeline (call_media.hpp) sent and received through rtpbin over our
// own UDP sockets (rtp_transport.hpp) or over ICE with DTLS-SRTP keys (webrtc_negotiation.hpp).
//
//   ... rtpdtmfmux → [direction gate] → rtpbin send_rtp_sink_0 (→ srtpenc) → udpsink | ICE
//   UDP source | ICE → rtpbin (→ srtpdec) → recv_rtp_src_0_<ssrc>_<pt> → CallMedia::linkReceivedPad
//
// Offer and answer (RFC 3264) are written and read here (rtp_sdp.hpp, remote_sdp.hpp); every
// re-offer of either side is really applied: direction (we stop sending when the agreement says
// so), a new address or port (a PBX moving the media), a new codec, new keys.
#include "media/call_media.hpp"
#include "media/inline_jitter_buffer.hpp"
#include "media/media_factory.hpp"
#include "media/rtp_sdp.hpp"
#include "media/rtp_stats.hpp"
#include "media/rtp_transport.hpp"
#include "media/sdp_util.hpp"
#include "media/webrtc_negotiation.hpp"

#include <map>
#include <set>

namespace sipw {
namespace {

// An address we may send to: an IP literal that is not the "any" address (0.0.0.0 is how old
// phones say hold, RFC 2543; sending there would reach this very host).
bool sendable(const std::string &address) {
    GInetAddress *ip = g_inet_address_new_from_string(address.c_str());
    bool ok = ip && !g_inet_address_get_is_any(ip);
    if (ip) g_object_unref(ip);
    return ok;
}

class RtpSession final : public CallMedia {
public:
    RtpSession(GMainContext *context, const MediaOptions &options, MediaSession::Callbacks callbacks)
        : CallMedia(context, options, std::move(callbacks), options.profile),
          secure_(options.profile != MediaProfile::Rtp), dtls_(options.profile == MediaProfile::WebRtc),
          transport_(transportHooks()), sessionId_(g_random_int()) {
        // With DTLS these only stand in (srtpenc needs a key to start) until the handshake's.
        if (secure_)
            for (const std::string &suite : sdp::srtpSuites()) ourKeys_[suite] = sdp::newSrtpKey();
        if (dtls_) webrtc_ = std::make_unique<WebRtcNegotiation>(webrtcHooks());
    }
    ~RtpSession() override { close(); }

    void createOffer() override {
        if (!usable()) return;
        if (negotiated_ || awaitingAnswer_) return failLater(MediaError::Internal, "createOffer called twice");
        std::vector<sdp::LocalFormat> formats;
        for (AudioCodec codec : options().codecs) formats.push_back(sdp::formatOf(codec, codecSpec(codec).payloadType));
        for (int rate : clockRatesOf(options().codecs))
            formats.push_back(sdp::telephoneEventFormat(telephoneEventPayloadType(rate), rate));
        std::vector<sdp::Crypto> cryptos;
        if (secure_ && !dtls_)
            for (const std::string &suite : sdp::srtpSuites())
                cryptos.push_back({int(cryptos.size()) + 1, suite, ourKeys_[suite], false});
        std::string error;
        AudioCodec first = options().codecs.front();
        if (!useCodec(first, codecSpec(first).payloadType, error, /*agreed=*/false))
            return failLater(MediaError::Internal, error);
        usePayloadMap(offeredPayloads(options().codecs));
        offer(formats, cryptos, "sendrecv");
    }

    void acceptOffer(const std::string &remoteSdp) override {
        if (!usable()) return;
        if (negotiated_ || awaitingAnswer_) return failLater(MediaError::Internal, "acceptOffer after a negotiation");
        auto remote = sdp::inspect(remoteSdp);
        std::string why = unusable(remote);
        if (!why.empty()) return failLater(MediaError::IncompatibleSdp, why);
        std::string error;
        if (!apply(remote, /*offered=*/true, error)) return failLater(MediaError::IncompatibleSdp, error);
        answer(remote);
    }

    std::string checkAnswer(const std::string &remoteSdp) const override { return unusable(sdp::inspect(remoteSdp)); }

    // A 488 to a WebRTC offer usually means a peer without ICE/DTLS: the rtp profiles reach it.
    std::string refusalHint() const override { return dtls_ ? "webrtc_offer_refused" : std::string(); }

    void acceptAnswer(const std::string &remoteSdp) override {
        if (!usable()) return;
        if (!awaitingAnswer_) return failLater(MediaError::BadMediaDescription, "no offer of ours is awaiting an answer");
        awaitingAnswer_ = false;
        auto remote = sdp::inspect(remoteSdp);
        std::string why = unusable(remote);
        std::string error;
        if (why.empty() && !apply(remote, /*offered=*/false, error)) why = error;
        if (!why.empty()) return failLater(MediaError::BadMediaDescription, why);
        applyDirection(sdp::commonDirection(offeredDirection_, sdp::answerDirection(remote.direction)));
    }

    // A 2xx after an early 18x answer: plain RTP follows it wherever it goes (a PBX bridging
    // the ringback from one box and the call from another); SDES keys may change with it.
    std::string updateAnswer(const std::string &remoteSdp) override {
        if (!usable()) return {};
        if (!negotiated_) return "no earlier answer to update";
        auto remote = sdp::inspect(remoteSdp);
        std::string why = unusable(remote);
        std::string error;
        if (why.empty() && !apply(remote, /*offered=*/false, error)) why = error;
        if (!why.empty()) return why;
        applyDirection(sdp::commonDirection(offeredDirection_, sdp::answerDirection(remote.direction)));
        return {};
    }

    // A re-offer keeps the agreed codec and keys (RFC 3264 §8: changing only what must change).
    void createReoffer(const std::string &direction) override {
        if (!usable()) return;
        if (!negotiated_) return failLater(MediaError::Internal, "re-offer before the first offer/answer completed");
        std::vector<sdp::LocalFormat> formats = {sdp::formatOf(codec()->codec, codecPayloadType())};
        int rate = codec()->clockRate;
        formats.push_back(sdp::telephoneEventFormat(telephoneEventPayloadType(rate), rate));
        std::vector<sdp::Crypto> cryptos;
        if (secure_ && !dtls_) cryptos.push_back({1, suite_, ourKeys_[suite_], false});
        offer(formats, cryptos, direction);
    }

    void acceptReoffer(const std::string &remoteSdp) override {
        if (!usable()) return;
        if (!negotiated_) return refuseLater("re-offer before the first offer/answer completed");
        // A re-offer of ours still awaiting its answer was refused (491 in glare, or another
        // failure): the SIP layer answers 491 while one is really under way. It is dropped.
        awaitingAnswer_ = false;
        auto remote = sdp::inspect(remoteSdp);
        if (remote.parsed && sdp::profileOf(remote) == mediaProfile() && remote.port == 0) return acceptDisabledStream(remote);
        std::string why = unusable(remote);
        std::string error;
        if (why.empty() && !apply(remote, /*offered=*/true, error)) why = error;
        if (!why.empty()) return refuseLater(why);
        answer(remote);
    }

private:
    std::string unusable(const sdp::RemoteMedia &remote) const {
        std::string why = sdp::unusableReason(remote, mediaProfile(), options().codecs);
        if (why.empty() && dtls_) why = webrtc_->unusable(remote);
        return why;
    }

    RtpTransport::Hooks transportHooks() {
        RtpTransport::Hooks hooks;
        hooks.onLatched = [this](bool rtcp, const UdpEndpoint &to) {
            post<RtpSession>([rtcp, to](RtpSession &s) {
                if (!s.closed()) s.transport_.sendTo(rtcp, to);
            });
        };
        hooks.onDropped = [this](SourceFilter::Drop why, const UdpEndpoint &from) {
            switch (why) {
            case SourceFilter::Drop::ForeignSource: return warnLater("rtp_foreign_source", from.text());
            case SourceFilter::Drop::TooManyStreams: return warnLater("rtp_too_many_streams", from.text());
            case SourceFilter::Drop::UnexpectedPayload: return warnLater("rtp_unexpected_payload", from.text());
            case SourceFilter::Drop::None: return;
            }
        };
        return hooks;
    }

    // ---- building -------------------------------------------------------------------------

    bool buildTransport(std::string &error) override {
        if (dtls_) {
            std::vector<std::string> unknown;
            if (!webrtc_->transport().open(options().ice, unknown, error)) return false;
            for (const std::string &entry : unknown) warnLater("ice_address_unknown", entry);
        } else if (!transport_.open(options().localAddress, error)) {
            return false;
        }
        rtpbin_ = makeElement("rtpbin", error);
        if (!rtpbin_) return false;
        // Streams of SSRCs that went quiet (a restarted peer, a flood) leave with their pads.
        g_object_set(rtpbin_, "latency", guint(std::max(0, options().jitterBufferMs)), "autoremove", TRUE, nullptr);
        // A jitter buffer without threads (inline_jitter_buffer.hpp): a packet in sequence goes
        // on as it comes, one after a gap waits at most the latency for the missing one.
        connect(rtpbin_, "request-jitterbuffer", G_CALLBACK(+[](GstElement *, guint, gpointer) {
            return makeInlineJitterBuffer();
        }));
        gst_bin_add(GST_BIN(pipeline()), rtpbin_);
        connect(rtpbin_, "request-pt-map", G_CALLBACK(+[](GstElement *, guint, guint pt, gpointer self) -> GstCaps * {
            return static_cast<RtpSession *>(self)->payloadCaps(int(pt));
        }));
        // Received pads are linked on the streaming thread that adds them, before data flows. The
        // session outlives them: its teardown stops the pipeline before anything is released.
        connect(rtpbin_, "pad-added", G_CALLBACK(+[](GstElement *, GstPad *pad, gpointer self) {
            if (g_str_has_prefix(GST_PAD_NAME(pad), "recv_rtp_src_")) static_cast<RtpSession *>(self)->linkReceivedPad(pad);
        }));
        connect(rtpbin_, "pad-removed", G_CALLBACK(+[](GstElement *, GstPad *pad, gpointer self) {
            if (g_str_has_prefix(GST_PAD_NAME(pad), "recv_rtp_src_")) static_cast<RtpSession *>(self)->unlinkReceivedPad(pad);
        }));
        if (secure_) {
            for (const char *signal : {"request-rtp-decoder", "request-rtcp-decoder"})
                connect(rtpbin_, signal, G_CALLBACK(+[](GstElement *, guint, gpointer self) {
                    return static_cast<RtpSession *>(self)->srtpDecoder();
                }));
            connect(rtpbin_, "request-rtp-encoder", G_CALLBACK(+[](GstElement *, guint session, gpointer self) {
                return static_cast<RtpSession *>(self)->srtpEncoder("rtp_sink_%u", session);
            }));
            connect(rtpbin_, "request-rtcp-encoder", G_CALLBACK(+[](GstElement *, guint session, gpointer self) {
                return static_cast<RtpSession *>(self)->srtpEncoder("rtcp_sink_%u", session);
            }));
        }
        if (dtls_ ? !webrtc_->transport().addReceivers(pipeline(), rtpbin_, error)
                  : !transport_.addReceivers(pipeline(), rtpbin_, secure_, error))
            return false;
        // The agreed direction decides whether anything is sent at all.
        gst_pad_add_probe(sendOutput(), GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *, gpointer self) {
            return static_cast<RtpSession *>(self)->sendingAllowed_ ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
        }, this, nullptr);
        return true;
    }

    void connect(GstElement *element, const char *signal, GCallback callback) {
        handlers_.push_back({GstRef<GstElement>::share(element), g_signal_connect(element, signal, callback, this)});
    }

    void allowSending(bool allowed) override { sendingAllowed_ = allowed; }

    // ---- SRTP (rtpbin's encoder and decoder hooks, on GStreamer threads) ------------------

    GstElement *srtpDecoder() {
        std::lock_guard<std::mutex> lock(keysMutex_);
        if (!srtpdec_) {
            srtpdec_ = GstRef<GstElement>::adopt(gst_element_factory_make("srtpdec", nullptr));
            if (!srtpdec_) return nullptr;
            connect(srtpdec_.get(), "request-key", G_CALLBACK(+[](GstElement *, guint, gpointer self) {
                return static_cast<RtpSession *>(self)->remoteKeyCaps();
            }));
            // Only authenticated packets move the latch (an unauthenticated one must not move our media).
            GstPad *decrypted = gst_element_get_static_pad(srtpdec_.get(), "rtp_src");
            gst_pad_add_probe(decrypted, GST_PAD_PROBE_TYPE_BUFFER, [](GstPad *, GstPadProbeInfo *info, gpointer self) {
                auto *session = static_cast<RtpSession *>(self);
                if (!session->dtls_) session->transport_.confirmSource(GST_PAD_PROBE_INFO_BUFFER(info));
                return GST_PAD_PROBE_OK;
            }, this, nullptr);
            gst_object_unref(decrypted);
        }
        return GST_ELEMENT(gst_object_ref(srtpdec_.get()));  // rtpbin releases one reference per return
    }

    GstElement *srtpEncoder(const char *padTemplate, guint session) {
        std::lock_guard<std::mutex> lock(keysMutex_);
        if (!srtpenc_) {
            GstBuffer *key = sdp::srtpKeyBuffer(ourKeys_[suite_]);
            srtpenc_ = GstRef<GstElement>::adopt(gst_element_factory_make("srtpenc", nullptr));
            if (!srtpenc_ || !key) {
                if (key) gst_buffer_unref(key);
                return nullptr;
            }
            g_object_set(srtpenc_.get(), "key", key, nullptr);
            gst_buffer_unref(key);
            // SRTCP keeps the 80-bit tag with either suite (RFC 4568 §6.2).
            gst_util_set_object_arg(G_OBJECT(srtpenc_.get()), "rtp-auth", sdp::srtpAuthOf(suite_));
            gst_util_set_object_arg(G_OBJECT(srtpenc_.get()), "rtcp-auth", "hmac-sha1-80");
        }
        // rtpbin looks the encoder's pads up by name: they must exist before it is returned.
        gchar *name = g_strdup_printf(padTemplate, session);
        if (GstPad *pad = gst_element_get_static_pad(srtpenc_.get(), name)) gst_object_unref(pad);
        else if (GstPad *requested = gst_element_request_pad_simple(srtpenc_.get(), name)) gst_object_unref(requested);
        g_free(name);
        return GST_ELEMENT(gst_object_ref(srtpenc_.get()));
    }

    // srtpdec asks for the key of each new SSRC: the peer's, once an offer or answer gave it.
    GstCaps *remoteKeyCaps() {
        std::lock_guard<std::mutex> lock(keysMutex_);
        GstBuffer *key = remoteKey_.empty() ? nullptr : sdp::srtpKeyBuffer(remoteKey_);
        if (!key) return nullptr;
        GstCaps *caps = gst_caps_new_simple("application/x-srtp", "srtp-key", GST_TYPE_BUFFER, key, "srtp-cipher",
                                            G_TYPE_STRING, "aes-128-icm", "srtp-auth", G_TYPE_STRING,
                                            sdp::srtpAuthOf(remoteSuite_), "srtcp-cipher", G_TYPE_STRING,
                                            "aes-128-icm", "srtcp-auth", G_TYPE_STRING, "hmac-sha1-80", nullptr);
        gst_buffer_unref(key);
        return caps;
    }

    // ---- offer / answer -------------------------------------------------------------------

    // What the peer's description makes us do: codec, keys, payload map, where to send.
    bool apply(const sdp::RemoteMedia &remote, bool offered, std::string &error) {
        // A re-offer that still lists the agreed codec keeps it; otherwise the offerer's first we allow.
        std::optional<sdp::CodecChoice> choice;
        if (codec() && offered)
            choice = sdp::chooseCodec(remote, {codec()->codec});
        if (!choice) choice = sdp::chooseCodec(remote, options().codecs);
        if (!choice) return error = "no common codec", false;
        if (secure_ && !dtls_ && !useRemoteKey(remote, offered, error)) return false;
        usePayloadMap(agreedPayloads(remote, *choice));
        if (!useCodec(choice->codec, choice->payloadType, error)) return false;
        useTelephoneEvent(choice->telephoneEventPayload);

        if (dtls_) {
            rtcpMux_ = true;
            if (!webrtc_->apply(remote, offered, error)) return false;
        } else {
            if (!offered || !negotiated_) rtcpMux_ = remote.rtcpMux;
            std::string address = sendable(remote.address) ? remote.address : std::string();
            UdpEndpoint rtp{address, remote.port};
            UdpEndpoint rtcp{remote.rtcpAddress.empty() ? address : remote.rtcpAddress,
                             remote.rtcpPort ? remote.rtcpPort : remote.port + 1};
            // A new address (a PBX moving the media) starts the latching over.
            if (rtp != remoteRtp_ || !negotiated_) transport_.setRemote(rtp, rtcp, rtcpMux_);
            remoteRtp_ = rtp;
        }
        if (dtls_ ? !webrtc_->transport().sending() : !transport_.sending()) {
            // rtpbin asks for the SRTP encoder (with our key for the agreed suite) as we link.
            GstPad *sendPad = gst_element_request_pad_simple(rtpbin_, "send_rtp_sink_0");  // transfer full
            bool linked = sendPad && gst_pad_link(sendOutput(), sendPad) == GST_PAD_LINK_OK;
            if (sendPad) gst_object_unref(sendPad);
            if (!linked) return error = "could not link audio to rtpbin", false;
            if (dtls_ ? !webrtc_->transport().addSenders(pipeline(), rtpbin_, error) : !transport_.addSenders(pipeline(), rtpbin_, error))
                return false;
        }
        if (!negotiated_) {
            negotiated_ = true;
            // Plain RTP flows at once; WebRTC once DTLS gave the keys (onKeys), within the bound.
            if (dtls_) startConnectWatchdog();
            else post<RtpSession>([](RtpSession &s) { s.onMediaConnected(); });
        }
        return true;
    }

    void onMediaConnected() {
        if (!usable() || mediaConnected_) return;
        mediaConnected_ = true;
        connectTimer_.cancel();
        reportConnected();
        scheduleStats();
    }

    // ---- the WebRTC transport (webrtc profile, shared threads) ----------------------------

    WebRtcTransport::Hooks webrtcHooks() {
        WebRtcTransport::Hooks hooks;
        hooks.onGathered = [this] {
            post<RtpSession>([](RtpSession &s) { s.sendPendingDescription(); });
        };
        hooks.onKeys = [this](const DtlsSrtpHandshake::Keys &keys) {
            useDtlsKeys(keys);
            post<RtpSession>([](RtpSession &s) { s.onMediaConnected(); });
        };
        hooks.onFailed = [this](const std::string &why) {
            post<RtpSession>([why](RtpSession &s) {
                if (s.usable()) s.fail(MediaError::IceFailed, why);
            });
        };
        return hooks;
    }

    // The handshake's keys replace the stand-ins (ICE thread; no media has flowed yet).
    void useDtlsKeys(const DtlsSrtpHandshake::Keys &keys) {
        gchar *local = g_base64_encode(reinterpret_cast<const guchar *>(keys.local.data()), keys.local.size());
        gchar *remote = g_base64_encode(reinterpret_cast<const guchar *>(keys.remote.data()), keys.remote.size());
        std::lock_guard<std::mutex> lock(keysMutex_);
        suite_ = remoteSuite_ = keys.profile;
        ourKeys_[suite_] = local;
        remoteKey_ = remote;
        g_free(local);
        g_free(remote);
        if (srtpenc_) {
            GstBuffer *key = sdp::srtpKeyBuffer(ourKeys_[suite_]);
            g_object_set(srtpenc_.get(), "key", key, nullptr);
            gst_buffer_unref(key);
            gst_util_set_object_arg(G_OBJECT(srtpenc_.get()), "rtp-auth", sdp::srtpAuthOf(suite_));
        }
    }

    // Offer and answer are both applied: DTLS must complete within the bound, or the call ends
    // (a peer behind a firewall, a wrong TURN password, a certificate that does not match).
    void startConnectWatchdog() {
        if (connectTimer_.active() || mediaConnected_) return;
        connectTimer_.start(guint(std::max(1000, options().connectTimeoutMs)), [this] {
            if (usable() && !mediaConnected_)
                fail(MediaError::IceFailed,
                     "no media connection (ICE/DTLS) within " + std::to_string(options().connectTimeoutMs / 1000) + " s");
        }, context());
    }

    // A description waits for the gathered candidates (WebRTC), but never longer than
    // ice.gatheringTimeoutMs: a STUN or TURN server that does not answer must not hold the call
    // (SIP carries no later candidates). The others go at once, and so do WebRTC's with the
    // "host" strategy (host candidates are known as gathering starts).
    void describeWhenGathered(std::function<sdp::LocalRtpDescription()> make) {
        pendingDescription_ = std::move(make);
        bool hostOnly = options().ice.strategy == "host" && !options().ice.relayOnly;
        if (!dtls_ || webrtc_->transport().gathered() || hostOnly) return sendPendingDescription();
        gatherTimer_.start(guint(std::max(0, options().ice.gatheringTimeoutMs)), [this] { sendPendingDescription(); },
                           context());
    }

    void sendPendingDescription() {
        gatherTimer_.cancel();
        if (!pendingDescription_ || closed()) return;
        auto make = std::move(pendingDescription_);
        pendingDescription_ = nullptr;
        sdp::LocalRtpDescription d = make();
        if (dtls_ && options().ice.relayOnly && !WebRtcNegotiation::hasRelayCandidate(d)) {
            // Nothing could ever connect: say why now rather than after the watchdog.
            return failLater(MediaError::IceFailed,
                             "no relay candidate from the TURN server (check its address and credentials)");
        }
        sendLater(sdp::toSdp(d));
    }

    bool useRemoteKey(const sdp::RemoteMedia &remote, bool offered, std::string &error) {
        const sdp::Crypto *crypto = sdp::usableCrypto(remote);
        // An answer takes one of the suites we offered, with its tag.
        if (!offered && crypto && !ourKeys_.count(crypto->suite)) crypto = nullptr;
        if (!crypto) return error = "no usable a=crypto", false;
        if (!sdp::srtpKeyBuffer(crypto->keyBase64)) return error = "the a=crypto key is not 30 bytes of base64", false;
        bool changed;
        {
            std::lock_guard<std::mutex> lock(keysMutex_);
            changed = remoteKey_ != crypto->keyBase64;
            remoteKey_ = crypto->keyBase64;
            remoteSuite_ = crypto->suite;
            if (!negotiated_) suite_ = crypto->suite;  // our key follows the first agreement
            cryptoTag_ = crypto->tag;
        }
        // srtpdec asks again for the key of each SSRC (it refused them while it had none).
        if (changed && srtpdec_) g_signal_emit_by_name(srtpdec_.get(), "clear-keys");
        return true;
    }

    // rtpbin's payload map, and the payload types the peer may send: ours (what we offered or
    // answered), then the peer's. Entries: payload type → caps (taken).
    void usePayloadMap(const std::vector<std::pair<int, GstCaps *>> &entries) {
        std::set<int> payloadTypes;
        {
            std::lock_guard<std::mutex> lock(keysMutex_);
            for (auto &[pt, caps] : payloadMap_) gst_caps_unref(caps);
            payloadMap_.clear();
            for (auto [pt, caps] : entries) {
                if (!payloadMap_.emplace(pt, caps).second) gst_caps_unref(caps);
                payloadTypes.insert(pt);
            }
        }
        if (rtpbin_) g_signal_emit_by_name(rtpbin_, "clear-pt-map");
        transport_.acceptPayloads(payloadTypes);
    }

    // What our offer lists: the peer may send any of it before its answer reaches us.
    static std::vector<std::pair<int, GstCaps *>> offeredPayloads(const std::vector<AudioCodec> &codecs) {
        std::vector<std::pair<int, GstCaps *>> entries;
        for (AudioCodec codec : codecs) {
            const CodecSpec &spec = codecSpec(codec);
            entries.emplace_back(spec.payloadType, rtpCaps(spec, spec.payloadType));
        }
        for (int rate : clockRatesOf(codecs))
            entries.emplace_back(telephoneEventPayloadType(rate), telephoneEventCaps(telephoneEventPayloadType(rate), rate));
        return entries;
    }

    // Once negotiated: the agreed codec in our numbering and the peer's, and what the peer listed.
    static std::vector<std::pair<int, GstCaps *>> agreedPayloads(const sdp::RemoteMedia &remote, const sdp::CodecChoice &choice) {
        const CodecSpec &spec = codecSpec(choice.codec);
        auto entries = offeredPayloads({choice.codec});
        entries.emplace_back(choice.payloadType, rtpCaps(spec, choice.payloadType));
        for (const sdp::Format &f : remote.formats) {
            if (auto codec = sdp::codecOf(f)) entries.emplace_back(f.payloadType, rtpCaps(codecSpec(*codec), f.payloadType));
            else if (g_ascii_strcasecmp(f.name.c_str(), "telephone-event") == 0)
                entries.emplace_back(f.payloadType, telephoneEventCaps(f.payloadType, f.clockRate));
        }
        return entries;
    }

    GstCaps *payloadCaps(int pt) {
        std::lock_guard<std::mutex> lock(keysMutex_);
        auto it = payloadMap_.find(pt);
        return it == payloadMap_.end() ? nullptr : gst_caps_ref(it->second);
    }

    sdp::LocalRtpDescription description(const std::vector<sdp::LocalFormat> &formats,
                                         const std::vector<sdp::Crypto> &cryptos, const std::string &direction,
                                         bool rtcpMux) {
        sdp::LocalRtpDescription d;
        d.address = options().localAddress.empty() ? "127.0.0.1" : options().localAddress;
        d.port = transport_.port();
        d.rtcpPort = transport_.port() + 1;
        d.rtcpMux = rtcpMux;
        if (dtls_) webrtc_->describe(d, awaitingAnswer_);
        d.secure = secure_;
        d.formats = formats;
        d.cryptos = cryptos;
        d.direction = direction;
        d.ptimeMs = options().ptimeMs;
        d.sessionId = sessionId_;
        d.version = ++version_;
        return d;
    }

    void offer(const std::vector<sdp::LocalFormat> &formats, const std::vector<sdp::Crypto> &cryptos,
               const std::string &direction) {
        offeredDirection_ = direction;
        awaitingAnswer_ = true;
        // We can take RTCP on the RTP port; a peer that cannot sends it to port + 1 (a=rtcp).
        bool rtcpMux = !negotiated_ || rtcpMux_;
        describeWhenGathered([=] { return description(formats, cryptos, direction, rtcpMux); });
    }

    // Answers an offer just applied: the agreed codec and telephone-event at the offer's payload
    // types, our key for the agreed suite, and the direction mirrored (narrowed while we hold).
    void answer(const sdp::RemoteMedia &remote) {
        std::string direction = sdp::answerDirection(remote.direction, held() ? "sendonly" : "sendrecv");
        applyDirection(direction);
        std::vector<sdp::LocalFormat> formats = {sdp::formatOf(codec()->codec, codecPayloadType())};
        int te = sdp::telephoneEventPayload(remote, codec()->clockRate);
        if (te >= 0) formats.push_back(sdp::telephoneEventFormat(te, codec()->clockRate));
        std::vector<sdp::Crypto> cryptos;
        if (secure_ && !dtls_) cryptos.push_back({cryptoTag_, suite_, ourKeys_[suite_], false});
        describeWhenGathered([=] { return description(formats, cryptos, direction, rtcpMux_); });
    }

    // The peer turned the audio off (m=audio 0, RFC 3264 §8.2): we say the same, stop sending and
    // expect nothing; the call goes on (a later re-offer may turn it on again).
    void acceptDisabledStream(const sdp::RemoteMedia &remote) {
        applyDirection("inactive");
        transport_.setRemote({}, {}, rtcpMux_);
        remoteRtp_ = {};
        warnLater("media_stream_disabled", "");
        sdp::LocalRtpDescription d = description({sdp::formatOf(codec()->codec, codecPayloadType())}, {}, "inactive", false);
        d.port = 0;
        sendLater(sdp::toSdp(d));
        (void)remote;
    }

    void sendLater(std::string text) {
        post<RtpSession>([text](RtpSession &s) {
            if (!s.closed() && s.callbacks().onLocalDescription) s.callbacks().onLocalDescription(text);
        });
    }

    // Live statistics every second, read from rtpbin's session on this thread; the last reading
    // is taken as the call closes.
    void scheduleStats() {
        statsTimer_.start(kStatsIntervalMs, [this] {
            if (!usable() || !rtpbin_) return;
            keepStats(readRtpSessionStats(rtpbin_), true);
            scheduleStats();
        }, context());
    }

    bool closeTransport() override {
        // A reading while the media still flows: the one after the stop (releaseTransport) counts
        // the last packets too, but rtpsession may have dropped its sources by then (seen 1 run
        // in 3: the final figures were the previous second's).
        if (negotiated_ && rtpbin_) keepStats(readRtpSessionStats(rtpbin_), false);
        statsTimer_.cancel();
        connectTimer_.cancel();
        gatherTimer_.cancel();
        return false;
    }

    bool isTransportElement(const char *name) const override {
        return g_str_has_prefix(name, "udp") || g_str_has_prefix(name, "srtp") || g_str_has_prefix(name, "webrtc");
    }

    void releaseTransport() override {
        // The last reading, once the pipeline has stopped: it counts every packet that left (kept
        // only if rtpsession still has its sources: keepStats ignores an empty reading).
        if (negotiated_ && rtpbin_) keepStats(readRtpSessionStats(rtpbin_), false);
        for (auto &[element, id] : handlers_) g_signal_handler_disconnect(element.get(), id);
        handlers_.clear();
        transport_.close();
        if (webrtc_) webrtc_->transport().close();
        srtpenc_.reset();
        srtpdec_.reset();
        rtpbin_ = nullptr;
        std::lock_guard<std::mutex> lock(keysMutex_);
        for (auto &[pt, caps] : payloadMap_) gst_caps_unref(caps);
        payloadMap_.clear();
    }

    bool secure_;
    bool dtls_;  // the webrtc profile: ICE and DTLS-SRTP (webrtc_) instead of UDP (transport_)
    RtpTransport transport_;
    std::unique_ptr<WebRtcNegotiation> webrtc_;
    std::function<sdp::LocalRtpDescription()> pendingDescription_;  // waits for the candidates
    OneShotTimer gatherTimer_;
    OneShotTimer connectTimer_;
    bool mediaConnected_ = false;
    GstElement *rtpbin_ = nullptr;  // owned by the pipeline
    std::vector<std::pair<GstRef<GstElement>, gulong>> handlers_;
    std::atomic<bool> sendingAllowed_{true};

    // Guards what GStreamer threads read: keys, payload map, the SRTP elements.
    std::mutex keysMutex_;
    std::map<std::string, std::string> ourKeys_;  // suite → our base64 key
    std::string suite_ = "AES_CM_128_HMAC_SHA1_80";  // the agreed suite (our key's)
    int cryptoTag_ = 1;
    std::string remoteKey_, remoteSuite_;
    GstRef<GstElement> srtpenc_, srtpdec_;
    std::map<int, GstCaps *> payloadMap_;  // owned caps

    UdpEndpoint remoteRtp_;
    bool rtcpMux_ = false;
    bool negotiated_ = false;
    OneShotTimer statsTimer_;
    static constexpr guint kStatsIntervalMs = 1000;  // as the WebRTC profile's
    bool awaitingAnswer_ = false;
    std::string offeredDirection_ = "sendrecv";
    unsigned long long sessionId_;
    unsigned long long version_ = 0;
};

}  // namespace

std::unique_ptr<MediaSession> createRtpMedia(GMainContext *loop, const MediaOptions &options,
                                             MediaSession::Callbacks callbacks) {
    return asMediaSession(std::make_shared<RtpSession>(loop, options, std::move(callbacks)));
}

}  // namespace sipw
