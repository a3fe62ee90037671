#include "worker/worker.hpp"

#include "config/config.hpp"
#include "sip/dtmf.hpp"
#include "base/error.hpp"
#include "media/media_factory.hpp"
#include "media/playback.hpp"
#include "sip/session.hpp"
#include "sip/session_manager.hpp"
#include "sip/user_agent.hpp"

#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>

#include <condition_variable>
#include <unistd.h>
#include <mutex>

namespace sipw {

using nlohmann::json;

namespace {

std::once_flag sofiaInitOnce;

// sofia-sip's GLib port keeps a mutex locked for as long as its thread owns it, and it can only
// be destroyed by that owner; when GLib finalizes the source, g_mutex_clear() on that locked mutex
// aborts the process. So each finished port keeps one reference here and is never finalized:
// a few hundred bytes per destroyed worker, still reachable (no leak report).
void parkSofiaSource(GSource *source) {
    static std::mutex mutex;
    static std::vector<GSource *> parked;
    std::lock_guard<std::mutex> lock(mutex);
    parked.push_back(g_source_ref(source));
}

// Commands that take no data accept null, nothing, or an empty object.
void expectNoData(const std::string &command, const json &data) {
    if (data.is_null()) return;
    if (!data.is_object()) throw Error(ResultCode::InvalidArgument, "payload_not_object", {command});
}

}  // namespace

std::string printable(const std::string &text) {
    // Invalid UTF-8 and control characters never reach an error text or a log.
    gchar *valid = g_utf8_make_valid(text.c_str(), static_cast<gssize>(text.size()));
    std::string out;
    for (const char *p = valid; *p && out.size() < 80; ++p) out += (static_cast<unsigned char>(*p) < 0x20) ? '?' : *p;
    g_free(valid);
    return out;
}

Worker::Worker(const json &options) : playIds_(std::make_shared<PlaybackIds>()) {
    if (!options.is_null() && !options.is_object())
        throw Error(ResultCode::InvalidArgument, "invalid_options", {"options must be a JSON object"});
    bool queue = false;
    EventHub::Limits limits;
    std::vector<std::string> unknown;
    if (options.is_object()) {
        for (auto it = options.begin(); it != options.end(); ++it) {
            const std::string &key = it.key();
            if (key == "eventQueue") {
                if (!it->is_boolean()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"eventQueue", "boolean"});
                queue = it->get<bool>();
            } else if (key == "queueCapacity" || key == "backlogCapacity") {
                if (!it->is_number_integer() || it->get<long long>() < 1 || it->get<long long>() > 10000000)
                    throw Error(ResultCode::InvalidArgument, "invalid_value", {key, "an integer from 1 to 10000000"});
                (key == "queueCapacity" ? limits.queueCapacity : limits.backlogCapacity) = it->get<size_t>();
            } else {
                unknown.push_back(key);
            }
        }
    }
    std::call_once(sofiaInitOnce, [] {
        su_init();
        // sofia-sip prints its own debug lines to stdout; keep them for whoever asks for them.
        if (!g_getenv("SIPW_SOFIA_DEBUG")) su_log_set_level(nullptr, 0);
    });
    hub_ = EventHub::create(queue, limits);
    loop_ = std::make_unique<LoopThread>(
        [this] {
            root_ = su_glib_root_create(this);
            if (root_) g_source_attach(su_glib_root_gsource(root_), g_main_context_get_thread_default());
            // The worker picks the media implementation; the SIP side only sees the seam.
            agent_ = std::make_unique<UserAgent>(root_, sessions_, [this](const CauseData &ev) { emit(ev); },
                                                 createMediaFactory());
            playbacks_ = std::make_unique<Playbacks>(g_main_context_get_thread_default(), playIds_,
                                                     [this](const CauseData &ev) { emit(ev); });
        },
        [this] {
            playbacks_.reset();  // finalizes `file:` outputs
            if (agent_) agent_->forceShutdown();
            agent_.reset();
            if (root_) {
                GSource *source = su_glib_root_gsource(root_);
                parkSofiaSource(source);
                g_source_destroy(source);
                su_root_destroy(root_);
            }
            root_ = nullptr;
        });
    if (!root_) {
        loop_->stop();
        hub_->shutdown();
        throw Error(ResultCode::Internal, "internal", {"sofia-sip root"});
    }
    for (const auto &key : unknown) emit(CauseData::warning("unknown_field", {key}, "local"));
}

Worker::~Worker() {
    shuttingDown_ = true;
    // Bounded: hang up, unregister and let nua finish; past the budget, tear down regardless.
    auto state = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
    auto finished = std::make_shared<bool>(false);
    loop_->invoke([this, state, finished] {
        if (playbacks_) playbacks_->stopAll();
        agent_->shutdown([state, finished] {
            std::lock_guard<std::mutex> lock(state->first);
            *finished = true;
            state->second.notify_all();
        });
    });
    {
        std::unique_lock<std::mutex> lock(state->first);
        state->second.wait_for(lock, std::chrono::milliseconds(kShutdownBudgetMs), [&] { return *finished; });
    }
    loop_->stop();
    hub_->shutdown();
    // A worker destroyed right after INIT (a CLI `register`) may beat the media prewarm thread;
    // the process may exit next, which must not happen while that thread is inside GStreamer.
    awaitMediaPrewarm(std::chrono::milliseconds(kPrewarmBudgetMs));
}

void Worker::emit(const CauseData &event) {
    std::lock_guard<std::mutex> lock(identityMutex_);
    hub_->emit(event.build(identity_));
}

void Worker::runOnLoop(std::function<void(UserAgent &)> task) {
    if (!loop_->invoke([this, task = std::move(task)] { task(*agent_); }))
        throw Error(ResultCode::ShuttingDown, "shutting_down");
}

void Worker::post(const std::string &command, const json &data) {
    if (shuttingDown_) throw Error(ResultCode::ShuttingDown, "shutting_down");

    if (command == "INIT") {
        std::vector<std::string> unknown;
        Config config = parseInitConfig(data, unknown);
        {
            std::lock_guard<std::mutex> lock(identityMutex_);
            identity_ = EventIdentity{config.workerId, config.uri};
            domain_ = config.domain;
        }
        initialized_ = true;
        runOnLoop([config = std::move(config), unknown](UserAgent &ua) mutable { ua.init(std::move(config), unknown); });
        return;
    }
    if (command == "LOGIN" || command == "LOGOUT" || command == "REGISTER" || command == "UNREGISTER") {
        expectNoData(command, data);
        if (!initialized_) throw Error(ResultCode::WrongState, "not_initialized", {command});
        if (command == "LOGIN") runOnLoop([](UserAgent &ua) { ua.login(); });
        if (command == "LOGOUT") runOnLoop([](UserAgent &ua) { ua.logout(); });
        if (command == "REGISTER") runOnLoop([](UserAgent &ua) { ua.registerNow(); });
        if (command == "UNREGISTER") runOnLoop([](UserAgent &ua) { ua.unregister(); });
        return;
    }
    if (command == "CALL" || command == "ANSWER" || command == "HANGUP" || command == "SESSTION_DEL" ||
        command == "HOLD" || command == "UNHOLD" || command == "ONHOLD" || command == "MUTE" || command == "UNMUTE" ||
        command == "DTMF" || command == "RECORD" || command == "RECORD_STOP" || command == "CALL_PLAY" ||
        command == "CALL_PLAY_STOP") {
        postSessionCommand(command, data);
        return;
    }
    if (command == "PLAY" || command == "PLAY_STOP") {
        postPlayCommand(command, data);
        return;
    }
    if (command == "NOTIFY" || command == "EMPTY") throw Error(ResultCode::UnknownCommand, "unsupported_command", {command});
    throw Error(ResultCode::UnknownCommand, "unknown_command", {printable(command)});
}

void Worker::post(const std::string &command, const std::string *dataJson) {
    if (shuttingDown_) throw Error(ResultCode::ShuttingDown, "shutting_down");
    if (!g_utf8_validate(command.data(), static_cast<gssize>(command.size()), nullptr))
        throw Error(ResultCode::UnknownCommand, "unknown_command", {printable(command)});
    json data;
    if (dataJson) {
        if (dataJson->size() > kMaxPayloadBytes)
            throw Error(ResultCode::InvalidArgument, "payload_too_large", {std::to_string(kMaxPayloadBytes)});
        if (!g_utf8_validate(dataJson->data(), static_cast<gssize>(dataJson->size()), nullptr))
            throw Error(ResultCode::InvalidArgument, "invalid_utf8", {"data_json"});
        try {
            data = json::parse(*dataJson);
        } catch (const json::exception &e) {
            throw Error(ResultCode::InvalidArgument, "invalid_json", {e.what()});
        }
    }
    post(command, data);
}

namespace {

// CALL / ANSWER `options`: audio overrides and extra headers; JsSIP's other call options
// (mediaConstraints, pcConfig, ...) describe a browser and are ignored.
CallOptions parseCallOptions(const json &data) {
    CallOptions options;
    auto it = data.find("options");
    if (it == data.end() || it->is_null()) return options;
    if (!it->is_object()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"options", "object"});
    if (auto audio = it->find("audio"); audio != it->end() && !audio->is_null()) {
        if (!audio->is_object()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"options.audio", "object"});
        for (const char *field : {"input", "output"}) {
            auto value = audio->find(field);
            if (value == audio->end() || value->is_null()) continue;
            std::string path = std::string("options.audio.") + field;
            if (!value->is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {path, "string"});
            AudioEndpoint endpoint;
            bool input = std::string(field) == "input";
            bool ok = input ? AudioEndpoint::parseInput(*value, endpoint) : AudioEndpoint::parseOutput(*value, endpoint);
            if (!ok)
                throw Error(ResultCode::InvalidArgument, "invalid_value",
                            {path, input ? "\"device\", \"file:PATH\", \"tone:HZ\" or \"silence\""
                                         : "\"device\", \"file:PATH.wav\" or \"null\""});
            (input ? options.input : options.output) = endpoint;
        }
    }
    if (auto headers = it->find("extraHeaders"); headers != it->end() && !headers->is_null()) {
        if (!headers->is_array()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"options.extraHeaders", "array of strings"});
        for (const auto &h : *headers) {
            if (!h.is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"options.extraHeaders", "array of strings"});
            const std::string &line = h.get_ref<const std::string &>();
            auto colon = line.find(':');
            bool hasControl = line.find_first_of("\r\n") != std::string::npos;
            if (colon == std::string::npos || colon == 0 || hasControl)
                throw Error(ResultCode::InvalidArgument, "invalid_value", {"options.extraHeaders", "\"Name: value\" lines"});
            options.extraHeaders.push_back(line);
        }
    }
    return options;
}

// An optional integer field within [min, max] (`fallback` when absent or null).
int optionalInt(const json &data, const char *field, int fallback, int min, int max, const char *unit) {
    auto it = data.find(field);
    if (it == data.end() || it->is_null()) return fallback;
    std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max) + unit;
    if (!it->is_number_integer()) throw Error(ResultCode::InvalidArgument, "wrong_type", {field, "integer"});
    long long v = it->get<long long>();
    if (v < min || v > max) throw Error(ResultCode::InvalidArgument, "invalid_value", {field, range});
    return static_cast<int>(v);
}

// DTMF {tones, duration?, interToneGap?, transport?}.
DtmfRequest parseDtmf(const json &data) {
    DtmfRequest r;
    auto tones = data.find("tones");
    if (tones == data.end() || tones->is_null()) throw Error(ResultCode::InvalidArgument, "missing_field", {"tones"});
    // A number of digits is what a caller means by 123; strings are the documented form.
    if (tones->is_number_unsigned()) r.tones = std::to_string(tones->get<unsigned long long>());
    else if (tones->is_string()) r.tones = tones->get<std::string>();
    else throw Error(ResultCode::InvalidArgument, "wrong_type", {"tones", "string"});
    bool valid = !r.tones.empty() && r.tones.size() <= DtmfRequest::kMaxTones;
    for (char &c : r.tones) {
        valid = valid && isDtmfTone(c);
        c = g_ascii_toupper(c);
    }
    if (!valid) throw Error(ResultCode::InvalidArgument, "invalid_dtmf", {printable(tones->is_string() ? tones->get<std::string>() : r.tones)});
    r.durationMs = optionalInt(data, "duration", DtmfRequest::kDefaultDurationMs, DtmfRequest::kMinDurationMs,
                               DtmfRequest::kMaxDurationMs, " (ms)");
    r.gapMs = optionalInt(data, "interToneGap", DtmfRequest::kDefaultGapMs, DtmfRequest::kMinGapMs,
                          DtmfRequest::kMaxGapMs, " (ms)");
    if (auto t = data.find("transport"); t != data.end() && !t->is_null()) {
        if (!t->is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"transport", "string"});
        const std::string &name = t->get_ref<const std::string &>();
        if (name == "rfc4733") r.transport = DtmfRequest::Transport::Rfc4733;
        else if (name == "info") r.transport = DtmfRequest::Transport::Info;
        else if (name != "auto")
            throw Error(ResultCode::InvalidArgument, "invalid_value", {"transport", "\"rfc4733\", \"info\" or \"auto\""});
    }
    return r;
}

// A required non-empty string field.
std::string requiredString(const json &data, const char *field) {
    auto it = data.find(field);
    if (it == data.end() || it->is_null()) throw Error(ResultCode::InvalidArgument, "missing_field", {field});
    if (!it->is_string() || it->get_ref<const std::string &>().empty())
        throw Error(ResultCode::InvalidArgument, "wrong_type", {field, "non-empty string"});
    return *it;
}

bool optionalBool(const json &data, const char *field, bool fallback) {
    auto it = data.find(field);
    if (it == data.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) throw Error(ResultCode::InvalidArgument, "wrong_type", {field, "boolean"});
    return *it;
}

// A file to play: an http(s):// or file:// URL (checked when it plays), or a path that must be
// a readable file now.
std::string playableFile(const json &data, const char *field) {
    std::string file = requiredString(data, field);
    bool url = g_str_has_prefix(file.c_str(), "http://") || g_str_has_prefix(file.c_str(), "https://") ||
               g_str_has_prefix(file.c_str(), "file://");
    if (!url && (!g_file_test(file.c_str(), G_FILE_TEST_IS_REGULAR) || access(file.c_str(), R_OK) != 0))
        throw Error(ResultCode::InvalidArgument, "file_not_found", {printable(file)});
    return file;
}

std::string requiredSessionId(const json &data) {
    auto it = data.find("sessionId");
    if (it == data.end() || it->is_null()) throw Error(ResultCode::InvalidArgument, "missing_field", {"sessionId"});
    if (!it->is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"sessionId", "string"});
    return *it;
}

}  // namespace

void Worker::postSessionCommand(const std::string &command, const json &data) {
    if (!data.is_object()) throw Error(ResultCode::InvalidArgument, "payload_not_object", {command});
    if (!initialized_) throw Error(ResultCode::WrongState, "not_initialized", {command});

    if (command == "CALL") {
        auto target = data.find("target");
        if (target == data.end() || target->is_null()) throw Error(ResultCode::InvalidArgument, "missing_field", {"target"});
        std::string targetText;
        if (target->is_string()) targetText = *target;
        else if (target->is_number_unsigned()) targetText = std::to_string(target->get<unsigned long long>());
        else throw Error(ResultCode::InvalidArgument, "wrong_type", {"target", "string"});
        std::string id;
        if (auto given = data.find("sessionId"); given != data.end() && !given->is_null()) {
            if (!given->is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"sessionId", "string"});
            id = *given;
            if (id.empty() || id.size() > 128 || printable(id) != id)
                throw Error(ResultCode::InvalidArgument, "invalid_value", {"sessionId", "1 to 128 printable characters"});
        } else {
            id = newSessionId();
        }
        CallOptions options = parseCallOptions(data);
        SessionInfo info;
        {
            std::lock_guard<std::mutex> lock(identityMutex_);
            info.remoteUri = targetToUri(targetText, domain_);
            info.localUri = identity_.uri;
        }
        if (info.remoteUri.empty())
            throw Error(ResultCode::InvalidArgument, "invalid_value", {"target", "a number, a user or a SIP URI"});
        info.sessionId = id;
        info.direction = "outgoing";
        info.state = "calling";
        info.startTime = nowMillis();
        if (!sessions_->add(info)) throw Error(ResultCode::InvalidArgument, "duplicate_session", {id});
        try {
            runOnLoop([id, uri = info.remoteUri, options](UserAgent &ua) { ua.call(id, uri, options); });
        } catch (...) {
            sessions_->erase(id);
            throw;
        }
        return;
    }

    std::string id = requiredSessionId(data);
    auto info = sessions_->find(id);
    if (!info) throw Error(ResultCode::UnknownSession, "unknown_session", {printable(id)});
    auto refuse = [&] { return Error(ResultCode::WrongState, "wrong_state", {command, info->state}); };
    if (info->hangupRequested && !info->terminated() && command != "SESSTION_DEL")
        throw Error(ResultCode::WrongState, "hangup_in_progress", {command});

    if (command == "ANSWER") {
        if (info->direction != "incoming" || info->state != "ringing") throw refuse();
        CallOptions options = parseCallOptions(data);
        if (!sessions_->advance(id, "ringing", "answering")) {
            auto now = sessions_->find(id);
            throw Error(ResultCode::WrongState, "wrong_state", {command, now ? now->state : "terminated"});
        }
        runOnLoop([id, options](UserAgent &ua) { ua.answer(id, options); });
    } else if (command == "HANGUP") {
        bool isTimeout = false;
        if (auto t = data.find("isTimeout"); t != data.end() && !t->is_null()) {
            if (!t->is_boolean()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"isTimeout", "boolean"});
            isTimeout = *t;
        }
        if (info->terminated()) throw refuse();
        if (!sessions_->requestHangup(id)) throw Error(ResultCode::WrongState, "hangup_in_progress", {command});
        runOnLoop([id, isTimeout](UserAgent &ua) { ua.hangup(id, isTimeout); });
    } else if (command == "SESSTION_DEL") {
        if (!info->terminated()) runOnLoop([id](UserAgent &ua) { ua.hangup(id, false); });
        sessions_->erase(id);
    } else if (command == "HOLD" || command == "UNHOLD" || command == "ONHOLD") {
        if (!info->confirmed()) throw refuse();
        bool hold = command == "HOLD";
        runOnLoop([id, hold](UserAgent &ua) { ua.hold(id, hold); });
    } else if (command == "DTMF") {
        DtmfRequest request = parseDtmf(data);
        if (!info->confirmed()) throw refuse();
        if (request.transport == DtmfRequest::Transport::Rfc4733 && !info->telephoneEvent)
            throw Error(ResultCode::WrongState, "dtmf_rfc4733_unavailable", {});
        runOnLoop([id, request](UserAgent &ua) { ua.sendDtmf(id, request); });
    } else if (command == "RECORD") {
        std::string path = requiredString(data, "file");
        if (g_str_has_prefix(path.c_str(), "file:")) path = path.substr(5);
        gchar *folder = g_path_get_dirname(path.c_str());
        bool writable = !path.empty() && g_file_test(folder, G_FILE_TEST_IS_DIR) && access(folder, W_OK) == 0 &&
                        !g_file_test(path.c_str(), G_FILE_TEST_IS_DIR);
        g_free(folder);
        if (!writable) throw Error(ResultCode::InvalidArgument, "invalid_value", {"file", "a WAV path in a writable folder"});
        auto what = MediaSession::RecordWhat::Received;
        if (auto w = data.find("what"); w != data.end() && !w->is_null()) {
            if (!w->is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"what", "string"});
            if (*w == "sent") what = MediaSession::RecordWhat::Sent;
            else if (*w == "both") what = MediaSession::RecordWhat::Both;
            else if (*w != "received")
                throw Error(ResultCode::InvalidArgument, "invalid_value", {"what", "\"received\", \"sent\" or \"both\""});
        }
        if (!info->confirmed()) throw refuse();
        runOnLoop([id, path, what](UserAgent &ua) { ua.withSession(id, [&](Session &s) { s.record(path, what); }); });
    } else if (command == "CALL_PLAY") {
        std::string source = playableFile(data, "file");
        bool loop = optionalBool(data, "loop", false);
        if (!info->confirmed()) throw refuse();
        runOnLoop([id, source, loop](UserAgent &ua) { ua.withSession(id, [&](Session &s) { s.playFile(source, loop); }); });
    } else if (command == "RECORD_STOP" || command == "CALL_PLAY_STOP") {
        bool recordStop = command == "RECORD_STOP";
        if (recordStop ? !info->recording : !info->playingFile)
            throw Error(ResultCode::WrongState, recordStop ? "not_recording" : "not_playing_file", {});
        runOnLoop([id, recordStop](UserAgent &ua) {
            ua.withSession(id, [&](Session &s) { recordStop ? s.stopRecording() : s.stopPlayingFile("stopped"); });
        });
    } else {  // MUTE / UNMUTE
        if (info->terminated() || info->state == "ringing") throw refuse();
        bool mute = command == "MUTE";
        runOnLoop([id, mute](UserAgent &ua) { ua.mute(id, mute); });
    }
}

void Worker::postPlayCommand(const std::string &command, const json &data) {
    if (!data.is_object()) throw Error(ResultCode::InvalidArgument, "payload_not_object", {command});
    if (command == "PLAY_STOP") {
        std::string id = requiredString(data, "playId");
        if (!playIds_->contains(id)) throw Error(ResultCode::UnknownSession, "unknown_play", {printable(id)});
        if (!loop_->invoke([this, id] { playbacks_->stop(id); }))
            throw Error(ResultCode::ShuttingDown, "shutting_down");
        return;
    }
    PlayRequest request;
    request.source = playableFile(data, "file");
    request.loop = optionalBool(data, "loop", false);
    request.output.kind = AudioEndpoint::Kind::Device;
    if (auto out = data.find("output"); out != data.end() && !out->is_null()) {
        if (!out->is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"output", "string"});
        if (!AudioEndpoint::parseOutput(*out, request.output))
            throw Error(ResultCode::InvalidArgument, "invalid_value", {"output", "\"device\", \"file:PATH.wav\" or \"null\""});
    }
    if (auto given = data.find("playId"); given != data.end() && !given->is_null()) {
        if (!given->is_string()) throw Error(ResultCode::InvalidArgument, "wrong_type", {"playId", "string"});
        request.playId = *given;
        if (request.playId.empty() || request.playId.size() > 128 || printable(request.playId) != request.playId)
            throw Error(ResultCode::InvalidArgument, "invalid_value", {"playId", "1 to 128 printable characters"});
    } else {
        request.playId = newSessionId();
    }
    if (!playIds_->add(request.playId)) throw Error(ResultCode::InvalidArgument, "duplicate_play", {request.playId});
    if (!loop_->invoke([this, request] { playbacks_->play(request); })) {
        playIds_->remove(request.playId);
        throw Error(ResultCode::ShuttingDown, "shutting_down");
    }
}

std::optional<std::string> Worker::sessionInfo(const std::string &id) {
    auto info = sessions_->find(id);
    if (!info) return std::nullopt;
    return info->toJson().dump();
}

}  // namespace sipw
