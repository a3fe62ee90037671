// The media layer's one shared ICE thread (private to the media layer).
//
// webrtcbin gives every call an ICE agent with threads of its own. Our ICE transports instead run
// every agent of the process on this one thread: its GMainContext carries their sockets, their
// connectivity-check timers and (later) DTLS timers, so a call costs sources, not threads.
//
// The thread starts with the first use and is never stopped: agents may be torn down after main().
#pragma once

#include <glib.h>

#include <functional>

namespace sipw {

// The context the ICE thread runs; attach sources to it (never iterate it yourself).
GMainContext *iceLoopContext();

// True on the ICE thread itself.
bool onIceLoop();

// Runs `work` on the ICE thread. With `wait`, returns once it has run (inline when called on the
// ICE thread, so a hook may use it). Without, it is queued and runs later, even when called from
// the ICE thread: the caller's state never changes underneath it.
void runOnIceLoop(std::function<void()> work, bool wait);

}  // namespace sipw
