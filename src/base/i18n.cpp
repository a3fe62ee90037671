// Lookups in the one table of user-visible texts. The texts themselves are in the catalogue
// (catalogue/names.toml), generated into base/catalogue_texts.inc at build time.
#include "base/i18n.hpp"

#include <cctype>

namespace sipw::i18n {
namespace {

struct NamedText {
    std::string_view name;
    Text text;
};

struct CodedText {
    int code;
    Text text;
};

// A final SIP status and the JsSIP cause it maps to.
struct StatusCause {
    int code;
    std::string_view cause;
};

// A code, or a range of codes sharing one text (WebSocket close codes 3000-3999, 4000-4999).
struct CodedRange {
    int first;
    int last;
    Text text;
};

#include "base/catalogue_texts.inc"

template <std::size_t N>
const Text *findByName(const NamedText (&table)[N], std::string_view name) {
    for (const NamedText &entry : table)
        if (entry.name == name) return &entry.text;
    return nullptr;
}

template <std::size_t N>
const Text *findByCode(const CodedText (&table)[N], int code) {
    for (const CodedText &entry : table)
        if (entry.code == code) return &entry.text;
    return nullptr;
}

template <std::size_t N>
std::vector<std::string_view> namesOf(const NamedText (&table)[N]) {
    std::vector<std::string_view> names;
    names.reserve(N);
    for (const NamedText &entry : table) names.push_back(entry.name);
    return names;
}

template <std::size_t N>
std::vector<int> codesOf(const CodedText (&table)[N]) {
    std::vector<int> codes;
    codes.reserve(N);
    for (const CodedText &entry : table) codes.push_back(entry.code);
    return codes;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

// Replaces each {N} by args[N] in one left-to-right pass, so braces inside an argument are
// never expanded again. A {N} without an argument, and any other brace, stays as written.
std::string fill(std::string_view pattern, const std::vector<std::string> &args) {
    std::string out;
    out.reserve(pattern.size() + 16);
    std::size_t i = 0;
    while (i < pattern.size()) {
        if (pattern[i] == '{') {
            // At most 4 digits, so the index cannot overflow.
            std::size_t j = i + 1;
            std::size_t index = 0;
            while (j < pattern.size() && j - i <= 4 && pattern[j] >= '0' && pattern[j] <= '9') {
                index = index * 10 + static_cast<std::size_t>(pattern[j] - '0');
                ++j;
            }
            bool isPlaceholder = j > i + 1 && j < pattern.size() && pattern[j] == '}';
            if (isPlaceholder && index < args.size()) {
                out += args[index];
                i = j + 1;
                continue;
            }
        }
        out += pattern[i];
        ++i;
    }
    return out;
}

}  // namespace

bool parseLocale(std::string_view name, Locale &out) {
    for (std::string_view zh : {"zh-CN", "zh", "zh_CN", "zh-Hans"}) {
        if (equalsIgnoringCase(name, zh)) {
            out = Locale::ZhCN;
            return true;
        }
    }
    for (std::string_view en : {"en", "en-US", "en_US"}) {
        if (equalsIgnoringCase(name, en)) {
            out = Locale::En;
            return true;
        }
    }
    return false;
}

const Text *cause(std::string_view jssipCause, bool byRemote) {
    if (byRemote) {
        if (const Text *remote = findByName(kRemoteCauses, jssipCause)) return remote;
    }
    return findByName(kCauses, jssipCause);
}

const std::vector<std::string_view> &allCauses() {
    static const std::vector<std::string_view> names = namesOf(kCauses);
    return names;
}

std::string_view causeForStatus(int sipStatus) {
    for (const StatusCause &entry : kStatusCauses)
        if (entry.code == sipStatus) return entry.cause;
    // Like JsSIP, every other code (callers only pass final failures, >= 300).
    return "SIP Failure Code";
}

const Text *reasonPhrase(int sipStatus) { return findByCode(kReasonPhrases, sipStatus); }

const Text *statusClass(int sipStatus) {
    if (sipStatus < 100 || sipStatus > 699) return nullptr;
    return &kStatusClasses[sipStatus / 100];
}

const std::vector<int> &allStatusCodes() {
    static const std::vector<int> codes = codesOf(kReasonPhrases);
    return codes;
}

const Text *eventMessage(std::string_view msg) { return findByName(kEventMessages, msg); }

const std::vector<std::string_view> &allEventMessages() {
    static const std::vector<std::string_view> names = namesOf(kEventMessages);
    return names;
}

const Text *wsCloseCode(int code) {
    for (const CodedRange &entry : kWsCloseCodes)
        if (code >= entry.first && code <= entry.last) return &entry.text;
    return nullptr;
}

const std::vector<int> &allWsCloseCodes() {
    static const std::vector<int> codes = [] {
        std::vector<int> single;
        for (const CodedRange &entry : kWsCloseCodes)
            if (entry.first == entry.last) single.push_back(entry.first);
        return single;
    }();
    return codes;
}

const Text *error(std::string_view key) { return findByName(kErrors, key); }

const std::vector<std::string_view> &allErrorKeys() {
    static const std::vector<std::string_view> names = namesOf(kErrors);
    return names;
}

Message format(std::string_view errorKey, const std::vector<std::string> &args) {
    if (const Text *text = error(errorKey)) return {fill(text->en, args), fill(text->zh, args)};
    const Text *unknown = error("unknown_message_key");
    const std::vector<std::string> keyArg{std::string(errorKey)};
    return {fill(unknown->en, keyArg), fill(unknown->zh, keyArg)};
}

}  // namespace sipw::i18n
