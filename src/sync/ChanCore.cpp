#include "sync/ChanCore.hpp"

#include <string>

#include "api/Bootstrap.hpp"
#include "grove/errors.hpp"
#include "sched/Park.hpp"

namespace grove::detail {
namespace {

Handoff* handoff_of(Waiter* w) { return static_cast<Handoff*>(w->data); }

// A claimed waiter whose transfer threw is sent back to try again, so it is never left parked.
void resume_for_retry(Waiter* w) {
  handoff_of(w)->retry = true;
  WaitQueue::resume(w);
}

}  // namespace

void throw_current_interrupt() { throw_interrupt(current_fiber()); }

void ChanCore::item_accepted() { ++unfinished_; }

// Moves an item straight between a sender and a receiver, one of them the claimed waiter `w`. If
// the move throws, `w` is woken to retry and the exception reaches the caller.
ChanStatus ChanCore::hand_over(Waiter* w, void* from, void* to) {
  try {
    buffer_->move_into(from, to);
  } catch (...) {
    resume_for_retry(w);
    throw;
  }
  item_accepted();
  handoff_of(w)->fire(ChanStatus::ok);
  WaitQueue::resume(w);
  return ChanStatus::ok;
}

ChanStatus ChanCore::try_send_locked(void* item) {
  if (closed_.load(std::memory_order_relaxed)) return ChanStatus::closed;
  // A waiting getter means the buffer is empty: hand the item over directly.
  if (Waiter* w = getters_.claim_one()) {
    return hand_over(w, item, handoff_of(w)->item);
  }
  if (buffer_->size() >= capacity_) return ChanStatus::would_block;
  buffer_->push(item);
  item_accepted();
  peekers_.notify_all();
  return ChanStatus::ok;
}

// After a get made room, the longest-waiting putter's item moves into the buffer (FIFO putters).
void ChanCore::refill_from_putter() {
  if (buffer_->size() >= capacity_) return;
  Waiter* w = putters_.claim_one();
  if (!w) return;
  Handoff* h = handoff_of(w);
  try {
    buffer_->push(h->item);
  } catch (...) {
    resume_for_retry(w);  // the getter already has its item; the putter meets the error itself
    return;
  }
  item_accepted();
  h->fire(ChanStatus::ok);
  WaitQueue::resume(w);
}

ChanStatus ChanCore::try_recv_locked(void* slot) {
  if (buffer_->size() > 0) {
    buffer_->pop_into(slot);
    refill_from_putter();
    return ChanStatus::ok;
  }
  // Empty buffer with a parked putter: a rendezvous (or a zero-capacity moment) takes from it.
  if (Waiter* w = putters_.claim_one()) {
    return hand_over(w, handoff_of(w)->item, slot);
  }
  return closed_.load(std::memory_order_relaxed) ? ChanStatus::closed : ChanStatus::would_block;
}

ChanStatus ChanCore::try_peek_locked(void* slot) {
  if (buffer_->size() > 0) {
    buffer_->peek_into(slot);
    return ChanStatus::ok;
  }
  return closed_.load(std::memory_order_relaxed) ? ChanStatus::closed : ChanStatus::would_block;
}

// Puts and gets share one path: try now; else park with the item (or the slot to fill) exposed to
// whoever completes the hand-over, which tells us the outcome through the Handoff.
ChanStatus ChanCore::transfer(bool is_put, void* item, TimePoint deadline, bool block) {
  for (;;) {
    WaitQueue::Lock guard = lock();
    ChanStatus status = is_put ? try_send_locked(item) : try_recv_locked(item);
    if (status != ChanStatus::would_block || !block) return status;
    Handoff h;
    h.item = item;
    Waiter waiter;
    waiter.data = &h;
    switch (waiters(is_put).wait(guard, deadline, true, &waiter)) {
      case WakeReason::notified:
        if (h.retry) continue;
        return h.status;
      case WakeReason::interrupted:
        throw_current_interrupt();
      default:
        return ChanStatus::timed_out;
    }
  }
}

ChanStatus ChanCore::peek(void* slot, TimePoint deadline, bool block) {
  WaitQueue::Lock guard = lock();
  for (;;) {
    ChanStatus status = try_peek_locked(slot);
    if (status != ChanStatus::would_block || !block) return status;
    // Peekers are woken whenever an item lands in the buffer, then look again.
    switch (peekers_.wait(guard, deadline, true)) {
      case WakeReason::interrupted:
        throw_current_interrupt();
      case WakeReason::timed_out:
        return ChanStatus::timed_out;
      default:
        guard.lock();
    }
  }
}

bool ChanCore::close() {
  WaitQueue::Lock guard = lock();
  if (closed_.load(std::memory_order_relaxed)) return false;
  closed_.store(true, std::memory_order_release);
  // Getters only wait on an empty buffer, so each of them is now closed and drained.
  while (Waiter* w = getters_.claim_one()) {
    handoff_of(w)->fire(ChanStatus::closed);
    WaitQueue::resume(w);
  }
  while (Waiter* w = putters_.claim_one()) {
    handoff_of(w)->fire(ChanStatus::closed);
    WaitQueue::resume(w);
  }
  peekers_.notify_all();
  return true;
}

std::size_t ChanCore::size() {
  WaitQueue::Lock guard = lock();
  return buffer_->size();
}

std::size_t ChanCore::unfinished() {
  WaitQueue::Lock guard = lock();
  return unfinished_;
}

void ChanCore::task_done() {
  WaitQueue::Lock guard = lock();
  if (unfinished_ == 0) {
    throw UsageError("grove: JoinableQueue::task_done() called more times than items were put");
  }
  if (--unfinished_ == 0) joiners_.notify_all();
}

bool ChanCore::join(TimePoint deadline, bool interruptible) {
  WaitQueue::Lock guard = lock();
  while (unfinished_ > 0) {
    switch (joiners_.wait(guard, deadline, interruptible)) {
      case WakeReason::interrupted:
        throw_current_interrupt();
      case WakeReason::timed_out:
        guard.lock();
        return unfinished_ == 0;
      default:
        guard.lock();
    }
  }
  return true;
}

// --- the boundary the templates call

ChanCore* chan_create(ItemBuffer* buffer, std::size_t capacity) { return new ChanCore(buffer, capacity); }
void chan_destroy(ChanCore* core) noexcept { delete core; }
ChanStatus chan_send(ChanCore* core, void* item, TimePoint deadline, bool block) {
  return core->transfer(true, item, deadline, block);
}
ChanStatus chan_recv(ChanCore* core, void* slot, TimePoint deadline, bool block) {
  return core->transfer(false, slot, deadline, block);
}
ChanStatus chan_peek(ChanCore* core, void* slot, TimePoint deadline, bool block) {
  return core->peek(slot, deadline, block);
}
bool chan_close(ChanCore* core) { return core->close(); }
bool chan_closed(const ChanCore* core) noexcept { return core->closed(); }
std::size_t chan_size(ChanCore* core) noexcept { return core->size(); }
std::size_t chan_capacity(const ChanCore* core) noexcept { return core->capacity(); }
std::size_t chan_unfinished(ChanCore* core) noexcept { return core->unfinished(); }
void chan_task_done(ChanCore* core) { core->task_done(); }
bool chan_join(ChanCore* core, TimePoint deadline, bool interruptible) {
  return core->join(deadline, interruptible);
}

}  // namespace grove::detail
