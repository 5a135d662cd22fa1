#pragma once
// What the hooks know about each descriptor, kept in FdTable's FdEntry::user_flags:
//  - managed: a socket/eventfd grove made inside a fiber. The kernel flag is O_NONBLOCK; the user's
//    own O_NONBLOCK is virtual (user_nonblock), and blocking calls are emulated by parking.
//  - unmanaged: anything else (inherited stdin/stdout, pipes, ttys, sockets made on plain threads).
//    Never switched to O_NONBLOCK in the kernel: wait for readiness, then make the real call.
//  - passthrough: regular files, directories, block devices and other descriptors epoll refuses.
// State is set when a hooked call creates the number and reset when a hooked call closes it;
// a number first seen inside a fiber is classified once (fstat, F_GETFL).
#include <cstdint>

#include "io/FdTable.hpp"

namespace grove::hook {

enum FdBit : std::uint32_t {
  kKnown = 1u << 0,
  kManaged = 1u << 1,
  kUserNonblock = 1u << 2,    // the user's O_NONBLOCK (managed: virtual; unmanaged: the kernel's)
  kPassthrough = 1u << 3,
  kSocket = 1u << 4,
};

// The entry's state, classifying the number first if it was never seen. `e` may be null (bad fd).
std::uint32_t fd_state(detail::FdEntry* e, int fd);
inline std::uint32_t fd_state(int fd) { return fd_state(detail::FdTable::instance().get(fd), fd); }

// A descriptor number was just created by a hooked call: record what it is.
void fd_created(int fd, std::uint32_t state);
// `to` now refers to the same open file as `from` (dup family).
void fd_copied(int from, int to);
// The number is being closed (or replaced by dup2): wake its waiters with EBADF, forget it.
void fd_closed(int fd);

// True when blocking calls on a descriptor in this state must be emulated (the kernel would not
// block but the user expects it to).
inline bool blocking_for_user(std::uint32_t s) { return !(s & kUserNonblock) && !(s & kPassthrough); }

}  // namespace grove::hook
