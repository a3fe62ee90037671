#include "call_helpers.hpp"

#include "audio_analysis.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace sipw_test {

Phone::Phone(const std::string &u, Json extra) : Phone(u, kLoopbackUdp, std::move(extra)) {}

Phone::Phone(const std::string &u, const char *server, Json extra) : user(u) {
    EXPECT_EQ(w.post("INIT", initFor(u, server, extra)), 0) << sipw_last_error();
    EXPECT_FALSE(w.waitFor("registered", 5000).is_null()) << u << " did not register on " << server;
}

double recordedFrequency(const std::string &path, double *seconds) {
    sipw::test::Wav wav;
    std::string error;
    if (!sipw::test::readWav(path, wav, error)) {
        ADD_FAILURE() << path << ": " << error;
        return 0;
    }
    if (seconds) *seconds = wav.durationSeconds();
    size_t begin = std::min(wav.samples.size(), static_cast<size_t>(wav.sampleRate / 2));
    return sipw::test::dominantFrequency(wav, begin, wav.samples.size());
}

Json waitSession(TestWorker &w, const std::string &msg, const std::string &sid, int timeoutMs) {
    for (const auto &ev : w.history()) {
        if ((ev.value("msg", "") == msg || ev.value("_channel", "") == msg) &&
            (sid.empty() || ev.value("sessionId", "") == sid))
            return ev;
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (Clock::now() < deadline) {
        int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        Json ev = w.waitFor(msg, std::max(left, 1));
        if (ev.is_null()) return ev;
        if (sid.empty() || ev.value("sessionId", "") == sid) return ev;
    }
    return nullptr;
}

void settle(TestWorker &w, int ms) { w.waitFor("\x01 nothing matches this", ms); }

Json sessionInfo(TestWorker &w, const std::string &sid) {
    char *info = sipw_session_info(w.get(), sid.c_str());
    if (!info) return nullptr;
    Json out = Json::parse(info);
    sipw_free(info);
    return out;
}

bool waitForInfo(TestWorker &w, const std::string &sid, const std::function<bool(const Json &)> &ok,
                 int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        Json info = sessionInfo(w, sid);
        if (!info.is_null() && ok(info)) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

bool infoBecomes(TestWorker &w, const std::string &sid, const char *field, const Json &value, int timeoutMs) {
    return waitForInfo(w, sid, [&](const Json &info) { return info.contains(field) && info[field] == value; }, timeoutMs);
}

std::vector<Json> receivedDtmf(TestWorker &w, const std::string &sid, size_t count, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        std::vector<Json> out;
        for (const auto &ev : w.history())
            if (ev.value("_channel", "") == "newDTMF" && ev.value("sessionId", "") == sid) out.push_back(ev);
        if (out.size() >= count || Clock::now() >= deadline) return out;
        w.waitFor("newDTMF", 200);
    }
}

std::string tempWav(const std::string &name) {
    return (fs::temp_directory_path() / ("sipw_" + name + "_" + std::to_string(getpid()) + ".wav")).string();
}

// A 16-bit mono WAV of a sine at `hz` (44.1 kHz: the player must resample it).
std::string writeToneWav(const std::string &name, double hz, double seconds) {
    std::string path = tempWav(name);
    const int rate = 44100;
    const uint32_t samples = uint32_t(seconds * rate);
    auto le32 = [](FILE *f, uint32_t v) { for (int i = 0; i < 4; ++i) fputc((v >> (8 * i)) & 0xff, f); };
    auto le16 = [](FILE *f, uint16_t v) { fputc(v & 0xff, f), fputc(v >> 8, f); };
    FILE *f = fopen(path.c_str(), "wb");
    if (!f) return {};
    fwrite("RIFF", 1, 4, f), le32(f, 36 + samples * 2), fwrite("WAVEfmt ", 1, 8, f);
    le32(f, 16), le16(f, 1), le16(f, 1), le32(f, rate), le32(f, rate * 2), le16(f, 2), le16(f, 16);
    fwrite("data", 1, 4, f), le32(f, samples * 2);
    for (uint32_t i = 0; i < samples; ++i) le16(f, uint16_t(int16_t(12000 * std::sin(2 * M_PI * hz * i / rate))));
    fclose(f);
    return path;
}

std::string sourcePath(const std::string &relative) { return std::string(SIPW_SOURCE_DIR) + "/" + relative; }
std::string scenario(const std::string &name) { return sourcePath("tests/sipp/" + name); }

std::string readText(const std::string &path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void addKamailioUser(const std::string &user) {
    // "s:" keeps kamcmd from sending a numeric user name as an integer (which htable.sets refuses,
    // still exiting 0), so success is read from the answer.
    std::string cmd = "kamcmd -s unix:" + sourcePath("tests/servers/run/kamailio_ctl") + " htable.sets users s:" +
                      user + " pass" + user + " 2>&1";
    FILE *out = popen(cmd.c_str(), "r");
    ASSERT_NE(out, nullptr) << cmd;
    char buf[256] = {0};
    std::string answer;
    while (fgets(buf, sizeof buf, out)) answer += buf;
    pclose(out);
    EXPECT_NE(answer.find("Ok"), std::string::npos) << cmd << ": " << answer;
}

bool udpPortBound(int port) {
    std::ifstream in("/proc/net/udp");
    std::string line;
    char wanted[16];
    std::snprintf(wanted, sizeof wanted, ":%04X ", port);
    while (std::getline(in, line)) {
        if (line.find(wanted) != std::string::npos && line.find(wanted) < 30) return true;
    }
    return false;
}

ChildProcess::ChildProcess(const std::vector<std::string> &argv, const std::string &stdoutPath,
                           const std::string &stderrPath, const std::vector<std::string> &environment) {
    pid_ = fork();
    if (pid_ == 0) {
        auto output = [](const std::string &path) {
            return path.empty() ? open("/dev/null", O_WRONLY) : open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        };
        int null = open("/dev/null", O_RDWR), out = output(stdoutPath), err = output(stderrPath);
        dup2(null, 0);
        if (out >= 0) dup2(out, 1);
        if (err >= 0) dup2(err, 2);
        for (const auto &assignment : environment) putenv(strdup(assignment.c_str()));
        std::vector<char *> cargv;
        for (auto &a : argv) cargv.push_back(const_cast<char *>(a.c_str()));
        cargv.push_back(nullptr);
        execvp(cargv[0], cargv.data());
        _exit(127);
    }
    if (pid_ < 0) ADD_FAILURE() << "fork: " << strerror(errno);
}

int ChildProcess::wait(int timeoutMs) {
    if (pid_ <= 0) return exitCode_;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = 0;
            exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            return exitCode_;
        }
        if (Clock::now() > deadline) {
            kill();
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void ChildProcess::stop(int timeoutMs) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    wait(timeoutMs);
}

void ChildProcess::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
}

Sipp::Sipp(const std::string &name, std::vector<std::string> args) : name_(name) {
    fs::create_directories("sipp-logs");
    std::string base = "sipp-logs/" + name;
    for (const char *ext : {".msg", ".log", ".err", ".stderr"}) std::remove((base + ext).c_str());
    std::vector<std::string> argv = {"sipp", "127.0.0.1:5060", "-i", "127.0.0.1", "-nostdin", "-m", "1",
                                     "-timeout", "20s", "-timeout_error",
                                     "-trace_msg", "-message_file", base + ".msg",
                                     "-trace_logs", "-log_file", base + ".log",
                                     "-trace_err", "-error_file", base + ".err"};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = std::make_unique<ChildProcess>(argv, "", base + ".stderr");
}

std::string Sipp::log() const { return readText("sipp-logs/" + name_ + ".log"); }
std::string Sipp::messages() const { return readText("sipp-logs/" + name_ + ".msg"); }
std::string Sipp::describe() const {
    return "sipp " + name_ + " (logs in sipp-logs/" + name_ + ".*):\n" + readText("sipp-logs/" + name_ + ".stderr") +
           readText("sipp-logs/" + name_ + ".err");
}

bool isTerminal(const std::string &msg) { return msg == "session_ended" || msg == "session_failed"; }

// Every session in the history starts with newRTCSession and has exactly one terminal event,
// its last session event. An id deleted and used again (newRTCSession after the terminal event)
// counts as a new session. Returns the number of sessions seen.
size_t expectOneTerminalPerSession(const TestWorker &w, const std::string &who) {
    std::map<std::string, std::vector<std::string>> bySession;
    std::map<std::string, int> reuses;
    for (const auto &ev : w.history()) {
        if (ev.value("_channel", "") != "new_RTCSession_state") continue;
        std::string sid = ev.value("sessionId", ""), msg = ev.value("msg", "");
        std::string key = sid + "#" + std::to_string(reuses[sid]);
        auto &msgs = bySession[key];
        if (msg == "newRTCSession" && !msgs.empty() && isTerminal(msgs.back())) {
            key = sid + "#" + std::to_string(++reuses[sid]);
            bySession[key].push_back(msg);
        } else {
            msgs.push_back(msg);
        }
    }
    for (const auto &[sid, msgs] : bySession) {
        std::string seq;
        for (const auto &m : msgs) seq += m + " ";
        EXPECT_NE(sid.front(), '#') << who << ": session event without sessionId: " << seq;
        EXPECT_EQ(msgs.front(), "newRTCSession") << who << " " << sid << ": " << seq;
        EXPECT_EQ(std::count_if(msgs.begin(), msgs.end(), isTerminal), 1) << who << " " << sid << ": " << seq;
        EXPECT_TRUE(isTerminal(msgs.back())) << who << " " << sid << ": " << seq;
    }
    return bySession.size();
}

void SippCalls::SetUp() { SIPW_REQUIRE_LOOPBACK_SERVERS(); }

void SippCalls::TearDown() {
    for (auto &s : sipps_) {
        if (s->running()) {
            ADD_FAILURE() << "still running at the end of the test, killed: " << s->describe();
            s->kill();
        }
    }
    for (auto &p : phones_) {
        settle(p->w, 300);
        expectOneTerminalPerSession(p->w, p->user);
        if (getenv("SIPW_TEST_VERBOSE"))
            for (auto &ev : p->w.history()) printf("%s: %s\n", p->user.c_str(), ev.dump().c_str());
    }
    phones_.clear();
    sipps_.clear();
}

Phone &SippCalls::phone(const std::string &user, Json extra) {
    addKamailioUser(user);
    phones_.push_back(std::make_unique<Phone>(user, extra));
    return *phones_.back();
}

Sipp &SippCalls::sipp(const std::string &name, std::vector<std::string> args) {
    sipps_.push_back(std::make_unique<Sipp>(name, std::move(args)));
    return *sipps_.back();
}

Sipp &SippCalls::registeredUas(const std::string &user, int port, const std::string &scenarioFile,
                               std::vector<std::string> extra) {
    addKamailioUser(user);
    std::string name = testName() + "_" + user;
    Sipp &reg = sipp(name + "_reg", {"-sf", scenario("reg.xml"), "-p", std::to_string(port), "-s", user,
                                     "-au", user, "-ap", "pass" + user});
    int rc = reg.wait();
    EXPECT_EQ(rc, 0) << reg.describe();
    std::string waitReg = sourcePath("tests/servers/wait_reg.sh") + " " + user + " 5";
    EXPECT_EQ(std::system(waitReg.c_str()), 0) << user << " not registered";
    std::vector<std::string> args = {"-sf", scenario(scenarioFile), "-p", std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    Sipp &uas = sipp(name + "_uas", args);
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (!udpPortBound(port) && uas.running() && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(udpPortBound(port)) << uas.describe();
    return uas;
}

Sipp &SippCalls::uac(const std::string &caller, int port, const std::string &callee, const std::string &scenarioFile,
                     std::vector<std::string> extra) {
    addKamailioUser(caller);
    std::vector<std::string> args = {"-sf", scenario(scenarioFile), "-p", std::to_string(port), "-s", callee,
                                     "-set", "caller", caller, "-au", caller, "-ap", "pass" + caller};
    args.insert(args.end(), extra.begin(), extra.end());
    return sipp(testName() + "_" + caller + "_uac", args);
}

std::string SippCalls::answerSippCall(Phone &p, Sipp &caller, const Json &options) {
    Json incoming = waitSession(p.w, "newRTCSession");
    if (incoming.is_null()) return ADD_FAILURE() << "no incoming call: " << caller.describe(), std::string();
    std::string sid = incoming["sessionId"];
    EXPECT_EQ(p.w.post("ANSWER", {{"sessionId", sid}, {"options", options}}), 0) << sipw_last_error();
    if (waitSession(p.w, "session_confirmed", sid).is_null())
        return ADD_FAILURE() << "call not confirmed: " << caller.describe(), std::string();
    return sid;
}

Json SippCalls::callAndWaitForEnd(Phone &p, const std::string &target, const std::string &sid, int timeoutMs) {
    EXPECT_EQ(p.w.post("CALL", {{"target", target}, {"sessionId", sid}}), 0) << sipw_last_error();
    Json failed = waitSession(p.w, "session_failed", sid, timeoutMs);
    if (!failed.is_null()) return failed;
    return waitSession(p.w, "session_ended", sid, 1);
}

std::string SippCalls::testName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

}  // namespace sipw_test
