// Handle lifetime at the C ABI: calls on a worker that is being or has been destroyed, from any
// thread, answer SIPW_ESHUTDOWN and never touch freed memory (run under AddressSanitizer in CI);
// destroying from inside a callback ends delivery; a retry helper may be destroyed by its callback.
#include "test_worker.hpp"

#include <atomic>
#include <thread>
#include <vector>

using namespace sipw_test;

namespace {

const char *kInit = R"({"uri":"sip:1001@127.0.0.1","register":false})";

// Waits up to `ms` for `done`; a bounded spin for flags set by callbacks on native threads.
bool waitUntil(const std::atomic<bool> &done, int ms = 5000) {
    auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    while (!done && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return done;
}

void expectClosed(int rc) { expectError(rc, SIPW_ESHUTDOWN); }

}  // namespace

TEST(CApiLifetime, EveryCallOnADestroyedWorkerIsShuttingDown) {
    sipw_worker *stale = sipw_create(R"({"eventQueue": true})");
    ASSERT_NE(stale, nullptr);
    sipw_destroy(stale);
    // A later worker may well get the same memory; the stale handle must still not reach it.
    sipw_worker *fresh = sipw_create(R"({"eventQueue": true})");
    ASSERT_NE(fresh, nullptr);
    EXPECT_NE(fresh, stale) << "a handle is never issued twice";

    sipw_event *ev = nullptr;
    expectClosed(sipw_post(stale, "INIT", kInit));
    expectClosed(sipw_on(stale, "*", [](const sipw_event *, void *) {}, nullptr));
    expectClosed(sipw_off(stale, 1));
    expectClosed(sipw_next_event(stale, 0, &ev));
    expectClosed(sipw_next_match(stale, "*", nullptr, 0, &ev));
    EXPECT_EQ(ev, nullptr);
    EXPECT_EQ(sipw_wait_event(stale, 0), nullptr);
    EXPECT_EQ(sipw_last_error_code(), SIPW_ESHUTDOWN);
    EXPECT_EQ(sipw_wait_for(stale, "*", nullptr, 0), nullptr);
    EXPECT_EQ(sipw_last_error_code(), SIPW_ESHUTDOWN);
    EXPECT_EQ(sipw_session_info(stale, "x"), nullptr);
    expectClosed(sipw_last_error_code());
    EXPECT_EQ(sipw_event_fd(stale), -1);
    EXPECT_EQ(sipw_last_error_code(), SIPW_ESHUTDOWN);
    sipw_destroy(stale);  // twice: a no-op

    EXPECT_EQ(sipw_post(fresh, "INIT", kInit), SIPW_OK) << sipw_last_error();
    sipw_destroy(fresh);
}

TEST(CApiLifetime, SomethingThatIsNotAHandleIsAnInvalidArgument) {
    sipw_retry *retry = sipw_retry_create(1, 1);
    sipw_worker *notAWorker = reinterpret_cast<sipw_worker *>(retry);
    expectError(sipw_post(notAWorker, "INIT", kInit), SIPW_EINVAL, "sipw_worker");
    int onTheStack = 0;
    expectError(sipw_post(reinterpret_cast<sipw_worker *>(&onTheStack), "INIT", kInit), SIPW_EINVAL);
    sipw_destroy(notAWorker);  // not a worker: nothing happens to the retry helper
    EXPECT_EQ(sipw_retry_retry(retry, "x"), 1) << sipw_last_error();
    sipw_retry_destroy(retry);
    EXPECT_EQ(sipw_retry_retry(retry, "x"), 0);
    expectClosed(sipw_last_error_code());
}

TEST(CApiLifetime, DestroyWhileOtherThreadsCallIn) {
    for (int round = 0; round < 5; ++round) {
        sipw_worker *w = sipw_create(R"({"eventQueue": true})");
        ASSERT_NE(w, nullptr);
        ASSERT_EQ(sipw_post(w, "INIT", kInit), SIPW_OK);
        std::atomic<int> running{0};
        std::atomic<int> unexpected{0};
        std::vector<std::thread> callers;
        for (int t = 0; t < 5; ++t) {
            callers.emplace_back([&, t] {
                ++running;
                for (;;) {
                    int rc = SIPW_OK;
                    sipw_event *ev = nullptr;
                    switch (t) {
                    case 0: rc = sipw_post(w, "UNREGISTER", nullptr); break;
                    case 1: sipw_free(sipw_session_info(w, "none")); rc = sipw_last_error_code(); break;
                    case 2: rc = sipw_next_event(w, -1, &ev); break;  // blocked until destroy wakes it
                    case 3: rc = sipw_next_match(w, "registered", nullptr, -1, &ev); break;
                    default: {
                        int id = sipw_on(w, "*", [](const sipw_event *, void *) {}, nullptr);
                        rc = id > 0 ? sipw_off(w, id) : id;
                        break;
                    }
                    }
                    sipw_event_free(ev);
                    if (rc == SIPW_ESHUTDOWN) return;
                    if (rc < 0 && rc != SIPW_ENOSESSION) ++unexpected;
                }
            });
        }
        while (running < 5) std::this_thread::yield();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        auto t0 = Clock::now();
        sipw_destroy(w);
        for (auto &c : callers) c.join();  // each one saw SIPW_ESHUTDOWN and left
        EXPECT_LT(secondsSince(t0), 5.0);
        EXPECT_EQ(unexpected, 0);
    }
}

TEST(CApiLifetime, OffDuringDestroyStillWaitsForTheRunningCallback) {
    // A binding frees what it handed over as user_data once sipw_off returned: that must stay
    // true while another thread destroys the worker and its callback is still running.
    struct State {
        std::atomic<bool> inside{false};
        std::atomic<bool> returned{false};
    } state;
    sipw_worker *w = sipw_create(nullptr);
    ASSERT_NE(w, nullptr);
    int id = sipw_on(w, "warning", [](const sipw_event *, void *ud) {
        auto *s = static_cast<State *>(ud);
        s->inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        s->returned = true;
    }, &state);
    ASSERT_GT(id, 0);
    ASSERT_EQ(sipw_post(w, "INIT", kInit), SIPW_OK);
    ASSERT_EQ(sipw_post(w, "UNREGISTER", nullptr), SIPW_OK);
    ASSERT_TRUE(waitUntil(state.inside));
    std::thread destroyer([w] { sipw_destroy(w); });
    while (sipw_post(w, "UNREGISTER", nullptr) != SIPW_ESHUTDOWN) std::this_thread::yield();  // destroy began
    EXPECT_EQ(sipw_off(w, id), SIPW_OK) << sipw_last_error();
    EXPECT_TRUE(state.returned) << "sipw_off returned while its callback was still running";
    destroyer.join();
    expectClosed(sipw_off(w, id));
}

namespace {
std::atomic<int> g_deliveries{0};
}

TEST(CApiLifetime, DestroyFromACallbackEndsDelivery) {
    // The callback's state dies once sipw_destroy has returned, as a binding's would: any later
    // delivery reads freed memory (AddressSanitizer) and is counted.
    struct State {
        sipw_worker *w = nullptr;
        std::atomic<bool> allEmitted{false};
        std::atomic<bool> destroyed{false};
    };
    auto *state = new State;
    state->w = sipw_create(nullptr);
    ASSERT_NE(state->w, nullptr);
    ASSERT_EQ(sipw_post(state->w, "INIT", kInit), SIPW_OK);
    g_deliveries = 0;
    ASSERT_GT(sipw_on(state->w, "warning", [](const sipw_event *, void *ud) {
        auto *s = static_cast<State *>(ud);
        ++g_deliveries;
        if (s->destroyed) return;  // reached only by a delivery after destroy: freed memory
        waitUntil(s->allEmitted);  // the other events are queued behind this one
        sipw_destroy(s->w);
        s->destroyed = true;
    }, state), 0);
    constexpr int kEvents = 20;
    for (int i = 0; i < kEvents; ++i) ASSERT_EQ(sipw_post(state->w, "UNREGISTER", nullptr), SIPW_OK);
    for (int i = 0; i < kEvents; ++i) {  // the backlog shows each one was emitted
        sipw_event *ev = sipw_wait_for(state->w, "warning", nullptr, 5000);
        ASSERT_NE(ev, nullptr);
        sipw_event_free(ev);
    }
    state->allEmitted = true;
    ASSERT_TRUE(waitUntil(state->destroyed));
    delete state;
    // Nothing can announce that a delivery did not happen: give one the time it would take.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(g_deliveries, 1) << "events were delivered after sipw_destroy returned";
}

TEST(CApiLifetime, RetryDestroyedFromItsOwnCallback) {
    struct State {
        sipw_retry *r = nullptr;
        std::atomic<bool> destroyed{false};
    } state;
    state.r = sipw_retry_create(3, 1);
    ASSERT_NE(state.r, nullptr);
    ASSERT_GT(sipw_retry_delay(state.r, "x", [](const char *, void *ud) {
        auto *s = static_cast<State *>(ud);
        sipw_retry_destroy(s->r);
        s->destroyed = true;
    }, &state, 0), 0);
    EXPECT_TRUE(waitUntil(state.destroyed));
}

TEST(CApiLifetime, RetryDestroyWaitsForARunningCallback) {
    struct State {
        std::atomic<bool> inside{false};
        std::atomic<bool> returned{false};
    } state;
    sipw_retry *r = sipw_retry_create(3, 1);
    ASSERT_NE(r, nullptr);
    ASSERT_GT(sipw_retry_delay(r, "x", [](const char *, void *ud) {
        auto *s = static_cast<State *>(ud);
        s->inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        s->returned = true;
    }, &state, 0), 0);
    ASSERT_TRUE(waitUntil(state.inside));
    sipw_retry_destroy(r);
    EXPECT_TRUE(state.returned) << "sipw_retry_destroy returned while its callback was running";
}

TEST(CApiLifetime, QueuedRetriesArePulledAndDestroyWakesThePuller) {
    sipw_retry *r = sipw_retry_create(5, 1);
    ASSERT_NE(r, nullptr);
    int fd = sipw_retry_fd(r);
    ASSERT_GE(fd, 0);
    long long ticket = 0;
    EXPECT_EQ(sipw_retry_next_due(r, 0, &ticket), 0) << "nothing due yet";
    EXPECT_EQ(sipw_retry_delay_queued(r, "a", 0, 41), 1);
    EXPECT_EQ(sipw_retry_delay_queued(r, "a", 5, 42), 6);
    EXPECT_EQ(sipw_retry_next_due(r, 5000, &ticket), 1);
    EXPECT_EQ(ticket, 41);
    EXPECT_EQ(sipw_retry_next_due(r, 5000, &ticket), 1);
    EXPECT_EQ(ticket, 42);
    EXPECT_EQ(sipw_retry_get_count(r, "a"), 2);
    std::atomic<int> answer{1};
    std::thread puller([&] {
        long long t = 0;
        answer = sipw_retry_next_due(r, -1, &t);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sipw_retry_destroy(r);
    puller.join();
    EXPECT_EQ(answer, SIPW_ESHUTDOWN);
    expectClosed(sipw_retry_next_due(r, 0, &ticket));
    EXPECT_EQ(sipw_retry_fd(r), -1);
}
