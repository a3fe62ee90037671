// The libnice ICE transport, peer to peer over loopback, with real agents on the shared ICE thread.
//
// Run in a network namespace of its own whose only interface is lo (unshare --net), so that no
// connectivity check leaves the machine: the candidates are then 127.0.0.1 and ::1.
#include "media/ice_loop.hpp"
#include "media/ice_transport.hpp"

#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sipw {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTimeout = std::chrono::seconds(10);  // generous: sanitizers slow the checks down

int entriesIn(const char *directory) {
    int count = 0;
    DIR *entries = opendir(directory);
    while (dirent *entry = readdir(entries))
        if (entry->d_name[0] != '.') ++count;
    closedir(entries);
    return count;
}

int threadCount() { return entriesIn("/proc/self/task"); }
int openFileCount() { return entriesIn("/proc/self/fd"); }


// One side of a call: a transport and what its hooks reported.
class Peer {
public:
    explicit Peer(bool controlling) {
        IceTransport::Hooks hooks;
        hooks.onGathered = [this] { update([this] { gathered_ = true; }); };
        hooks.onConnected = [this] { update([this] { ++connected_; }); };
        hooks.onFailed = [this](const std::string &why) { update([this, why] { failures_.push_back(why); }); };
        hooks.onPacket = [this](const guint8 *data, gsize size) {
            update([this, data, size] { packets_.emplace_back(reinterpret_cast<const char *>(data), size); });
        };
        transport = std::make_unique<IceTransport>(controlling, hooks);
    }

    ~Peer() { transport.reset(); }  // before the fields its hooks write

    template <typename Predicate> bool waitFor(Predicate done, std::chrono::milliseconds timeout = kTimeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return done(); });
    }

    bool waitGathered() { return waitFor([this] { return gathered_; }); }
    bool waitConnected() { return waitFor([this] { return connected_ > 0; }); }
    bool waitPackets(size_t count) { return waitFor([this, count] { return packets_.size() >= count; }); }

    bool waitFailed(std::chrono::milliseconds timeout) {
        return waitFor([this] { return !failures_.empty(); }, timeout);
    }

    int connected() {
        std::lock_guard<std::mutex> lock(mutex_);
        return connected_;
    }
    std::vector<std::string> failures() {
        std::lock_guard<std::mutex> lock(mutex_);
        return failures_;
    }
    std::vector<std::string> packets() {
        std::lock_guard<std::mutex> lock(mutex_);
        return packets_;
    }

    // Hooks that ran after close() returned.
    void markClosed() { closed_ = true; }
    int hooksAfterClose() const { return hooksAfterClose_; }

    std::unique_ptr<IceTransport> transport;

private:
    template <typename Change> void update(Change change) {
        if (closed_) ++hooksAfterClose_;
        std::lock_guard<std::mutex> lock(mutex_);
        change();
        changed_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    bool gathered_ = false;
    int connected_ = 0;
    std::vector<std::string> failures_;
    std::vector<std::string> packets_;
    std::atomic<bool> closed_{false};
    std::atomic<int> hooksAfterClose_{0};
};

void gather(Peer &peer) {
    std::string error;
    ASSERT_TRUE(peer.transport->gather(error)) << error;
}

// Gathers both, then gives each the other's credentials (`bPasswordForA` replaces b's password).
void exchange(Peer &a, Peer &b, const std::string &bPasswordForA = "") {
    ASSERT_TRUE(a.waitGathered());
    ASSERT_TRUE(b.waitGathered());
    std::string error;
    IceTransport::LocalParameters aLocal = a.transport->local(), bLocal = b.transport->local();
    std::string bPassword = bPasswordForA.empty() ? bLocal.password : bPasswordForA;
    ASSERT_TRUE(a.transport->setRemote(bLocal.ufrag, bPassword, bLocal.candidates, error)) << error;
    ASSERT_TRUE(b.transport->setRemote(aLocal.ufrag, aLocal.password, aLocal.candidates, error)) << error;
}

void sendNumbered(Peer &from, const std::string &tag, int count) {
    for (int i = 0; i < count; ++i) {
        std::string packet = tag + "-" + std::to_string(i) + std::string(100, char('a' + i % 26));
        ASSERT_TRUE(from.transport->send(reinterpret_cast<const guint8 *>(packet.data()), packet.size()));
    }
}

void expectNumbered(Peer &to, const std::string &tag, int count) {
    ASSERT_TRUE(to.waitPackets(count)) << to.packets().size() << " of " << count;
    std::set<std::string> expected, received;
    for (int i = 0; i < count; ++i) expected.insert(tag + "-" + std::to_string(i) + std::string(100, char('a' + i % 26)));
    for (const std::string &packet : to.packets()) received.insert(packet);
    EXPECT_EQ(received, expected);
}

TEST(IceLoop, RunsWorkOnItsOwnNamedThread) {
    std::thread::id ranOn;
    char name[16] = {};
    runOnIceLoop([&] {
        ranOn = std::this_thread::get_id();
        pthread_getname_np(pthread_self(), name, sizeof name);
        bool nestedRan = false;
        runOnIceLoop([&] { nestedRan = true; }, true);  // inline: would deadlock otherwise
        EXPECT_TRUE(nestedRan);
    }, true);
    EXPECT_NE(ranOn, std::this_thread::get_id());
    EXPECT_STREQ(name, "sipw-ice");
    EXPECT_FALSE(onIceLoop());
}

TEST(IceTransport, OffersHostCandidatesInSdpForm) {
    Peer a(true);
    gather(a);
    ASSERT_TRUE(a.waitGathered());
    IceTransport::LocalParameters local = a.transport->local();
    EXPECT_FALSE(local.ufrag.empty());
    EXPECT_GE(local.password.size(), 22u);  // RFC 8445: at least 128 bits
    std::vector<std::string> candidates = local.candidates;
    ASSERT_FALSE(candidates.empty());
    for (const std::string &line : candidates) std::printf("%s\n", line.c_str());
    bool loopback = false;
    for (const std::string &line : candidates) {
        EXPECT_EQ(line.rfind("candidate:", 0), 0u) << line;
        EXPECT_NE(line.find(" typ host"), std::string::npos) << line;
        EXPECT_NE(line.find(" 1 UDP "), std::string::npos) << line;  // component 1 only: muxed
        loopback = loopback || line.find(" 127.0.0.1 ") != std::string::npos;
    }
    EXPECT_TRUE(loopback) << "run in a namespace with only lo";
}

TEST(IceTransport, ConnectsAndCarriesDatagramsBothWays) {
    Peer a(true), b(false);
    const guint8 early[] = {1, 2, 3};
    EXPECT_FALSE(a.transport->send(early, sizeof early));  // not gathered
    gather(a);
    gather(b);
    EXPECT_FALSE(a.transport->send(early, sizeof early));  // not connected
    auto started = Clock::now();
    exchange(a, b);
    ASSERT_TRUE(a.waitConnected());
    ASSERT_TRUE(b.waitConnected());
    auto tookMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    RecordProperty("connect_ms", int(tookMs));
    std::printf("connected in %lld ms\n", static_cast<long long>(tookMs));

    sendNumbered(a, "a", 50);
    sendNumbered(b, "b", 50);
    expectNumbered(b, "a", 50);
    expectNumbered(a, "b", 50);
    EXPECT_EQ(a.connected(), 1);
    EXPECT_EQ(b.connected(), 1);
    EXPECT_TRUE(a.failures().empty());
    EXPECT_TRUE(b.failures().empty());
}

TEST(IceTransport, TwentyPairsShareOneThread) {
    runOnIceLoop([] {}, true);  // the ICE thread exists before counting
    const int threadsBefore = threadCount();
    const int filesBefore = openFileCount();
    constexpr int kPairs = 20;
    std::vector<std::unique_ptr<Peer>> as, bs;
    for (int i = 0; i < kPairs; ++i) {
        as.push_back(std::make_unique<Peer>(true));
        bs.push_back(std::make_unique<Peer>(false));
        gather(*as.back());
        gather(*bs.back());
    }
    for (int i = 0; i < kPairs; ++i) exchange(*as[i], *bs[i]);
    for (int i = 0; i < kPairs; ++i) {
        ASSERT_TRUE(as[i]->waitConnected()) << "pair " << i;
        ASSERT_TRUE(bs[i]->waitConnected()) << "pair " << i;
    }
    for (int i = 0; i < kPairs; ++i) sendNumbered(*as[i], "p" + std::to_string(i), 5);
    for (int i = 0; i < kPairs; ++i) expectNumbered(*bs[i], "p" + std::to_string(i), 5);
    std::printf("40 connected agents: %d more threads, %d more files\n", threadCount() - threadsBefore,
                openFileCount() - filesBefore);
    EXPECT_LE(threadCount() - threadsBefore, 2) << "a thread per agent?";

    for (int i = 0; i < kPairs; ++i) {
        as[i]->transport->close();
        bs[i]->transport->close();
        const guint8 late[] = {0};
        EXPECT_FALSE(as[i]->transport->send(late, sizeof late));
    }
    EXPECT_LE(threadCount() - threadsBefore, 2);
    EXPECT_LE(openFileCount(), filesBefore) << "sockets left open after close()";
}

TEST(IceTransport, CloseWhilePacketsFlowEndsTheHooks) {
    Peer a(true), b(false);
    gather(a);
    gather(b);
    exchange(a, b);
    ASSERT_TRUE(a.waitConnected());
    ASSERT_TRUE(b.waitConnected());

    std::atomic<bool> stop{false};
    std::thread sender([&] {
        const guint8 packet[160] = {};
        while (!stop) {
            b.transport->send(packet, sizeof packet);
            a.transport->send(packet, sizeof packet);  // races a's close(): false afterwards
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    ASSERT_TRUE(a.waitPackets(50));
    a.transport->close();
    a.markClosed();
    const guint8 packet[1] = {};
    EXPECT_FALSE(a.transport->send(packet, sizeof packet));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // b keeps sending meanwhile
    stop = true;
    sender.join();
    EXPECT_EQ(a.hooksAfterClose(), 0);
    b.transport->close();
}

TEST(IceTransport, CloseFromInsideAHookIsSafe) {
    // The receiver destroys itself while libnice is delivering to it.
    std::atomic<int> delivered{0};
    std::unique_ptr<IceTransport> receiver;
    IceTransport::Hooks hooks;
    hooks.onPacket = [&](const guint8 *, gsize) {
        ++delivered;
        receiver.reset();
    };
    hooks.onGathered = [] {};
    receiver = std::make_unique<IceTransport>(true, hooks);
    std::string error;
    ASSERT_TRUE(receiver->gather(error)) << error;
    Peer c(false);
    gather(c);
    ASSERT_TRUE(c.waitGathered());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // receiver's gathering done
    IceTransport::LocalParameters cLocal = c.transport->local(), receiverLocal = receiver->local();
    ASSERT_TRUE(receiver->setRemote(cLocal.ufrag, cLocal.password, cLocal.candidates, error)) << error;
    ASSERT_TRUE(c.transport->setRemote(receiverLocal.ufrag, receiverLocal.password, receiverLocal.candidates, error))
        << error;
    ASSERT_TRUE(c.waitConnected());
    auto deadline = Clock::now() + kTimeout;
    const guint8 packet[10] = {};
    while (delivered == 0 && Clock::now() < deadline) {
        c.transport->send(packet, sizeof packet);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(delivered, 1);
    runOnIceLoop([] {}, true);  // the agent's deferred release ran meanwhile (ASan would tell)
}

TEST(IceTransport, WrongRemotePasswordFails) {
    Peer a(true), b(false);
    gather(a);
    gather(b);
    auto started = Clock::now();
    exchange(a, b, "this-is-not-the-password");
    ASSERT_TRUE(a.waitFailed(std::chrono::seconds(20)));
    auto tookMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    std::printf("failed in %lld ms: %s\n", static_cast<long long>(tookMs), a.failures().front().c_str());
    EXPECT_EQ(a.connected(), 0);
    EXPECT_EQ(a.failures().size(), 1u);
    // b's own checks succeed but a never nominates a pair it could not verify: b fails too.
    EXPECT_TRUE(b.waitFailed(std::chrono::seconds(20)));
    EXPECT_EQ(b.connected(), 0);
}

TEST(IceTransport, RejectsUnusableRemoteCandidates) {
    Peer a(true);
    gather(a);
    std::string error;
    EXPECT_FALSE(a.transport->setRemote("ufrag", "passwordpasswordpassword",
                                        {"candidate:1 1 UDP 2122260223 abcd.local 5000 typ host", "garbage"}, error));
    EXPECT_NE(error.find("usable"), std::string::npos) << error;
    IceTransport notGathered(false, {});
    EXPECT_FALSE(notGathered.setRemote("u", "p", {}, error));
}

// Server names resolve on the ICE thread, asynchronously: gather() returns at once, and a name
// that does not resolve fails the transport with the name in the reason.
TEST(IceTransport, AServerNameThatDoesNotResolveFailsWithoutBlocking) {
    Peer a(true);
    a.transport->limitTo({"127.0.0.1"}, false);
    IceServerAddress server;
    server.host = "no-such-host.invalid";  // RFC 6761: never resolves
    a.transport->setServers({server});
    auto started = Clock::now();
    gather(a);
    auto gatherMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    EXPECT_LT(gatherMs, 100) << "gather() waited for DNS";
    ASSERT_TRUE(a.waitFailed(kTimeout));
    EXPECT_NE(a.failures().front().find("cannot resolve the ICE server no-such-host.invalid"), std::string::npos)
        << a.failures().front();
    EXPECT_EQ(a.failures().size(), 1u);
}

}  // namespace
}  // namespace sipw
