#include "sip/dtmf_info.hpp"

#include "sip/dtmf.hpp"
#include "base/loop_thread.hpp"

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

#include <algorithm>
#include <cstdlib>

namespace sipw {

namespace {

constexpr int kJsSipDefaultDurationMs = 100;

std::string trimmed(const std::string &s) {
    auto begin = s.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    auto end = s.find_last_not_of(" \t\r\n");
    return s.substr(begin, end - begin + 1);
}

// "5", "*", "a", or an RFC 4733 event code "10".."15".
char toneOf(const std::string &value) {
    std::string v = trimmed(value);
    if (v.size() == 1 && isDtmfTone(v[0])) return g_ascii_toupper(v[0]);
    if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return "*#ABCD"[v[1] - '0'];
    return 0;
}

bool isType(const std::string &contentType, const char *wanted) {
    std::string type = trimmed(contentType.substr(0, contentType.find(';')));
    return g_ascii_strcasecmp(type.c_str(), wanted) == 0;
}

}  // namespace

std::string dtmfRelayBody(char tone, int durationMs) {
    return std::string("Signal=") + tone + "\r\nDuration=" + std::to_string(durationMs) + "\r\n";
}

std::optional<InfoDtmf> parseInfoDtmf(const std::string &contentType, const std::string &body) {
    if (isType(contentType, "application/dtmf")) {
        // The tone itself; "12" would be ambiguous (event code or two tones), so one character.
        std::string tone = trimmed(body);
        if (tone.size() != 1 || !isDtmfTone(tone[0])) return std::nullopt;
        return InfoDtmf{char(g_ascii_toupper(tone[0])), kJsSipDefaultDurationMs};
    }
    if (!isType(contentType, "application/dtmf-relay")) return std::nullopt;
    InfoDtmf out{0, kJsSipDefaultDurationMs};
    std::string::size_type start = 0;
    while (start <= body.size()) {
        auto end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        std::string line = body.substr(start, end - start);
        start = end + 1;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string key = trimmed(line.substr(0, eq)), value = trimmed(line.substr(eq + 1));
        if (g_ascii_strcasecmp(key.c_str(), "Signal") == 0) {
            out.tone = toneOf(value);
        } else if (g_ascii_strcasecmp(key.c_str(), "Duration") == 0) {
            char *rest = nullptr;
            long ms = std::strtol(value.c_str(), &rest, 10);
            if (rest != value.c_str() && *rest == '\0' && ms > 0 && ms <= 60000) out.durationMs = int(ms);
        }
    }
    if (!out.tone) return std::nullopt;
    return out;
}

InfoDtmfSender::InfoDtmfSender(const Config &config, Failed failed) : auth_(config), failed_(std::move(failed)) {}

InfoDtmfSender::~InfoDtmfSender() = default;

void InfoDtmfSender::send(nua_handle_t *handle, const std::string &tones, int durationMs, int gapMs) {
    if (!handle) return;
    handle_ = handle;
    for (char t : tones) queue_.push_back({t, durationMs, gapMs});
    sendNext();
}

void InfoDtmfSender::sendNext() {
    if (outstanding_ || paceTimer_.active() || queue_.empty() || !handle_) return;
    gint64 now = g_get_monotonic_time();
    if (now < nextAllowedUs_) {
        // The previous tone and its gap are not over yet: come back then.
        paceTimer_.start(guint((nextAllowedUs_ - now + 999) / 1000), [this] { sendNext(); });
        return;
    }
    Tone tone = queue_.front();
    queue_.pop_front();
    std::string body = dtmfRelayBody(tone.tone, tone.durationMs);
    nua_info(handle_, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
    outstanding_ = true;
    nextAllowedUs_ = now + gint64(tone.durationMs + tone.gapMs) * 1000;
}

void InfoDtmfSender::onResponse(int status, const char *phrase, const sip_t *sip) {
    if (!outstanding_ || status < 200) return;
    if ((status == 401 || status == 407) && handle_ && auth_.answer(handle_, sip)) return;
    outstanding_ = false;
    if (status >= 300) {
        queue_.clear();
        if (failed_) failed_(status, phrase ? phrase : "");
        return;
    }
    auth_.reset();
    sendNext();
}

void InfoDtmfSender::stop() {
    paceTimer_.cancel();
    queue_.clear();
    handle_ = nullptr;
}

}  // namespace sipw
