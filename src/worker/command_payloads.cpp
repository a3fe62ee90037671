#include "worker/command_payloads.hpp"

#include "base/error.hpp"
#include "base/random_id.hpp"
#include "config/config.hpp"

#include <glib.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>

namespace sipw {

using nlohmann::json;

std::vector<std::string> readExtraHeaders(const Payload &payload, const std::string &key) {
    std::vector<std::string> headers;
    for (const std::string &line : payload.strings(key).value_or(std::vector<std::string>{})) {
        auto colon = line.find(':');
        bool hasControl = line.find_first_of("\r\n") != std::string::npos;
        if (colon == std::string::npos || colon == 0 || hasControl)
            payload.invalidValue(key, "\"Name: value\" lines");
        headers.push_back(line);
    }
    return headers;
}

CallOptions readCallOptions(const Payload &payload, IgnoredOptions *ignored) {
    CallOptions options;
    auto fields = payload.object("options");
    if (!fields) return options;
    if (auto audio = fields->object("audio")) {
        options.input = readAudioInput(*audio, "input");
        options.output = readAudioOutput(*audio, "output");
    }
    if (auto media = fields->object("media")) options.media = readMediaChoice(*media, nullptr);
    options.extraHeaders = readExtraHeaders(*fields, "extraHeaders");
    if (ignored) {
        // JsSIP's call and answer options that describe a browser's media, then those it has
        // that this SDK does not do; anything else is a name JsSIP does not know either.
        static const char *const browser[] = {"mediaConstraints", "mediaStream", "pcConfig", "rtcConstraints",
                                              "rtcOfferConstraints", "rtcAnswerConstraints", "eventHandlers"};
        static const char *const unsupported[] = {"anonymous", "fromUserName", "fromDisplayName",
                                                  "sessionTimersExpires", "data"};
        std::vector<std::string> others;
        fields->collectUnknown({"audio", "media", "extraHeaders"}, others);
        for (const std::string &path : others) {
            std::string key = path.substr(path.rfind('.') + 1);
            auto is = [&](const char *const *list, size_t n) {
                return std::any_of(list, list + n, [&](const char *k) { return key == k; });
            };
            if (is(browser, std::size(browser))) ignored->browser.push_back(path);
            else if (is(unsupported, std::size(unsupported))) ignored->unsupported.push_back(path);
            else ignored->unknown.push_back(path);
        }
    }
    return options;
}

HangupRequest readHangup(const Payload &payload) {
    HangupRequest r;
    r.isTimeout = payload.boolean("isTimeout").value_or(false);
    r.statusCode = payload.integer("statusCode", 400, 699).value_or(0);
    if (auto phrase = payload.string("reasonPhrase")) {
        if (!r.statusCode) payload.missing("statusCode");
        bool printableText = phrase->size() <= 128 && phrase->find_first_of("\r\n\t") == std::string::npos &&
                             std::all_of(phrase->begin(), phrase->end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
        if (!printableText) payload.invalidValue("reasonPhrase", "up to 128 characters, no control characters");
        r.reasonPhrase = *phrase;
    }
    if (r.isTimeout && r.statusCode)
        throw Error(ResultCode::InvalidArgument, "fields_exclusive", {"isTimeout", "statusCode"});
    r.extraHeaders = readExtraHeaders(payload, "extraHeaders");
    return r;
}

ProgressRequest readProgress(const Payload &payload, IgnoredOptions *ignored) {
    ProgressRequest r;
    r.statusCode = payload.integer("statusCode", 180, 183).value_or(183);
    if (r.statusCode != 180 && r.statusCode != 183) payload.invalidValue("statusCode", "180 or 183");
    r.withMedia = payload.boolean("withMedia").value_or(true);
    r.options = readCallOptions(payload, ignored);
    return r;
}

MessageRequest readMessage(const Payload &payload) {
    MessageRequest r;
    r.body = payload.requiredString("body");
    if (r.body.size() > MessageRequest::kMaxBodyBytes)
        throw Error(ResultCode::InvalidArgument, "message_too_large", {std::to_string(MessageRequest::kMaxBodyBytes)});
    if (!g_utf8_validate(r.body.data(), static_cast<gssize>(r.body.size()), nullptr))
        throw Error(ResultCode::InvalidArgument, "invalid_utf8", {payload.name("body")});
    if (auto type = payload.string("contentType")) {
        // type "/" subtype, then parameters: tokens only (RFC 3261 §20.15), no line breaks.
        auto slash = type->find('/');
        bool valid = slash != std::string::npos && slash > 0 && slash + 1 < type->size() &&
                     type->find_first_of("\r\n") == std::string::npos && type->size() <= 128;
        if (!valid) payload.invalidValue("contentType", "a media type such as \"text/plain\"");
        r.contentType = *type;
    }
    r.messageId = readChosenId(payload, "messageId");
    r.extraHeaders = readExtraHeaders(payload, "extraHeaders");
    return r;
}

std::string readCallTarget(const Payload &payload) {
    const json *target = payload.find("target");
    if (!target) payload.missing("target");
    if (target->is_number_unsigned()) return std::to_string(target->get<unsigned long long>());
    return payload.requiredString("target");
}

std::string readChosenId(const Payload &payload, const std::string &key) {
    auto id = payload.string(key);
    if (!id) return randomId();
    if (!isPrintableId(*id)) payload.invalidValue(key, "1 to 128 printable characters");
    return *id;
}

std::string readSessionId(const Payload &payload) {
    if (!payload.has("sessionId")) payload.missing("sessionId");
    return *payload.string("sessionId");
}

DtmfRequest readDtmf(const Payload &payload) {
    DtmfRequest r;
    const json *tones = payload.find("tones");
    if (!tones) payload.missing("tones");
    // A number of digits is what a caller means by 123; strings are the documented form.
    if (tones->is_number_unsigned()) r.tones = std::to_string(tones->get<unsigned long long>());
    else r.tones = payload.string("tones").value_or("");
    bool valid = !r.tones.empty() && r.tones.size() <= DtmfRequest::kMaxTones;
    for (char &c : r.tones) {
        valid = valid && isDtmfTone(c);
        c = g_ascii_toupper(c);
    }
    if (!valid) throw Error(ResultCode::InvalidArgument, "invalid_dtmf", {printable(tones->is_string() ? tones->get<std::string>() : r.tones)});
    r.durationMs = payload.integer("duration", DtmfRequest::kMinDurationMs, DtmfRequest::kMaxDurationMs, " (ms)")
                       .value_or(DtmfRequest::kDefaultDurationMs);
    r.gapMs = payload.integer("interToneGap", DtmfRequest::kMinGapMs, DtmfRequest::kMaxGapMs, " (ms)")
                  .value_or(DtmfRequest::kDefaultGapMs);
    if (auto name = payload.string("transport")) {
        if (*name == "rfc4733") r.transport = DtmfRequest::Transport::Rfc4733;
        else if (*name == "info") r.transport = DtmfRequest::Transport::Info;
        else if (*name != "auto") payload.invalidValue("transport", "\"rfc4733\", \"info\" or \"auto\"");
    }
    return r;
}

RecordRequest readRecord(const Payload &payload) {
    RecordRequest r;
    r.path = payload.requiredString("file");
    if (g_str_has_prefix(r.path.c_str(), "file:")) r.path = r.path.substr(5);
    gchar *folder = g_path_get_dirname(r.path.c_str());
    bool writable = !r.path.empty() && g_file_test(folder, G_FILE_TEST_IS_DIR) && access(folder, W_OK) == 0 &&
                    !g_file_test(r.path.c_str(), G_FILE_TEST_IS_DIR);
    g_free(folder);
    if (!writable) payload.invalidValue("file", "a WAV path in a writable folder");
    if (auto what = payload.string("what")) {
        if (*what == "sent") r.what = MediaSession::RecordWhat::Sent;
        else if (*what == "both") r.what = MediaSession::RecordWhat::Both;
        else if (*what != "received") payload.invalidValue("what", "\"received\", \"sent\" or \"both\"");
    }
    return r;
}

std::string readPlayableFile(const Payload &payload) {
    std::string file = payload.requiredString("file");
    bool url = g_str_has_prefix(file.c_str(), "http://") || g_str_has_prefix(file.c_str(), "https://") ||
               g_str_has_prefix(file.c_str(), "file://");
    if (!url && (!g_file_test(file.c_str(), G_FILE_TEST_IS_REGULAR) || access(file.c_str(), R_OK) != 0))
        throw Error(ResultCode::InvalidArgument, "file_not_found", {printable(file)});
    return file;
}

PlayRequest readPlay(const Payload &payload) {
    PlayRequest request;
    request.source = readPlayableFile(payload);
    request.loop = payload.boolean("loop").value_or(false);
    AudioEndpoint device;
    device.kind = AudioEndpoint::Kind::Device;
    request.output = readAudioOutput(payload, "output").value_or(device);
    request.playId = readChosenId(payload, "playId");
    return request;
}

}  // namespace sipw
