// Call transfer (REFER, RFC 3515; Replaces, RFC 3891) for one session, as JsSIP's RTCSession.refer,
// ReferSubscriber and ReferNotifier do it.
//
// Transferor: REFER goes out on the dialog; the NOTIFYs' sipfrag ("SIP/2.0 180 Ringing") become
// refer_progress (1xx), refer_accepted (2xx) or refer_failed (anything else, or the REFER refused).
// Transferee: a REFER is answered 202 with an immediate NOTIFY "100 Trying" and announced as `refer`;
// the application accepts it (a new call to the target, whose progress is NOTIFYed back: 18x
// active, the final code terminated) or rejects it (NOTIFY 603 Decline). Loop thread only.
#pragma once

#include "base/event.hpp"

#include <sofia-sip/nua.h>

#include <optional>
#include <string>
#include <vector>

namespace sipw {

namespace transfer {

// The status line at the head of a message/sipfrag body ("SIP/2.0 180 Ringing"): its code
// (100-699) and reason, or nothing when the first line is not a status line.
struct Sipfrag {
    int status = 0;
    std::string reason;
};
std::optional<Sipfrag> parseSipfrag(const std::string &body);
// The body of our NOTIFYs: "SIP/2.0 <status> <reason>" (no trailing CRLF, as JsSIP's).
std::string sipfragBody(int status, const std::string &reason);

// The Refer-To value for `targetUri`, with `replaces` ("callid;to-tag=..;from-tag=..", empty for a
// blind transfer) escaped into a Replaces URI header as JsSIP writes it.
std::string referTo(const std::string &targetUri, const std::string &replaces);
// The Replaces value carried in a Refer-To URI's headers ("Replaces=abc%40h%3Bto-tag%3D1..."),
// unescaped; empty without one.
std::string replacesFromUriHeaders(const std::string &headers);

}  // namespace transfer

// What a session lends its transfer logic.
class TransferOwner {
public:
    virtual ~TransferOwner() = default;
    virtual nua_handle_t *dialogHandle() const = 0;
    virtual nua_t *stackNua() const = 0;
    virtual bool dialogConfirmed() const = 0;
    // A session event (channel new_RTCSession_state) of this session, to be completed and emitted.
    virtual CauseData sessionEvent(const std::string &msg, const std::string &originator) const = 0;
    virtual void emitEvent(const CauseData &event) = 0;
    // The transfer state changed: an outgoing REFER finished, or an incoming one came or went.
    virtual void transferStateChanged() = 0;
};

class SessionTransfer {
public:
    explicit SessionTransfer(TransferOwner &owner) : owner_(owner) {}

    // Sends REFER (the worker checked that the dialog is confirmed and no REFER of ours is out).
    void refer(const std::string &referToValue, const std::string &referredBy,
               const std::vector<std::string> &extraHeaders);
    // nua events of the dialog that concern transfer; false for the others.
    bool onNuaEvent(nua_event_t event, int status, const char *phrase, const sip_t *sip, tagi_t tags[]);

    // The REFER we received and have not answered yet.
    struct Incoming {
        std::string event;       // "refer;id=<CSeq>" of our NOTIFYs
        std::string targetUri;   // Refer-To without its URI headers
        std::string replaces;    // its Replaces value (attended transfer), or empty
        std::string referredBy;
        bool accepted = false;   // REFER_ACCEPT: the new call's progress is NOTIFYed
    };
    const std::optional<Incoming> &incoming() const { return incoming_; }
    // REFER_ACCEPT: from now on notifyProgress() reports the new call. Nothing when none waits.
    std::optional<Incoming> accept();
    // REFER_REJECT: NOTIFY 603 Decline, the subscription ends.
    void reject();
    // The accepted transfer's call: 18x (active), then its final code (terminated); a failure
    // without a SIP response is reported as 487 with the cause as reason, as JsSIP does.
    void notifyProgress(int status, const std::string &reason);

    bool referring() const { return outgoing_.has_value(); }
    // The session ended: nothing more is reported (NOTIFYs cannot go out on a closed dialog).
    void sessionEnded();

private:
    struct Outgoing {
        bool requestAccepted = false;  // 2xx to the REFER
    };
    void onReferResponse(int status, const char *phrase, const sip_t *sip);
    void onNotify(const sip_t *sip, tagi_t tags[]);
    void onIncomingRefer(const sip_t *sip, tagi_t tags[]);
    void sendNotify(int status, const std::string &reason);
    void finishOutgoing(const CauseData &event);

    TransferOwner &owner_;
    std::optional<Outgoing> outgoing_;
    std::optional<Incoming> incoming_;
    bool ended_ = false;
};

}  // namespace sipw
