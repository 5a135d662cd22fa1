#pragma once
// The state behind every queue and channel (see include/grove/detail/chan_core.hpp). One spin
// lock guards the buffer and all wait lists. Items are handed straight to a parked waiter: the
// waker claims its park token first (WaitQueue::claim_one), so a waiter that timed out or was
// interrupted can never be handed an item, and a select's other cases can never fire too.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "grove/detail/chan_core.hpp"
#include "sync/WaitQueue.hpp"

namespace grove::detail {

// What a parked getter or putter exposes through Waiter::data.
struct Handoff {
  void* item = nullptr;    // putter: T* to move from; getter: std::optional<T>* to fill
  int* fired = nullptr;    // select: where the waker writes `index`
  int index = 0;
  ChanStatus status = ChanStatus::ok;
  bool retry = false;      // the waker's transfer threw: the waiter tries again

  void fire(ChanStatus s) {
    status = s;
    if (fired) *fired = index;
  }
};

class ChanCore {
 public:
  ChanCore(ItemBuffer* buffer, std::size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  WaitQueue::Lock lock() { return WaitQueue::Lock(getters_.mutex()); }
  SpinLock& mutex() { return getters_.mutex(); }

  // With the lock held: do the operation now if possible (ok / closed), else would_block.
  ChanStatus try_send_locked(void* item);
  ChanStatus try_recv_locked(void* slot);
  ChanStatus try_peek_locked(void* slot);
  WaitQueue& waiters(bool putters) { return putters ? putters_ : getters_; }

  // A put (`item`: T* to move from) or a get (`item`: std::optional<T>* to fill); waits if `block`.
  ChanStatus transfer(bool is_put, void* item, TimePoint deadline, bool block);
  ChanStatus peek(void* slot, TimePoint deadline, bool block);
  bool close();

  bool closed() const { return closed_.load(std::memory_order_acquire); }
  std::size_t size();
  std::size_t capacity() const { return capacity_; }
  std::size_t unfinished();
  void task_done();
  bool join(TimePoint deadline, bool interruptible);

 private:
  void item_accepted();
  void refill_from_putter();
  ChanStatus hand_over(Waiter* w, void* from, void* to);

  ItemBuffer* buffer_;
  std::size_t capacity_;
  std::atomic<bool> closed_{false};  // written under the lock; read without it by closed()
  std::size_t unfinished_ = 0;  // JoinableQueue's count of items put and not yet task_done()
  WaitQueue getters_;           // its mutex guards everything here
  WaitQueue putters_;
  WaitQueue peekers_;
  WaitQueue joiners_;
};

// Rethrows the caller's pending interrupt after a wait reported WakeReason::interrupted.
[[noreturn]] void throw_current_interrupt();

}  // namespace grove::detail
