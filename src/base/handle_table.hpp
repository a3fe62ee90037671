// Opaque handles for the objects the C ABI hands out (workers, retry helpers).
//
// A handle is a number, never an address: each one is issued once (a counter, tagged with the
// table it belongs to) and looked up under a lock on every call. A handle kept after its object
// was destroyed therefore finds nothing, even when the object's memory has gone to a newer one,
// and a handle of another kind is recognised as such. Lookups hand out shared ownership, so a
// call in flight on another thread keeps the object's memory valid while the object is torn down.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace sipw {

template <class T>
class HandleTable {
public:
    enum class Found { Live, Destroyed, NotAHandle };

    // `tag` (1..15) tells the tables apart; it is the low four bits of every handle.
    explicit HandleTable(std::uintptr_t tag) : tag_(tag) {}

    std::uintptr_t add(std::shared_ptr<T> object) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::uintptr_t handle = (++issued_ << kTagBits) | tag_;
        objects_.emplace(handle, std::move(object));
        return handle;
    }

    std::shared_ptr<T> find(std::uintptr_t handle, Found &found) const {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = objects_.find(handle);
        if (it != objects_.end()) {
            found = Found::Live;
            return it->second;
        }
        bool ours = (handle & kTagMask) == tag_ && (handle >> kTagBits) >= 1 && (handle >> kTagBits) <= issued_;
        found = ours ? Found::Destroyed : Found::NotAHandle;
        return nullptr;
    }

    // The object, taken out of the table (later lookups say Destroyed); null if it was not live.
    std::shared_ptr<T> remove(std::uintptr_t handle) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = objects_.find(handle);
        if (it == objects_.end()) return nullptr;
        std::shared_ptr<T> object = std::move(it->second);
        objects_.erase(it);
        return object;
    }

private:
    static constexpr unsigned kTagBits = 4;
    static constexpr std::uintptr_t kTagMask = (1u << kTagBits) - 1;

    const std::uintptr_t tag_;
    mutable std::mutex mutex_;
    std::uintptr_t issued_ = 0;
    std::unordered_map<std::uintptr_t, std::shared_ptr<T>> objects_;
};

}  // namespace sipw
