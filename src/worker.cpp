#include "worker.hpp"

#include "config.hpp"
#include "error.hpp"
#include "user_agent.hpp"

#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>

#include <condition_variable>
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

Worker::Worker(const json &options) {
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
            agent_ = std::make_unique<UserAgent>(root_, [this](const CauseData &ev) { emit(ev); });
        },
        [this] {
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
    for (const auto &key : unknown) {
        auto message = i18n::format("unknown_field", {key});
        emit(CauseData("warning", "warning")
                 .originator("local")
                 .data({{"key", "unknown_field"}, {"args", {key}}, {"text", message.en}, {"textCN", message.zh}}));
    }
}

Worker::~Worker() {
    shuttingDown_ = true;
    // Bounded: hang up, unregister and let nua finish; past the budget, tear down regardless.
    auto state = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
    auto finished = std::make_shared<bool>(false);
    loop_->invoke([this, state, finished] {
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

std::optional<std::string> Worker::sessionInfo(const std::string &) { return std::nullopt; }

}  // namespace sipw
