#pragma once
// grove::Lock and grove::RLock (gevent.lock, threading): mutual exclusion between fibers and
// threads, FIFO hand-off, with std::lock_guard / std::unique_lock support.
#include <chrono>

#include "grove/detail/sync_core.hpp"

namespace grove {

class Condition;

class Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Blocks until free. The holder acquiring again would wait forever, so it throws UsageError
  // instead (use RLock for recursion). Throws the fiber's interrupt (FiberExit, Timeout).
  void acquire() { core_.acquire(detail::kNoDeadline); }
  bool acquire(std::chrono::nanoseconds timeout);  // false if `timeout` passed first
  bool try_acquire() { return core_.try_acquire(); }
  // Any fiber or thread may release (as Python's Lock); releasing an unlocked Lock throws UsageError.
  void release() { core_.release(); }
  bool locked() const { return core_.locked(); }

  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() { return try_acquire(); }
  template <typename Rep, typename Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    return acquire(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }

 private:
  friend class Condition;
  detail::LockCore core_{false};
};

// Reentrant: the owner may acquire again and must release as many times. Releasing by a
// fiber/thread that does not own it throws UsageError.
class RLock {
 public:
  RLock() = default;
  RLock(const RLock&) = delete;
  RLock& operator=(const RLock&) = delete;

  void acquire() { core_.acquire(detail::kNoDeadline); }
  bool acquire(std::chrono::nanoseconds timeout);
  bool try_acquire() { return core_.try_acquire(); }
  void release() { core_.release(); }
  bool locked() const { return core_.locked(); }
  bool owned() const { return core_.owned_by_caller(); }

  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() { return try_acquire(); }
  template <typename Rep, typename Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    return acquire(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }

 private:
  friend class Condition;
  detail::LockCore core_{true};
};

}  // namespace grove
