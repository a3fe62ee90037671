// One event (a CauseData, as JsSIP's wrapper names it) and the builder the core uses to make them.
#pragma once

#include "base/i18n.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sipw {

// Immutable once built; shared between the dispatch thread, the pull queue and the wait_for
// backlog, so it is handed around as a shared_ptr<const Event>.
struct Event {
    std::string channel;  // the `on` value it was emitted on
    std::string msg;      // CauseData.msg
    std::string json;     // the whole CauseData, serialized once
    nlohmann::json data;  // the same, parsed, for field matching in wait_for

    // A listener registered for `name` sees this event.
    bool matches(std::string_view name) const {
        return name == "*" || name == channel || name == msg;
    }
};
using EventPtr = std::shared_ptr<const Event>;

// Identity of the user agent stamped on every event (CauseData.id and .uri).
struct EventIdentity {
    std::string workerId;  // INIT sipWorkerid
    std::string uri;       // INIT uri
    // INIT locale: the language of msgText and causeText (msgCN and causeCN are always Chinese).
    i18n::Locale locale = i18n::Locale::ZhCN;
};

// Builds a CauseData with the wrapper's field names. Optional fields are only set when given.
class CauseData {
public:
    CauseData(std::string channel, std::string msg);

    // A `warning` event: data {key, args (if any), text, textCN} from the i18n error `key`, plus
    // any fields of `more`; originator left out when empty.
    static CauseData warning(const std::string &key, const std::vector<std::string> &args = {},
                             std::string_view originator = {}, const nlohmann::json &more = nullptr);

    CauseData &statusCode(int code, std::string_view reason = {});
    // Sets cause; causeCN (and causeText) follow it, worded for the other party when the
    // originator is "remote" (a remote "Terminated" is "对方已挂断").
    CauseData &cause(std::string_view jssipCause);
    CauseData &originator(std::string_view who);             // "local" | "remote" | "system"
    CauseData &session(std::string_view id, std::string_view origin);
    CauseData &fromUri(std::string_view uri);
    CauseData &reason(std::string_view text);
    CauseData &data(nlohmann::json value);
    CauseData &extra(nlohmann::json value);
    // The event's text in both languages for events without a JsSIP cause (warnings, errors).
    CauseData &detail(const i18n::Message &message);

    EventPtr build(const EventIdentity &who) const;

private:
    std::string channel_;
    nlohmann::json fields_;
};

// Milliseconds since the Unix epoch (CauseData.time).
long long nowMillis();

}  // namespace sipw
