// Helpers for call tests through the loopback Kamailio: registered workers, waiting for session
// events, sipp peers as child processes, users created in Kamailio at run time.
#pragma once

#include "test_worker.hpp"

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sipw_test {

constexpr const char *kLoopbackUdp = "udp://127.0.0.1:5060";

// A worker registered as `user` (password pass<user>) at the loopback Kamailio.
struct Phone {
    std::string user;
    TestWorker w;
    explicit Phone(const std::string &u, Json extra = Json::object());
    // Registered on `server` (any sipServer form: udp://…, ws://…, wss://…).
    Phone(const std::string &u, const char *server, Json extra = Json::object());
};

// Waits for event `msg` (or channel) of session `sid` (any session when empty), looking at the
// history first. Null JSON on timeout.
Json waitSession(TestWorker &w, const std::string &msg, const std::string &sid = {}, int timeoutMs = 8000);
// Pulls whatever arrives within ms into the history.
void settle(TestWorker &w, int ms);
// sipw_session_info of `sid` as JSON (null if unknown).
Json sessionInfo(TestWorker &w, const std::string &sid);
// Polls sipw_session_info(sid) every 20 ms until `ok` holds for it; false after timeoutMs.
bool waitForInfo(TestWorker &w, const std::string &sid, const std::function<bool(const Json &)> &ok,
                 int timeoutMs = 4000);
// Waits until sipw_session_info(sid)[field] is `value`.
bool infoBecomes(TestWorker &w, const std::string &sid, const char *field, const Json &value, int timeoutMs = 4000);
// The newDTMF events of session `sid`, waiting until `count` arrived (or timeoutMs passed).
std::vector<Json> receivedDtmf(TestWorker &w, const std::string &sid, size_t count, int timeoutMs);
// A per-process path in the temp directory for a recording named `name`.
std::string tempWav(const std::string &name);
// A 16-bit mono 44.1 kHz WAV (tempWav(name)) of a sine at `hz`, `seconds` long.
std::string writeToneWav(const std::string &name, double hz, double seconds);
// The dominant frequency of a recording after its first half second (jitter buffer filling, ICE
// settling); `seconds`, when given, receives its duration. 0 (and a test failure) if unreadable.
double recordedFrequency(const std::string &path, double *seconds = nullptr);

std::string sourcePath(const std::string &relative);
std::string scenario(const std::string &name);  // tests/sipp/<name>
std::string readText(const std::string &path);

// Makes `user` (password pass<user>) known to Kamailio; idempotent.
void addKamailioUser(const std::string &user);
// True when something is bound to UDP 127.0.0.1:port (sipp is up and listening).
bool udpPortBound(int port);

// A program the tests run (a peer, a server), with its stdout and stderr in files (empty path:
// discarded). Killed when destroyed if still running.
class ChildProcess {
public:
    ChildProcess(const std::vector<std::string> &argv, const std::string &stdoutPath, const std::string &stderrPath,
                 const std::vector<std::string> &environment = {});
    ~ChildProcess() { kill(); }
    ChildProcess(const ChildProcess &) = delete;
    ChildProcess &operator=(const ChildProcess &) = delete;

    // The exit code (128 + signal if killed by one), or -1 if it did not exit within timeoutMs
    // (it is killed then).
    int wait(int timeoutMs);
    // Asks it to stop (SIGTERM), waits up to timeoutMs, then kills it.
    void stop(int timeoutMs = 3000);
    void kill();
    bool running() const { return pid_ > 0; }

private:
    pid_t pid_ = -1;
    int exitCode_ = -1;
};

// One sipp run against Kamailio, as a child process. Logs go to sipp-logs/NAME.* in the current
// directory (kept for post-mortems). Killed when destroyed if still running.
class Sipp {
public:
    Sipp(const std::string &name, std::vector<std::string> args);

    // sipp's exit code (0 = every call as scripted), or -1 if it did not exit within timeoutMs
    // (it is killed then).
    int wait(int timeoutMs = 25000) { return process_->wait(timeoutMs); }
    void kill() { process_->kill(); }
    bool running() const { return process_->running(); }
    // What sipp logged (<log> lines) and sent/received, for assertions and failure messages.
    std::string log() const;
    std::string messages() const;
    std::string describe() const;

private:
    std::string name_;
    std::unique_ptr<ChildProcess> process_;
};

bool isTerminal(const std::string &msg);  // session_ended or session_failed
// Every session in the history starts with newRTCSession and has exactly one terminal event,
// its last session event. An id deleted and used again (newRTCSession after the terminal event)
// counts as a new session. Returns the number of sessions seen.
size_t expectOneTerminalPerSession(const TestWorker &w, const std::string &who);

// Tests with sipp peers. Workers and sipps made through the fixture are checked (one terminal
// event per session) and cleaned up (no sipp left running) in TearDown, whatever happened.
class SippCalls : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // A worker for `user`, made known to Kamailio and registered.
    Phone &phone(const std::string &user, Json extra = Json::object());
    Sipp &sipp(const std::string &name, std::vector<std::string> args);
    // Registers sipp user `user` with Contact 127.0.0.1:port, then starts `scenarioFile` as a UAS
    // on that port; returns once it listens.
    Sipp &registeredUas(const std::string &user, int port, const std::string &scenarioFile,
                        std::vector<std::string> extra = {});
    // A sipp UAC from `caller` (made known to Kamailio) to `callee`, running `scenarioFile`.
    Sipp &uac(const std::string &caller, int port, const std::string &callee, const std::string &scenarioFile,
              std::vector<std::string> extra = {});
    // `caller` (sipp) calls `p`, which answers with `options`. The session id once confirmed
    // (empty, and a test failure, if not).
    std::string answerSippCall(Phone &p, Sipp &caller, const Json &options = Json::object());
    // Our worker calls `target` and waits for its terminal event.
    Json callAndWaitForEnd(Phone &p, const std::string &target, const std::string &sid, int timeoutMs = 10000);

    static std::string testName();

    std::vector<std::unique_ptr<Phone>> phones_;
    std::vector<std::unique_ptr<Sipp>> sipps_;
};

}  // namespace sipw_test
