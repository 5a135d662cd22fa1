#include "sync/WaitQueue.hpp"

#include "sched/Park.hpp"

namespace grove::detail {

WakeReason WaitQueue::wait(Lock& lock, TimePoint deadline, bool interruptible, Waiter* waiter, FiberControl* next) {
  Waiter local;
  Waiter* w = waiter ? waiter : &local;
  const ParkTicket ticket = prepare_park(interruptible);
  w->fiber = ticket.fiber;
  w->token = ticket.token;
  push_back(w);
  lock.unlock();
  const WakeReason reason = park(ticket, deadline, interruptible, next);
  if (reason != WakeReason::notified) {
    // Timed out or interrupted: leave the queue unless a notifier already took us out.
    lock.lock();
    if (w->linked) unlink(w);
    lock.unlock();
  }
  return reason;
}

Waiter* WaitQueue::claim_one() {
  while (Waiter* w = head_) {
    unlink(w);
    if (claim(w->fiber, w->token, WakeReason::notified)) return w;
  }
  return nullptr;
}

Waiter* WaitQueue::claim_matching(const void* data) {
  for (Waiter* w = head_; w;) {
    Waiter* next = w->next;
    if (w->data == data) {
      unlink(w);
      if (claim(w->fiber, w->token, WakeReason::notified)) return w;
    }
    w = next;
  }
  return nullptr;
}

void WaitQueue::resume(Waiter* w) { detail::resume(w->fiber, false); }

bool WaitQueue::notify_one() {
  Waiter* w = claim_one();
  if (!w) return false;
  resume(w);
  return true;
}

std::size_t WaitQueue::notify_all(WakeReason reason) {
  std::size_t woken = 0;
  while (Waiter* w = head_) {
    unlink(w);
    FiberControl* f = w->fiber;
    // `w` may vanish as soon as the fiber runs: read it before resuming.
    if (claim(f, w->token, reason)) {
      detail::resume(f, true);
      ++woken;
    }
  }
  return woken;
}

std::size_t WaitQueue::notify_all() { return notify_all(WakeReason::notified); }

void WaitQueue::push_back(Waiter* w) {
  w->next = nullptr;
  w->prev = tail_;
  if (tail_) {
    tail_->next = w;
  } else {
    head_ = w;
  }
  tail_ = w;
  w->linked = true;
  ++size_;
}

void WaitQueue::unlink(Waiter* w) {
  if (w->prev) {
    w->prev->next = w->next;
  } else {
    head_ = w->next;
  }
  if (w->next) {
    w->next->prev = w->prev;
  } else {
    tail_ = w->prev;
  }
  w->prev = w->next = nullptr;
  w->linked = false;
  --size_;
}

}  // namespace grove::detail
