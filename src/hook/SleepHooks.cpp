// sleep, usleep, nanosleep, clock_nanosleep, sched_yield: a fiber sleeps on a timer, the worker
// keeps running the others.
#include <cerrno>
#include <climits>

#include "grove/scheduler.hpp"
#include "hook/Hook.hpp"
#include "sys/Real.hpp"
#include "hook/Wait.hpp"

namespace grove::hook {

int nanosleep(const timespec* req, timespec* rem) {
  if (!active()) return real::nanosleep(req, rem);
  TimePoint deadline;
  if (!req || !deadline_ts(req, deadline)) {
    errno = req ? EINVAL : EFAULT;
    return -1;
  }
  sleep_fiber(deadline);
  return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
  if (!active()) return real::clock_nanosleep(clock, flags, req, rem);
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME && clock != CLOCK_TAI) {
    // CPU-time clocks and unknown ids: let libc give its own answer (EINVAL/ENOTSUP/...).
    return real::clock_nanosleep(clock, flags, req, rem);
  }
  if (!req) return EFAULT;
  if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000) return EINVAL;
  timespec rel = *req;
  if (flags & TIMER_ABSTIME) {
    timespec now{};
    clock_gettime(clock, &now);
    rel.tv_sec = req->tv_sec - now.tv_sec;
    rel.tv_nsec = req->tv_nsec - now.tv_nsec;
    if (rel.tv_nsec < 0) {
      rel.tv_nsec += 1000000000;
      --rel.tv_sec;
    }
    if (rel.tv_sec < 0) return 0;
  } else if (rel.tv_sec < 0) {
    return EINVAL;
  }
  TimePoint deadline;
  deadline_ts(&rel, deadline);
  sleep_fiber(deadline);
  return 0;
}

unsigned int sleep(unsigned int seconds) {
  if (!active()) return real::sleep(seconds);
  const timespec ts{static_cast<time_t>(seconds), 0};
  hook::nanosleep(&ts, nullptr);
  return 0;
}

int usleep(useconds_t usec) {
  if (!active()) return real::usleep(usec);
  const timespec ts{static_cast<time_t>(usec / 1000000), static_cast<long>(usec % 1000000) * 1000};
  return hook::nanosleep(&ts, nullptr);
}

int sched_yield() {
  if (!active()) return real::sched_yield();
  stay_on_this_worker();
  grove::yield();
  return 0;
}

}  // namespace grove::hook
