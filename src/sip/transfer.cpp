#include "sip/transfer.hpp"

#include "base/i18n.hpp"
#include "base/payload.hpp"
#include "sip/registration.hpp"
#include "sip/request_details.hpp"

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>

#include <glib.h>

namespace sipw {

namespace transfer {

std::optional<Sipfrag> parseSipfrag(const std::string &body) {
    std::string line = body.substr(0, body.find_first_of("\r\n"));
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.erase(line.begin());
    // SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2; the reason may be empty).
    if (line.size() < 11 || g_ascii_strncasecmp(line.c_str(), "SIP/2.0 ", 8) != 0) return std::nullopt;
    for (int i = 8; i < 11; ++i)
        if (!g_ascii_isdigit(line[i])) return std::nullopt;
    if (line.size() > 11 && line[11] != ' ') return std::nullopt;
    Sipfrag frag;
    frag.status = std::stoi(line.substr(8, 3));
    if (frag.status < 100 || frag.status > 699) return std::nullopt;
    frag.reason = line.size() > 12 ? line.substr(12) : "";
    while (!frag.reason.empty() && g_ascii_isspace(frag.reason.back())) frag.reason.pop_back();
    return frag;
}

std::string sipfragBody(int status, const std::string &reason) {
    return "SIP/2.0 " + std::to_string(status) + " " + reason;
}

namespace {

// encodeURIComponent: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is percent-encoded.
std::string uriComponent(const std::string &text) {
    static const char *hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (g_ascii_isalnum(c) || std::string("-_.!~*'()").find(static_cast<char>(c)) != std::string::npos) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string percentDecoded(const std::string &text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && g_ascii_isxdigit(text[i + 1]) && g_ascii_isxdigit(text[i + 2])) {
            out += static_cast<char>(g_ascii_xdigit_value(text[i + 1]) * 16 + g_ascii_xdigit_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace

std::string referTo(const std::string &targetUri, const std::string &replaces) {
    if (replaces.empty()) return "<" + targetUri + ">";
    char separator = targetUri.find('?') == std::string::npos ? '?' : '&';
    return "<" + targetUri + separator + "Replaces=" + uriComponent(replaces) + ">";
}

std::string replacesFromUriHeaders(const std::string &headers) {
    size_t start = 0;
    while (start <= headers.size()) {
        size_t end = headers.find('&', start);
        if (end == std::string::npos) end = headers.size();
        std::string field = headers.substr(start, end - start);
        if (field.size() > 9 && g_ascii_strncasecmp(field.c_str(), "replaces=", 9) == 0)
            return percentDecoded(field.substr(9));
        start = end + 1;
    }
    return {};
}

}  // namespace transfer

void SessionTransfer::refer(const std::string &referToValue, const std::string &referredBy,
                            const std::vector<std::string> &extraHeaders) {
    outgoing_ = Outgoing{};
    std::string headers;
    for (const auto &h : extraHeaders) headers += (headers.empty() ? "" : "\r\n") + h;
    nua_refer(owner_.dialogHandle(), SIPTAG_REFER_TO_STR(referToValue.c_str()),
              TAG_IF(!referredBy.empty(), SIPTAG_REFERRED_BY_STR(referredBy.c_str())),
              TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
}

bool SessionTransfer::onNuaEvent(nua_event_t event, int status, const char *phrase, const sip_t *sip,
                                 tagi_t tags[]) {
    switch (event) {
    case nua_r_refer:
        onReferResponse(status, phrase, sip);
        return true;
    case nua_i_notify:
        onNotify(sip, tags);
        return true;
    case nua_i_refer:
        onIncomingRefer(sip, tags);
        return true;
    case nua_r_notify:
        return true;  // our NOTIFYs: nothing to do whatever the answer (JsSIP ignores it too)
    default:
        return false;
    }
}

void SessionTransfer::onReferResponse(int status, const char *phrase, const sip_t *sip) {
    if (!outgoing_ || ended_ || status < 200) return;
    if (status < 300) {
        outgoing_->requestAccepted = true;  // the outcome comes by NOTIFY
        return;
    }
    // JsSIP's requestFailed: the REFER itself was refused ("Rejected"), or never answered.
    SipOutcome o = sipOutcome(status, phrase, sip);
    std::string cause = o.local && (status == 408 || status == 503) ? o.cause : "Rejected";
    auto ev = owner_.sessionEvent("refer_failed", o.local ? "system" : "remote");
    ev.statusCode(status, o.reason).cause(cause).data({{"statusCode", status}, {"reason", o.reason}, {"stage", "refer"}});
    finishOutgoing(ev);
}

void SessionTransfer::onNotify(const sip_t *sip, tagi_t tags[]) {
    if (!outgoing_ || ended_) return;
    int substate = nua_substate_active;
    tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());
    bool terminated = substate == nua_substate_terminated;
    std::string body = bodyOf(sip);
    auto frag = transfer::parseSipfrag(body);
    if (!frag) {
        // JsSIP ignores a status line it cannot parse; the subscription may still end with it.
        std::string shown = printable(body.substr(0, body.find_first_of("\r\n")));
        owner_.emitEvent(CauseData::warning("refer_notify_unreadable", {shown}, "remote"));
        if (terminated) {
            auto ev = owner_.sessionEvent("refer_failed", "remote");
            ev.reason("the transfer ended without a final status").data({{"stage", "notify"}});
            finishOutgoing(ev);
        }
        return;
    }
    nlohmann::json data = {{"statusCode", frag->status}, {"reason", frag->reason}, {"stage", "notify"}};
    if (frag->status < 200) {
        auto ev = owner_.sessionEvent("refer_progress", "remote");
        ev.statusCode(frag->status, frag->reason).data(data);
        owner_.emitEvent(ev);
        if (terminated) {
            auto failed = owner_.sessionEvent("refer_failed", "remote");
            failed.reason("the transfer ended without a final status").data({{"stage", "notify"}});
            finishOutgoing(failed);
        }
        return;
    }
    bool ok = frag->status < 300;
    auto ev = owner_.sessionEvent(ok ? "refer_accepted" : "refer_failed", "remote");
    ev.statusCode(frag->status, frag->reason).data(data);
    if (!ok) ev.cause(i18n::causeForStatus(frag->status));
    finishOutgoing(ev);
}

void SessionTransfer::finishOutgoing(const CauseData &event) {
    outgoing_.reset();
    owner_.emitEvent(event);
    owner_.transferStateChanged();
}

void SessionTransfer::onIncomingRefer(const sip_t *sip, tagi_t tags[]) {
    nua_handle_t *nh = owner_.dialogHandle();
    nua_t *nua = owner_.stackNua();
    if (!nh || !nua) return;
    // JsSIP's checks, in its order: the dialog must be confirmed, Refer-To present and a SIP URI.
    if (ended_ || !owner_.dialogConfirmed()) {
        nua_respond(nh, 403, "Wrong Status", NUTAG_WITH_THIS(nua), TAG_END());
        return;
    }
    if (!sip || !sip->sip_refer_to || !sip->sip_refer_to->r_url) {
        nua_respond(nh, 400, "Missing Refer-To header field", NUTAG_WITH_THIS(nua), TAG_END());
        return;
    }
    const url_t *target = sip->sip_refer_to->r_url;
    if (target->url_type != url_sip && target->url_type != url_sips) {
        nua_respond(nh, SIP_416_UNSUPPORTED_URI, NUTAG_WITH_THIS(nua), TAG_END());
        return;
    }
    if (incoming_) {
        // One transfer request at a time: the first still waits for REFER_ACCEPT / REFER_REJECT.
        nua_respond(nh, SIP_491_REQUEST_PENDING, NUTAG_WITH_THIS(nua), TAG_END());
        return;
    }
    nua_respond(nh, SIP_202_ACCEPTED, NUTAG_WITH_THIS(nua), TAG_END());

    Incoming in;
    const sip_event_t *event = nullptr;
    tl_gets(tags, NUTAG_REFER_EVENT_REF(event), TAG_END());
    su_home_t home[1] = {SU_HOME_INIT(home)};
    if (event) {
        char *text = sip_header_as_string(home, reinterpret_cast<const sip_header_t *>(event));
        if (text) in.event = text;
    }
    if (in.event.empty() && sip->sip_cseq) in.event = "refer;id=" + std::to_string(sip->sip_cseq->cs_seq);
    url_t *bare = url_hdup(home, target);
    if (bare) {
        if (bare->url_headers) in.replaces = transfer::replacesFromUriHeaders(bare->url_headers);
        bare->url_headers = nullptr;
        in.targetUri = urlText(bare);
    }
    su_home_deinit(home);
    if (sip->sip_referred_by) in.referredBy = urlText(sip->sip_referred_by->b_url);
    else if (sip->sip_from) in.referredBy = urlText(sip->sip_from->a_url);
    incoming_ = in;
    sendNotify(100, "Trying");  // at once, as JsSIP's ReferNotifier

    nlohmann::json data = {{"target", in.targetUri}, {"referredBy", in.referredBy}};
    if (!in.replaces.empty()) data["replaces"] = in.replaces;
    auto ev = owner_.sessionEvent("refer", "remote");
    ev.data(data);
    owner_.transferStateChanged();
    owner_.emitEvent(ev);
}

std::optional<SessionTransfer::Incoming> SessionTransfer::accept() {
    if (!incoming_ || incoming_->accepted) return std::nullopt;
    incoming_->accepted = true;
    owner_.transferStateChanged();
    return incoming_;
}

void SessionTransfer::reject() {
    if (!incoming_) return;
    sendNotify(603, "Decline");
    incoming_.reset();
    owner_.transferStateChanged();
}

void SessionTransfer::notifyProgress(int status, const std::string &reason) {
    if (!incoming_ || !incoming_->accepted || status < 101) return;
    std::string phrase = reason;
    if (phrase.empty()) {
        if (const i18n::Text *t = i18n::reasonPhrase(status)) phrase = std::string(t->en);
    }
    sendNotify(status, phrase);
    if (status >= 200) {
        incoming_.reset();
        owner_.transferStateChanged();
    }
}

void SessionTransfer::sendNotify(int status, const std::string &reason) {
    nua_handle_t *nh = owner_.dialogHandle();
    if (ended_ || !nh || !incoming_) return;
    std::string body = transfer::sipfragBody(status, reason);
    nua_notify(nh, NUTAG_SUBSTATE(status < 200 ? nua_substate_active : nua_substate_terminated),
               SIPTAG_EVENT_STR(incoming_->event.c_str()),
               SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
}

void SessionTransfer::sessionEnded() {
    ended_ = true;
    outgoing_.reset();
    incoming_.reset();
}

}  // namespace sipw
