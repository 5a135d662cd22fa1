#pragma once
// A futex for fibers: wait on a 32-bit word while it holds an expected value, wake waiters of that
// word. Waiters sit in a fixed table of WaitQueues hashed by address (as Go's semaphore table),
// so the pthread objects built on it keep only plain words in the program's own memory: static
// initializers work and an object needs no destroy to release anything. Works for fibers (they
// park) and plain threads (they block on a kernel futex inside WaitQueue).
#include <time.h>

#include <atomic>
#include <cstdint>

#include "grove/detail/fiber_core.hpp"

namespace grove::threads {

using detail::TimePoint;

// 0 when woken or when *word != expected on entry (the caller re-checks its state: wake-ups may
// be spurious), ETIMEDOUT at `deadline`. Not interruptible: pthread waits never throw.
int futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, TimePoint deadline);
// Wakes up to `count` waiters of `word`; returns how many.
int futex_wake(std::atomic<std::uint32_t>* word, int count);

// An absolute timespec on `clock` (CLOCK_REALTIME or CLOCK_MONOTONIC) as a steady deadline.
// EINVAL for a bad clock or tv_nsec outside [0, 1e9); nullptr means no deadline.
int deadline_from(clockid_t clock, const timespec* abstime, TimePoint& out);

}  // namespace grove::threads
