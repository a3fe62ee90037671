// Owning references to GStreamer / GLib objects, so every ref taken has exactly one release.
#pragma once

#include <gst/gst.h>

#include <utility>

namespace sipw {

// Holds one strong reference (transfer full) to a GstObject-derived object; unrefs it on reset or
// destruction. adopt() takes over a reference the caller already owns; a floating reference is
// sunk first, so a freshly made element can be adopted directly.
template <typename T>
class GstRef {
public:
    GstRef() = default;
    static GstRef adopt(T *object) {
        GstRef r;
        if (object && g_object_is_floating(object)) gst_object_ref_sink(object);
        r.object_ = object;
        return r;
    }
    static GstRef share(T *object) {  // takes a new reference of its own (object is transfer none)
        GstRef r;
        r.object_ = object ? static_cast<T *>(gst_object_ref(object)) : nullptr;
        return r;
    }
    GstRef(const GstRef &) = delete;
    GstRef &operator=(const GstRef &) = delete;
    GstRef(GstRef &&o) noexcept : object_(std::exchange(o.object_, nullptr)) {}
    GstRef &operator=(GstRef &&o) noexcept {
        if (this != &o) {
            reset();
            object_ = std::exchange(o.object_, nullptr);
        }
        return *this;
    }
    ~GstRef() { reset(); }
    void reset() {
        if (object_) gst_object_unref(std::exchange(object_, nullptr));
    }
    T *get() const { return object_; }
    explicit operator bool() const { return object_ != nullptr; }

private:
    T *object_ = nullptr;
};

}  // namespace sipw
