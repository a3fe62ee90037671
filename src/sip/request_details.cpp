#include "sip/request_details.hpp"

#include "base/i18n.hpp"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include <glib.h>

namespace sipw {

namespace {

std::string unquoted(const char *display) {
    if (!display) return {};
    std::string s = display;
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        out += s[i];
    }
    return out;
}

}  // namespace

std::string urlText(const url_t *url) {
    if (!url) return {};
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char *text = url_as_string(home, url);
    std::string out = text ? text : "";
    su_home_deinit(home);
    return out;
}

std::string headerizedName(std::string_view name) {
    std::string lower(name);
    for (char &c : lower) c = g_ascii_tolower(c);
    if (lower == "call-id") return "Call-ID";
    if (lower == "cseq") return "CSeq";
    if (lower == "www-authenticate") return "WWW-Authenticate";
    std::string out;
    bool start = true;
    for (char c : lower) {
        out += start ? g_ascii_toupper(c) : c;
        start = c == '-';
    }
    return out;
}

nlohmann::json headersOf(const sip_t *sip) {
    if (!sip) return nullptr;
    nlohmann::json headers = nlohmann::json::object();
    su_home_t home[1] = {SU_HOME_INIT(home)};
    // The start line (request or status line) heads the chain of headers in message order.
    const msg_header_t *first = sip->sip_request ? reinterpret_cast<const msg_header_t *>(sip->sip_request)
                                                 : reinterpret_cast<const msg_header_t *>(sip->sip_status);
    for (const msg_header_t *h = first; h; h = h->sh_succ) {
        if (h == first || h->sh_class == sip_payload_class || h->sh_class == sip_separator_class) continue;
        if (sip_is_error(reinterpret_cast<const sip_header_t *>(h))) continue;
        std::string name, value;
        if (sip_is_unknown(reinterpret_cast<const sip_header_t *>(h))) {
            const sip_unknown_t *u = reinterpret_cast<const sip_unknown_t *>(h);
            if (!u->un_name) continue;
            name = headerizedName(u->un_name);
            value = u->un_value ? u->un_value : "";
        } else {
            if (!h->sh_class || !h->sh_class->hc_name || !*h->sh_class->hc_name) continue;
            name = h->sh_class->hc_name;
            char *text = sip_header_as_string(home, reinterpret_cast<const sip_header_t *>(h));
            value = text ? text : "";
        }
        headers[name].push_back(value);
    }
    su_home_deinit(home);
    return headers;
}

RequestDetails detailsOf(const sip_t *sip) {
    RequestDetails d;
    if (!sip) return d;
    if (sip->sip_call_id && sip->sip_call_id->i_id) d.callId = sip->sip_call_id->i_id;
    if (sip->sip_from) {
        d.fromUri = urlText(sip->sip_from->a_url);
        d.fromDisplayName = unquoted(sip->sip_from->a_display);
    }
    if (sip->sip_to) d.toUri = urlText(sip->sip_to->a_url);
    if (sip->sip_request) d.requestUri = urlText(sip->sip_request->rq_url);
    d.headers = headersOf(sip);
    return d;
}

std::string bodyOf(const sip_t *sip) {
    if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) return {};
    return std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

std::string contentTypeOf(const sip_t *sip) {
    if (!sip || !sip->sip_content_type || !sip->sip_content_type->c_type) return {};
    return sip->sip_content_type->c_type;
}

std::string sdpOf(const sip_t *sip) {
    if (sip && sip->sip_content_type && sip->sip_content_type->c_type &&
        g_ascii_strncasecmp(sip->sip_content_type->c_type, "application/sdp", 15) != 0)
        return {};
    return bodyOf(sip);
}

std::string headerLines(const std::vector<std::string> &headers) {
    std::string out;
    for (const auto &h : headers) {
        if (!out.empty()) out += "\r\n";
        out += h;
    }
    return out;
}

std::string validUtf8(const std::string &text) {
    if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) return text;
    gchar *valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
    std::string out = valid;
    g_free(valid);
    return out;
}

std::string phraseFor(int status, const std::string &given) {
    if (!given.empty()) return given;
    if (const i18n::Text *t = i18n::reasonPhrase(status)) return std::string(t->en);
    const char *known = sip_status_phrase(status);
    return known ? known : "";
}

}  // namespace sipw
