// The one table of every user-visible text, in English and Chinese.
//
// Everything a user can read — JsSIP causes, SIP reason phrases, event messages, WebSocket close
// codes, transport/TLS errors and the synchronous errors of sipw_post — comes from here, so a
// translation is fixed in one place and completeness can be tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sipw::i18n {

enum class Locale { ZhCN, En };

// "zh-CN" (also "zh", "zh_CN", "zh-Hans") or "en" (also "en-US", "en_US"), case-insensitive;
// anything else → false, and `out` is left unchanged.
bool parseLocale(std::string_view name, Locale &out);

struct Text {
    std::string_view en;
    std::string_view zh;
    std::string_view in(Locale l) const { return l == Locale::En ? en : zh; }
};

// JsSIP causes ("Busy", "Rejected", ..., "Internal Error"); null when unknown. `byRemote`: the
// other party caused it (originator "remote"), for causes whose text then differs ("Terminated":
// "the other party hung up").
const Text *cause(std::string_view jssipCause, bool byRemote = false);
// All JsSIP cause names, for tests and documentation.
const std::vector<std::string_view> &allCauses();

// The cause JsSIP derives from a final SIP status (JsSIP's Utils.sipErrorCause):
// 486/600 → "Busy", 403/603 → "Rejected", 300/301/302/305/380 → "Redirected",
// 480/410/408/430 → "Unavailable", 404/604 → "Not Found",
// 484/424 → "Address Incomplete" (JsSIP 3.10 lists 424, not 485),
// 488/606 → "Incompatible SDP", 401/407 → "Authentication Error", otherwise "SIP Failure Code".
std::string_view causeForStatus(int sipStatus);

// Reason phrase of a SIP status code (JsSIP's C.REASON_PHRASE table and RFC 3261 extensions).
const Text *reasonPhrase(int sipStatus);
// A generic text for the class of a status code (1xx…6xx), for codes reasonPhrase() lacks;
// null outside 100..699.
const Text *statusClass(int sipStatus);
const std::vector<int> &allStatusCodes();

// Event messages: the `on` values ("registered", "session_confirmed", "warning"...) → msgCN.
const Text *eventMessage(std::string_view msg);
const std::vector<std::string_view> &allEventMessages();

// WebSocket close codes (RFC 6455 §7.4.1: 1000..1015); any 3000..3999 or 4000..4999 code gets
// the generic text of its range. allWsCloseCodes() lists 1000..1015.
const Text *wsCloseCode(int code);
const std::vector<int> &allWsCloseCodes();

// Errors with a stable key (transport, TLS, media and every synchronous sipw_post error).
// Templates may hold placeholders {0}, {1}… filled by format().
const Text *error(std::string_view key);
const std::vector<std::string_view> &allErrorKeys();

// A filled error text: both languages, placeholders replaced by args (unknown key → an
// "internal error" text naming the key, never a crash).
struct Message {
    std::string en;
    std::string zh;
    std::string in(Locale l) const { return l == Locale::En ? en : zh; }
};
Message format(std::string_view errorKey, const std::vector<std::string> &args = {});

}  // namespace sipw::i18n
