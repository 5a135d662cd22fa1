#pragma once
// Absolute timeouts for the pthread/sem timed calls, as a C program computes them.
#include <time.h>

#include <chrono>

namespace grove::test {

// `clock`'s now plus `ms` (which may be negative: a deadline already past), normalised so that
// tv_nsec stays within [0, 1e9) as POSIX requires.
inline timespec clock_in(std::chrono::milliseconds ms, clockid_t clock = CLOCK_REALTIME) {
  timespec ts{};
  clock_gettime(clock, &ts);
  long long ns = ts.tv_nsec + ms.count() * 1000000ll;
  long long sec = ns / 1000000000;
  ns %= 1000000000;
  if (ns < 0) {
    ns += 1000000000;
    --sec;
  }
  ts.tv_sec += sec;
  ts.tv_nsec = ns;
  return ts;
}

}  // namespace grove::test
