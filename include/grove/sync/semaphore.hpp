#pragma once
// grove::Semaphore and grove::BoundedSemaphore (gevent.lock / threading): a counter of permits;
// acquire blocks while it is zero. Waiters get permits in FIFO order (a release hands its permit
// straight to the longest waiter, so a late arrival never barges ahead).
#include <chrono>
#include <cstddef>
#include <limits>

#include "grove/detail/sync_core.hpp"
#include "grove/waitable.hpp"

namespace grove {

class Semaphore {
 public:
  explicit Semaphore(std::size_t value = 1) : Semaphore(value, std::numeric_limits<std::size_t>::max()) {}
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Blocks until a permit is free and takes it. Throws the fiber's interrupt.
  void acquire();
  // As acquire(), but gives up after `timeout`: false if no permit was taken.
  bool acquire(std::chrono::nanoseconds timeout);
  bool try_acquire();
  // Returns a permit (wakes the first waiter). BoundedSemaphore: throws UsageError when that
  // would exceed the initial value.
  void release();
  // Permits free now.
  std::size_t value() const;
  bool locked() const { return value() == 0; }

  // BasicLockable / Lockable, for std::lock_guard and std::unique_lock.
  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() { return try_acquire(); }
  template <typename Rep, typename Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    return acquire(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }

 protected:
  Semaphore(std::size_t value, std::size_t bound);

 private:
  bool acquire_until(detail::TimePoint deadline);
  detail::WaitQueueBox q_;
  std::size_t count_;
  const std::size_t bound_;
};

class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(std::size_t value = 1) : Semaphore(value, value) {}
};

}  // namespace grove
