#include "media/media_factory.hpp"

#include "media/remote_sdp.hpp"

namespace sipw {

namespace {

// The profile of a call: ours for an offer, the one an incoming offer asks for otherwise.
class ProfileFactory : public MediaFactory {
public:
    std::unique_ptr<MediaSession> create(GMainContext *loop, const MediaOptions &options,
                                         MediaSession::Callbacks callbacks, const std::string &remoteOffer) override {
        MediaOptions chosen = options;
        if (!remoteOffer.empty()) {
            // An offer the session could not use (checked by describe) still gets a session, in
            // our own profile, which refuses it with the reason.
            if (auto asked = sdp::profileOf(sdp::inspect(remoteOffer))) chosen.profile = *asked;
        }
        // The webrtc profile on the shared transport is one of rtpbin's profiles (media_rtp.cpp).
        if (chosen.profile == MediaProfile::WebRtc && chosen.webrtcTransport == WebRtcTransportKind::Webrtcbin)
            return createWebRtcMedia(loop, chosen, std::move(callbacks));
        return createRtpMedia(loop, chosen, std::move(callbacks));
    }

    RemoteDescription describe(const std::string &sdp, const MediaOptions &options) const override {
        sdp::RemoteMedia remote = sdp::inspect(sdp);
        RemoteDescription out;
        out.direction = remote.direction;
        auto asked = sdp::profileOf(remote);
        if (asked) out.profile = profileName(*asked);
        out.unusableReason = sdp::unusableReason(remote, asked.value_or(options.profile), options.codecs);
        return out;
    }
};

}  // namespace

std::shared_ptr<MediaFactory> createMediaFactory() {
    // The first call of a process would otherwise pay for plugin loading and the DTLS
    // certificates (130–400 ms): do it now, off the loop thread.
    startMediaPrewarm();
    return std::make_shared<ProfileFactory>();
}

}  // namespace sipw
