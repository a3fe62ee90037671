// CauseData field names exactly as the JsSIP wrapper spells them, and the event hub's delivery rules.
#include "base/event.hpp"
#include "base/error.hpp"
#include "base/event_hub.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace sipw;
using nlohmann::json;

TEST(CauseData, FieldNamesAsTheSeedSpellsThem) {
    EventPtr ev = CauseData("new_RTCSession_state", "session_failed")
                      .statusCode(486)
                      .cause("Busy")
                      .originator("remote")
                      .session("s1", "outgoing")
                      .fromUri("sip:1002@pbx")
                      .extra({{"suffix", "x"}})
                      .build({"worker-1", "sip:1001@pbx"});
    const json &d = ev->data;
    EXPECT_EQ(ev->channel, "new_RTCSession_state");
    EXPECT_EQ(ev->msg, "session_failed");
    for (const char *field : {"id", "uri", "msg", "code", "sessionId", "sessionOrigin", "fromUri", "originator",
                              "cause", "causeCN", "msgCN", "statusCode", "reason", "time", "extra"}) {
        EXPECT_TRUE(d.contains(field)) << field;
    }
    EXPECT_EQ(d["id"], "worker-1");
    EXPECT_EQ(d["code"], 486);
    EXPECT_EQ(d["reason"], "Busy Here");
    EXPECT_EQ(d["cause"], "Busy");
    EXPECT_NE(d["causeCN"], "Busy");
    EXPECT_TRUE(d["time"].is_number_integer());
    EXPECT_EQ(json::parse(ev->json), d);
}

TEST(CauseData, HostileTextStillSerializes) {
    std::string invalidUtf8 = "caller \xff\xfe";
    EventPtr ev = CauseData("new_RTCSession_state", "newRTCSession").fromUri(invalidUtf8).build({"w", "u"});
    EXPECT_NO_THROW(json::parse(ev->json));
}

TEST(EventMatching, ChannelMsgOrStar) {
    EventPtr ev = CauseData("new_RTCSession_state", "session_confirmed").build({});
    EXPECT_TRUE(ev->matches("new_RTCSession_state"));
    EXPECT_TRUE(ev->matches("session_confirmed"));
    EXPECT_TRUE(ev->matches("*"));
    EXPECT_FALSE(ev->matches("registered"));
}

namespace {
EventPtr numbered(int i) {
    return CauseData("warning", "warning").data({{"n", i}}).build({});
}
}  // namespace

TEST(EventHub, ListenersSeeEventsInOrderOnOneThread) {
    auto hub = EventHub::create(false, {});
    std::vector<int> seen;
    std::thread::id thread;
    std::atomic<int> count{0};
    hub->addListener("warning", [&](const Event &e) {
        if (count == 0) thread = std::this_thread::get_id();
        EXPECT_EQ(thread, std::this_thread::get_id());
        seen.push_back(e.data["data"]["n"]);
        ++count;
    });
    for (int i = 0; i < 1000; ++i) hub->emit(numbered(i));
    hub->shutdown();  // delivers what is queued
    ASSERT_EQ(seen.size(), 1000u);
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventHub, RemovedListenerNeverRunsAgain) {
    auto hub = EventHub::create(false, {});
    std::atomic<bool> inside{false}, removed{false}, ranAfterRemoval{false};
    int id = hub->addListener("*", [&](const Event &) {
        if (removed) ranAfterRemoval = true;
        inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        inside = false;
    });
    hub->emit(numbered(1));
    while (!inside) std::this_thread::yield();
    ASSERT_TRUE(hub->removeListener(id));
    EXPECT_FALSE(inside) << "removeListener returned while the callback was running";
    removed = true;
    for (int i = 0; i < 10; ++i) hub->emit(numbered(i));
    hub->shutdown();
    EXPECT_FALSE(ranAfterRemoval);
    EXPECT_FALSE(hub->removeListener(id));
}

TEST(EventHub, ListenerMayRemoveItselfWithoutDeadlock) {
    auto hub = EventHub::create(false, {});
    std::atomic<int> calls{0};
    int id = 0;
    id = hub->addListener("*", [&](const Event &) {
        ++calls;
        hub->removeListener(id);
    });
    hub->emit(numbered(1));
    hub->emit(numbered(2));
    hub->shutdown();
    EXPECT_EQ(calls, 1);
}

TEST(EventHub, PullQueueOverflowIsReported) {
    auto hub = EventHub::create(true, {5, 100});
    for (int i = 0; i < 12; ++i) hub->emit(numbered(i));
    EventPtr first, next;
    ASSERT_EQ(hub->waitEvent(0, first), PullStatus::Item);
    EXPECT_EQ(first->data["data"]["key"], "events_dropped");
    EXPECT_EQ(first->data["data"]["count"], 7);
    ASSERT_EQ(hub->waitEvent(0, next), PullStatus::Item);
    EXPECT_EQ(next->data["data"]["n"], 7);  // the newest five were kept
    hub->shutdown();
}

TEST(EventHub, ShutdownWakesBlockedPullers) {
    auto hub = EventHub::create(true, {});
    std::atomic<int> woken{0};
    std::vector<std::thread> pullers;
    for (int i = 0; i < 3; ++i)
        pullers.emplace_back([&] {
            EventPtr event;
            if (hub->waitEvent(-1, event) == PullStatus::Closed) ++woken;
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    hub->shutdown();
    for (auto &t : pullers) t.join();
    EXPECT_EQ(woken, 3);
}

TEST(EventHub, WaitForReturnsEachEventOnceIncludingEarlierOnes) {
    auto hub = EventHub::create(false, {});
    hub->emit(CauseData("registered", "registered").build({}));
    hub->emit(CauseData("registered", "registered").statusCode(200).build({}));
    EventPtr a, b, c, y;
    ASSERT_EQ(hub->waitFor("registered", nullptr, 0, a), PullStatus::Item);
    ASSERT_EQ(hub->waitFor("registered", nullptr, 0, b), PullStatus::Item);
    EXPECT_EQ(hub->waitFor("registered", nullptr, 0, c), PullStatus::TimedOut);
    EXPECT_NE(a.get(), b.get());
    EXPECT_FALSE(c);
    hub->emit(CauseData("new_RTCSession_state", "session_ended").session("x", "incoming").build({}));
    hub->emit(CauseData("new_RTCSession_state", "session_ended").session("y", "incoming").build({}));
    ASSERT_EQ(hub->waitFor("session_ended", {{"sessionId", "y"}}, 0, y), PullStatus::Item);
    EXPECT_EQ(y->data["sessionId"], "y");
    hub->shutdown();
}

TEST(EventHub, ClosedPullingWakesWaitersAndKeepsListeners) {
    auto hub = EventHub::create(true, {});
    std::atomic<int> heard{0};
    hub->addListener("*", [&](const Event &) { ++heard; });
    hub->emit(numbered(1));
    std::thread waiter([&] {
        EventPtr event;
        EXPECT_EQ(hub->waitFor("registered", nullptr, -1, event), PullStatus::Closed);
    });
    hub->closePulling();
    waiter.join();
    EventPtr event;
    EXPECT_EQ(hub->waitEvent(0, event), PullStatus::Closed) << "queued events are dropped";
    hub->emit(numbered(2));  // the shutdown's own events still reach listeners
    hub->shutdown();
    EXPECT_EQ(heard, 2);
}

TEST(EventHub, QueueOffIsAWrongStateError) {
    auto hub = EventHub::create(false, {});
    EventPtr event;
    EXPECT_THROW(hub->waitEvent(0, event), sipw::Error);
    EXPECT_THROW(hub->eventFd(), sipw::Error);
    hub->shutdown();
}
