// The payloads of the worker's commands, read and checked on the caller's thread before anything
// is queued: a bad field is InvalidArgument naming it (base/payload.hpp has the reading rules).
#pragma once

#include "base/payload.hpp"
#include "media/playback.hpp"
#include "media_api/media_session.hpp"
#include "sip/dtmf.hpp"
#include "sip/session.hpp"

#include <string>

namespace sipw {

// CALL / ANSWER `options`: audio and media overrides and extra headers. JsSIP's other call options
// (mediaConstraints, pcConfig, ...) describe a browser and are ignored.
CallOptions readCallOptions(const Payload &payload);
// CALL's target: a number, a user, user@host or a SIP URI (a JSON number is its digits).
std::string readCallTarget(const Payload &payload);
// `key` (sessionId of CALL, playId of PLAY): the caller's own id, 1 to 128 printable characters,
// or a generated one when absent.
std::string readChosenId(const Payload &payload, const std::string &key);
// The sessionId of a command on an existing session (present and a string).
std::string readSessionId(const Payload &payload);
// HANGUP's isTimeout (default false).
bool readIsTimeout(const Payload &payload);
// DTMF {tones, duration?, interToneGap?, transport?}.
DtmfRequest readDtmf(const Payload &payload);

// RECORD {file, what?}: a WAV path in a writable folder (a "file:" prefix is dropped).
struct RecordRequest {
    std::string path;
    MediaSession::RecordWhat what = MediaSession::RecordWhat::Received;
};
RecordRequest readRecord(const Payload &payload);

// CALL_PLAY's and PLAY's file: an http(s):// or file:// URL (checked when it plays), or a path
// that must be a readable file now.
std::string readPlayableFile(const Payload &payload);
// PLAY {file, output?, loop?, playId?}.
PlayRequest readPlay(const Payload &payload);

}  // namespace sipw
