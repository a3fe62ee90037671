#include "worker/command_payloads.hpp"

#include "base/error.hpp"
#include "config/config.hpp"
#include "sip/session_manager.hpp"

#include <glib.h>
#include <unistd.h>

namespace sipw {

using nlohmann::json;

CallOptions readCallOptions(const Payload &payload) {
    CallOptions options;
    auto fields = payload.object("options");
    if (!fields) return options;
    if (auto audio = fields->object("audio")) {
        options.input = readAudioInput(*audio, "input");
        options.output = readAudioOutput(*audio, "output");
    }
    if (auto media = fields->object("media")) options.media = readMediaChoice(*media, nullptr);
    for (const std::string &line : fields->strings("extraHeaders").value_or(std::vector<std::string>{})) {
        auto colon = line.find(':');
        bool hasControl = line.find_first_of("\r\n") != std::string::npos;
        if (colon == std::string::npos || colon == 0 || hasControl)
            fields->invalidValue("extraHeaders", "\"Name: value\" lines");
        options.extraHeaders.push_back(line);
    }
    return options;
}

std::string readCallTarget(const Payload &payload) {
    const json *target = payload.find("target");
    if (!target) payload.missing("target");
    if (target->is_number_unsigned()) return std::to_string(target->get<unsigned long long>());
    return payload.requiredString("target");
}

std::string readChosenId(const Payload &payload, const std::string &key) {
    auto id = payload.string(key);
    if (!id) return newSessionId();
    if (!isPrintableId(*id)) payload.invalidValue(key, "1 to 128 printable characters");
    return *id;
}

std::string readSessionId(const Payload &payload) {
    if (!payload.has("sessionId")) payload.missing("sessionId");
    return *payload.string("sessionId");
}

bool readIsTimeout(const Payload &payload) { return payload.boolean("isTimeout").value_or(false); }

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
    request.output = readAudioOutput(payload, "output").value_or(AudioEndpoint{AudioEndpoint::Kind::Device});
    request.playId = readChosenId(payload, "playId");
    return request;
}

}  // namespace sipw
