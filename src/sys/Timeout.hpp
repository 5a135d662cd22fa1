#pragma once
// A deadline turned into the relative timeout system calls take (futex, ppoll, epoll_pwait2,
// nanosleep): the time left, never negative, or no timeout at all for kNoDeadline.
#include <time.h>

#include <algorithm>
#include <chrono>

#include "grove/detail/fiber_core.hpp"

namespace grove::sys {

inline timespec time_left(detail::TimePoint deadline) {
  using detail::Clock;
  const auto left = std::max(deadline - Clock::now(), Clock::duration::zero());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

class SyscallTimeout {
 public:
  explicit SyscallTimeout(detail::TimePoint deadline)
      : bounded_(deadline != detail::kNoDeadline), ts_(bounded_ ? time_left(deadline) : timespec{}) {}
  const timespec* get() const { return bounded_ ? &ts_ : nullptr; }

 private:
  bool bounded_;
  timespec ts_;
};

}  // namespace grove::sys
