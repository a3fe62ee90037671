#include "faults.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <regex>

namespace sipw_test {

int run(const std::string &command, std::string *output) {
    FILE *p = popen((command + " 2>&1").c_str(), "r");
    if (!p) return -1;
    char buffer[512];
    std::string out;
    while (fgets(buffer, sizeof buffer, p)) out += buffer;
    int status = pclose(p);
    if (output) *output = out;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string kamcmd(const std::string &args) {
    std::string out;
    run("kamcmd -s unix:" + std::string(SIPW_SOURCE_DIR) + "/tests/servers/run/kamailio_ctl " + args, &out);
    return out;
}

int contactPort(const std::string &user) {
    // "s:" keeps a numeric user a string (see wait_reg.sh); AoRs are users only (no domain).
    std::string out = kamcmd("ul.lookup location s:" + user);
    std::smatch m;
    static const std::regex contact(R"(Address: <?sips?:[^@>]*@127\.0\.0\.1:(\d+))");
    if (std::regex_search(out, m, contact)) return std::stoi(m[1]);
    return 0;
}

bool kamailioKnows(const std::string &user) {
    return kamcmd("ul.lookup location s:" + user).find("Address:") != std::string::npos;
}

void forgetContacts(const std::string &user) { kamcmd("ul.rm location s:" + user); }

LossyLink::LossyLink(const std::string &match, double lossPercent, int delayMs, int queue, long seed) {
    int fds[2];
    if (pipe(fds) != 0) {
        ADD_FAILURE() << "pipe: " << strerror(errno);
        return;
    }
    std::string q = std::to_string(queue), l = std::to_string(lossPercent), d = std::to_string(delayMs),
                s = std::to_string(seed);
    pid_ = fork();
    if (pid_ == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(SIPW_NETEM_PATH, "sipw_netem", "-q", q.c_str(), "-l", l.c_str(), "-d", d.c_str(), "-s", s.c_str(),
              static_cast<char *>(nullptr));
        _exit(127);
    }
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    char line[128] = {0};
    bool ready = out && fgets(line, sizeof line, out) && strncmp(line, "ready", 5) == 0;
    if (out) fclose(out);
    if (!ready) {
        ADD_FAILURE() << "sipw_netem did not start (root in a network namespace?)";
        return;
    }
    // --queue-bypass: should sipw_netem die, packets pass instead of vanishing.
    rule_ = "OUTPUT -o lo " + match + " -j NFQUEUE --queue-num " + q + " --queue-bypass";
    std::string err;
    ok_ = run("iptables -A " + rule_, &err) == 0;
    if (!ok_) ADD_FAILURE() << "iptables -A " << rule_ << ": " << err;
}

LossyLink::~LossyLink() {
    if (ok_) run("iptables -D " + rule_);
    if (pid_ > 0) {
        kill(pid_, SIGTERM);  // accepts what it holds, prints its counters
        waitpid(pid_, nullptr, 0);
    }
}

FirewallRule::FirewallRule(const std::string &rule) : rule_(rule) {
    std::string err;
    ok_ = run("iptables -A " + rule_, &err) == 0;
    if (!ok_) ADD_FAILURE() << "iptables -A " << rule_ << ": " << err;
}

void FirewallRule::remove() {
    if (!ok_) return;
    ok_ = false;
    run("iptables -D " + rule_);
}

namespace {
std::string withPlaceholders(std::string message, int localPort) {
    static unsigned counter = 0;
    auto replaceAll = [&](const std::string &what, const std::string &with) {
        for (std::size_t at; (at = message.find(what)) != std::string::npos;) message.replace(at, what.size(), with);
    };
    replaceAll("{port}", std::to_string(localPort));
    replaceAll("{branch}", "z9hG4bK-sipw-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    return message;
}

int millisecondsLeft(std::chrono::steady_clock::time_point deadline) {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
}
}  // namespace

SipTcpConnection::SipTcpConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr *>(&to), sizeof to) != 0) {
        if (fd_ >= 0) close(fd_);
        fd_ = -1;
        return;
    }
    sockaddr_in local{};
    socklen_t len = sizeof local;
    getsockname(fd_, reinterpret_cast<sockaddr *>(&local), &len);
    localPort_ = ntohs(local.sin_port);
}

SipTcpConnection::~SipTcpConnection() {
    if (fd_ >= 0) close(fd_);
}

std::string SipTcpConnection::request(std::string message, int timeoutMs) {
    if (fd_ < 0) return {};
    message = withPlaceholders(std::move(message), localPort_);
    if (send(fd_, message.data(), message.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(message.size())) return {};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        // A whole message: headers, then Content-Length bytes of body.
        std::size_t end = buffer_.find("\r\n\r\n");
        if (end != std::string::npos) {
            std::size_t bodyLength = 0;
            std::size_t cl = buffer_.find("\r\nContent-Length:");
            if (cl != std::string::npos && cl < end) bodyLength = std::stoul(buffer_.substr(cl + 17));
            std::size_t total = end + 4 + bodyLength;
            if (buffer_.size() >= total) {
                std::string response = buffer_.substr(0, total);
                buffer_.erase(0, total);
                if (response.rfind("SIP/2.0 1", 0) == 0) continue;  // provisional
                return response;
            }
        }
        int left = millisecondsLeft(deadline);
        pollfd p{fd_, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, left) <= 0) return {};
        char chunk[8192];
        ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return {};
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string sendSipDatagram(int port, std::string message, int timeoutMs) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof local;
    bind(fd, reinterpret_cast<sockaddr *>(&local), sizeof local);
    getsockname(fd, reinterpret_cast<sockaddr *>(&local), &len);
    message = withPlaceholders(std::move(message), ntohs(local.sin_port));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string answer;
    if (sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof to) >= 0) {
        pollfd p{fd, POLLIN, 0};
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        while (answer.empty()) {
            int left = millisecondsLeft(deadline);
            if (left <= 0 || poll(&p, 1, left) <= 0) break;
            char buffer[8192];
            ssize_t n = recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            std::string got(buffer, static_cast<std::size_t>(n));
            if (got.rfind("SIP/2.0 1", 0) == 0) continue;  // provisional: wait for the final one
            answer = got;
        }
    }
    close(fd);
    return answer;
}

SilentUdpServer::SilentUdpServer() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof local;
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr *>(&local), sizeof local) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr *>(&local), &len) == 0)
        port_ = ntohs(local.sin_port);
}

SilentUdpServer::~SilentUdpServer() {
    if (fd_ >= 0) close(fd_);
}

int SilentUdpServer::receivedWithin(int ms) {
    int count = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        int left = std::max(0, millisecondsLeft(deadline));
        if (poll(&p, 1, left) <= 0) return count;
        char buffer[8192];
        ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
        if (n > 0) {
            ++count;
            last_.assign(buffer, static_cast<std::size_t>(n));
        }
    }
}

namespace {
int countEntries(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) return -1;
    int n = 0;
    while (dirent *e = readdir(dir)) {
        if (e->d_name[0] != '.') ++n;
    }
    closedir(dir);
    return n;
}
}  // namespace

int openFds() { return countEntries("/proc/self/fd") - 1; }  // minus the directory's own
int threadCount() { return countEntries("/proc/self/task"); }

}  // namespace sipw_test
