#include "media/media_factory.hpp"

#include "media/sdp_util.hpp"

namespace sipw {

namespace {

class WebRtcFactory : public MediaFactory {
public:
    std::unique_ptr<MediaSession> create(GMainContext *loop, const MediaOptions &options,
                                         MediaSession::Callbacks callbacks) override {
        return createWebRtcMedia(loop, options, std::move(callbacks));
    }
    RemoteDescription describe(const std::string &sdp) const override {
        sdp::RemoteAudio audio = sdp::inspectRemote(sdp);
        return {audio.unusableReason(), audio.direction};
    }
};

}  // namespace

std::shared_ptr<MediaFactory> createMediaFactory() {
    // The first call of a process would otherwise pay for plugin loading and the DTLS
    // certificate (130–400 ms); do it now, off the loop thread.
    startMediaPrewarm();
    return std::make_shared<WebRtcFactory>();
}

}  // namespace sipw
