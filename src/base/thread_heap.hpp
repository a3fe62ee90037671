// Warming a new thread's heap before it serves its first command.
#pragma once

namespace sipw {

// Takes and gives back blocks of the sizes a call's set-up asks for, on the calling thread.
void warmThreadHeap();

}  // namespace sipw
