#pragma once
// grove::Lock and grove::RLock (gevent.lock, threading): mutual exclusion between fibers and
// threads, FIFO hand-off, with std::lock_guard / std::unique_lock support.
#include <chrono>

#include "grove/detail/sync_core.hpp"
#include "grove/waitable.hpp"

namespace grove {

class Condition;

namespace detail {

// What Lock and RLock share; only recursion differs.
template <bool Recursive>
class LockBase {
 public:
  LockBase() = default;
  LockBase(const LockBase&) = delete;
  LockBase& operator=(const LockBase&) = delete;

  // Blocks until free. Throws the fiber's interrupt (FiberExit, grove::Timeout).
  void acquire() { core_.acquire(kNoDeadline); }
  // False if `timeout` passed first.
  bool acquire(std::chrono::nanoseconds timeout) { return core_.acquire(deadline_from(timeout)); }
  bool try_acquire() { return core_.try_acquire(); }
  void release() { core_.release(); }
  bool locked() const { return core_.locked(); }

  // BasicLockable / TimedLockable, for std::lock_guard and std::unique_lock.
  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() { return try_acquire(); }
  template <typename Rep, typename Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d) {
    return acquire(std::chrono::duration_cast<std::chrono::nanoseconds>(d));
  }

 protected:
  friend class grove::Condition;
  LockCore core_{Recursive};
};

}  // namespace detail

// Not reentrant: the holder acquiring again would wait forever, so it throws UsageError instead
// (use RLock). Any fiber or thread may release it (as Python's Lock); releasing an unlocked
// Lock throws UsageError.
class Lock : public detail::LockBase<false> {};

// Reentrant: the owner may acquire again and must release as many times. Releasing by a
// fiber/thread that does not own it throws UsageError.
class RLock : public detail::LockBase<true> {
 public:
  bool owned() const { return core_.owned_by_caller(); }
};

}  // namespace grove
