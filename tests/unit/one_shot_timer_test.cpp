// OneShotTimer: fires once, restarts replace, cancel and destruction prevent, and the callback
// may restart the timer or destroy its owner.
#include "base/one_shot_timer.hpp"

#include <gtest/gtest.h>

#include <memory>

using sipw::OneShotTimer;

namespace {

// Iterates a private context until `done` or `ms` pass.
template <typename Pred>
bool iterateUntil(GMainContext *context, Pred done, int ms) {
    gint64 deadline = g_get_monotonic_time() + gint64(ms) * 1000;
    while (!done() && g_get_monotonic_time() < deadline) g_main_context_iteration(context, FALSE), g_usleep(1000);
    return done();
}

class OneShotTimerTest : public ::testing::Test {
protected:
    void SetUp() override {
        context_ = g_main_context_new();
        g_main_context_push_thread_default(context_);
    }
    void TearDown() override {
        g_main_context_pop_thread_default(context_);
        g_main_context_unref(context_);
    }
    GMainContext *context_ = nullptr;
};

}  // namespace

TEST_F(OneShotTimerTest, FiresOnceAndIsInactiveInItsCallback) {
    OneShotTimer timer;
    int fired = 0;
    bool activeInside = true;
    timer.start(10, [&] { ++fired, activeInside = timer.active(); });
    EXPECT_TRUE(timer.active());
    ASSERT_TRUE(iterateUntil(context_, [&] { return fired > 0; }, 1000));
    iterateUntil(context_, [] { return false; }, 50);
    EXPECT_EQ(fired, 1);
    EXPECT_FALSE(activeInside);
    EXPECT_FALSE(timer.active());
}

TEST_F(OneShotTimerTest, RestartReplacesAndCancelPrevents) {
    OneShotTimer timer;
    int first = 0, second = 0;
    timer.start(10, [&] { ++first; });
    timer.start(20, [&] { ++second; });
    ASSERT_TRUE(iterateUntil(context_, [&] { return second > 0; }, 1000));
    EXPECT_EQ(first, 0);
    timer.startIdle([&] { ++first; });
    timer.cancel();
    EXPECT_FALSE(timer.active());
    iterateUntil(context_, [] { return false; }, 50);
    EXPECT_EQ(first, 0);
}

TEST_F(OneShotTimerTest, DestroyedTimerNeverFires) {
    int fired = 0;
    {
        OneShotTimer timer;
        timer.start(5, [&] { ++fired; });
    }
    iterateUntil(context_, [] { return false; }, 50);
    EXPECT_EQ(fired, 0);
}

TEST_F(OneShotTimerTest, CallbackMayRestartTheTimerOrDestroyItsOwner) {
    struct Owner {
        OneShotTimer timer;
        int rounds = 0;
    };
    auto owner = std::make_unique<Owner>();
    bool destroyed = false;
    owner->timer.startIdle([&] {
        if (++owner->rounds < 3) {
            owner->timer.start(1, [&] {
                ++owner->rounds;
                owner.reset();  // the owner, and the timer running this, go away here
                destroyed = true;
            });
        }
    });
    ASSERT_TRUE(iterateUntil(context_, [&] { return destroyed; }, 1000));
    EXPECT_EQ(owner, nullptr);
}

TEST_F(OneShotTimerTest, RunsOnTheGivenContext) {
    GMainContext *other = g_main_context_new();
    OneShotTimer timer;
    int fired = 0;
    timer.start(1, [&] { ++fired; }, other);
    iterateUntil(context_, [] { return false; }, 30);
    EXPECT_EQ(fired, 0);  // not on the thread default
    ASSERT_TRUE(iterateUntil(other, [&] { return fired > 0; }, 1000));
    timer.cancel();
    g_main_context_unref(other);
}
