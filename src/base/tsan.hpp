// Hand-offs ThreadSanitizer cannot see. GLib orders its threads with futex-based locks and inline
// atomics, which the sanitizer does not know (GLib is not instrumented), so an object one thread
// builds and another uses after a trip through GLib (a source attached to another thread's main
// context, user data of a signal or a promise) looks unordered. The sending side declares the
// hand-off with SIPW_HANDOFF_RELEASE(object), the receiving side with SIPW_HANDOFF_ACQUIRE(object).
// Both do nothing outside a ThreadSanitizer build (SIPW_TSAN).
#pragma once

#if defined(SIPW_TSAN)
extern "C" void __tsan_acquire(void *address);
extern "C" void __tsan_release(void *address);
#define SIPW_HANDOFF_RELEASE(object) __tsan_release(const_cast<void *>(static_cast<const void *>(object)))
#define SIPW_HANDOFF_ACQUIRE(object) __tsan_acquire(const_cast<void *>(static_cast<const void *>(object)))
#else
#define SIPW_HANDOFF_RELEASE(object) static_cast<void>(0)
#define SIPW_HANDOFF_ACQUIRE(object) static_cast<void>(0)
#endif
