#include "test_worker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>

namespace sipw_test {

TestWorker::TestWorker(const std::string &options) : worker_(sipw_create(options.c_str())) {
    if (!worker_) ADD_FAILURE() << "sipw_create: " << sipw_last_error();
}

TestWorker::~TestWorker() { destroy(); }

void TestWorker::destroy() {
    if (worker_) sipw_destroy(worker_);
    worker_ = nullptr;
}

int TestWorker::post(const std::string &cmd, const Json &data) {
    std::string text = data.dump();
    return sipw_post(worker_, cmd.c_str(), data.is_null() ? nullptr : text.c_str());
}

int TestWorker::post(const std::string &cmd, const char *raw) { return sipw_post(worker_, cmd.c_str(), raw); }

Json TestWorker::waitFor(const std::string &name, int timeoutMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return nullptr;
        sipw_event *ev = sipw_wait_event(worker_, static_cast<int>(left));
        if (!ev) return nullptr;
        Json data = Json::parse(sipw_event_json(ev));
        data["_channel"] = sipw_event_name(ev);
        sipw_event_free(ev);
        history_.push_back(data);
        if (data["_channel"] == name || data.value("msg", "") == name) return data;
    }
}

Json initFor(const std::string &user, const std::string &server, Json extra) {
    Json init = {{"uri", "sip:" + user + "@127.0.0.1"},
                 {"password", "pass" + user},
                 {"sipServer", Json::array({server})},
                 {"sipWorkerid", "test-" + user},
                 {"audio", {{"input", "silence"}, {"output", "null"}}}};
    for (auto it = extra.begin(); it != extra.end(); ++it) init[it.key()] = it.value();
    return init;
}

bool hasChinese(const std::string &s) {
    for (size_t i = 0; i + 2 < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0xE4 && c <= 0xE9) return true;
    }
    return false;
}

void expectError(int rc, int code, const char *mustMention) {
    EXPECT_EQ(rc, code) << (mustMention ? mustMention : "");
    std::string en = sipw_last_error_text("en"), zh = sipw_last_error_text("zh-CN");
    std::string both = sipw_last_error();
    EXPECT_FALSE(en.empty());
    EXPECT_TRUE(hasChinese(zh)) << zh;
    EXPECT_NE(both.find(en), std::string::npos) << both;
    EXPECT_NE(both.find(" / "), std::string::npos) << both;
    if (mustMention) EXPECT_NE(en.find(mustMention), std::string::npos) << en;
}

bool loopbackServersUp() {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(5060);
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    timeval tv{0, 300000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const char *probe =
        "OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKprobe1;rport\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:127.0.0.1:5060>\r\n"
        "Call-ID: probe@sipw-tests\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    connect(fd, reinterpret_cast<sockaddr *>(&to), sizeof to);
    bool up = false;
    for (int attempt = 0; attempt < 3 && !up; ++attempt) {
        char buf[2048];
        send(fd, probe, strlen(probe), 0);
        up = recv(fd, buf, sizeof buf, 0) > 0;
    }
    close(fd);
    return up;
}

std::string testCaFile() {
    return std::string(SIPW_SOURCE_DIR) + "/tests/servers/run/certs/ca.pem";
}

}  // namespace sipw_test
