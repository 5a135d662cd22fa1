#pragma once
// A test-and-test-and-set lock for the runtime's tiny critical sections (wait queues, fd entries).
// After a short spin it yields the CPU through the raw syscall, never through a hooked one.
#include <atomic>

#include "context/Switch.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {

class SpinLock {
 public:
  void lock() noexcept {
    for (int spins = 0;; ++spins) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 64) {
          cpu_relax();
        } else {
          sys::sched_yield();
        }
      }
    }
  }
  bool try_lock() noexcept { return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace grove::detail
