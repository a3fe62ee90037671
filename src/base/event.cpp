#include "base/event.hpp"

#include <chrono>

namespace sipw {

long long nowMillis() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

CauseData::CauseData(std::string channel, std::string msg) : channel_(std::move(channel)) {
    fields_["msg"] = msg;
    fields_["code"] = 0;
    if (const i18n::Text *t = i18n::eventMessage(msg)) fields_["msgCN"] = std::string(t->zh);
}

CauseData CauseData::warning(const std::string &key, const std::vector<std::string> &args,
                             std::string_view originator, const nlohmann::json &more) {
    auto message = i18n::format(key, args);
    nlohmann::json data = {{"key", key}, {"text", message.en}, {"textCN", message.zh}};
    if (!args.empty()) data["args"] = args;
    if (more.is_object()) data.update(more);
    CauseData event("warning", "warning");
    if (!originator.empty()) event.originator(originator);
    event.data(std::move(data));
    return event;
}

CauseData &CauseData::statusCode(int code, std::string_view reasonText) {
    fields_["code"] = code;
    fields_["statusCode"] = code;
    if (!reasonText.empty()) {
        fields_["reason"] = std::string(reasonText);
    } else if (const i18n::Text *t = i18n::reasonPhrase(code)) {
        fields_["reason"] = std::string(t->en);
    }
    return *this;
}

CauseData &CauseData::cause(std::string_view jssipCause) {
    fields_["cause"] = std::string(jssipCause);  // causeCN is worded in build(), once the originator is known
    return *this;
}

CauseData &CauseData::originator(std::string_view who) {
    fields_["originator"] = std::string(who);
    return *this;
}

CauseData &CauseData::session(std::string_view id, std::string_view origin) {
    fields_["sessionId"] = std::string(id);
    fields_["sessionOrigin"] = std::string(origin);
    return *this;
}

CauseData &CauseData::fromUri(std::string_view uri) {
    fields_["fromUri"] = std::string(uri);
    return *this;
}

CauseData &CauseData::reason(std::string_view text) {
    fields_["reason"] = std::string(text);
    return *this;
}

CauseData &CauseData::data(nlohmann::json value) {
    fields_["data"] = std::move(value);
    return *this;
}

CauseData &CauseData::extra(nlohmann::json value) {
    fields_["extra"] = std::move(value);
    return *this;
}

CauseData &CauseData::detail(const i18n::Message &message) {
    nlohmann::json &d = fields_["data"];
    if (!d.is_object()) d = nlohmann::json::object();
    d["text"] = message.en;
    d["textCN"] = message.zh;
    return *this;
}

EventPtr CauseData::build(const EventIdentity &who) const {
    auto ev = std::make_shared<Event>();
    ev->channel = channel_;
    ev->data = fields_;
    ev->data["id"] = who.workerId;
    ev->data["uri"] = who.uri;
    ev->data["time"] = nowMillis();
    ev->msg = ev->data["msg"].get<std::string>();
    if (const i18n::Text *t = i18n::eventMessage(ev->msg)) ev->data["msgText"] = std::string(t->in(who.locale));
    auto cause = fields_.find("cause");
    if (cause != fields_.end() && cause->is_string()) {
        auto originator = fields_.find("originator");
        bool byRemote = originator != fields_.end() && *originator == "remote";
        if (const i18n::Text *t = i18n::cause(cause->get<std::string>(), byRemote)) {
            ev->data["causeCN"] = std::string(t->zh);
            ev->data["causeText"] = std::string(t->in(who.locale));
        }
    }
    // Invalid UTF-8 from the network (a hostile display name) is replaced, never thrown on.
    ev->json = ev->data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return ev;
}

}  // namespace sipw
