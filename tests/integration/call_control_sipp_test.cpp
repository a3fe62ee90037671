// Call control against sipp peers through the loopback Kamailio, for what a worker cannot play the
// other side of: a PBX transferred by our REFER that reports by NOTIFY (and one whose sipfrag is
// garbage), a PBX that REFERs us and checks our NOTIFYs, a 183 with SDP followed by a 200 with the
// same or another SDP, an INVITE with Replaces, a MESSAGE flood, OPTIONS, a call with X-headers.
// sipp never answers ICE: every call here ends before the worker's 10 s media watchdog.
#include "call_helpers.hpp"

#include <set>

using namespace sipw_test;

namespace {

class CallControlSipp : public SippCalls {};

// The first event with this msg whose data.statusCode is `status` (any session), waiting for it.
Json waitData(TestWorker &w, const std::string &msg, int status, int timeoutMs = 8000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        for (const auto &ev : w.history())
            if (ev.value("msg", "") == msg && ev.contains("data") && ev["data"].value("statusCode", 0) == status) return ev;
        if (Clock::now() >= deadline) return nullptr;
        w.waitFor(msg, 200);
    }
}

// Incoming sessions of `w` in order of arrival.
std::vector<Json> incomingSessions(const TestWorker &w) {
    std::vector<Json> out;
    for (const auto &ev : w.history())
        if (ev.value("msg", "") == "newRTCSession" && ev.value("sessionOrigin", "") == "incoming") out.push_back(ev);
    return out;
}

Json waitIncoming(TestWorker &w, size_t nth, int timeoutMs = 8000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        auto all = incomingSessions(w);
        if (all.size() > nth) return all[nth];
        if (Clock::now() >= deadline) return nullptr;
        w.waitFor("newRTCSession", 200);
    }
}

std::string base64(const std::string &bytes) {
    static const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < bytes.size(); i += 3) {
        unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
        out += abc[(n >> 18) & 63];
        out += abc[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? abc[(n >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? abc[n & 63] : '=';
    }
    return out;
}

// A "NOTIFY <status line> <Subscription-State>" line of uac_refer.xml's log with both parts.
bool loggedNotify(const std::string &log, const std::string &statusLine, const std::string &state) {
    size_t start = 0;
    while (start < log.size()) {
        size_t end = log.find('\n', start);
        if (end == std::string::npos) end = log.size();
        std::string line = log.substr(start, end - start);
        size_t at = line.find("NOTIFY " + statusLine);
        if (at != std::string::npos && line.find(state, at) != std::string::npos) return true;
        start = end + 1;
    }
    return false;
}

// Text without its trailing line breaks (sipp ends a body with CRLF).
std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

Json silent() { return {{"audio", {{"input", "silence"}, {"output", "null"}}}}; }

}  // namespace

TEST_F(CallControlSipp, EarlyAnswerThenTheSameOrAnotherAnswer) {
    Phone &p = phone("4300");
    struct Case {
        const char *answer;
        const char *user;
        int port;
        bool keeps;
    };
    for (Case c : {Case{"same", "4301", 5301, true}, Case{"direction", "4303", 5302, true},
                   Case{"other", "4305", 5303, false}}) {
        SCOPED_TRACE(c.answer);
        Sipp &uas = registeredUas(c.user, c.port, "uas_early.xml", {"-set", "answer", c.answer});
        std::string sid = std::string("early-") + c.answer;
        ASSERT_EQ(p.w.post("CALL", {{"target", c.user}, {"sessionId", sid}, {"options", silent()}}), 0);
        Json early = waitSession(p.w, "session_progress", sid);
        ASSERT_FALSE(early.is_null()) << uas.describe();
        EXPECT_EQ(early["statusCode"], 183);
        if (c.keeps) {
            // JsSIP applies the 2xx's SDP again; one from the same endpoint keeps the call.
            ASSERT_FALSE(waitSession(p.w, "session_confirmed", sid).is_null()) << uas.describe();
            EXPECT_EQ(sessionInfo(p.w, sid)["earlyMedia"], true);
            ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", sid}}), 0);
            EXPECT_FALSE(waitSession(p.w, "session_ended", sid).is_null());
        } else {
            // Another ICE/DTLS endpoint (an ICE restart, not supported): the call ends as for an
            // answer it cannot use (ACK, BYE, session_failed without session_accepted).
            Json failed = waitSession(p.w, "session_failed", sid);
            ASSERT_FALSE(failed.is_null()) << uas.describe();
            EXPECT_EQ(failed["cause"], "Bad Media Description");
            EXPECT_EQ(failed["statusCode"], 200);
            EXPECT_NE(failed.value("reason", "").find("another endpoint"), std::string::npos) << failed.dump();
            EXPECT_TRUE(waitSession(p.w, "session_accepted", sid, 1).is_null());
        }
        EXPECT_EQ(uas.wait(), 0) << uas.describe();
        EXPECT_NE(uas.log().find("BYE received"), std::string::npos) << uas.describe();
    }
}

TEST_F(CallControlSipp, PbxTransferredByOurReferReportsByNotify) {
    Phone &p = phone("4310");
    {
        Sipp &uas = registeredUas("4311", 5311, "uas_refer.xml", {"-s", "4311"});
        ASSERT_EQ(p.w.post("CALL", {{"target", "4311"}, {"sessionId", "pbx"}, {"options", silent()}}), 0);
        ASSERT_FALSE(waitSession(p.w, "session_confirmed", "pbx").is_null()) << uas.describe();
        ASSERT_EQ(p.w.post("REFER", {{"sessionId", "pbx"}, {"target", "4399"}}), 0) << sipw_last_error();
        EXPECT_FALSE(waitData(p.w, "refer_progress", 100).is_null()) << uas.describe();
        Json ringing = waitData(p.w, "refer_progress", 180);
        ASSERT_FALSE(ringing.is_null()) << uas.describe();
        EXPECT_EQ(ringing["data"]["reason"], "Ringing");
        Json accepted = waitSession(p.w, "refer_accepted", "pbx");
        ASSERT_FALSE(accepted.is_null()) << uas.describe();
        EXPECT_EQ(accepted["data"]["statusCode"], 200);
        ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", "pbx"}}), 0);
        EXPECT_EQ(uas.wait(), 0) << uas.describe();
        EXPECT_NE(uas.log().find("<sip:4399@127.0.0.1>"), std::string::npos) << uas.describe();
    }
    {
        // A NOTIFY whose sipfrag is no status line is said (warning) and ignored, as JsSIP ignores
        // it; the final one still decides.
        Sipp &uas = registeredUas("4312", 5312, "uas_refer.xml",
                                  {"-set", "mode", "broken", "-s", "4312"});
        ASSERT_EQ(p.w.post("CALL", {{"target", "4312"}, {"sessionId", "pbx2"}, {"options", silent()}}), 0);
        ASSERT_FALSE(waitSession(p.w, "session_confirmed", "pbx2").is_null()) << uas.describe();
        ASSERT_EQ(p.w.post("REFER", {{"sessionId", "pbx2"}, {"target", "4399"}}), 0) << sipw_last_error();
        Json failed = waitSession(p.w, "refer_failed", "pbx2");
        ASSERT_FALSE(failed.is_null()) << uas.describe();
        EXPECT_EQ(failed["data"]["statusCode"], 503);
        EXPECT_EQ(failed["cause"], "SIP Failure Code");
        bool warned = false;
        for (const auto &ev : p.w.history())
            warned |= ev.value("msg", "") == "warning" && ev["data"].value("key", "") == "refer_notify_unreadable";
        EXPECT_TRUE(warned);
        EXPECT_EQ(sessionInfo(p.w, "pbx2")["state"], "confirmed");  // the call goes on
        ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", "pbx2"}}), 0);
        EXPECT_EQ(uas.wait(), 0) << uas.describe();
    }
}

TEST_F(CallControlSipp, PbxRefersUsAndReadsOurNotifies) {
    Phone &p = phone("4321"), &target = phone("4323");
    Sipp &pbx = uac("4322", 5321, "4321", "uac_refer.xml", {"-set", "target", "4323"});
    Json in = waitIncoming(p.w, 0);
    ASSERT_FALSE(in.is_null()) << pbx.describe();
    std::string sid = in["sessionId"];
    ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", sid}, {"options", silent()}}), 0);
    Json refer = waitSession(p.w, "refer", sid);
    ASSERT_FALSE(refer.is_null()) << pbx.describe();
    EXPECT_NE(refer["data"].value("referredBy", "").find("4322"), std::string::npos) << refer.dump();
    ASSERT_EQ(p.w.post("REFER_ACCEPT", {{"sessionId", sid}, {"newSessionId", "to-4323"}, {"options", silent()}}), 0);
    Json atTarget = waitIncoming(target.w, 0);
    ASSERT_FALSE(atTarget.is_null());
    std::string tid = atTarget["sessionId"];
    ASSERT_EQ(target.w.post("ANSWER", {{"sessionId", tid}, {"options", silent()}}), 0);
    EXPECT_EQ(pbx.wait(), 0) << pbx.describe();
    std::string log = pbx.log();
    // JsSIP's ReferNotifier: 100 at once, then the new call's 18x (active) and its final (terminated).
    EXPECT_TRUE(loggedNotify(log, "SIP/2.0 100 Trying", "active")) << log;
    EXPECT_TRUE(loggedNotify(log, "SIP/2.0 180 Ringing", "active")) << log;
    EXPECT_TRUE(loggedNotify(log, "SIP/2.0 200 OK", "terminated")) << log;
    EXPECT_FALSE(waitSession(p.w, "session_ended", sid).is_null());  // the PBX hung up
    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", "to-4323"}}), 0);
    EXPECT_FALSE(waitSession(target.w, "session_ended", tid).is_null());

    // A refused transfer: NOTIFY 603 Decline, terminated.
    Sipp &second = uac("4324", 5322, "4321", "uac_refer.xml", {"-set", "target", "4323"});
    Json in2 = waitIncoming(p.w, 1);
    ASSERT_FALSE(in2.is_null()) << second.describe();
    std::string sid2 = in2["sessionId"];
    ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", sid2}, {"options", silent()}}), 0);
    ASSERT_FALSE(waitSession(p.w, "refer", sid2).is_null()) << second.describe();
    ASSERT_EQ(p.w.post("REFER_REJECT", {{"sessionId", sid2}}), 0);
    EXPECT_EQ(second.wait(), 0) << second.describe();
    EXPECT_TRUE(loggedNotify(second.log(), "SIP/2.0 603 Decline", "terminated")) << second.log();
    EXPECT_FALSE(waitSession(p.w, "session_ended", sid2).is_null());
}

TEST_F(CallControlSipp, InviteWithReplacesReplacesTheCall) {
    Phone &p = phone("4331");
    size_t seen = 0;
    struct Case {
        const char *tags;
        const char *caller;
        int port;
    };
    for (Case c : {Case{"rfc", "4332", 5331}, Case{"swapped", "4333", 5332}}) {
        SCOPED_TRACE(c.tags);
        Sipp &s = uac(c.caller, c.port, "4331", "uac_replaces.xml", {"-set", "tags", c.tags});
        Json first = waitIncoming(p.w, seen++);
        ASSERT_FALSE(first.is_null()) << s.describe();
        std::string oldId = first["sessionId"];
        ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", oldId}, {"options", silent()}}), 0);
        Json second = waitIncoming(p.w, seen++);
        ASSERT_FALSE(second.is_null()) << s.describe();
        std::string newId = second["sessionId"];
        EXPECT_EQ(second["data"]["replaces"], oldId);
        ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", newId}, {"options", silent()}}), 0);
        Json replaced = waitSession(p.w, "session_ended", oldId);
        ASSERT_FALSE(replaced.is_null()) << s.describe();
        EXPECT_EQ(replaced["originator"], "local");
        EXPECT_EQ(replaced["cause"], "Terminated");
        EXPECT_EQ(s.wait(), 0) << s.describe();
        EXPECT_NE(s.log().find("BYE on call 1"), std::string::npos) << s.describe();
        EXPECT_FALSE(waitSession(p.w, "session_ended", newId).is_null());
    }
    // A Replaces that names no call of ours: 481, and no session for it.
    Sipp &s = uac("4334", 5333, "4331", "uac_replaces.xml", {"-set", "tags", "nomatch"});
    Json first = waitIncoming(p.w, seen++);
    ASSERT_FALSE(first.is_null()) << s.describe();
    std::string id = first["sessionId"];
    ASSERT_EQ(p.w.post("ANSWER", {{"sessionId", id}, {"options", silent()}}), 0);
    EXPECT_EQ(s.wait(), 0) << s.describe();
    EXPECT_NE(s.log().find("call 2 final 481"), std::string::npos) << s.describe();
    EXPECT_FALSE(waitSession(p.w, "session_ended", id).is_null());
    EXPECT_EQ(incomingSessions(p.w).size(), seen);
}

TEST_F(CallControlSipp, MessageFloodLatin1BodyAndOptions) {
    Phone &p = phone("4341");
    const int count = 100;
    Sipp &flood = uac("4342", 5341, "4341", "uac_message.xml", {"-m", std::to_string(count), "-r", "50", "-l", "20"});
    EXPECT_EQ(flood.wait(), 0) << flood.describe();
    std::set<std::string> bodies;
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (bodies.size() < count && Clock::now() < deadline) {
        bodies.clear();
        for (const auto &ev : p.w.history())
            if (ev.value("msg", "") == "newMessage" && ev.value("originator", "") == "remote")
                bodies.insert(chomp(ev["data"].value("body", "")));
        if (bodies.size() < count) p.w.waitFor("newMessage", 100);
    }
    EXPECT_EQ(bodies.size(), static_cast<size_t>(count));  // each one, once
    EXPECT_EQ(bodies.count("flood message 1"), 1u);
    EXPECT_EQ(bodies.count("flood message 100"), 1u);
    Json one = waitSession(p.w, "newMessage");
    ASSERT_FALSE(one.is_null());
    EXPECT_TRUE(one["data"]["headers"].contains("X-Flood-Index")) << one.dump();
    EXPECT_NE(one.value("fromUri", "").find("4342"), std::string::npos);

    Sipp &latin = uac("4343", 5342, "4341", "uac_message.xml", {"-set", "body", "latin1"});
    EXPECT_EQ(latin.wait(), 0) << latin.describe();
    Json got;
    deadline = Clock::now() + std::chrono::seconds(5);
    while (got.is_null() && Clock::now() < deadline) {
        for (const auto &ev : p.w.history())
            if (ev.value("msg", "") == "newMessage" && ev.value("fromUri", "").find("4343") != std::string::npos) got = ev;
        if (got.is_null()) p.w.waitFor("newMessage", 100);
    }
    ASSERT_FALSE(got.is_null());
    // Not UTF-8: the exact bytes in base64, and a readable copy.
    EXPECT_EQ(got["data"].value("bodyBase64", ""), base64("caf\xe9 1\r\n")) << got.dump();
    EXPECT_EQ(got["data"].value("body", "").rfind("caf", 0), 0u);

    Sipp &options = uac("4344", 5343, "4341", "uac_message.xml", {"-set", "method", "OPTIONS"});
    EXPECT_EQ(options.wait(), 0) << options.describe();
    Json ping = p.w.waitFor("newOptions", 5000);
    ASSERT_FALSE(ping.is_null());
    EXPECT_EQ(ping["_channel"], "newOptions");
    EXPECT_EQ(ping["originator"], "remote");
    EXPECT_NE(ping["data"].value("fromUri", "").find("4344"), std::string::npos) << ping.dump();
}

TEST_F(CallControlSipp, XHeadersOfAPbxCallAndARejectWithHeaders) {
    Phone &p = phone("4351");
    Sipp &pbx = uac("4352", 5351, "4351", "uac_headers.xml");
    Json in = waitIncoming(p.w, 0);
    ASSERT_FALSE(in.is_null()) << pbx.describe();
    const Json &h = in["data"]["headers"];
    EXPECT_EQ(h["X-Queue-Id"], Json::array({"sales-7"})) << h.dump();
    EXPECT_EQ(h["X-Customer"], Json::array({"42", "vip"})) << h.dump();
    ASSERT_TRUE(h.contains("P-Asserted-Identity")) << h.dump();
    EXPECT_NE(h["P-Asserted-Identity"][0].get<std::string>().find("+4930123456"), std::string::npos);
    EXPECT_NE(in["data"].value("requestUri", "").find("4351"), std::string::npos);
    std::string sid = in["sessionId"];
    EXPECT_EQ(sessionInfo(p.w, sid)["remoteDisplayName"], "Queue Sales");
    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", sid}, {"statusCode", 486}, {"extraHeaders", {"X-Reject: robot"}}}), 0);
    Json failed = waitSession(p.w, "session_failed", sid);
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["cause"], "Busy");
    EXPECT_EQ(pbx.wait(), 0) << pbx.describe();
    EXPECT_NE(pbx.log().find("X-Reject: robot"), std::string::npos) << pbx.describe();
}
