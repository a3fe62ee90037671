// Calls with real media between workers through the loopback Kamailio, and against sipp.
#include "audio_analysis.hpp"
#include "call_helpers.hpp"

#include <cmath>
#include <cstdio>
#include <thread>

using namespace sipw_test;

namespace {

}  // namespace

class Calls : public ::testing::Test {
protected:
    void SetUp() override { SIPW_REQUIRE_LOOPBACK_SERVERS(); }
};

TEST_F(Calls, TwoWorkersExchangeTonesBothWays) {
    Phone a("1011"), b("1012");
    std::string heardByB = tempWav("b"), heardByA = tempWav("a");
    ASSERT_EQ(a.w.post("CALL", {{"target", "1012"},
                                {"sessionId", "call-a-b"},
                                {"options", {{"audio", {{"input", "tone:1000"}, {"output", "file:" + heardByA}}}}}}),
              0) << sipw_last_error();
    Json first = waitSession(a.w, "newRTCSession", "call-a-b");
    ASSERT_FALSE(first.is_null());
    EXPECT_EQ(first["sessionOrigin"], "outgoing");
    EXPECT_EQ(first["originator"], "local");

    Json incoming = waitSession(b.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null());
    EXPECT_EQ(incoming["sessionOrigin"], "incoming");
    EXPECT_NE(incoming["fromUri"].get<std::string>().find("1011"), std::string::npos);
    std::string bid = incoming["sessionId"];
    char *info = sipw_session_info(b.w.get(), bid.c_str());
    ASSERT_NE(info, nullptr);
    Json bInfo = Json::parse(info);
    sipw_free(info);
    EXPECT_EQ(bInfo["state"], "ringing");
    EXPECT_EQ(bInfo["remoteUser"], "1011");

    EXPECT_FALSE(waitSession(a.w, "session_progress", "call-a-b").is_null());
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid},
                                  {"options", {{"audio", {{"input", "tone:440"}, {"output", "file:" + heardByB}}}}}}),
              0) << sipw_last_error();
    Json accepted = waitSession(a.w, "session_accepted", "call-a-b");
    ASSERT_FALSE(accepted.is_null());
    EXPECT_EQ(accepted["statusCode"], 200);
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "call-a-b").is_null());
    ASSERT_FALSE(waitSession(b.w, "session_confirmed", bid).is_null());

    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "call-a-b"}}), 0);
    Json endedA = waitSession(a.w, "session_ended", "call-a-b");
    Json endedB = waitSession(b.w, "session_ended", bid);
    ASSERT_FALSE(endedA.is_null());
    ASSERT_FALSE(endedB.is_null());
    EXPECT_EQ(endedA["originator"], "local");
    EXPECT_EQ(endedB["originator"], "remote");
    // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    EXPECT_EQ(endedB["cause"], "Terminated");
    EXPECT_EQ(endedB["causeCN"], "对方已挂断");

    if (getenv("SIPW_TEST_VERBOSE")) for (auto *p : {&a, &b}) for (auto &ev : p->w.history()) printf("%s: %s\n", p->user.c_str(), ev.dump().c_str());
    double secondsA = 0, secondsB = 0;
    double atB = recordedFrequency(heardByB, &secondsB);
    double atA = recordedFrequency(heardByA, &secondsA);
    EXPECT_NEAR(atB, 1000.0, 1000.0 * 0.02);  // B hears A's tone
    EXPECT_NEAR(atA, 440.0, 440.0 * 0.02);
    EXPECT_GT(secondsB, 2.0);
    EXPECT_GT(secondsA, 2.0);
    std::remove(heardByA.c_str());
    std::remove(heardByB.c_str());
}

namespace {

// Terminal events (session_ended / session_failed) of session `sid` in `w`'s history.
int terminalEvents(const TestWorker &w, const std::string &sid) {
    int n = 0;
    for (const auto &ev : w.history()) {
        std::string msg = ev.value("msg", "");
        if (ev.value("sessionId", "") == sid && (msg == "session_ended" || msg == "session_failed")) ++n;
    }
    return n;
}

// Drains `w` for `ms` so late events land in its history.
void drain(TestWorker &w, int ms) { w.waitFor("no-such-event", ms); }

// A answers B's call: returns B's incoming session id (empty on failure).
std::string answerNext(Phone &callee, const std::string &fromUser, const Json &options) {
    auto deadline = Clock::now() + std::chrono::seconds(8);
    while (Clock::now() < deadline) {
        for (const auto &ev : callee.w.history()) {
            if (ev.value("msg", "") == "newRTCSession" && ev.value("sessionOrigin", "") == "incoming" &&
                ev.value("fromUri", "").find(fromUser + "@") != std::string::npos) {
                std::string sid = ev["sessionId"];
                EXPECT_EQ(callee.w.post("ANSWER", {{"sessionId", sid}, {"options", options}}), 0) << sipw_last_error();
                return sid;
            }
        }
        callee.w.waitFor("newRTCSession", 200);
    }
    return {};
}

Json audio(const std::string &input, const std::string &output) {
    return {{"audio", {{"input", input}, {"output", output}}}};
}

}  // namespace

TEST_F(Calls, FiveSimultaneousCallsThreeOutTwoIn) {
    Phone hub("1013");
    std::vector<std::unique_ptr<Phone>> peers;
    for (const char *u : {"1014", "1015", "1016", "1017", "1018"}) peers.push_back(std::make_unique<Phone>(u));

    struct Leg {
        Phone *peer;
        bool outgoing;          // from the hub's side
        int hubTone, peerTone;  // what each side sends
        std::string hubSid, peerSid, hubHears, peerHears;
    };
    std::vector<Leg> legs;
    int tones[][2] = {{300, 1100}, {400, 1200}, {500, 1300}, {600, 1400}, {700, 1500}};
    for (size_t i = 0; i < peers.size(); ++i) {
        Leg leg{peers[i].get(), i < 3, tones[i][0], tones[i][1]};
        leg.hubHears = tempWav("hub" + std::to_string(i));
        leg.peerHears = tempWav("peer" + std::to_string(i));
        legs.push_back(leg);
    }
    // Calls in both directions, all ringing at the same time, then all answered.
    for (auto &leg : legs) {
        std::string hubAudio = "tone:" + std::to_string(leg.hubTone), peerAudio = "tone:" + std::to_string(leg.peerTone);
        if (leg.outgoing) {
            leg.hubSid = "hub-to-" + leg.peer->user;
            ASSERT_EQ(hub.w.post("CALL", {{"target", leg.peer->user}, {"sessionId", leg.hubSid},
                                          {"options", audio(hubAudio, "file:" + leg.hubHears)}}), 0);
        } else {
            leg.peerSid = leg.peer->user + "-to-hub";
            ASSERT_EQ(leg.peer->w.post("CALL", {{"target", "1013"}, {"sessionId", leg.peerSid},
                                                {"options", audio(peerAudio, "file:" + leg.peerHears)}}), 0);
        }
    }
    for (auto &leg : legs) {
        std::string hubAudio = "tone:" + std::to_string(leg.hubTone), peerAudio = "tone:" + std::to_string(leg.peerTone);
        if (leg.outgoing) leg.peerSid = answerNext(*leg.peer, "1013", audio(peerAudio, "file:" + leg.peerHears));
        else leg.hubSid = answerNext(hub, leg.peer->user, audio(hubAudio, "file:" + leg.hubHears));
        ASSERT_FALSE(leg.peerSid.empty() || leg.hubSid.empty()) << "call with " << leg.peer->user << " not answered";
    }
    for (auto &leg : legs) {
        ASSERT_FALSE(waitSession(hub.w, "session_confirmed", leg.hubSid).is_null()) << leg.hubSid;
        ASSERT_FALSE(waitSession(leg.peer->w, "session_confirmed", leg.peerSid).is_null()) << leg.peerSid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));

    // Hang up in a shuffled order, from either side.
    std::vector<size_t> order = {3, 0, 4, 1, 2};
    for (size_t k = 0; k < order.size(); ++k) {
        Leg &leg = legs[order[k]];
        if (k % 2 == 0) ASSERT_EQ(hub.w.post("HANGUP", {{"sessionId", leg.hubSid}}), 0);
        else ASSERT_EQ(leg.peer->w.post("HANGUP", {{"sessionId", leg.peerSid}}), 0);
    }
    for (auto &leg : legs) {
        EXPECT_FALSE(waitSession(hub.w, "session_ended", leg.hubSid).is_null()) << leg.hubSid;
        EXPECT_FALSE(waitSession(leg.peer->w, "session_ended", leg.peerSid).is_null()) << leg.peerSid;
    }
    drain(hub.w, 500);
    for (auto &leg : legs) {
        drain(leg.peer->w, 50);
        EXPECT_EQ(terminalEvents(hub.w, leg.hubSid), 1) << leg.hubSid;
        EXPECT_EQ(terminalEvents(leg.peer->w, leg.peerSid), 1) << leg.peerSid;
        EXPECT_NEAR(recordedFrequency(leg.hubHears), leg.peerTone, leg.peerTone * 0.02) << "hub hears " << leg.peer->user;
        EXPECT_NEAR(recordedFrequency(leg.peerHears), leg.hubTone, leg.hubTone * 0.02) << leg.peer->user << " hears hub";
        std::remove(leg.hubHears.c_str());
        std::remove(leg.peerHears.c_str());
    }
}

// TURN on each WebRTC transport (coturn on loopback).
class RelayCalls : public Calls, public ::testing::WithParamInterface<const char *> {
protected:
    // A relay-only INIT with `credential` for coturn's user "test", on this test's transport. The
    // shared transport is given coturn by name (resolved on its ICE thread, see ice_transport).
    Json relayOnly(const char *credential) const {
        std::string url = std::string("turn:") + (GetParam() == std::string("shared") ? "localhost" : "127.0.0.1") + ":3478";
        return {{"sipIce", Json::array({{{"urls", url}, {"username", "test"}, {"credential", credential}}})},
                {"ice", {{"transportPolicy", "relay"}}},
                {"media", {{"webrtcTransport", GetParam()}}}};
    }
};

TEST_P(RelayCalls, RelayOnlyCallThroughCoturnCarriesAudio) {
    Phone a("1019", relayOnly("testpw")), b("1020", Json{{"media", {{"webrtcTransport", GetParam()}}}});
    std::string heard = tempWav("relay");
    ASSERT_EQ(a.w.post("CALL", {{"target", "1020"}, {"sessionId", "relay"}, {"options", audio("tone:700", "null")}}), 0);
    std::string bid = answerNext(b, "1019", audio("silence", "file:" + heard));
    ASSERT_FALSE(bid.empty());
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "relay").is_null());
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    char *info = sipw_session_info(a.w.get(), "relay");
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(Json::parse(info)["mediaConnected"], true);
    sipw_free(info);
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "relay"}}), 0);
    ASSERT_FALSE(waitSession(b.w, "session_ended", bid).is_null());
    EXPECT_NEAR(recordedFrequency(heard), 700, 14);
    std::remove(heard.c_str());
}

TEST_P(RelayCalls, WrongTurnPasswordFailsTheCallClearly) {
    Phone a("1011", relayOnly("wrong")), b("1012");
    auto t0 = Clock::now();
    ASSERT_EQ(a.w.post("CALL", {{"target", "1012"}, {"sessionId", "badturn"}}), 0);
    Json failed;
    auto deadline = Clock::now() + std::chrono::seconds(15);
    while (failed.is_null() && Clock::now() < deadline) {
        Json ev = a.w.waitFor("new_RTCSession_state", 1000);
        if (!ev.is_null() && ev.value("sessionId", "") == "badturn" &&
            (ev["msg"] == "session_failed" || ev["msg"] == "session_ended"))
            failed = ev;
    }
    ASSERT_FALSE(failed.is_null()) << "the call did not end";
    EXPECT_EQ(failed["cause"], "RTP Timeout");
    EXPECT_FALSE(failed["causeCN"].get<std::string>().empty());
    EXPECT_NE(failed.value("reason", "").find("TURN"), std::string::npos) << failed.dump();
    // Known before any INVITE: no relay candidate could be gathered.
    EXPECT_LT(secondsSince(t0), 3.0);
    printf("[ timing   ] relay-only call with a wrong TURN password ended after %.1f s\n", secondsSince(t0));
}

INSTANTIATE_TEST_SUITE_P(WebRtcTransports, RelayCalls, ::testing::Values("shared", "webrtcbin"),
                         [](const ::testing::TestParamInfo<const char *> &info) { return std::string(info.param); });

TEST_F(Calls, DeadStunServerDoesNotDelayTheInvite) {
    Json stun = {{"sipIce", Json::array({"stun:127.0.0.1:3479"})}, {"ice", {{"gatheringTimeoutMs", 300}}}};
    Phone a("1013", stun), b("1014");
    auto t0 = Clock::now();
    ASSERT_EQ(a.w.post("CALL", {{"target", "1014"}, {"sessionId", "deadstun"}}), 0);
    ASSERT_FALSE(waitSession(a.w, "session_connecting", "deadstun").is_null());  // the INVITE went out
    double seconds = secondsSince(t0);
    // 300 ms of gathering, plus room for a loaded machine (1.1 s seen with two test runs at once
    // on 2 cores); STUN's own retransmissions would take seconds.
    EXPECT_LT(seconds, 0.5 + 1.0 * kTimingSlack) << "INVITE only after " << seconds << " s";
    std::string bid = answerNext(b, "1013", Json::object());
    EXPECT_FALSE(waitSession(a.w, "session_confirmed", "deadstun").is_null());
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "deadstun"}}), 0);
    EXPECT_FALSE(waitSession(b.w, "session_ended", bid).is_null());
}

TEST_F(Calls, DestroyingAWorkerWithThreeLiveCallsSendsBye) {
    auto a = std::make_unique<Phone>("1015");
    Phone b("1016"), c("1017"), d("1018");
    std::vector<std::pair<Phone *, std::string>> peers;
    for (Phone *p : {&b, &c, &d}) {
        ASSERT_EQ(a->w.post("CALL", {{"target", p->user}}), 0);
        std::string sid = answerNext(*p, "1015", Json::object());
        ASSERT_FALSE(sid.empty());
        ASSERT_FALSE(waitSession(p->w, "session_confirmed", sid).is_null());
        peers.emplace_back(p, sid);
    }
    auto t0 = Clock::now();
    a.reset();
    double destroySeconds = secondsSince(t0);
    EXPECT_LT(destroySeconds, 5.0);
    for (auto &[p, sid] : peers) {
        Json ended = waitSession(p->w, "session_ended", sid, 5000);
        ASSERT_FALSE(ended.is_null()) << p->user << " got no BYE";
        // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
        EXPECT_EQ(ended["cause"], "Terminated");
    }
    printf("[ timing   ] destroy with 3 live calls took %.0f ms\n", destroySeconds * 1000);
}

// webrtcbin applies the peer's answer asynchronously, so session_confirmed can come before it is
// applied: a HOLD posted right then must wait for it, not fail the call ("re-offer before the
// first offer/answer completed").
TEST_F(Calls, HoldRightAfterConfirmed) {
    Phone a("1013"), b("1014");
    ASSERT_EQ(a.w.post("CALL", {{"target", "1014"}, {"sessionId", "call-hold"}}), 0) << sipw_last_error();
    Json incoming = waitSession(b.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null());
    std::string bid = incoming["sessionId"];
    ASSERT_EQ(b.w.post("ANSWER", {{"sessionId", bid}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "call-hold").is_null());
    ASSERT_EQ(a.w.post("HOLD", {{"sessionId", "call-hold"}}), 0) << sipw_last_error();

    Json heldA = waitSession(a.w, "onHold", "call-hold");
    Json heldB = waitSession(b.w, "onHold", bid);
    ASSERT_FALSE(heldA.is_null());
    ASSERT_FALSE(heldB.is_null());
    EXPECT_EQ(heldA["originator"], "local");
    EXPECT_EQ(heldB["originator"], "remote");
    for (const auto &ev : a.w.history()) EXPECT_NE(ev.value("msg", ""), "session_ended") << ev.dump();

    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "call-hold"}}), 0);
    Json ended = waitSession(b.w, "session_ended", bid);
    ASSERT_FALSE(ended.is_null());
    // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    EXPECT_EQ(ended["cause"], "Terminated");
}

// A second HANGUP, or an ANSWER after a HANGUP, is refused at once (-2) rather than accepted and
// silently dropped on the loop.
TEST_F(Calls, SecondHangupIsRefused) {
    Phone a("1015"), b("1016");
    ASSERT_EQ(a.w.post("CALL", {{"target", "1016"}, {"sessionId", "twice"}}), 0);
    Json incoming = waitSession(b.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null());
    std::string bid = incoming["sessionId"];
    ASSERT_EQ(b.w.post("HANGUP", {{"sessionId", bid}}), 0) << sipw_last_error();
    EXPECT_EQ(b.w.post("HANGUP", {{"sessionId", bid}}), SIPW_ESTATE);
    // "already being hung up", or "wrong state" if the loop already ended the call: -2 either way.
    EXPECT_TRUE(hasChinese(sipw_last_error())) << sipw_last_error();
    EXPECT_EQ(b.w.post("ANSWER", {{"sessionId", bid}}), SIPW_ESTATE);
    Json rejected = waitSession(b.w, "session_failed", bid);
    ASSERT_FALSE(rejected.is_null());
    EXPECT_EQ(rejected["cause"], "Rejected");
    Json failed = waitSession(a.w, "session_failed", "twice");
    ASSERT_FALSE(failed.is_null());
    EXPECT_EQ(failed["statusCode"], 480);
    drain(b.w, 300);
    EXPECT_EQ(terminalEvents(b.w, bid), 1);
    EXPECT_EQ(b.w.post("HANGUP", {{"sessionId", bid}}), SIPW_ESTATE);  // ended: wrong state
}

namespace {

// Writes `seconds` of a `hz` sine as 16-bit mono PCM WAV at `rate`.
void writeToneWav(const std::string &path, double hz, double seconds, int rate) {
    std::vector<int16_t> pcm(static_cast<size_t>(seconds * rate));
    for (size_t i = 0; i < pcm.size(); ++i) pcm[i] = static_cast<int16_t>(12000 * std::sin(2 * M_PI * hz * i / rate));
    uint32_t dataBytes = static_cast<uint32_t>(pcm.size() * 2);
    FILE *f = fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    auto u32 = [f](uint32_t v) { fwrite(&v, 4, 1, f); };
    auto u16 = [f](uint16_t v) { fwrite(&v, 2, 1, f); };
    fwrite("RIFF", 1, 4, f), u32(36 + dataBytes), fwrite("WAVEfmt ", 1, 8, f), u32(16), u16(1), u16(1);
    u32(static_cast<uint32_t>(rate)), u32(static_cast<uint32_t>(rate * 2)), u16(2), u16(16);
    fwrite("data", 1, 4, f), u32(dataBytes);
    fwrite(pcm.data(), 2, pcm.size(), f);
    fclose(f);
}

}  // namespace

// The call's input is a WAV file (at another rate than the call's 48 kHz): the peer hears it.
TEST_F(Calls, FileInputIsHeardByThePeer) {
    Phone a("1017"), b("1018");
    std::string source = tempWav("source"), heard = tempWav("heard-file");
    writeToneWav(source, 800, 6, 16000);
    ASSERT_EQ(a.w.post("CALL", {{"target", "1018"}, {"sessionId", "file-in"},
                                {"options", audio("file:" + source, "null")}}), 0) << sipw_last_error();
    std::string bid = answerNext(b, "1017", audio("silence", "file:" + heard));
    ASSERT_FALSE(bid.empty());
    ASSERT_FALSE(waitSession(a.w, "session_confirmed", "file-in").is_null());
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    ASSERT_EQ(a.w.post("HANGUP", {{"sessionId", "file-in"}}), 0);
    ASSERT_FALSE(waitSession(b.w, "session_ended", bid).is_null());
    EXPECT_NEAR(recordedFrequency(heard), 800, 16);
    std::remove(source.c_str());
    std::remove(heard.c_str());
}
