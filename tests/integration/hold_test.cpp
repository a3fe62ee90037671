// HOLD / UNHOLD / MUTE / UNMUTE with real media between workers through the loopback Kamailio,
// remote hold from a sipp peer's re-INVITEs, re-INVITE glare (491) and commands in the wrong
// state. Audio is checked in the callee's recording, 100 ms window by window.
//
// Users 3201..3299 (created in Kamailio at run time) and sipp ports 5201.. are this file's own.
#include "audio_analysis.hpp"
#include "call_helpers.hpp"

#include <cstdio>
#include <set>
#include <thread>

using namespace sipw_test;

namespace {

constexpr double kToneHz = 1000;
constexpr double kLoud = 0.05;     // RMS of a window with the tone
constexpr double kSilent = 0.005;  // RMS of a window without it
// Where a change (hold, mute, resume) shows in the peer's recording, around the moment it was
// asked: never more than kEarly before (the timeline's own error), up to kLate after (the
// command's trip and the audio path; measured up to 0.7 s under ASan on a loaded machine).
constexpr double kEarly = 0.3;
constexpr double kLate = 0.8;

void pause(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Events of session `sid` on `channel`, in order.
std::vector<Json> channelEvents(const TestWorker &w, const std::string &channel, const std::string &sid) {
    std::vector<Json> out;
    for (const auto &ev : w.history())
        if (ev.value("_channel", "") == channel && ev.value("sessionId", "") == sid) out.push_back(ev);
    return out;
}

// Waits until `count` events of `sid` on `channel` have arrived; returns the last one (null if not).
Json waitNth(TestWorker &w, const std::string &channel, const std::string &sid, size_t count, int timeoutMs = 8000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (channelEvents(w, channel, sid).size() < count && Clock::now() < deadline) settle(w, 50);
    auto events = channelEvents(w, channel, sid);
    return events.size() >= count ? events[count - 1] : Json();
}

// The wall-clock moments of a call, mapped onto its recording: the recording ends when the
// session ends (its file is finalized then) and is real time, so a moment `t` is at
// duration - (end - t) in the file.
struct Timeline {
    Clock::time_point end;
    double wavSeconds = 0;
    double at(Clock::time_point t) const {
        return wavSeconds - std::chrono::duration<double>(end - t).count();
    }
};

// Reads the recording: RMS per 100 ms window.
struct Recording {
    sipw::test::Wav wav;
    std::vector<double> levels;
    bool load(const std::string &path) {
        std::string error;
        if (!sipw::test::readWav(path, wav, error)) {
            ADD_FAILURE() << path << ": " << error;
            return false;
        }
        levels = sipw::test::windowLevels(wav, 100);
        return true;
    }
    // Windows entirely inside [from, to] seconds.
    std::vector<size_t> windows(double from, double to) const {
        std::vector<size_t> out;
        for (size_t i = 0; i < levels.size(); ++i)
            if (i * 0.1 >= from && (i + 1) * 0.1 <= to) out.push_back(i);
        return out;
    }
    // Every window in [from, to] is loud (the tone), and there are at least minWindows.
    void expectTone(double from, double to, size_t minWindows, const std::string &what) const {
        auto ws = windows(from, to);
        EXPECT_GE(ws.size(), minWindows) << what << ": [" << from << ", " << to << "] s";
        std::string quiet;
        for (size_t i : ws) if (levels[i] <= kLoud) quiet += " " + std::to_string(i * 0.1);
        EXPECT_TRUE(quiet.empty()) << what << ": no tone in the windows at (s)" << quiet << profile();
        if (ws.empty()) return;
        size_t begin = ws.front() * wav.sampleRate / 10, end = (ws.back() + 1) * wav.sampleRate / 10;
        EXPECT_NEAR(sipw::test::dominantFrequency(wav, begin, end), kToneHz, kToneHz * 0.02) << what;
    }
    void expectSilence(double from, double to, size_t minWindows, const std::string &what) const {
        auto ws = windows(from, to);
        EXPECT_GE(ws.size(), minWindows) << what << ": [" << from << ", " << to << "] s";
        std::string loud;
        for (size_t i : ws) if (levels[i] >= kSilent) loud += " " + std::to_string(i * 0.1);
        EXPECT_TRUE(loud.empty()) << what << ": sound in the windows at (s)" << loud << profile();
    }
    // The whole level profile, for failure messages: one character per window.
    std::string profile() const {
        std::string out = "\nlevels per 100 ms (# tone, . silence, ? between):\n";
        for (size_t i = 0; i < levels.size(); ++i) {
            out += levels[i] > kLoud ? '#' : levels[i] < kSilent ? '.' : '?';
            if (i % 50 == 49) out += '\n';
        }
        return out;
    }
};

// Call options: audio, and `media` (profile, codecs) when given.
Json audioOptions(const std::string &input, const std::string &output, const Json &media = nullptr) {
    Json options = {{"audio", {{"input", input}, {"output", output}}}};
    if (!media.is_null()) options["media"] = media;
    return options;
}

}  // namespace

class HoldCalls : public SippCalls {
protected:
    // `caller` calls `callee` (with `media` options, e.g. another profile): the caller sends the
    // tone, the callee records it to `recording`. Returns the callee's session id once both
    // sides are confirmed and the callee has decoded the caller's first audio (empty on failure).
    std::string connect(Phone &caller, Phone &callee, const std::string &sid, const std::string &recording,
                        const Json &media = nullptr) {
        EXPECT_EQ(caller.w.post("CALL", {{"target", callee.user}, {"sessionId", sid},
                                         {"options", audioOptions("tone:1000", "null", media)}}),
                  0) << sipw_last_error();
        Json incoming = waitSession(callee.w, "newRTCSession");
        if (incoming.is_null()) return ADD_FAILURE() << "no incoming call", std::string();
        std::string calleeSid = incoming["sessionId"];
        EXPECT_EQ(callee.w.post("ANSWER", {{"sessionId", calleeSid},
                                           {"options", audioOptions("silence", "file:" + recording)}}),
                  0) << sipw_last_error();
        if (waitSession(caller.w, "session_confirmed", sid).is_null() ||
            waitSession(callee.w, "session_confirmed", calleeSid).is_null())
            return ADD_FAILURE() << "call not confirmed", std::string();
        // The tone must be flowing before the test times anything (ICE, DTLS and the first
        // decoded packet take longer under sanitizers).
        if (!waitForInfo(callee.w, calleeSid, [](const Json &info) { return !info["firstAudioTime"].is_null(); }, 5000))
            return ADD_FAILURE() << "no audio reached the callee", std::string();
        return calleeSid;
    }

    // One side holds for ~2 s and resumes; the caller's tone must stop in the callee's recording
    // and come back.
    // On rtp/srtp (`media`) the directions are really renegotiated: the held side stops sending.
    void holdAndResume(bool calleeHolds, const std::string &callerUser, const std::string &calleeUser,
                       const Json &media = nullptr) {
        Phone &caller = phone(callerUser);
        Phone &callee = phone(calleeUser);
        std::string recording = tempWav("hold_" + calleeUser);
        std::string callerSid = "hold-" + callerUser;
        std::string calleeSid = connect(caller, callee, callerSid, recording, media);
        ASSERT_FALSE(calleeSid.empty());
        Phone &holder = calleeHolds ? callee : caller;
        Phone &held = calleeHolds ? caller : callee;
        std::string holderSid = calleeHolds ? calleeSid : callerSid;
        std::string heldSid = calleeHolds ? callerSid : calleeSid;

        pause(2000);
        auto holdAt = Clock::now();
        ASSERT_EQ(holder.w.post("HOLD", {{"sessionId", holderSid}}), 0) << sipw_last_error();
        Json localHold = waitSession(holder.w, "onHold", holderSid);
        Json remoteHold = waitSession(held.w, "onHold", heldSid);
        ASSERT_FALSE(localHold.is_null());
        ASSERT_FALSE(remoteHold.is_null());
        EXPECT_EQ(localHold["originator"], "local");
        EXPECT_EQ(remoteHold["originator"], "remote");
        EXPECT_EQ(sessionInfo(holder.w, holderSid)["held"], true);
        EXPECT_EQ(sessionInfo(holder.w, holderSid)["remoteHeld"], false);
        EXPECT_EQ(sessionInfo(held.w, heldSid)["remoteHeld"], true);
        EXPECT_EQ(sessionInfo(held.w, heldSid)["held"], false);
        EXPECT_EQ(sessionInfo(held.w, heldSid)["state"], "confirmed");

        pause(2000 - int(secondsSince(holdAt) * 1000));
        auto resumeAt = Clock::now();
        // The seed's value of UNHOLD.
        ASSERT_EQ(holder.w.post("ONHOLD", {{"sessionId", holderSid}}), 0) << sipw_last_error();
        Json localResume = waitSession(holder.w, "onResume", holderSid);
        Json remoteResume = waitSession(held.w, "onResume", heldSid);
        ASSERT_FALSE(localResume.is_null());
        ASSERT_FALSE(remoteResume.is_null());
        EXPECT_EQ(localResume["originator"], "local");
        EXPECT_EQ(remoteResume["originator"], "remote");
        EXPECT_EQ(sessionInfo(holder.w, holderSid)["held"], false);
        EXPECT_EQ(sessionInfo(held.w, heldSid)["remoteHeld"], false);

        pause(2000 - int(secondsSince(resumeAt) * 1000));
        auto hangupAt = Clock::now();
        ASSERT_EQ(caller.w.post("HANGUP", {{"sessionId", callerSid}}), 0);
        ASSERT_FALSE(waitSession(callee.w, "session_ended", calleeSid).is_null());
        for (auto *p : {&caller, &callee}) {
            settle(p->w, 100);
            for (const auto &ev : p->w.history()) EXPECT_NE(ev.value("_channel", ""), "warning") << ev.dump();
        }

        Recording rec;
        ASSERT_TRUE(rec.load(recording));
        Timeline t{hangupAt, rec.wav.durationSeconds()};
        double hold = t.at(holdAt), resume = t.at(resumeAt), end = t.at(hangupAt);
        printf("[ timeline ] recording %.1f s: hold at %.2f s, resume at %.2f s, end at %.2f s\n",
               rec.wav.durationSeconds(), hold, resume, end);
        rec.expectTone(hold - 1.5, hold - kEarly, 10, "before hold");
        rec.expectSilence(hold + kLate, resume - kEarly, 8, "during hold");
        rec.expectTone(resume + kLate, end - kEarly, 8, "after resume");
        std::remove(recording.c_str());
    }
};

TEST_F(HoldCalls, CallerHoldsAndResumes) { holdAndResume(false, "3201", "3202"); }

TEST_F(HoldCalls, CalleeHoldsAndResumes) { holdAndResume(true, "3203", "3204"); }

TEST_F(HoldCalls, RtpCallerHoldsAndResumes) { holdAndResume(false, "3217", "3218", {{"profile", "rtp"}, {"codecs", {"PCMU"}}}); }

TEST_F(HoldCalls, SrtpCalleeHoldsAndResumes) { holdAndResume(true, "3219", "3220", {{"profile", "srtp"}, {"codecs", {"G722"}}}); }

// sipp calls us, we answer; sipp then holds (sendonly), resumes (sendrecv), holds again with
// inactive and resumes, and checks the direction of each of our answers itself.
TEST_F(HoldCalls, RemoteHoldFromSippReinvites) {
    Phone &p = phone("3205");
    Sipp &caller = uac("3206", 5205, "3205", "uac_reinvite.xml");
    std::string sid = answerSippCall(p, caller);
    ASSERT_FALSE(sid.empty());

    Json held = waitSession(p.w, "onHold", sid, 5000);
    ASSERT_FALSE(held.is_null()) << caller.describe();
    EXPECT_EQ(held["originator"], "remote");
    EXPECT_EQ(sessionInfo(p.w, sid)["remoteHeld"], true);
    EXPECT_EQ(sessionInfo(p.w, sid)["held"], false);
    Json resumed = waitSession(p.w, "onResume", sid, 5000);
    ASSERT_FALSE(resumed.is_null()) << caller.describe();
    EXPECT_EQ(resumed["originator"], "remote");
    EXPECT_EQ(sessionInfo(p.w, sid)["remoteHeld"], false);

    Json ended = waitSession(p.w, "session_ended", sid, 10000);
    ASSERT_FALSE(ended.is_null()) << caller.describe();
    // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    EXPECT_EQ(ended["cause"], "Terminated");
    EXPECT_EQ(caller.wait(), 0) << caller.describe() << caller.log();
    std::string log = caller.log();
    for (const char *answer : {"re-INVITE sendonly answered recvonly", "re-INVITE sendrecv answered sendrecv",
                               "re-INVITE inactive answered inactive"})
        EXPECT_NE(log.find(answer), std::string::npos) << answer << " not in\n" << log;

    // Hold, resume, hold (inactive), resume: each reported once, all by the remote side.
    std::vector<std::string> sequence;
    for (const auto &ev : p.w.history()) {
        std::string channel = ev.value("_channel", "");
        if ((channel == "onHold" || channel == "onResume") && ev.value("sessionId", "") == sid) {
            sequence.push_back(channel);
            EXPECT_EQ(ev["originator"], "remote") << ev.dump();
        }
    }
    EXPECT_EQ(sequence, (std::vector<std::string>{"onHold", "onResume", "onHold", "onResume"}));
}

// A re-INVITE without SDP (a delayed offer): the worker offers its current media in the 200
// (sendrecv, then recvonly once held), applies the answer the ACK carries, and reports the
// peer's hold and resume; the call goes on.
TEST_F(HoldCalls, ReinviteWithoutSdpIsOfferedAndTheAckAnswerApplied) {
    Phone &p = phone("3215");
    Sipp &caller = uac("3216", 5215, "3215", "uac_reinvite_nosdp.xml");
    std::string sid = answerSippCall(p, caller);
    ASSERT_FALSE(sid.empty());

    Json held = waitSession(p.w, "onHold", sid, 5000);
    ASSERT_FALSE(held.is_null()) << caller.describe() << caller.messages();
    EXPECT_EQ(held["originator"], "remote");
    Json resumed = waitSession(p.w, "onResume", sid, 5000);
    ASSERT_FALSE(resumed.is_null()) << caller.describe() << caller.messages();
    EXPECT_EQ(resumed["originator"], "remote");
    Json ended = waitSession(p.w, "session_ended", sid, 10000);
    ASSERT_FALSE(ended.is_null()) << caller.describe();
    // A remote BYE is JsSIP's causes.BYE, "Terminated", as a local hang-up; originator "remote" tells them apart.
    EXPECT_EQ(ended["cause"], "Terminated");
    EXPECT_EQ(caller.wait(), 0) << caller.describe() << caller.log() << caller.messages();
    std::string log = caller.log();
    for (const char *offer : {"delayed offer 1: sendrecv", "delayed offer 2: recvonly", "re-INVITE sendrecv answered sendrecv"})
        EXPECT_NE(log.find(offer), std::string::npos) << offer << " not in\n" << log;
    for (const auto &ev : p.w.history()) EXPECT_NE(ev.value("_channel", ""), "warning") << ev.dump();
}

TEST_F(HoldCalls, MuteSilencesThePeerAndUnmuteRestores) {
    Phone &caller = phone("3207");
    Phone &callee = phone("3208");
    std::string recording = tempWav("mute_3208");
    std::string sid = "mute-3207";
    std::string calleeSid = connect(caller, callee, sid, recording);
    ASSERT_FALSE(calleeSid.empty());
    EXPECT_EQ(sessionInfo(caller.w, sid)["muted"], false);

    pause(2000);
    auto muteAt = Clock::now();
    ASSERT_EQ(caller.w.post("MUTE", {{"sessionId", sid}}), 0) << sipw_last_error();
    Json muted = waitSession(caller.w, "onMute", sid);
    ASSERT_FALSE(muted.is_null());
    EXPECT_EQ(muted["originator"], "local");
    EXPECT_EQ(sessionInfo(caller.w, sid)["muted"], true);
    // Muting twice is harmless: still muted, reported again.
    ASSERT_EQ(caller.w.post("MUTE", {{"sessionId", sid}}), 0) << sipw_last_error();
    EXPECT_FALSE(waitNth(caller.w, "onMute", sid, 2).is_null());
    EXPECT_EQ(sessionInfo(caller.w, sid)["muted"], true);
    // Muting is local: nothing reaches the peer but silence, and the call is not on hold.
    EXPECT_EQ(sessionInfo(callee.w, calleeSid)["remoteHeld"], false);

    pause(2000 - int(secondsSince(muteAt) * 1000));
    auto unmuteAt = Clock::now();
    ASSERT_EQ(caller.w.post("UNMUTE", {{"sessionId", sid}}), 0) << sipw_last_error();
    Json unmuted = waitSession(caller.w, "onUnmute", sid);
    ASSERT_FALSE(unmuted.is_null());
    EXPECT_EQ(unmuted["originator"], "local");
    EXPECT_EQ(sessionInfo(caller.w, sid)["muted"], false);

    pause(2000 - int(secondsSince(unmuteAt) * 1000));
    auto hangupAt = Clock::now();
    ASSERT_EQ(caller.w.post("HANGUP", {{"sessionId", sid}}), 0);
    ASSERT_FALSE(waitSession(callee.w, "session_ended", calleeSid).is_null());
    settle(callee.w, 100);
    for (const auto &ev : callee.w.history()) {
        std::string channel = ev.value("_channel", "");
        EXPECT_TRUE(channel != "onMute" && channel != "onHold") << "the peer saw " << ev.dump();
    }

    Recording rec;
    ASSERT_TRUE(rec.load(recording));
    Timeline t{hangupAt, rec.wav.durationSeconds()};
    double mute = t.at(muteAt), unmute = t.at(unmuteAt), end = t.at(hangupAt);
    rec.expectTone(mute - 1.5, mute - kEarly, 10, "before mute");
    rec.expectSilence(mute + kLate, unmute - kEarly, 8, "while muted");
    rec.expectTone(unmute + kLate, end - kEarly, 8, "after unmute");
    std::remove(recording.c_str());
}

// Both sides HOLD at the same moment: their re-INVITEs cross, each is answered 491, and each
// side retries after its RFC 3261 §14.1 delay (the caller, owner of the Call-ID, 2.1-4 s; the
// callee 0-2 s). Both end up holding and held, and the call goes on.
TEST_F(HoldCalls, GlareBothHoldAtOnce) {
    Phone &caller = phone("3209");
    Phone &callee = phone("3210");
    std::string recording = tempWav("glare_3210");
    std::string sid = "glare-3209";
    std::string calleeSid = connect(caller, callee, sid, recording);
    ASSERT_FALSE(calleeSid.empty());
    pause(500);

    std::thread other([&] { EXPECT_EQ(callee.w.post("HOLD", {{"sessionId", calleeSid}}), 0); });
    EXPECT_EQ(caller.w.post("HOLD", {{"sessionId", sid}}), 0) << sipw_last_error();
    auto holdAt = Clock::now();
    other.join();

    // Each side: its own hold agreed (local) and the other's (remote), within the retry delays.
    for (auto [p, s] : {std::pair<Phone *, std::string>{&caller, sid}, {&callee, calleeSid}}) {
        auto deadline = Clock::now() + std::chrono::seconds(12);
        auto originators = [&] {
            std::set<std::string> seen;
            for (const auto &ev : channelEvents(p->w, "onHold", s)) seen.insert(ev.value("originator", ""));
            return seen;
        };
        while (originators().size() < 2 && Clock::now() < deadline) settle(p->w, 50);
        EXPECT_EQ(originators(), (std::set<std::string>{"local", "remote"})) << p->user;
        Json info = sessionInfo(p->w, s);
        EXPECT_EQ(info["held"], true) << info.dump();
        EXPECT_EQ(info["remoteHeld"], true) << info.dump();
        EXPECT_EQ(info["state"], "confirmed") << info.dump();
    }
    double seconds = secondsSince(holdAt);
    printf("[ timing   ] both sides on hold %.1f s after the crossing HOLDs\n", seconds);

    // Still a call: both resume (one after the other) and the tone is back at the callee.
    ASSERT_EQ(caller.w.post("UNHOLD", {{"sessionId", sid}}), 0) << sipw_last_error();
    EXPECT_FALSE(waitSession(caller.w, "onResume", sid).is_null());
    EXPECT_FALSE(waitSession(callee.w, "onResume", calleeSid).is_null());
    ASSERT_EQ(callee.w.post("UNHOLD", {{"sessionId", calleeSid}}), 0) << sipw_last_error();
    EXPECT_FALSE(waitNth(callee.w, "onResume", calleeSid, 2).is_null());
    EXPECT_FALSE(waitNth(caller.w, "onResume", sid, 2).is_null());
    for (auto [p, s] : {std::pair<Phone *, std::string>{&caller, sid}, {&callee, calleeSid}}) {
        Json info = sessionInfo(p->w, s);
        EXPECT_EQ(info["held"], false) << info.dump();
        EXPECT_EQ(info["remoteHeld"], false) << info.dump();
    }
    auto resumedAt = Clock::now();
    pause(2100);
    for (auto *p : {&caller, &callee}) {
        settle(p->w, 1);
        for (const auto &ev : p->w.history()) {
            EXPECT_NE(ev.value("_channel", ""), "warning") << ev.dump();
            EXPECT_FALSE(isTerminal(ev.value("msg", ""))) << "the call did not survive: " << ev.dump();
        }
    }
    auto hangupAt = Clock::now();
    ASSERT_EQ(caller.w.post("HANGUP", {{"sessionId", sid}}), 0);
    ASSERT_FALSE(waitSession(callee.w, "session_ended", calleeSid).is_null());
    Recording rec;
    ASSERT_TRUE(rec.load(recording));
    Timeline t{hangupAt, rec.wav.durationSeconds()};
    rec.expectTone(t.at(resumedAt) + kLate, t.at(hangupAt) - kEarly, 8, "after both resumed");
    std::remove(recording.c_str());
}

// The crossing re-INVITE made deterministic: sipp answers our first hold re-INVITE 491. We
// called, so we own the Call-ID and retry after 2.1-4 s (RFC 3261 §14.1); the retry is accepted.
TEST_F(HoldCalls, ReinviteAnswered491IsRetriedAfterTheOwnersDelay) {
    Sipp &uas = registeredUas("3213", 5213, "uas_glare.xml");
    Phone &p = phone("3214");
    std::string sid = "glare-491";
    ASSERT_EQ(p.w.post("CALL", {{"target", "3213"}, {"sessionId", sid}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(p.w, "session_confirmed", sid).is_null()) << uas.describe();
    auto holdAt = Clock::now();
    ASSERT_EQ(p.w.post("HOLD", {{"sessionId", sid}}), 0) << sipw_last_error();
    settle(p.w, 300);
    EXPECT_EQ(sessionInfo(p.w, sid)["held"], true);  // what was asked for, while it is negotiated
    Json held = waitSession(p.w, "onHold", sid, 6000);
    double seconds = secondsSince(holdAt);
    ASSERT_FALSE(held.is_null()) << uas.describe();
    EXPECT_EQ(held["originator"], "local");
    EXPECT_GE(seconds, 2.1);
    EXPECT_LE(seconds, 4.6);
    printf("[ timing   ] re-INVITE retried after the 491: on hold %.2f s after HOLD\n", seconds);
    EXPECT_EQ(sessionInfo(p.w, sid)["held"], true);
    EXPECT_EQ(channelEvents(p.w, "onHold", sid).size(), 1u);
    for (const auto &ev : p.w.history()) EXPECT_NE(ev.value("_channel", ""), "warning") << ev.dump();

    ASSERT_EQ(p.w.post("HANGUP", {{"sessionId", sid}}), 0);
    EXPECT_FALSE(waitSession(p.w, "session_ended", sid).is_null());
    EXPECT_EQ(uas.wait(), 0) << uas.describe();
    EXPECT_NE(uas.log().find("re-INVITE retried"), std::string::npos) << uas.log();
}

TEST_F(HoldCalls, CommandsInTheWrongState) {
    Phone &caller = phone("3211");
    Phone &callee = phone("3212");
    std::string sid = "states-3211";
    ASSERT_EQ(caller.w.post("CALL", {{"target", "3212"}, {"sessionId", sid}}), 0) << sipw_last_error();
    Json incoming = waitSession(callee.w, "newRTCSession");
    ASSERT_FALSE(incoming.is_null());
    std::string calleeSid = incoming["sessionId"];
    // Ringing: neither side can hold or resume yet.
    for (const char *cmd : {"HOLD", "UNHOLD", "ONHOLD"}) {
        EXPECT_EQ(caller.w.post(cmd, {{"sessionId", sid}}), SIPW_ESTATE) << cmd;
        EXPECT_EQ(callee.w.post(cmd, {{"sessionId", calleeSid}}), SIPW_ESTATE) << cmd;
    }
    EXPECT_EQ(callee.w.post("MUTE", {{"sessionId", calleeSid}}), SIPW_ESTATE);
    ASSERT_EQ(callee.w.post("ANSWER", {{"sessionId", calleeSid}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(caller.w, "session_confirmed", sid).is_null());
    ASSERT_FALSE(waitSession(callee.w, "session_confirmed", calleeSid).is_null());

    // UNHOLD of a call that is not held is harmless: reported as resumed, nothing sent.
    ASSERT_EQ(caller.w.post("UNHOLD", {{"sessionId", sid}}), 0) << sipw_last_error();
    Json resumed = waitSession(caller.w, "onResume", sid);
    ASSERT_FALSE(resumed.is_null());
    EXPECT_EQ(resumed["originator"], "local");
    EXPECT_EQ(sessionInfo(caller.w, sid)["held"], false);
    settle(callee.w, 500);
    EXPECT_TRUE(channelEvents(callee.w, "onResume", calleeSid).empty()) << "the peer was re-INVITEd";

    // HOLD twice: one re-INVITE, the second HOLD reported again.
    ASSERT_EQ(caller.w.post("HOLD", {{"sessionId", sid}}), 0) << sipw_last_error();
    ASSERT_FALSE(waitSession(caller.w, "onHold", sid).is_null());
    ASSERT_EQ(caller.w.post("HOLD", {{"sessionId", sid}}), 0) << sipw_last_error();
    EXPECT_FALSE(waitNth(caller.w, "onHold", sid, 2).is_null());
    settle(callee.w, 500);
    EXPECT_EQ(channelEvents(callee.w, "onHold", calleeSid).size(), 1u);
    EXPECT_EQ(sessionInfo(caller.w, sid)["held"], true);

    ASSERT_EQ(callee.w.post("HANGUP", {{"sessionId", calleeSid}}), 0);
    ASSERT_FALSE(waitSession(caller.w, "session_ended", sid).is_null());
    for (const char *cmd : {"HOLD", "UNHOLD", "ONHOLD", "MUTE", "UNMUTE"}) {
        EXPECT_EQ(caller.w.post(cmd, {{"sessionId", sid}}), SIPW_ESTATE) << cmd;
        EXPECT_EQ(callee.w.post(cmd, {{"sessionId", calleeSid}}), SIPW_ESTATE) << cmd;
    }
    // The payload is still checked first.
    EXPECT_EQ(caller.w.post("HOLD", Json::object()), SIPW_EINVAL);
    EXPECT_EQ(caller.w.post("HOLD", {{"sessionId", "no-such-session"}}), SIPW_ENOSESSION);
}
