// The media profiles behind the seam (media_api/media_session.hpp), and the process-wide media
// runtime: warm-up and the count of live GStreamer objects.
#pragma once

#include "media_api/media_session.hpp"

#include <chrono>
#include <memory>

namespace sipw {

// The factory a worker hands its sessions; starts the media warm-up (startMediaPrewarm).
std::shared_ptr<MediaFactory> createMediaFactory();

// The WebRTC profile: GStreamer webrtcbin, ICE, DTLS-SRTP, BUNDLE, rtcp-mux.
std::unique_ptr<MediaSession> createWebRtcMedia(GMainContext *loop, const MediaOptions &options,
                                                MediaSession::Callbacks callbacks);
// The rtp (RTP/AVP) and srtp (RTP/SAVP, SDES keys) profiles, per options.profile: GStreamer
// rtpbin over our own UDP sockets, symmetric RTP, RTCP on port + 1 or rtcp-mux.
std::unique_ptr<MediaSession> createRtpMedia(GMainContext *loop, const MediaOptions &options,
                                             MediaSession::Callbacks callbacks);

// GStreamer pipelines and webrtcbins of media sessions not yet finalized (each session holds one
// of each while open): for statistics and leak checks; 0 once every session is closed.
int liveMediaObjects();

// Once per process, early: gst_init, the DTLS certificates, the ICE thread and every plugin a call
// uses, so the first call does not pay for it. Safe to call repeatedly and from any thread.
void prewarmMedia();
// Runs prewarmMedia once per process on a background thread, in two stages: what a call of the
// default profile needs (gst_init, the shared WebRTC transport, rtpbin, SRTP, Opus, one rehearsed
// offer/answer: ~60-100 ms), then the rest (webrtcbin and its RSA certificate, G.711, libav's
// G.722: ~200 ms), which a call of the default profile does not wait for.
void startMediaPrewarm();
// Waits (at most `budget`) for the first stage. A worker's loop waits for it before its first
// command (so before its first REGISTER): the first call then starts as warm as later ones.
void awaitMediaCallPath(std::chrono::milliseconds budget);
// Waits (at most `budget`) for a prewarm started by startMediaPrewarm to finish. The last
// worker's destruction calls it: a short-lived program (register, exit) must not leave the process while
// that thread is inside GStreamer/OpenSSL, whose exit-time cleanup would pull memory from under it.
void awaitMediaPrewarm(std::chrono::milliseconds budget);

}  // namespace sipw
