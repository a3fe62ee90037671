// The C ABI's synchronous contract: result codes, last-error texts, threading guarantees.
// No server is needed: nothing here registers.
#include "test_worker.hpp"

#include <atomic>
#include <thread>

using namespace sipw_test;

namespace {

const char *kInit = R"({"uri":"sip:1001@127.0.0.1","register":false})";

}  // namespace

TEST(CApi, NullPointersAreInvalidArguments) {
    expectError(sipw_post(nullptr, "INIT", "{}"), SIPW_EINVAL);
    TestWorker w;
    expectError(sipw_post(w.get(), nullptr, nullptr), SIPW_EINVAL, "cmd");
    expectError(sipw_on(w.get(), nullptr, [](const sipw_event *, void *) {}, nullptr), SIPW_EINVAL);
    expectError(sipw_on(w.get(), "*", nullptr, nullptr), SIPW_EINVAL);
    EXPECT_EQ(sipw_wait_event(nullptr, 0), nullptr);
    EXPECT_EQ(sipw_session_info(nullptr, "x"), nullptr);
    EXPECT_EQ(sipw_session_info(w.get(), nullptr), nullptr);
    sipw_destroy(nullptr);
    sipw_event_free(nullptr);
    sipw_free(nullptr);
    EXPECT_STREQ(sipw_event_name(nullptr), "");
}

TEST(CApi, MalformedJsonAndWrongTypes) {
    TestWorker w;
    expectError(w.post("INIT", "{\"uri\": "), SIPW_EINVAL);
    expectError(w.post("INIT", "not json"), SIPW_EINVAL);
    expectError(w.post("INIT", "[1,2]"), SIPW_EINVAL);
    expectError(w.post("INIT", R"({"uri": 42})"), SIPW_EINVAL, "uri");
    expectError(w.post("INIT", R"({"uri":"sip:1@h","register":"yes"})"), SIPW_EINVAL, "register");
    expectError(w.post("INIT", "null"), SIPW_EINVAL);
    expectError(w.post("INIT", nullptr), SIPW_EINVAL);
}

TEST(CApi, UnknownAndUnsupportedCommands) {
    TestWorker w;
    expectError(w.post("DANCE", "null"), SIPW_ENOCMD, "DANCE");
    expectError(w.post("NOTIFY", "null"), SIPW_ENOCMD, "NOTIFY");
    expectError(w.post("EMPTY", "null"), SIPW_ENOCMD, "EMPTY");
    expectError(w.post("init", kInit), SIPW_ENOCMD);  // commands are case-sensitive, as in the JsSIP wrapper
    expectError(w.post("", "null"), SIPW_ENOCMD);
}

TEST(CApi, CommandsBeforeInitAreInTheWrongState) {
    TestWorker w;
    for (const char *cmd : {"LOGIN", "LOGOUT", "REGISTER", "UNREGISTER"}) {
        expectError(w.post(cmd, "null"), SIPW_ESTATE, cmd);
    }
}

TEST(CApi, HugeAndInvalidUtf8Payloads) {
    TestWorker w;
    std::string huge = R"({"uri":"sip:1001@127.0.0.1","password":")" + std::string(1 << 20, 'x') + "\"}";
    expectError(w.post("INIT", huge.c_str()), SIPW_EINVAL);
    expectError(w.post("INIT", "{\"uri\":\"sip:\xff\xfe@h\"}"), SIPW_EINVAL);
    expectError(w.post("IN\xffIT", "null"), SIPW_ENOCMD);
    EXPECT_EQ(std::string(sipw_last_error()).find('\xff'), std::string::npos) << "raw invalid bytes in the message";
    // The worker is still fine afterwards.
    EXPECT_EQ(w.post("INIT", kInit), 0) << sipw_last_error();
}

TEST(CApi, SuccessClearsTheLastError) {
    TestWorker w;
    EXPECT_NE(w.post("DANCE", "null"), 0);
    EXPECT_EQ(w.post("INIT", kInit), 0);
    EXPECT_STREQ(sipw_last_error(), "");
}

TEST(CApi, LastErrorIsPerThread) {
    TestWorker w;
    EXPECT_NE(w.post("DANCE", "null"), 0);
    std::string other;
    std::thread([&] { other = sipw_last_error(); }).join();
    EXPECT_EQ(other, "");
    EXPECT_NE(std::string(sipw_last_error()), "");
}

TEST(CApi, ErrstrForEveryCode) {
    for (int code = 0; code >= -7; --code) {
        EXPECT_STRNE(sipw_errstr(code, "en"), "") << code;
        EXPECT_TRUE(hasChinese(sipw_errstr(code, "zh-CN"))) << code;
    }
    EXPECT_STRNE(sipw_errstr(-99, "en"), "");
    EXPECT_STREQ(sipw_version(), SIPW_VERSION_STRING);
}

TEST(CApi, UnknownOptionsAndBadOptions) {
    EXPECT_EQ(sipw_create("{\"eventQueue\": 1}"), nullptr);
    EXPECT_TRUE(hasChinese(sipw_last_error_text("zh-CN")));
    EXPECT_EQ(sipw_create("{oops"), nullptr);
    EXPECT_EQ(sipw_create("[]"), nullptr);
    sipw_worker *plain = sipw_create(nullptr);
    ASSERT_NE(plain, nullptr);
    EXPECT_EQ(sipw_wait_event(plain, 0), nullptr) << "no pull queue unless asked for";
    sipw_destroy(plain);
    TestWorker w(R"({"eventQueue": true, "colour": "blue"})");
    Json warning = w.waitFor("warning", 1000);
    ASSERT_FALSE(warning.is_null());
    EXPECT_EQ(warning["data"]["key"], "unknown_field");
}

TEST(CApi, UnknownInitFieldBecomesAWarningEvent) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", R"({"uri":"sip:1001@127.0.0.1","register":false,"favouriteColour":"red"})"), 0);
    Json warning = w.waitFor("warning", 1000);
    ASSERT_FALSE(warning.is_null());
    EXPECT_EQ(warning["data"]["key"], "unknown_field");
    EXPECT_TRUE(hasChinese(warning["data"]["textCN"].get<std::string>()));
}

TEST(CApi, UnknownSessionInfoAndListener) {
    TestWorker w;
    EXPECT_EQ(sipw_session_info(w.get(), "nope"), nullptr);
    EXPECT_EQ(std::string(sipw_last_error_text("en")).find("nope") != std::string::npos, true);
    expectError(sipw_off(w.get(), 12345), SIPW_ENOLISTENER);
}

TEST(CApi, CallbackMayPostOffAndDestroy) {
    struct State {
        sipw_worker *w;
        int id = 0;
        std::atomic<int> calls{0};
        std::atomic<bool> destroyed{false};
    } state;
    state.w = sipw_create(nullptr);
    ASSERT_NE(state.w, nullptr);
    state.id = sipw_on(state.w, "warning", [](const sipw_event *ev, void *ud) {
        auto *s = static_cast<State *>(ud);
        EXPECT_STREQ(sipw_event_name(ev), "warning");
        if (++s->calls == 1) {
            EXPECT_EQ(sipw_post(s->w, "UNREGISTER", nullptr), 0);  // re-entrant post
            EXPECT_EQ(sipw_off(s->w, s->id), 0);                   // off from inside: no deadlock
            sipw_destroy(s->w);                                     // destroy from inside: no deadlock
            s->destroyed = true;
        }
    }, &state);
    ASSERT_GT(state.id, 0);
    ASSERT_EQ(sipw_post(state.w, "INIT", kInit), 0);
    ASSERT_EQ(sipw_post(state.w, "UNREGISTER", nullptr), 0);  // not registered → a warning event
    // Destroy waits for the media warm-up sipw_create started (at most 5 s; seconds under TSan).
    for (int i = 0; i < 1000 && !state.destroyed; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(state.destroyed);
    EXPECT_EQ(state.calls, 1);
}

TEST(CApi, DestroyWakesBlockedPullers) {
    sipw_worker *w = sipw_create(R"({"eventQueue": true})");
    ASSERT_NE(w, nullptr);
    std::atomic<int> nulls{0};
    std::vector<std::thread> pullers;
    for (int i = 0; i < 3; ++i)
        pullers.emplace_back([&] {
            sipw_event *ev;
            while ((ev = sipw_wait_event(w, -1)) != nullptr) sipw_event_free(ev);
            ++nulls;
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto t0 = Clock::now();
    sipw_destroy(w);
    for (auto &t : pullers) t.join();
    EXPECT_EQ(nulls, 3);
    EXPECT_LT(secondsSince(t0), 2.0);
}

TEST(CApi, OffFromAnotherThreadWaitsForTheRunningCallback) {
    TestWorker w;
    struct State {
        std::atomic<bool> inside{false};
        std::atomic<bool> returned{false};
    } s;
    int id = sipw_on(w.get(), "warning", [](const sipw_event *, void *ud) {
        auto *st = static_cast<State *>(ud);
        st->inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        st->returned = true;
    }, &s);
    ASSERT_EQ(w.post("INIT", kInit), 0);
    ASSERT_EQ(w.post("UNREGISTER", nullptr), 0);
    while (!s.inside) std::this_thread::yield();
    EXPECT_EQ(sipw_off(w.get(), id), 0);
    EXPECT_TRUE(s.returned) << "sipw_off returned while the callback was still running";
}

TEST(CApi, ManyEventsNoneLost) {
    TestWorker w;
    std::atomic<int> seen{0};
    sipw_on(w.get(), "warning", [](const sipw_event *, void *ud) { ++*static_cast<std::atomic<int> *>(ud); }, &seen);
    ASSERT_EQ(w.post("INIT", kInit), 0);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(w.post("UNREGISTER", nullptr), 0);
    int pulled = 0;
    while (pulled < 1000 && !w.waitFor("warning", 2000).is_null()) ++pulled;
    EXPECT_EQ(pulled, 1000);
    for (int i = 0; i < 200 && seen < 1000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(seen, 1000);
}

TEST(CApi, WaitForUsesTheBacklog) {
    TestWorker w;
    ASSERT_EQ(w.post("INIT", kInit), 0);
    ASSERT_EQ(w.post("UNREGISTER", nullptr), 0);
    ASSERT_EQ(w.post("UNREGISTER", nullptr), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // both events already happened
    sipw_event *a = sipw_wait_for(w.get(), "warning", nullptr, 1000);
    // A field the event lacks is looked up in its data: the warning's key.
    EXPECT_EQ(sipw_wait_for(w.get(), "warning", R"({"key":"some_other_key"})", 0), nullptr);
    // A list accepts any of its values.
    sipw_event *b = sipw_wait_for(w.get(), "*", R"({"msg":["registered","warning"],"key":"not_registered"})", 1000);
    sipw_event *c = sipw_wait_for(w.get(), "warning", nullptr, 100);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(c, nullptr);
    // Two events, each returned once: the third wait finds nothing left.
    sipw_event_free(a);
    sipw_event_free(b);
    EXPECT_EQ(sipw_wait_for(w.get(), "warning", "{bad", 0), nullptr);
    EXPECT_FALSE(std::string(sipw_last_error()).empty());
}

TEST(CApi, PostAfterDestroyStartedIsShuttingDown) {
    // Destroy from a callback while another thread keeps posting: posts fail cleanly, never crash.
    struct State {
        sipw_worker *w;
        std::atomic<bool> go{false};
    } s;
    s.w = sipw_create(nullptr);
    ASSERT_EQ(sipw_post(s.w, "INIT", kInit), 0);
    std::atomic<int> shuttingDown{0};
    sipw_on(s.w, "warning", [](const sipw_event *, void *ud) {
        auto *st = static_cast<State *>(ud);
        st->go = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }, &s);
    ASSERT_EQ(sipw_post(s.w, "UNREGISTER", nullptr), 0);
    while (!s.go) std::this_thread::yield();
    std::thread destroyer([&] { sipw_destroy(s.w); });
    destroyer.join();
    (void)shuttingDown;
}

TEST(CApi, Retry) {
    sipw_retry *r = sipw_retry_create(2, 10);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(sipw_retry_get_count(r, "a"), 0);
    EXPECT_EQ(sipw_retry_retry(r, "a"), 1);
    EXPECT_EQ(sipw_retry_retry(r, "a"), 1);
    EXPECT_EQ(sipw_retry_is_max(r, "a"), 1);
    EXPECT_EQ(sipw_retry_retry(r, "a"), 0);
    sipw_retry_reset(r, "a");
    EXPECT_EQ(sipw_retry_get_count(r, "a"), 0);
    sipw_retry_update_max(r, "b", 3);
    std::atomic<int> fired{0};
    int d1 = sipw_retry_delay(r, "b", [](const char *id, void *ud) {
        EXPECT_STREQ(id, "b");
        ++*static_cast<std::atomic<int> *>(ud);
    }, &fired, 20);
    int d2 = sipw_retry_delay(r, "b", [](const char *, void *ud) { ++*static_cast<std::atomic<int> *>(ud); }, &fired, 20);
    EXPECT_EQ(d1, 10);
    EXPECT_EQ(d2, 30);
    for (int i = 0; i < 100 && fired < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(fired, 2);
    EXPECT_GT(sipw_retry_delay(r, "b", nullptr, nullptr, 20), 0);
    EXPECT_EQ(sipw_retry_delay(r, "b", nullptr, nullptr, 20), 0) << "maximum reached";
    sipw_retry_destroy(r);
    sipw_retry_destroy(nullptr);
}
