#include "media/ticker.hpp"

#include <pthread.h>

#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace sipw {
namespace {

// After a stall (a suspended VM, a long tick) the ticker goes on from now instead of catching up
// with a burst of ticks.
constexpr GstClockTime kMostBehind = 10 * kTickInterval;

class Ticker {
public:
    static Ticker &instance() {
        static Ticker *ticker = new Ticker();  // never destroyed: its thread may outlive main()
        return *ticker;
    }

    void add(GstElement *element, TickFunction tick) {
        std::lock_guard<std::mutex> lock(mutex_);
        ticked_.emplace_back(GST_ELEMENT(gst_object_ref(element)), tick);
        if (!threadStarted_) {
            threadStarted_ = true;
            std::thread([this] {
                pthread_setname_np(pthread_self(), "sipw-ticker");  // named in top, perf and gdb
                run();
            }).detach();
        }
        changed_.notify_all();
    }

    void remove(GstElement *element) {
        GstElement *removed = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (auto it = ticked_.begin(); it != ticked_.end(); ++it) {
                if (it->first != element) continue;
                removed = it->first;
                ticked_.erase(it);
                break;
            }
        }
        if (removed) gst_object_unref(removed);
    }

private:
    using Entry = std::pair<GstElement *, TickFunction>;  // one reference each

    void run() {
        timespec next{};
        clock_gettime(CLOCK_MONOTONIC, &next);
        std::vector<Entry> due;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(mutex_);
                if (ticked_.empty()) {
                    changed_.wait(lock, [this] { return !ticked_.empty(); });
                    clock_gettime(CLOCK_MONOTONIC, &next);
                }
            }
            advance(next);
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                for (const Entry &entry : ticked_) due.emplace_back(GST_ELEMENT(gst_object_ref(entry.first)), entry.second);
            }
            for (const Entry &entry : due) {
                entry.second(entry.first);
                gst_object_unref(entry.first);
            }
            due.clear();
        }
    }

    // The next tick, one interval on; after a stall, from now, not in a burst.
    static void advance(timespec &next) {
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        next.tv_nsec += long(kTickInterval);
        if (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            ++next.tv_sec;
        }
        auto ns = [](const timespec &t) { return t.tv_sec * 1000000000LL + t.tv_nsec; };
        if (ns(next) < ns(now) - (long long)kMostBehind) next = now;
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Entry> ticked_;
    bool threadStarted_ = false;
};

}  // namespace

void startTicking(GstElement *element, TickFunction tick) { Ticker::instance().add(element, tick); }

void stopTicking(GstElement *element) { Ticker::instance().remove(element); }

}  // namespace sipw
