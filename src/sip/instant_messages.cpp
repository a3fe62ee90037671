#include "sip/instant_messages.hpp"

#include "base/loop_thread.hpp"
#include "base/random_id.hpp"
#include "sip/digest_auth.hpp"
#include "sip/registration.hpp"
#include "sip/request_details.hpp"

#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>

#include <glib.h>

namespace sipw {

namespace {

// The full Content-Type value ("text/plain;charset=UTF-8"), as JsSIP reports it.
std::string fullContentType(const sip_t *sip) {
    if (!sip || !sip->sip_content_type) return {};
    su_home_t home[1] = {SU_HOME_INIT(home)};
    char *text = sip_header_as_string(home, reinterpret_cast<const sip_header_t *>(sip->sip_content_type));
    std::string out = text ? text : contentTypeOf(sip);
    su_home_deinit(home);
    return out;
}

// A received request's details for the event's data.
nlohmann::json requestData(const sip_t *sip, const std::string &sessionId) {
    RequestDetails d = detailsOf(sip);
    nlohmann::json data = {{"fromUri", d.fromUri}, {"toUri", d.toUri}, {"requestUri", d.requestUri},
                           {"callId", d.callId}, {"headers", d.headers}};
    if (!d.fromDisplayName.empty()) data["fromDisplayName"] = d.fromDisplayName;
    if (!sessionId.empty()) data["sessionId"] = sessionId;
    return data;
}

}  // namespace

// One MESSAGE on its own nua handle, until its final response.
class InstantMessages::Outgoing : public NuaHandleOwner {
public:
    Outgoing(InstantMessages &owner, SipStack &stack, const MessageRequest &request)
        : owner_(owner), stack_(&stack), request_(request), auth_(owner.config_) {}
    ~Outgoing() override { release(); }

    void start() {
        std::string to = "<" + request_.targetUri + ">";
        handle_ = nua_handle(stack_->nua(), static_cast<NuaHandleOwner *>(this), SIPTAG_TO_STR(to.c_str()), TAG_END());
        std::string headers = headerLines(request_.extraHeaders);
        nua_message(handle_, SIPTAG_CONTENT_TYPE_STR(request_.contentType.c_str()),
                    SIPTAG_PAYLOAD_STR(request_.body.c_str()),
                    TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
    }

    void onNuaEvent(nua_event_t event, int status, const char *phrase, nua_handle_t *, const sip_t *sip,
                    tagi_t[]) override {
        if (event != nua_r_message || status < 200 || done_) return;
        if ((status == 401 || status == 407) && auth_.answer(handle_, sip)) return;
        SipOutcome o = sipOutcome(status, phrase, sip);
        if (status == 401 || status == 407) o.cause = "Authentication Error";
        finish(outcomeEvent(status, o));
    }

    // The transport went away before the answer.
    void abandon() {
        if (done_) return;
        SipOutcome o;
        o.cause = "Connection Error";
        o.local = true;
        finish(outcomeEvent(0, o));
    }

    SipStack *stack() const { return stack_; }

private:
    CauseData outcomeEvent(int status, const SipOutcome &o) const {
        bool ok = status >= 200 && status < 300;
        auto ev = CauseData("newMessage", ok ? "message_succeeded" : "message_failed")
                      .originator(o.local ? "system" : "remote")
                      .data({{"messageId", request_.messageId}, {"target", request_.targetUri}});
        if (status) ev.statusCode(status, o.reason);
        if (!ok) ev.cause(o.cause);
        return ev;
    }

    void finish(const CauseData &event) {
        done_ = true;
        release();
        owner_.finished(this, event);
    }

    void release() {
        if (!handle_) return;
        nua_handle_bind(handle_, nullptr);
        nua_handle_destroy(handle_);
        handle_ = nullptr;
    }

    InstantMessages &owner_;
    SipStack *stack_;
    MessageRequest request_;
    DigestAuth auth_;
    nua_handle_t *handle_ = nullptr;
    bool done_ = false;
};

InstantMessages::InstantMessages(const Config &config, Emit emit) : config_(config), emit_(std::move(emit)) {}

InstantMessages::~InstantMessages() {
    *alive_ = false;
    outgoing_.clear();
}

void InstantMessages::send(SipStack *stack, const MessageRequest &request) {
    emit_(CauseData("newMessage", "newMessage")
              .originator("local")
              .data({{"messageId", request.messageId},
                     {"target", request.targetUri},
                     {"body", request.body},
                     {"contentType", request.contentType}}));
    if (!stack) {
        emit_(CauseData("newMessage", "message_failed")
                  .originator("system")
                  .cause("Connection Error")
                  .data({{"messageId", request.messageId}, {"target", request.targetUri}}));
        return;
    }
    auto message = std::make_unique<Outgoing>(*this, *stack, request);
    Outgoing *raw = message.get();
    outgoing_[raw] = std::move(message);
    raw->start();
}

void InstantMessages::releaseStack(SipStack *stack) {
    std::vector<Outgoing *> affected;
    for (auto &[raw, message] : outgoing_)
        if (!stack || message->stack() == stack) affected.push_back(raw);
    for (Outgoing *raw : affected) raw->abandon();
}

void InstantMessages::finished(Outgoing *message, const CauseData &event) {
    emit_(event);
    // Called from the message's own callback: destroyed once that has returned.
    auto it = outgoing_.find(message);
    if (it == outgoing_.end()) return;
    std::shared_ptr<Outgoing> done(it->second.release());
    outgoing_.erase(it);
    runSoon([done] {});
}

CauseData receivedMessageEvent(const sip_t *sip, const std::string &sessionId) {
    nlohmann::json data = requestData(sip, sessionId);
    std::string body = bodyOf(sip);
    data["messageId"] = randomId();
    data["contentType"] = fullContentType(sip);
    if (g_utf8_validate(body.data(), static_cast<gssize>(body.size()), nullptr)) {
        data["body"] = body;
    } else {
        // Not text we can hand over as a string: the exact bytes in base64, and a readable copy.
        gchar *valid = g_utf8_make_valid(body.data(), static_cast<gssize>(body.size()));
        gchar *encoded = g_base64_encode(reinterpret_cast<const guchar *>(body.data()), body.size());
        data["body"] = valid;
        data["bodyBase64"] = encoded;
        g_free(valid);
        g_free(encoded);
    }
    return CauseData("newMessage", "newMessage")
        .originator("remote")
        .fromUri(data["fromUri"].get<std::string>())
        .data(std::move(data));
}

CauseData receivedOptionsEvent(const sip_t *sip, const std::string &sessionId) {
    nlohmann::json data = requestData(sip, sessionId);
    return CauseData("newOptions", "newOptions")
        .originator("remote")
        .fromUri(data["fromUri"].get<std::string>())
        .data(std::move(data));
}

}  // namespace sipw
