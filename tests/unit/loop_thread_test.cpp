// LoopThread: its creator never waits for the thread (a caller on an event loop such as gevent's
// must not stall on a thread start), yet onStart still runs before every task, tasks run in the
// order they were posted, and onStop runs last.
#include "base/loop_thread.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

using sipw::LoopThread;

namespace {

// A gate the loop thread waits at until the test opens it (bounded, so a bug cannot hang the run).
struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool open = false;

    void openIt() {
        std::lock_guard<std::mutex> lock(mutex);
        open = true;
        changed.notify_all();
    }
    bool waitOpen(std::chrono::milliseconds budget) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, budget, [this] { return open; });
    }
};

TEST(LoopThread, CreatorDoesNotWaitForOnStartWhichStillRunsBeforeEveryTask) {
    Gate gate;
    std::mutex orderMutex;
    std::vector<std::string> order;
    auto record = [&](const std::string &step) {
        std::lock_guard<std::mutex> lock(orderMutex);
        order.push_back(step);
    };
    bool gateOpenedInTime = false;

    auto started = std::chrono::steady_clock::now();
    auto loop = std::make_unique<LoopThread>(
        [&] {
            gateOpenedInTime = gate.waitOpen(std::chrono::seconds(5));
            record("start");
        },
        [&] { record("stop"); });
    auto constructingMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    // onStart is still held at the gate: a constructor that waited for it would take the 5 s.
    EXPECT_LT(constructingMs, 2000);
    EXPECT_FALSE(loop->onLoopThread());

    bool taskSawLoopThread = false;
    ASSERT_TRUE(loop->invoke([&] { record("task 1"); }));
    ASSERT_TRUE(loop->invoke([&] {
        taskSawLoopThread = loop->onLoopThread();
        record("task 2");
    }));
    gate.openIt();
    loop->stop();

    EXPECT_TRUE(gateOpenedInTime);
    EXPECT_TRUE(taskSawLoopThread);
    EXPECT_EQ(order, (std::vector<std::string>{"start", "task 1", "task 2", "stop"}));
    EXPECT_FALSE(loop->invoke([] {})) << "a stopped loop takes no more tasks";
}

TEST(LoopThread, StoppedRightAfterCreationStillRunsOnStartAndOnStop) {
    int starts = 0, stops = 0;
    {
        LoopThread loop([&] { ++starts; }, [&] { ++stops; });
    }  // destroyed at once: stop() joins after onStart and onStop
    EXPECT_EQ(starts, 1);
    EXPECT_EQ(stops, 1);
}

}  // namespace
