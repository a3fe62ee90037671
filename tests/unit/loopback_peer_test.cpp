// The WebSocket adapter's loopback listener accepts only sockets of this process (src/ws/loopback_peer).
#include "ws/loopback_peer.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int portOf(int fd, bool remote) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (remote) getpeername(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    else getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    return ntohs(addr.sin_port);
}

int loopbackListener() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd, 4), 0);
    return fd;
}

int connectTo(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    return fd;
}

}  // namespace

TEST(LoopbackPeer, OurOwnSocketIsRecognised) {
    int listener = loopbackListener();
    int listenPort = portOf(listener, false);
    int client = connectTo(listenPort);
    int accepted = accept(listener, nullptr, nullptr);
    ASSERT_GE(accepted, 0);
    EXPECT_TRUE(sipw::loopbackPeerIsThisProcess(portOf(accepted, true), listenPort));
    EXPECT_FALSE(sipw::loopbackPeerIsThisProcess(portOf(accepted, true) ^ 1, listenPort));
    close(client);
    close(accepted);
    close(listener);
}

TEST(LoopbackPeer, AnotherProcessIsRefused) {
    int listener = loopbackListener();
    int listenPort = portOf(listener, false);
    int done[2];
    ASSERT_EQ(pipe(done), 0);
    pid_t child = fork();
    if (child == 0) {  // another program connecting to the listener, holding on until told
        int fd = connectTo(listenPort);
        char byte;
        close(done[1]);
        (void)!read(done[0], &byte, 1);
        close(fd);
        _exit(0);
    }
    close(done[0]);
    int accepted = accept(listener, nullptr, nullptr);
    ASSERT_GE(accepted, 0);
    EXPECT_FALSE(sipw::loopbackPeerIsThisProcess(portOf(accepted, true), listenPort));
    close(done[1]);
    waitpid(child, nullptr, 0);
    close(accepted);
    close(listener);
}
