// WaitQueueBox, LockCore (Lock, RLock) and ResultCore (AsyncResult).
#include "grove/detail/sync_core.hpp"
#include "grove/errors.hpp"
#include "sync/Block.hpp"

namespace grove::detail {

WaitQueueBox::WaitQueueBox() : q_(new WaitQueue) {}
WaitQueueBox::~WaitQueueBox() { delete q_; }

bool LockCore::acquire(TimePoint deadline, bool interruptible) {
  FiberControl* self = current_fiber();
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  if (!owner_) {
    owner_ = self;
    depth_ = 1;
    return true;
  }
  if (owner_ == self) {
    if (!recursive_) throw UsageError("grove::Lock::acquire: the caller already holds this Lock (it would wait forever; use RLock)");
    ++depth_;
    return true;
  }
  // Critical sections are usually short: with other workers able to run the owner, spin a
  // little before parking (as Go's sync.Mutex). Queued waiters keep FIFO order: release() hands
  // the lock to them directly, so a spinner only wins a lock that nobody is queued for.
  if (q.empty()) {
    lock.unlock();
    spin_until_free();
    lock.lock();
    if (!owner_) {
      owner_ = self;
      depth_ = 1;
      return true;
    }
  }
  // release() hands ownership straight to the first waiter, so a wake-up means we own it.
  return block_on(q, lock, deadline, nullptr, interruptible);
}

bool LockCore::try_acquire() {
  FiberControl* self = current_fiber();
  WaitQueue::Lock lock(q_.get().mutex());
  if (!owner_) {
    owner_ = self;
    depth_ = 1;
    return true;
  }
  if (owner_ == self && recursive_) {
    ++depth_;
    return true;
  }
  return false;
}

void LockCore::release() {
  WaitQueue::Lock lock(q_.get().mutex());
  if (!owner_) throw UsageError(recursive_ ? "grove::RLock::release: not locked" : "grove::Lock::release: not locked");
  if (recursive_) {
    if (owner_ != current_fiber()) throw UsageError("grove::RLock::release: the caller does not own this RLock");
    if (--depth_ > 0) return;
  }
  hand_off_or_unlock();
}

void LockCore::spin_until_free() {
  static const bool multi_worker = runtime().workers.size() > 1;
  if (!multi_worker) return;
  for (int i = 0; i < 256 && owner_.load(std::memory_order_relaxed); ++i) cpu_relax();
}

// With the queue lock held (released on return).
void LockCore::hand_off_or_unlock() {
  WaitQueue& q = q_.get();
  if (Waiter* w = q.claim_one()) {
    owner_ = w->fiber;
    depth_ = 1;
    WaitQueue::resume(w);
  } else {
    owner_ = nullptr;
    depth_ = 0;
  }
}

bool LockCore::locked() const {
  WaitQueue::Lock lock(q_.get().mutex());
  return owner_ != nullptr;
}

bool LockCore::owned_by_caller() const {
  FiberControl* self = current_fiber();
  WaitQueue::Lock lock(q_.get().mutex());
  return owner_ == self;
}

std::size_t LockCore::release_all() {
  WaitQueue::Lock lock(q_.get().mutex());
  const std::size_t depth = depth_;
  hand_off_or_unlock();
  return depth;
}

void LockCore::acquire_restore(std::size_t depth) {
  acquire(kNoDeadline, false);
  WaitQueue::Lock lock(q_.get().mutex());
  depth_ = depth;
}

void ResultCore::set(void (*store)(void*), void* ctx, std::exception_ptr error) {
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  if (ready_.load(std::memory_order_relaxed)) throw UsageError("grove::AsyncResult: already set");
  if (store) store(ctx);
  error_ = std::move(error);
  ready_.store(true, std::memory_order_release);
  q.notify_all();
}

bool ResultCore::wait(TimePoint deadline) const {
  WaitQueue& q = q_.get();
  WaitQueue::Lock lock(q.mutex());
  while (!ready_.load(std::memory_order_acquire)) {
    if (!block_on(q, lock, deadline)) return ready_.load(std::memory_order_acquire);
    lock.lock();
  }
  return true;
}

}  // namespace grove::detail
