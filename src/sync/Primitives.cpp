// Event, Semaphore, Lock/RLock timeout forms, Condition, WaitGroup.
#include <memory>

#include "grove/sync.hpp"
#include "sync/Block.hpp"

namespace grove {

using namespace detail;

void Event::set() {
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  flag_.store(true, std::memory_order_release);
  q.notify_all();
}

// No lock: set() raises the flag and wakes the queue in one critical section, so a clear() that
// lands inside it orders after that set() either way (its waiters were woken by it).
void Event::clear() { flag_.store(false, std::memory_order_release); }

bool Event::wait(OptionalTimeout timeout) const {
  const TimePoint deadline = deadline_from(timeout);
  if (flag_.load(std::memory_order_acquire)) return true;
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  if (flag_.load(std::memory_order_acquire)) return true;
  // Only set() notifies this queue, so a wake-up means the flag was set.
  if (block_on(q, lock, deadline)) return true;
  return is_set();
}

Semaphore::Semaphore(std::size_t value, std::size_t bound) : count_(value), bound_(bound) {}

bool Semaphore::acquire_until(TimePoint deadline) {
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  if (count_ > 0) {
    --count_;
    return true;
  }
  // release() hands its permit straight to the first waiter.
  return block_on(q, lock, deadline);
}

void Semaphore::acquire() { acquire_until(kNoDeadline); }
bool Semaphore::acquire(std::chrono::nanoseconds timeout) { return acquire_until(deadline_from(timeout)); }

bool Semaphore::try_acquire() {
  WaitQueue::Lock lock(q_.get().mutex());
  if (count_ == 0) return false;
  --count_;
  return true;
}

void Semaphore::release() {
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  if (Waiter* w = q.claim_one()) {
    WaitQueue::resume(w);
    return;
  }
  if (count_ >= bound_) throw UsageError("grove::BoundedSemaphore::release: released more times than acquired (value would exceed " + std::to_string(bound_) + ")");
  ++count_;
}

std::size_t Semaphore::value() const {
  WaitQueue::Lock lock(q_.get().mutex());
  return count_;
}

Condition::Condition() : own_(std::make_unique<RLock>()), lock_(&static_cast<detail::LockBase<true>&>(*own_).core_) {}
Condition::~Condition() = default;

bool Condition::wait(OptionalTimeout timeout) { return wait_until(deadline_from(timeout)); }

bool Condition::wait_until(TimePoint deadline) {
  if (!lock_->owned_by_caller()) throw UsageError("grove::Condition::wait: the caller must hold the condition's lock");
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  // Released while our waiter is about to be queued under q's lock, which notify() needs, so
  // a notification sent right after the release cannot be missed.
  const std::size_t depth = lock_->release_all();
  FiberControl* self = current_fiber();
  const WakeReason reason = q.wait(lock, deadline, true);
  lock_->acquire_restore(depth);
  if (reason == WakeReason::interrupted) throw_interrupt(self);
  return reason == WakeReason::notified;
}

void Condition::notify(std::size_t n) {
  if (!lock_->owned_by_caller()) throw UsageError("grove::Condition::notify: the caller must hold the condition's lock");
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  while (n-- > 0 && q.notify_one()) {
  }
}

void Condition::notify_all() {
  if (!lock_->owned_by_caller()) throw UsageError("grove::Condition::notify_all: the caller must hold the condition's lock");
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  q.notify_all();
}

void WaitGroup::add(std::int64_t delta) {
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  const std::int64_t now = count_.load(std::memory_order_relaxed) + delta;
  if (now < 0) throw UsageError("grove::WaitGroup: negative counter (done() called more times than add())");
  count_.store(now, std::memory_order_release);
  if (now == 0) q.notify_all();
}

std::int64_t WaitGroup::count() const { return count_.load(std::memory_order_acquire); }

bool WaitGroup::wait(OptionalTimeout timeout) const {
  const TimePoint deadline = deadline_from(timeout);
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  while (count_.load(std::memory_order_acquire) != 0) {
    if (!block_on(q, lock, deadline)) return count() == 0;
    lock.lock();
  }
  return true;
}

}  // namespace grove
