#pragma once
// Waiting for file descriptors without blocking the worker thread.
#include <chrono>

#include "grove/detail/fiber_core.hpp"

namespace grove {

enum class IoStatus {
  ready,      // the descriptor is (or may be) ready: retry the operation
  timed_out,  // the timeout passed first
  closed,     // the descriptor was closed (grove::close) while waiting: treat as EBADF
};

const char* to_string(IoStatus s);

// Parks the fiber until `fd` is readable/writable. Outside fibers, blocks the thread in poll().
// Throws std::invalid_argument for a negative fd, and FiberExit if the fiber is killed.
IoStatus wait_readable(int fd, detail::TimePoint deadline = detail::kNoDeadline);
IoStatus wait_writable(int fd, detail::TimePoint deadline = detail::kNoDeadline);
template <typename Rep, typename Period>
IoStatus wait_readable(int fd, std::chrono::duration<Rep, Period> timeout) {
  return wait_readable(fd, detail::deadline_after(std::chrono::duration_cast<detail::Clock::duration>(timeout)));
}
template <typename Rep, typename Period>
IoStatus wait_writable(int fd, std::chrono::duration<Rep, Period> timeout) {
  return wait_writable(fd, detail::deadline_after(std::chrono::duration_cast<detail::Clock::duration>(timeout)));
}

// Closes `fd`, first waking every fiber waiting on it with IoStatus::closed, so a reused
// descriptor number is never confused with the old one. Returns close()'s result.
int close(int fd);

}  // namespace grove
