#include "worker/worker.hpp"

#include "config/config.hpp"
#include "worker/command_payloads.hpp"
#include "sip/dtmf.hpp"
#include "base/error.hpp"
#include "media/media_factory.hpp"
#include "media/playback.hpp"
#include "sip/session.hpp"
#include "sip/session_manager.hpp"
#include "sip/user_agent.hpp"

#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>

#include <atomic>
#include <condition_variable>
#include <unistd.h>
#include <mutex>

namespace sipw {

using nlohmann::json;
using names::Command;

namespace {

std::once_flag sofiaInitOnce;
std::atomic<int> liveWorkers{0};  // constructed and not yet shut down

// sofia-sip's GLib port keeps a mutex locked for as long as its thread owns it, and it can only
// be destroyed by that owner; when GLib finalizes the source, g_mutex_clear() on that locked mutex
// aborts the process. So each finished port keeps one reference here and is never finalized:
// a few hundred bytes per destroyed worker, still reachable (no leak report).
// Both live as long as the process (never destroyed at exit, where a worker still stopping on
// another thread may park its port).
void parkSofiaSource(GSource *source) {
    static auto *mutex = new std::mutex;
    static auto *parked = new std::vector<GSource *>;
    std::lock_guard<std::mutex> lock(*mutex);
    parked->push_back(g_source_ref(source));
}

// The loop thread could not make sofia-sip's root (out of memory or descriptors): said once as the
// worker starts, and again in answer to every SIP command.
CauseData noSipStack() { return CauseData::warning("internal", {"sofia-sip root"}, "local"); }

}  // namespace

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
            playbacks_ = std::make_unique<Playbacks>(g_main_context_get_thread_default(), playIds_,
                                                     [this](const CauseData &ev) { emit(ev); });
            root_ = su_glib_root_create(this);
            if (!root_) {
                emit(noSipStack());
                return;
            }
            g_source_attach(su_glib_root_gsource(root_), g_main_context_get_thread_default());
            // The worker picks the media implementation; the SIP side only sees the seam.
            agent_ = std::make_unique<UserAgent>(root_, sessions_, [this](const CauseData &ev) { emit(ev); },
                                                 createMediaFactory());
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
    // The loop's first task, ahead of any command: the media warm-up's first stage (~60-100 ms,
    // once per process). INIT's REGISTER waits for it, the first call does not; the caller of
    // sipw_create never waits for it (an event loop such as gevent's must not stall).
    loop_->invoke([] { awaitMediaCallPath(std::chrono::milliseconds(kPrewarmBudgetMs)); });
    for (const auto &key : unknown) emit(CauseData::warning("unknown_field", {key}, "local"));
    ++liveWorkers;
}

Worker::~Worker() { shutdown(); }

void Worker::shutdown() { std::call_once(shutdownOnce_, [this] { stopEverything(); }); }

void Worker::stopEverything() {
    shuttingDown_ = true;
    hub_->closePulling();
    // Bounded: hang up, unregister and let nua finish; past the budget, tear down regardless.
    auto state = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
    auto finished = std::make_shared<bool>(false);
    loop_->invoke([this, state, finished] {
        if (playbacks_) playbacks_->stopAll();
        auto finish = [state, finished] {
            std::lock_guard<std::mutex> lock(state->first);
            *finished = true;
            state->second.notify_all();
        };
        if (agent_)
            agent_->shutdown(finish);
        else
            finish();
    });
    {
        std::unique_lock<std::mutex> lock(state->first);
        state->second.wait_for(lock, std::chrono::milliseconds(kShutdownBudgetMs), [&] { return *finished; });
    }
    loop_->stop();
    hub_->shutdown();
    // The last worker destroyed right after INIT (a CLI `register`) may beat the media prewarm
    // thread; the process may exit next, which must not happen while that thread is inside
    // GStreamer. While other workers live, nobody waits (an event loop must not stall).
    if (--liveWorkers == 0) awaitMediaPrewarm(std::chrono::milliseconds(kPrewarmBudgetMs));
}

void Worker::emit(const CauseData &event) {
    std::lock_guard<std::mutex> lock(identityMutex_);
    hub_->emit(event.build(identity_));
}

void Worker::runOnLoop(std::function<void(UserAgent &)> task) {
    if (!loop_->invoke([this, task = std::move(task)] {
            if (agent_)
                task(*agent_);
            else
                emit(noSipStack());
        }))
        throw Error(ResultCode::ShuttingDown, "shutting_down");
}

void Worker::post(const std::string &text, const json &data) {
    if (shuttingDown_) throw Error(ResultCode::ShuttingDown, "shutting_down");
    auto command = names::commandNamed(text);
    if (!command) throw Error(ResultCode::UnknownCommand, "unknown_command", {printable(text)});
    if (!names::commandSupported(*command)) throw Error(ResultCode::UnknownCommand, "unsupported_command", {text});
    // Every command of the catalogue has its case (the build fails on a missing one).
    switch (*command) {
    case Command::Init: {
        std::vector<std::string> unknown;
        Config config = parseInitConfig(data, unknown);
        {
            std::lock_guard<std::mutex> lock(identityMutex_);
            identity_ = EventIdentity{config.workerId, config.uri, config.locale};
            domain_ = config.domain;
        }
        locale_ = static_cast<int>(config.locale);
        initialized_ = true;
        runOnLoop([config = std::move(config), unknown](UserAgent &ua) mutable { ua.init(std::move(config), unknown); });
        return;
    }
    case Command::Login:
    case Command::Logout:
    case Command::Register:
    case Command::Unregister:
        postConnectionCommand(*command, text, data);
        return;
    case Command::Call:
    case Command::Answer:
    case Command::Hangup:
    case Command::SesstionDel:
    case Command::Hold:
    case Command::Unhold:
    case Command::Mute:
    case Command::Unmute:
    case Command::Dtmf:
    case Command::Record:
    case Command::RecordStop:
    case Command::CallPlay:
    case Command::CallPlayStop:
    case Command::Progress:
    case Command::Refer:
    case Command::ReferAccept:
    case Command::ReferReject:
        postSessionCommand(*command, text, data);
        return;
    case Command::Message:
        postMessage(text, data);
        return;
    case Command::Play:
    case Command::PlayStop:
        postPlayCommand(*command, text, data);
        return;
    case Command::Notify:
    case Command::Empty:
        break;  // refused above (not supported)
    }
    throw Error(ResultCode::UnknownCommand, "unsupported_command", {text});
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

void Worker::postConnectionCommand(Command command, const std::string &name, const json &data) {
    // No data: null, nothing, or an empty object.
    if (!data.is_null()) Payload::ofCommand(data, name);
    if (!initialized_) throw Error(ResultCode::WrongState, "not_initialized", {name});
    switch (command) {
    case Command::Login: runOnLoop([](UserAgent &ua) { ua.login(); }); break;
    case Command::Logout: runOnLoop([](UserAgent &ua) { ua.logout(); }); break;
    case Command::Register: runOnLoop([](UserAgent &ua) { ua.registerNow(); }); break;
    default: runOnLoop([](UserAgent &ua) { ua.unregister(); }); break;
    }
}

std::string Worker::targetUri(const Payload &payload, const std::string &field) {
    std::string target = field == "target" ? readCallTarget(payload) : payload.requiredString(field);
    std::string uri;
    {
        std::lock_guard<std::mutex> lock(identityMutex_);
        uri = targetToUri(target, domain_);
    }
    if (uri.empty()) payload.invalidValue(field, "a number, a user or a SIP URI");
    return uri;
}

void Worker::warnIgnoredOptions(const IgnoredOptions &ignored, const std::string &sessionId) {
    nlohmann::json more = {{"sessionId", sessionId}};
    for (const auto &f : ignored.browser) emit(CauseData::warning("browser_option_ignored", {f}, "local", more));
    for (const auto &f : ignored.unsupported) emit(CauseData::warning("jssip_option_unsupported", {f}, "local", more));
    for (const auto &f : ignored.unknown) emit(CauseData::warning("unknown_field", {f}, "local", more));
}

void Worker::postCall(const Payload &payload) {
    std::string uri = targetUri(payload, "target");
    std::string id = readChosenId(payload, "sessionId");
    IgnoredOptions ignored;
    CallOptions options = readCallOptions(payload, &ignored);
    SessionInfo info;
    {
        std::lock_guard<std::mutex> lock(identityMutex_);
        info.remoteUri = uri;
        info.localUri = identity_.uri;
    }
    info.sessionId = id;
    info.direction = "outgoing";
    info.state = "calling";
    info.startTime = nowMillis();
    std::uint64_t generation = sessions_->add(info);
    if (!generation) throw Error(ResultCode::InvalidArgument, "duplicate_session", {id});
    try {
        runOnLoop([id, generation, uri = info.remoteUri, options](UserAgent &ua) {
            ua.call(id, generation, uri, options);
        });
    } catch (...) {
        sessions_->erase(id);
        throw;
    }
    warnIgnoredOptions(ignored, id);
}

void Worker::postMessage(const std::string &name, const json &data) {
    Payload payload = Payload::ofCommand(data, name);
    if (!initialized_) throw Error(ResultCode::WrongState, "not_initialized", {name});
    MessageRequest request = readMessage(payload);
    request.targetUri = targetUri(payload, "target");
    runOnLoop([request](UserAgent &ua) { ua.sendMessage(request); });
}

void Worker::postSessionCommand(Command command, const std::string &name, const json &data) {
    Payload payload = Payload::ofCommand(data, name);
    if (!initialized_) throw Error(ResultCode::WrongState, "not_initialized", {name});
    if (command == Command::Call) return postCall(payload);

    std::string id = readSessionId(payload);
    auto info = sessions_->find(id);
    if (!info) throw Error(ResultCode::UnknownSession, "unknown_session", {printable(id)});
    auto refuse = [&] { return Error(ResultCode::WrongState, "wrong_state", {name, info->state}); };
    if (info->hangupRequested && !info->terminated() && command != Command::SesstionDel)
        throw Error(ResultCode::WrongState, "hangup_in_progress", {name});

    switch (command) {
    case Command::Answer: {
        if (info->direction != "incoming" || info->state != "ringing") throw refuse();
        IgnoredOptions ignored;
        CallOptions options = readCallOptions(payload, &ignored);
        // The caller's offer chose the profile; an answer cannot change it.
        if (options.media.profile && profileName(*options.media.profile) != info->profile)
            throw Error(ResultCode::InvalidArgument, "invalid_value",
                        {"options.media.profile", "the caller's offer asks for \"" + info->profile + "\""});
        if (!sessions_->advance(id, "ringing", "answering")) {
            auto now = sessions_->find(id);
            throw Error(ResultCode::WrongState, "wrong_state", {name, now ? now->state : "terminated"});
        }
        runOnLoop([id, options](UserAgent &ua) { ua.answer(id, options); });
        warnIgnoredOptions(ignored, id);
        return;
    }
    case Command::Progress: {
        IgnoredOptions ignored;
        ProgressRequest request = readProgress(payload, &ignored);
        if (info->direction != "incoming" || info->state != "ringing")
            throw Error(ResultCode::WrongState, "not_ringing_incoming", {name});
        runOnLoop([id, request](UserAgent &ua) { ua.progress(id, request); });
        warnIgnoredOptions(ignored, id);
        return;
    }
    case Command::Hangup: {
        HangupRequest request = readHangup(payload);
        if (info->terminated()) throw refuse();
        if (request.statusCode && !request.isTimeout && info->direction == "incoming" && info->state != "ringing" &&
            info->state != "confirmed" && info->state != "accepted")
            throw refuse();  // answering: too late to reject, too early for a BYE with a reason
        if (!sessions_->requestHangup(id)) throw Error(ResultCode::WrongState, "hangup_in_progress", {name});
        runOnLoop([id, request](UserAgent &ua) { ua.hangup(id, request); });
        return;
    }
    case Command::SesstionDel:
        if (!info->terminated()) runOnLoop([id](UserAgent &ua) { ua.hangup(id, HangupRequest{}); });
        sessions_->erase(id);
        return;
    case Command::Refer: {
        std::string replacesId = payload.string("replaces").value_or("");
        std::vector<std::string> extraHeaders = readExtraHeaders(payload, "extraHeaders");
        std::string uri;
        if (payload.has("target")) uri = targetUri(payload, "target");
        if (!info->confirmed()) throw refuse();
        if (!replacesId.empty()) {
            if (replacesId == id) payload.invalidValue("replaces", "another session than the one transferred");
            auto other = sessions_->find(replacesId);
            if (!other) throw Error(ResultCode::UnknownSession, "unknown_session", {printable(replacesId)});
            if (!other->confirmed())
                throw Error(ResultCode::WrongState, "replaces_unusable", {printable(replacesId), other->state});
            if (uri.empty()) uri = other->remoteUri;  // attended: the other party of that call
        }
        if (uri.empty()) payload.missing("target");
        if (!sessions_->claimOutgoingRefer(id)) throw Error(ResultCode::WrongState, "refer_in_progress", {});
        runOnLoop([id, uri, replacesId, extraHeaders](UserAgent &ua) { ua.refer(id, uri, replacesId, extraHeaders); });
        return;
    }
    case Command::ReferAccept: {
        std::string newId = readChosenId(payload, "newSessionId");
        IgnoredOptions ignored;
        CallOptions options = readCallOptions(payload, &ignored);
        if (info->referTarget.empty()) throw Error(ResultCode::WrongState, "no_refer_received", {});
        SessionInfo call;
        call.sessionId = newId;
        call.direction = "outgoing";
        call.state = "calling";
        call.remoteUri = info->referTarget;
        call.localUri = info->localUri;
        call.referredFrom = id;
        call.startTime = nowMillis();
        std::uint64_t generation = sessions_->add(call);
        if (!generation) throw Error(ResultCode::InvalidArgument, "duplicate_session", {newId});
        std::string target;
        if (!sessions_->claimIncomingRefer(id, target)) {
            sessions_->erase(newId);
            throw Error(ResultCode::WrongState, "no_refer_received", {});
        }
        try {
            runOnLoop([id, newId, generation, target, options](UserAgent &ua) {
                ua.referAccept(id, newId, generation, target, options);
            });
        } catch (...) {
            sessions_->erase(newId);
            throw;
        }
        warnIgnoredOptions(ignored, newId);
        return;
    }
    case Command::ReferReject: {
        std::string target;
        if (!sessions_->claimIncomingRefer(id, target)) throw Error(ResultCode::WrongState, "no_refer_received", {});
        runOnLoop([id](UserAgent &ua) { ua.referReject(id); });
        return;
    }
    case Command::Hold:
    case Command::Unhold: {
        if (!info->confirmed()) throw refuse();
        bool hold = command == Command::Hold;
        runOnLoop([id, hold](UserAgent &ua) { ua.hold(id, hold); });
        return;
    }
    case Command::Mute:
    case Command::Unmute: {
        if (info->terminated() || info->state == "ringing") throw refuse();
        bool mute = command == Command::Mute;
        runOnLoop([id, mute](UserAgent &ua) { ua.mute(id, mute); });
        return;
    }
    case Command::Dtmf: {
        DtmfRequest request = readDtmf(payload);
        if (!info->confirmed()) throw refuse();
        if (request.transport == DtmfRequest::Transport::Rfc4733 && !info->telephoneEvent)
            throw Error(ResultCode::WrongState, "dtmf_rfc4733_unavailable", {});
        runOnLoop([id, request](UserAgent &ua) { ua.sendDtmf(id, request); });
        return;
    }
    case Command::Record: {
        RecordRequest r = readRecord(payload);
        if (!info->confirmed() && !(info->earlyMedia && !info->terminated())) throw refuse();
        runOnLoop([id, r](UserAgent &ua) { ua.withSession(id, [&](Session &s) { s.record(r.path, r.what); }); });
        return;
    }
    case Command::CallPlay: {
        std::string source = readPlayableFile(payload);
        bool loop = payload.boolean("loop").value_or(false);
        if (!info->confirmed() && !(info->earlyMedia && !info->terminated())) throw refuse();
        runOnLoop([id, source, loop](UserAgent &ua) { ua.withSession(id, [&](Session &s) { s.playFile(source, loop); }); });
        return;
    }
    case Command::RecordStop:
        if (!info->recording) throw Error(ResultCode::WrongState, "not_recording", {});
        runOnLoop([id](UserAgent &ua) { ua.withSession(id, [](Session &s) { s.stopRecording(); }); });
        return;
    case Command::CallPlayStop:
        if (!info->playingFile) throw Error(ResultCode::WrongState, "not_playing_file", {});
        runOnLoop([id](UserAgent &ua) { ua.withSession(id, [](Session &s) { s.stopPlayingFile("stopped"); }); });
        return;
    default:
        throw Error(ResultCode::Internal, "internal", {"not a session command: " + name});
    }
}

void Worker::postPlayCommand(Command command, const std::string &name, const json &data) {
    Payload payload = Payload::ofCommand(data, name);
    if (command == Command::PlayStop) {
        std::string id = payload.requiredString("playId");
        if (!playIds_->contains(id)) throw Error(ResultCode::UnknownSession, "unknown_play", {printable(id)});
        if (!loop_->invoke([this, id] { playbacks_->stop(id); }))
            throw Error(ResultCode::ShuttingDown, "shutting_down");
        return;
    }
    PlayRequest request = readPlay(payload);
    if (!playIds_->add(request.playId)) throw Error(ResultCode::InvalidArgument, "duplicate_play", {request.playId});
    if (!loop_->invoke([this, request] { playbacks_->play(request); })) {
        playIds_->remove(request.playId);
        throw Error(ResultCode::ShuttingDown, "shutting_down");
    }
}

std::optional<std::string> Worker::sessionInfo(const std::string &id) {
    auto info = sessions_->find(id);
    if (!info) return std::nullopt;
    // Header values and names come from the network: invalid UTF-8 is replaced, never thrown on.
    return info->toJson().dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sipw
