#pragma once
// grove::Condition (threading.Condition): wait for a notification while holding a Lock or RLock.
#include <chrono>
#include <concepts>
#include <memory>

#include "grove/sync/lock.hpp"
#include "grove/waitable.hpp"

namespace grove {

class Condition {
 public:
  Condition();  // with a lock of its own (an RLock, as Python)
  template <bool Recursive>
  explicit Condition(detail::LockBase<Recursive>& lock) : lock_(&lock.core_) {}  // a Lock or an RLock
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;
  ~Condition();

  // The underlying lock.
  void acquire() { lock_->acquire(detail::kNoDeadline); }
  void release() { lock_->release(); }
  void lock() { acquire(); }
  void unlock() { release(); }

  // The caller must hold the lock (UsageError otherwise). Releases it entirely (every RLock
  // level), waits for notify/notify_all or `timeout`, and reacquires it before returning (even
  // when an interrupt is thrown). Returns false on timeout.
  bool wait(OptionalTimeout timeout = std::nullopt);
  template <typename Pred>
    requires std::predicate<Pred&>
  bool wait(OptionalTimeout timeout, Pred pred) {
    const detail::TimePoint deadline = detail::deadline_from(timeout);
    while (!pred()) {
      if (!wait_until(deadline)) return pred();
    }
    return true;
  }
  template <typename Pred>
    requires std::predicate<Pred&>
  void wait(Pred pred) {
    wait(std::nullopt, std::move(pred));
  }
  bool wait_for(std::chrono::nanoseconds timeout) { return wait(timeout); }
  template <typename Pred>
    requires std::predicate<Pred&>
  bool wait_for(std::chrono::nanoseconds timeout, Pred pred) {
    return wait(timeout, std::move(pred));
  }

  // Wake the `n` longest waiters / all of them. The caller must hold the lock.
  void notify(std::size_t n = 1);
  void notify_all();

 private:
  bool wait_until(detail::TimePoint deadline);
  std::unique_ptr<RLock> own_;
  detail::LockCore* lock_;
  detail::WaitQueueBox q_;
};

}  // namespace grove
