#include "base/pull.hpp"

#include "base/error.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace sipw {

ReadyFd::ReadyFd() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (fd_ < 0) throw Error(ResultCode::Internal, "internal", {std::string("eventfd: ") + std::strerror(errno)});
}

ReadyFd::~ReadyFd() { close(fd_); }

void ReadyFd::setReadable(bool readable) {
    if (readable == readable_) return;
    // The counter is 0 (not readable) or 1 (readable): one write sets it, one read clears it.
    std::uint64_t value = 1;
    ssize_t done = readable ? write(fd_, &value, sizeof value) : read(fd_, &value, sizeof value);
    if (done == static_cast<ssize_t>(sizeof value)) readable_ = readable;
}

}  // namespace sipw
