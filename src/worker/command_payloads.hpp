// The payloads of the worker's commands, read and checked on the caller's thread before anything
// is queued: a bad field is InvalidArgument naming it (base/payload.hpp has the reading rules).
#pragma once

#include "base/payload.hpp"
#include "media/playback.hpp"
#include "media_api/media_session.hpp"
#include "sip/dtmf.hpp"
#include "sip/instant_messages.hpp"
#include "sip/session.hpp"

#include <string>

namespace sipw {

// The fields of CALL / ANSWER / PROGRESS `options` that were ignored, each worth a `warning`:
// JsSIP's browser options (mediaConstraints, pcConfig...), JsSIP options not supported here
// (anonymous, fromDisplayName...), and names nobody knows. Full paths ("options.pcConfig").
struct IgnoredOptions {
    std::vector<std::string> browser, unsupported, unknown;
};

// CALL / ANSWER `options`: audio overrides and extra headers; `ignored` (when given) collects
// the fields that have no effect.
CallOptions readCallOptions(const Payload &payload, IgnoredOptions *ignored = nullptr);
// "Name: value" lines at `key` (a line without a name or with CR/LF is refused).
std::vector<std::string> readExtraHeaders(const Payload &payload, const std::string &key);
// HANGUP {isTimeout?, statusCode? (400-699), reasonPhrase?, extraHeaders?}.
HangupRequest readHangup(const Payload &payload);
// PROGRESS {statusCode? 180|183 (183), withMedia? (true), options?}.
ProgressRequest readProgress(const Payload &payload, IgnoredOptions *ignored = nullptr);
// MESSAGE {target (resolved by the caller), body, contentType?, messageId?, extraHeaders?}:
// everything but the target URI.
MessageRequest readMessage(const Payload &payload);
// CALL's target: a number, a user, user@host or a SIP URI (a JSON number is its digits).
std::string readCallTarget(const Payload &payload);
// `key` (sessionId of CALL, playId of PLAY): the caller's own id, 1 to 128 printable characters,
// or a generated one when absent.
std::string readChosenId(const Payload &payload, const std::string &key);
// The sessionId of a command on an existing session (present and a string).
std::string readSessionId(const Payload &payload);
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
