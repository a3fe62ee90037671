// What an incoming request says about itself (the INVITE of a call, a MESSAGE, an OPTIONS), as
// plain values and JSON for events and sipw_session_info.
#pragma once

#include <nlohmann/json.hpp>
#include <sofia-sip/sip.h>

#include <string>
#include <string_view>

namespace sipw {

// A URL as text ("sip:1001@127.0.0.1:5060;transport=udp"); empty for null.
std::string urlText(const url_t *url);

// A header name as JsSIP writes it (Utils.headerize): each dash-separated word capitalized
// ("x-queue-id" → "X-Queue-Id"), with Call-ID, CSeq and WWW-Authenticate spelled as in RFC 3261.
std::string headerizedName(std::string_view name);

// Every header of `sip` in message order, as {name: [value, ...]}: repeated headers keep their
// order, headers sofia-sip does not know (X-..., P-Asserted-Identity...) are included with their
// names headerized, known ones carry sofia-sip's canonical names ("Call-ID", "Content-Type").
// Headers that failed to parse are left out. Null for a null message.
nlohmann::json headersOf(const sip_t *sip);

struct RequestDetails {
    std::string callId;
    std::string fromUri;
    std::string fromDisplayName;
    std::string toUri;
    std::string requestUri;  // the Request-URI: the number that was dialed, as it reached us
    nlohmann::json headers;
};
RequestDetails detailsOf(const sip_t *sip);

// The body of a message (empty without one) and its Content-Type ("" when absent).
std::string bodyOf(const sip_t *sip);
// The body if it is SDP (or untyped), else empty.
std::string sdpOf(const sip_t *sip);
// extraHeaders joined as nua wants them (SIPTAG_HEADER_STR takes CRLF-separated lines).
std::string headerLines(const std::vector<std::string> &headers);
std::string contentTypeOf(const sip_t *sip);

// Text from the network for the user: invalid UTF-8 (a display name in a legacy encoding)
// becomes U+FFFD rather than failing whoever serializes it later.
std::string validUtf8(const std::string &text);

// The phrase of a status we send: the caller's, else the usual one.
std::string phraseFor(int status, const std::string &given);

}  // namespace sipw
