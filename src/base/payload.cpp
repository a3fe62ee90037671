#include "base/payload.hpp"

#include "base/error.hpp"

#include <glib.h>

#include <algorithm>
#include <cmath>

namespace sipw {

using nlohmann::json;

Payload::Payload(const json &object, std::string path) : object_(object), path_(std::move(path)) {}

Payload Payload::ofCommand(const json &data, const std::string &command) {
    if (!data.is_object()) throw Error(ResultCode::InvalidArgument, "payload_not_object", {command});
    return Payload(data);
}

const json *Payload::find(const std::string &key) const {
    auto it = object_.find(key);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
}

bool Payload::has(const std::string &key) const { return find(key) != nullptr; }

std::optional<std::string> Payload::string(const std::string &key) const {
    const json *value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_string()) wrongType(key, "string");
    return value->get<std::string>();
}

std::string Payload::requiredString(const std::string &key) const {
    const json *value = find(key);
    if (!value) missing(key);
    if (!value->is_string() || value->get_ref<const std::string &>().empty()) wrongType(key, "non-empty string");
    return value->get<std::string>();
}

std::optional<bool> Payload::boolean(const std::string &key) const {
    const json *value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_boolean()) wrongType(key, "boolean");
    return value->get<bool>();
}

std::optional<int> Payload::integer(const std::string &key, int min, int max, const char *unit) const {
    const json *value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_number()) wrongType(key, "integer");
    double number = value->get<double>();
    if (number != std::floor(number)) wrongType(key, "integer");
    if (number < min || number > max)
        invalidValue(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max) + unit);
    return static_cast<int>(number);
}

std::optional<Payload> Payload::object(const std::string &key) const {
    const json *value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_object()) wrongType(key, "object");
    return Payload(*value, name(key) + ".");
}

std::optional<std::vector<std::string>> Payload::strings(const std::string &key, bool single) const {
    const json *value = find(key);
    if (!value) return std::nullopt;
    if (single && value->is_string()) return std::vector<std::string>{value->get<std::string>()};
    if (!value->is_array()) wrongType(key, "array of strings");
    std::vector<std::string> out;
    for (const json &entry : *value) {
        if (!entry.is_string()) wrongType(key, "array of strings");
        out.push_back(entry.get<std::string>());
    }
    return out;
}

void Payload::collectUnknown(std::initializer_list<const char *> known, std::vector<std::string> &unknown) const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
        bool found = std::any_of(known.begin(), known.end(), [&](const char *k) { return it.key() == k; });
        if (!found) unknown.push_back(name(it.key()));
    }
}

void Payload::missing(const std::string &key) const {
    throw Error(ResultCode::InvalidArgument, "missing_field", {name(key)});
}

void Payload::wrongType(const std::string &key, const std::string &expected) const {
    throw Error(ResultCode::InvalidArgument, "wrong_type", {name(key), expected});
}

void Payload::invalidValue(const std::string &key, const std::string &allowed) const {
    throw Error(ResultCode::InvalidArgument, "invalid_value", {name(key), allowed});
}

std::string printable(const std::string &text) {
    constexpr glong kMaxCharacters = 80;
    gchar *valid = g_utf8_make_valid(text.c_str(), static_cast<gssize>(text.size()));
    std::string out;
    glong count = 0;
    for (const gchar *p = valid; *p && count < kMaxCharacters; p = g_utf8_next_char(p), ++count) {
        if (static_cast<unsigned char>(*p) < 0x20 || *p == 0x7f) out += '?';
        else out.append(p, static_cast<std::size_t>(g_utf8_next_char(p) - p));
    }
    g_free(valid);
    return out;
}

bool isPrintableId(const std::string &text) {
    constexpr glong kMaxCharacters = 128;
    if (text.empty() || !g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return false;
    if (g_utf8_strlen(text.data(), static_cast<gssize>(text.size())) > kMaxCharacters) return false;
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f) return false;
    return true;
}

}  // namespace sipw
