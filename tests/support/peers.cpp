#include "peers.hpp"

#include "audio_analysis.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;

namespace sipw_test {
namespace {

std::string scratchDir(const std::string &name) {
    std::string dir = (fs::temp_directory_path() / ("sipw_" + name + "_" + std::to_string(getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

int connectTcp(int port, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    while (Clock::now() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(uint16_t(port));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, reinterpret_cast<sockaddr *>(&to), sizeof to) == 0) return fd;
        close(fd);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
}

// rtpengine's ng protocol: "COOKIE d7:command4:pinge" over UDP, answered "COOKIE d6:result4:ponge".
bool rtpenginePongs(int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    timeval wait{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(uint16_t(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char ping[] = "sipw1 d7:command4:pinge";
    sendto(fd, ping, sizeof ping - 1, 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
    char reply[256] = {0};
    ssize_t n = recv(fd, reply, sizeof reply - 1, 0);
    close(fd);
    return n > 0 && std::string(reply, size_t(n)).find("pong") != std::string::npos;
}

}  // namespace

// ---- Baresip ----------------------------------------------------------------------------------

Baresip::Baresip(const std::string &user, int sipPort, const std::string &rtpPorts, int ctrlPort, double toneHz,
                 const std::string &codecs)
    : user_(user), dir_(scratchDir("baresip_" + user)), ctrlPort_(ctrlPort) {
    addKamailioUser(user);
    fs::create_directories(dir_ + "/rec");
    std::string tone = dir_ + "/tone.wav";
    EXPECT_TRUE(sipw::test::writeToneWav(tone, toneHz, 8000, 60)) << tone;
    // Headless: a WAV file in (aufile), no player (aubridge), recordings by the sndfile filter,
    // no NAT helpers; net_interface is required where lo is the only interface.
    std::ofstream(dir_ + "/config") << "poll_method epoll\n"
                                       "net_interface 127.0.0.1\n"
                                       "sip_listen 127.0.0.1:" << sipPort << "\n"
                                       "call_local_timeout 20\n"
                                       "audio_source aufile," << tone << "\n"
                                       "audio_player aubridge,nil\n"
                                       "audio_alert aubridge,nil\n"
                                       "rtp_ports " << rtpPorts << "\n"
                                       "rtcp_mux no\n"
                                       "module_path /usr/lib/baresip/modules\n"
                                       "module g711.so\n"
                                       "module aufile.so\n"
                                       "module aubridge.so\n"
                                       "module sndfile.so\n"
                                       "module_tmp uuid.so\n"
                                       "module_tmp account.so\n"
                                       "module_app menu.so\n"  // the commands (dial, hangup) ctrl_tcp runs
                                       "module_app ctrl_tcp.so\n"
                                       "ctrl_tcp_listen 127.0.0.1:" << ctrlPort << "\n"
                                       "snd_path " << dir_ << "/rec\n";
    std::ofstream(dir_ + "/accounts") << "<sip:" << user << "@127.0.0.1>;auth_pass=pass" << user
                                      << ";regint=60;answermode=auto;audio_codecs=" << codecs << "\n";
    process_ = std::make_unique<ChildProcess>(std::vector<std::string>{"baresip", "-f", dir_}, dir_ + "/baresip.log",
                                              dir_ + "/baresip.err", std::vector<std::string>{"HOME=" + dir_});
    socket_ = connectTcp(ctrlPort_, 5000);
    EXPECT_GE(socket_, 0) << "baresip's ctrl_tcp on port " << ctrlPort_ << " did not open: " << log();
}

Baresip::~Baresip() {
    if (socket_ >= 0) {
        command("quit");
        close(socket_);
    }
    if (process_) process_->stop();
}

std::string Baresip::log() const { return readText(dir_ + "/baresip.log") + readText(dir_ + "/baresip.err"); }

// Netstring-framed JSON ("LEN:{...},"): responses to commands and events, as they come.
bool Baresip::readMessages(int timeoutMs) {
    if (socket_ < 0) return false;
    timeval wait{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char chunk[4096];
    ssize_t n = recv(socket_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, size_t(n));
    for (;;) {
        auto colon = buffer_.find(':');
        if (colon == std::string::npos) break;
        size_t length = std::strtoul(buffer_.c_str(), nullptr, 10);
        if (buffer_.size() < colon + 1 + length + 1) break;
        messages_.push_back(Json::parse(buffer_.substr(colon + 1, length), nullptr, false));
        buffer_.erase(0, colon + 1 + length + 1);
    }
    return true;
}

bool Baresip::command(const std::string &name, const std::string &params) {
    static int token = 0;
    std::string id = std::to_string(++token);
    std::string message = Json{{"command", name}, {"params", params}, {"token", id}}.dump();
    std::string framed = std::to_string(message.size()) + ":" + message + ",";
    if (socket_ < 0 || send(socket_, framed.data(), framed.size(), MSG_NOSIGNAL) < 0) return false;
    auto deadline = Clock::now() + std::chrono::seconds(3);
    while (Clock::now() < deadline) {
        for (auto it = messages_.begin(); it != messages_.end(); ++it) {
            if (it->value("response", false) && it->value("token", "") == id) {
                bool ok = it->value("ok", false);
                messages_.erase(it);
                return ok;
            }
        }
        readMessages(200);
    }
    return false;
}

std::string Baresip::lastHeard() const {
    std::string newest;
    fs::file_time_type newestTime;
    for (const auto &entry : fs::directory_iterator(dir_ + "/rec")) {
        std::string name = entry.path().filename().string();
        if (name.size() < 8 || name.compare(name.size() - 8, 8, "-dec.wav") != 0) continue;
        if (newest.empty() || entry.last_write_time() > newestTime) newest = entry.path().string(), newestTime = entry.last_write_time();
    }
    return newest;
}

// ---- RtpengineBridge ---------------------------------------------------------------------------

RtpengineBridge::RtpengineBridge() : dir_(scratchDir("rtpengine_bridge")) {
    constexpr int kNgPort = 22300;
    // No config file (Debian's would add listeners), userspace forwarding only (no kernel table).
    rtpengine_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"rtpengine", "--config-file=none", "--foreground", "--log-stderr",
                                 "--interface=127.0.0.1", "--listen-ng=127.0.0.1:" + std::to_string(kNgPort),
                                 "--table=-1", "--port-min=40000", "--port-max=40999",
                                 "--pidfile=" + dir_ + "/rtpengine.pid"},
        dir_ + "/rtpengine.log", dir_ + "/rtpengine.log.err");
    auto deadline = Clock::now() + std::chrono::seconds(10);
    bool pong = false;
    while (!pong && rtpengine_->running() && Clock::now() < deadline) pong = rtpenginePongs(kNgPort);
    if (!pong) return;
    kamailio_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"kamailio", "-f", sourcePath("tests/servers/kamailio-rtpengine.cfg"), "-DD", "-E",
                                 "-Y", dir_, "-P", dir_ + "/kamailio.pid", "-m", "32", "-M", "8"},
        dir_ + "/kamailio.log", dir_ + "/kamailio.log.err");
    std::string ping = sourcePath("tests/servers/sip_ping.py") + " 127.0.0.1 " + std::to_string(kSipPort) + " 10 >/dev/null";
    ready_ = std::system(ping.c_str()) == 0;
}

RtpengineBridge::~RtpengineBridge() {
    if (kamailio_) kamailio_->stop();
    if (rtpengine_) rtpengine_->stop();
}

std::string RtpengineBridge::logs() const {
    return "rtpengine:\n" + readText(dir_ + "/rtpengine.log.err") + "\nkamailio:\n" + readText(dir_ + "/kamailio.log.err");
}

}  // namespace sipw_test
