#pragma once
// Runtime pieces that the synchronisation headers embed. Users never touch these.
#include <atomic>
#include <cstddef>
#include <exception>

#include "grove/detail/fiber_core.hpp"

namespace grove::detail {

class WaitQueue;

// Owns a runtime WaitQueue (its layout stays inside libgrove).
class WaitQueueBox {
 public:
  WaitQueueBox();
  ~WaitQueueBox();
  WaitQueueBox(const WaitQueueBox&) = delete;
  WaitQueueBox& operator=(const WaitQueueBox&) = delete;
  WaitQueue& get() const { return *q_; }

 private:
  WaitQueue* q_;
};

// The state of Lock and RLock: an owner (fiber or thread), a recursion depth, FIFO hand-off.
class LockCore {
 public:
  explicit LockCore(bool recursive) : recursive_(recursive) {}
  bool acquire(TimePoint deadline, bool interruptible = true);  // false on timeout
  bool try_acquire();
  void release();
  bool locked() const;
  bool owned_by_caller() const;
  // Condition support: drop every level of ownership / take it back (not interruptible).
  std::size_t release_all();
  void acquire_restore(std::size_t depth);

 private:
  void hand_off_or_unlock();
  void spin_until_free();
  WaitQueueBox q_;
  std::atomic<FiberControl*> owner_{nullptr};  // written under q_'s lock; spinners peek without it
  std::size_t depth_ = 0;
  const bool recursive_;
};

// The non-templated half of AsyncResult<T>: readiness, the exception, the waiters.
class ResultCore {
 public:
  // Runs `store(ctx)` and publishes the result, under the lock; UsageError if already set.
  void set(void (*store)(void*), void* ctx, std::exception_ptr error);
  bool wait(TimePoint deadline) const;  // false on timeout
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  std::exception_ptr error() const { return ready() ? error_ : nullptr; }
  WaitQueue& wait_queue() const { return q_.get(); }

 private:
  WaitQueueBox q_;
  std::atomic<bool> ready_{false};
  std::exception_ptr error_;
};

}  // namespace grove::detail
