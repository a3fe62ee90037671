// Faults for tests in the private network namespace (tests/netns-run.sh): packet loss and delay,
// silent servers, raw SIP datagrams, and what Kamailio knows about a user.
//
// Everything here changes the namespace's firewall or talks to 127.0.0.1 only, and undoes its
// rules when destroyed (tests run one at a time against the shared Kamailio).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sipw_test {

// Runs a shell command; its exit status (-1 if it could not run). Output goes to `output` if given.
int run(const std::string &command, std::string *output = nullptr);
// kamcmd on the test Kamailio's control socket: its output.
std::string kamcmd(const std::string &args);
// The port of `user`'s contact at Kamailio (0 if it has none).
int contactPort(const std::string &user);
// True while Kamailio holds a contact for `user`.
bool kamailioKnows(const std::string &user);
// Makes Kamailio forget every contact of `user`, as a registrar restarted without them would.
void forgetContacts(const std::string &user);

// Packet loss and delay both ways for the packets an iptables match selects (sipw_netem behind an
// NFQUEUE rule in OUTPUT). `match` is the part of the rule after "-o lo", e.g.
// "-p udp -m multiport --ports 5060". The rule is removed and the held packets released when destroyed.
class LossyLink {
public:
    LossyLink(const std::string &match, double lossPercent, int delayMs, int queue = 7, long seed = 15);
    ~LossyLink();
    LossyLink(const LossyLink &) = delete;
    LossyLink &operator=(const LossyLink &) = delete;
    bool ok() const { return ok_; }

private:
    std::string rule_;
    pid_t pid_ = -1;
    bool ok_ = false;
};

// An iptables rule in the namespace for as long as the object lives, e.g.
// FirewallRule("INPUT -i lo -p udp --dport 5060 -j DROP"): a server that hears nothing.
// (DROP in INPUT: the sender sees nothing; in OUTPUT its sendto() would fail with EPERM.)
class FirewallRule {
public:
    explicit FirewallRule(const std::string &rule);
    ~FirewallRule() { remove(); }
    FirewallRule(const FirewallRule &) = delete;
    FirewallRule &operator=(const FirewallRule &) = delete;
    void remove();
    bool ok() const { return ok_; }

private:
    std::string rule_;
    bool ok_ = false;
};

// One SIP datagram to 127.0.0.1:port from a fresh socket, and the first response (empty after
// timeoutMs). `{port}` in `message` becomes the local port, `{branch}` a new branch.
std::string sendSipDatagram(int port, std::string message, int timeoutMs = 2000);

// One TCP connection to 127.0.0.1:port carrying SIP requests one after the other (`{port}` and
// `{branch}` as above); request() returns the final response (empty after timeoutMs).
class SipTcpConnection {
public:
    explicit SipTcpConnection(int port);
    ~SipTcpConnection();
    SipTcpConnection(const SipTcpConnection &) = delete;
    SipTcpConnection &operator=(const SipTcpConnection &) = delete;
    bool connected() const { return fd_ >= 0; }
    std::string request(std::string message, int timeoutMs = 2000);

private:
    int fd_ = -1;
    int localPort_ = 0;
    std::string buffer_;
};

// A UDP "server" on 127.0.0.1 that answers nothing and counts what it receives.
class SilentUdpServer {
public:
    SilentUdpServer();
    ~SilentUdpServer();
    SilentUdpServer(const SilentUdpServer &) = delete;
    SilentUdpServer &operator=(const SilentUdpServer &) = delete;
    int port() const { return port_; }
    std::string uri() const { return "udp://127.0.0.1:" + std::to_string(port_); }
    // Datagrams received within the next `ms` (and any already queued).
    int receivedWithin(int ms);
    const std::string &lastMessage() const { return last_; }

private:
    int fd_ = -1;
    int port_ = 0;
    std::string last_;
};

// Open file descriptors and threads of this process.
int openFds();
int threadCount();

}  // namespace sipw_test
