#include "base/thread_heap.hpp"

#include <glib.h>

#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace sipw {

// A new thread's malloc arena and its GLib slice magazines start empty: the first call set up on a
// worker's loop thread page-faulted them in (~45 faults on each side, ~11 µs each on a VM: a tenth
// of the call's set-up). Blocks of a call's usual sizes (GObjects, GStreamer buffers and events,
// SIP messages: tens to hundreds of bytes, a few pages; ~270 kB in all, ~0.7 ms), taken and given
// back, leave those pages in the thread's free lists.
void warmThreadHeap() {
    constexpr gsize kStep = 16, kLargest = 512;
    constexpr int kMallocRounds = 8, kSliceRounds = 16, kPages = 16, kPageSize = 4096;
    std::vector<void *> blocks;
    std::vector<std::pair<gsize, gpointer>> slices;
    for (int round = 0; round < kSliceRounds; ++round)
        for (gsize size = kStep; size <= kLargest; size += kStep) {
            if (round < kMallocRounds)
                if (void *block = std::malloc(size)) blocks.push_back(std::memset(block, 0, size));
            slices.emplace_back(size, g_slice_alloc0(size));
        }
    for (int i = 0; i < kPages; ++i)
        if (void *block = std::malloc(kPageSize)) blocks.push_back(std::memset(block, 0, kPageSize));
    for (void *block : blocks) std::free(block);
    for (const auto &[size, slice] : slices) g_slice_free1(size, slice);
}

}  // namespace sipw
