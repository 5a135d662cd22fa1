#include "hook/Wait.hpp"

#include <atomic>
#include <cerrno>

#include "api/Bootstrap.hpp"
#include "grove/scheduler.hpp"
#include "hook/Hook.hpp"
#include "sys/Real.hpp"
#include "io/Poller.hpp"
#include "sched/Worker.hpp"
#include "sys/Sys.hpp"

namespace grove::hook {

TimePoint deadline_in(std::int64_t ns) {
  if (ns <= 0) return kNoDeadline;
  return Clock::now() + std::chrono::nanoseconds(ns);
}

TimePoint deadline_ms(int ms) {
  if (ms < 0) return kNoDeadline;
  return Clock::now() + std::chrono::milliseconds(ms);
}

bool deadline_ts(const timespec* ts, TimePoint& out) {
  if (!ts) {
    out = kNoDeadline;
    return true;
  }
  if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000) return false;
  // Beyond ~290 years steady_clock would overflow: treat as forever.
  if (ts->tv_sec > (std::int64_t{1} << 33)) {
    out = kNoDeadline;
    return true;
  }
  out = Clock::now() + std::chrono::seconds(ts->tv_sec) + std::chrono::nanoseconds(ts->tv_nsec);
  return true;
}

int ms_until(TimePoint deadline) {
  if (deadline == kNoDeadline) return -1;
  auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

void stay_on_this_worker() {
  detail::FiberControl* self = detail::Worker::current()->running_fiber();
  // A thread-fiber carries its own TLS (errno included) wherever it runs: it may migrate.
  if (self->pinned || self->tls) return;
  // home first: a waker that sees `pinned` must see where to send the fiber.
  self->home = detail::Worker::current();
  std::atomic_signal_fence(std::memory_order_seq_cst);
  self->pinned = true;
}

int wait_fiber(int fd, IoDirection dir, TimePoint deadline) {
  stay_on_this_worker();
  switch (detail::Poller::instance().wait(fd, dir, deadline)) {
    case detail::WaitOutcome::ready:
      return 0;
    case detail::WaitOutcome::timed_out:
      errno = EAGAIN;
      return -1;
    case detail::WaitOutcome::closed:
      errno = EBADF;
      return -1;
    case detail::WaitOutcome::interrupted:
      detail::throw_interrupt(detail::current_fiber());
    case detail::WaitOutcome::error:
      break;
  }
  return -1;
}

int wait_thread(int fd, IoDirection dir, TimePoint deadline) {
  for (;;) {
    pollfd p{fd, static_cast<short>(dir == IoDirection::read ? POLLIN : POLLOUT), 0};
    const int n = real::poll(&p, 1, ms_until(deadline));
    if (n < 0) return -1;  // EINTR included: a blocking libc call would report it too
    if (n == 0) {
      if (deadline != kNoDeadline && Clock::now() >= deadline) {
        errno = EAGAIN;
        return -1;
      }
      continue;
    }
    if (p.revents & POLLNVAL) {
      errno = EBADF;
      return -1;
    }
    return 0;
  }
}

bool ready_now(int fd, IoDirection dir) {
  pollfd p{fd, static_cast<short>(dir == IoDirection::read ? POLLIN : POLLOUT), 0};
  const timespec zero{0, 0};
  const int saved = errno;
  const bool ready = sys::poll(&p, 1, &zero) != 0;  // errors and POLLNVAL: let the real call report them
  errno = saved;
  return ready;
}

void sleep_fiber(TimePoint deadline) {
  stay_on_this_worker();
  grove::sleep_until(deadline);
}

}  // namespace grove::hook
