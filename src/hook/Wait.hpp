#pragma once
// Waiting for a descriptor inside a hook: a fiber parks in the poller, a plain thread blocks in
// the real poll(). Both return 0 when it may be ready, -1 with errno otherwise (EAGAIN: the
// deadline passed; EBADF: another fiber or thread closed it meanwhile). A killed fiber throws.
#include <poll.h>

#include <cstdint>

#include "grove/detail/fiber_core.hpp"
#include "hook/Active.hpp"
#include "io/FdTable.hpp"


namespace grove::hook {

using detail::Clock;
using detail::IoDirection;
using detail::kNoDeadline;
using detail::TimePoint;

// now + ns, or no deadline for ns <= 0 (SO_RCVTIMEO's "0 means forever").
TimePoint deadline_in(std::int64_t ns);
// A deadline from a poll()-style millisecond timeout (negative: none).
TimePoint deadline_ms(int ms);
// From a timespec (nullptr: none); false if it is invalid (EINVAL).
bool deadline_ts(const timespec* ts, TimePoint& out);

// Pins the running fiber to the worker it is on, for the rest of its life. C code's compiler
// may keep TLS addresses (errno's: __errno_location is declared const) across a hooked call, so
// a fiber that parked in a hook must come back on the same thread; fibers that never block in a
// hook keep migrating freely, and so do thread-fibers, whose TLS moves with them.
void stay_on_this_worker();

int wait_fiber(int fd, IoDirection dir, TimePoint deadline);
int wait_thread(int fd, IoDirection dir, TimePoint deadline);
inline int wait_fd(bool in_fiber, int fd, IoDirection dir, TimePoint deadline) {
  return in_fiber ? wait_fiber(fd, dir, deadline) : wait_thread(fd, dir, deadline);
}

// A zero-timeout check with the real poll(): is `fd` ready for `dir` right now?
bool ready_now(int fd, IoDirection dir);

// Milliseconds left until `deadline` for the real poll() (-1: none), rounded up.
int ms_until(TimePoint deadline);

// Parks the running fiber until `deadline` (throws if it is killed).
void sleep_fiber(TimePoint deadline);

}  // namespace grove::hook
