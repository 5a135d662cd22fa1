#pragma once
// The runtime's own mutex: a three-state futex lock (0 free, 1 held, 2 held with sleepers), as in
// Drepper's "Futexes Are Tricky". Not std::mutex: under GROVE_THREADS=fibers the shim turns
// pthread_mutex_* into grove's fiber-aware versions, which are built on this runtime.
// Uncontended lock + unlock is one CAS and one exchange, like glibc's pthread_mutex.
#include <atomic>
#include <cstdint>

#include "sys/Sys.hpp"

namespace grove::sys {

class FutexLock {
 public:
  void lock() noexcept {
    std::uint32_t expected = 0;
    if (state_.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed)) [[likely]] {
      return;
    }
    lock_contended();
  }
  bool try_lock() noexcept {
    std::uint32_t expected = 0;
    return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed);
  }
  void unlock() noexcept {
    if (state_.exchange(0, std::memory_order_release) == 2) [[unlikely]] wake_one();
  }

 private:
  // Both slow paths keep errno: the lock is taken between a fiber's last libc call and the
  // switch that saves its errno (as glibc's internal futex calls never touch errno).
  __attribute__((noinline)) void lock_contended() noexcept {
    const int saved_errno = errno;
    // Mark the lock contended before sleeping so the holder's unlock wakes us.
    while (state_.exchange(2, std::memory_order_acquire) != 0) {
      futex_wait(reinterpret_cast<std::uint32_t*>(&state_), 2, nullptr);
    }
    errno = saved_errno;
  }
  __attribute__((noinline)) void wake_one() noexcept {
    const int saved_errno = errno;
    futex_wake(reinterpret_cast<std::uint32_t*>(&state_), 1);
    errno = saved_errno;
  }

  std::atomic<std::uint32_t> state_{0};
};
static_assert(sizeof(FutexLock) == 4);

}  // namespace grove::sys
