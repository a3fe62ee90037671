// Session: what a user does to the media of a confirmed call — mute, DTMF (sent, and received by
// RFC 4733 or SIP INFO), recording, and a file played into the call.
#include "sip/session.hpp"

#include "sip/request_details.hpp"

namespace sipw {

void Session::mute(bool on) {
    if (!media_ || ended()) return;
    media_->setMuted(on);
    info_.muted = on;
    host_.publish(info_);
    host_.emit(CauseData(on ? "onMute" : "onUnmute", on ? "onMute" : "onUnmute")
                   .session(info_.sessionId, info_.direction)
                   .originator("local")
                   .data({{"audio", true}, {"video", false}}));
}

void Session::sendDtmf(const DtmfRequest &request) {
    if (!info_.confirmed() || !media_) return;
    bool inBand = request.transport == DtmfRequest::Transport::Rfc4733 ||
                  (request.transport == DtmfRequest::Transport::Auto && media_->telephoneEventNegotiated());
    if (inBand) media_->sendDtmf(request.tones, request.durationMs, request.gapMs);
    else infoDtmf_.send(handle_, request.tones, request.durationMs, request.gapMs);
}

void Session::record(const std::string &path, MediaSession::RecordWhat what) {
    if (!media_ || ended() || !(info_.confirmed() || info_.earlyMedia)) return;
    std::string error;
    info_.recording = media_->startRecording(path, what, error);
    host_.publish(info_);
    if (!info_.recording)
        host_.emit(CauseData::warning("record_failed", {error}, "system", {{"sessionId", info_.sessionId}}));
}

void Session::stopRecording() {
    if (!media_ || !info_.recording) return;
    media_->stopRecording();
    info_.recording = false;
    host_.publish(info_);
}

void Session::playFile(const std::string &source, bool loop) {
    if (!media_ || ended() || !(info_.confirmed() || info_.earlyMedia)) return;
    std::string error;
    bool playing = media_->playFile(source, loop, error);
    info_.playingFile = playing;
    host_.publish(info_);
    if (!playing) {
        host_.emit(CauseData::warning("call_play_failed", {error}, "system", {{"sessionId", info_.sessionId}}));
        return;
    }
    host_.emit(CauseData("playStarted", "playStarted").session(info_.sessionId, info_.direction).data({{"file", source}}));
}

void Session::stopPlayingFile(const std::string &reason) {
    if (!media_ || !info_.playingFile) return;
    media_->stopPlayingFile();
    info_.playingFile = false;
    host_.publish(info_);
    host_.emit(CauseData("playEnded", "playEnded").session(info_.sessionId, info_.direction).data({{"reason", reason}}));
}

void Session::emitReceivedDtmf(char tone, int durationMs, const char *method) {
    if (ended()) return;
    host_.emit(CauseData("newDTMF", "newDTMF")
                   .session(info_.sessionId, info_.direction)
                   .originator("remote")
                   .data({{"tone", std::string(1, tone)}, {"duration", durationMs}, {"method", method}}));
}

// nua has answered the INFO already (200: INFO is allowed, not an application method).
void Session::onIncomingInfo(const sip_t *sip) {
    std::string type = sip && sip->sip_content_type && sip->sip_content_type->c_type ? sip->sip_content_type->c_type : "";
    if (auto dtmf = parseInfoDtmf(type, bodyOf(sip))) emitReceivedDtmf(dtmf->tone, dtmf->durationMs, "info");
}

}  // namespace sipw
