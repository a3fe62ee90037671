// Reading the JSON payload of a command (INIT, CALL, DTMF...) with one set of rules.
//
// Every command reads its fields through this class, so the same input gets the same answer and
// the same message everywhere: an absent or null field takes its default; a field of the wrong
// type is InvalidArgument "wrong_type" naming the field with its path ("options.audio.input");
// a number is an integer when it has no fraction (5 and 5.0 are 5, 5.5 is refused); a value out
// of range is "invalid_value" saying what is allowed.
#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace sipw {

class Payload {
public:
    // `object` must outlive the Payload. `path` prefixes field names in messages ("options.").
    explicit Payload(const nlohmann::json &object, std::string path = {});
    // The payload of `command`: a JSON object, else InvalidArgument "payload_not_object".
    static Payload ofCommand(const nlohmann::json &data, const std::string &command);

    const nlohmann::json &raw() const { return object_; }
    // The field's name as messages show it: path + key.
    std::string name(const std::string &key) const { return path_ + key; }
    // Present and not null.
    bool has(const std::string &key) const;
    const nlohmann::json *find(const std::string &key) const;  // null when absent or null

    std::optional<std::string> string(const std::string &key) const;
    // Present, a string, not empty.
    std::string requiredString(const std::string &key) const;
    std::optional<bool> boolean(const std::string &key) const;
    // An integer within [min, max]; `unit` is appended to the range in messages (" (ms)").
    std::optional<int> integer(const std::string &key, int min, int max, const char *unit = "") const;
    // A nested object, read with this one's path + key + ".".
    std::optional<Payload> object(const std::string &key) const;
    // An array of strings (a single string counts as one element when `single` is true).
    std::optional<std::vector<std::string>> strings(const std::string &key, bool single = false) const;

    // The keys of this object that are not in `known`, with their paths (for `warning` events).
    void collectUnknown(std::initializer_list<const char *> known, std::vector<std::string> &unknown) const;

    [[noreturn]] void missing(const std::string &key) const;
    [[noreturn]] void wrongType(const std::string &key, const std::string &expected) const;
    [[noreturn]] void invalidValue(const std::string &key, const std::string &allowed) const;

private:
    const nlohmann::json &object_;
    std::string path_;
};

// `text` made safe to quote in an error message: valid UTF-8 (bad bytes replaced), control
// characters as '?', at most 80 characters (never cut inside one).
std::string printable(const std::string &text);
// A caller-chosen id (sessionId, playId): 1 to 128 characters of valid UTF-8, none a control character.
bool isPrintableId(const std::string &text);

}  // namespace sipw
