// What the core's pull-model queues share (the worker's events, the retry helper's due ids): the
// three outcomes of a pull, and a descriptor that is readable while a queue holds something.
//
// The descriptor lets an event loop (asyncio, gevent, GLib, libuv) wait for a queue without a
// thread of its own: wait until it is readable, then pull with a zero timeout until the queue is
// empty. Level semantics: readable exactly while the owner says so, not once per item.
#pragma once

namespace sipw {

enum class PullStatus {
    Item,      // an item was taken
    TimedOut,  // nothing arrived within the timeout
    Closed,    // the queue's owner is being or has been destroyed: nothing will ever arrive
};

// An eventfd (non-blocking, close-on-exec) whose readability the owner sets. Not thread-safe by
// itself: the owner calls setReadable() under the lock that guards the state it mirrors.
class ReadyFd {
public:
    ReadyFd();  // throws Error(Internal) when the kernel refuses an eventfd
    ~ReadyFd();
    ReadyFd(const ReadyFd &) = delete;
    ReadyFd &operator=(const ReadyFd &) = delete;

    int fd() const { return fd_; }
    void setReadable(bool readable);

private:
    int fd_;
    bool readable_ = false;
};

}  // namespace sipw
