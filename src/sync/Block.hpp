#pragma once
// The blocking step every user-facing primitive shares.
#include "api/Bootstrap.hpp"
#include "sync/WaitQueue.hpp"

namespace grove::detail {

// With `lock` held: parks on `q` until notified (true) or `deadline` (false). Returns with the
// lock released. An interrupt (kill, grove::Timeout) is thrown; a notification that won the race
// against it is kept (the caller got what it waited for) and the interrupt fires later.
inline bool block_on(WaitQueue& q, WaitQueue::Lock& lock, TimePoint deadline, Waiter* waiter = nullptr, bool interruptible = true) {
  FiberControl* self = current_fiber();
  switch (q.wait(lock, deadline, interruptible, waiter)) {
    case WakeReason::notified:
      return true;
    case WakeReason::interrupted:
      throw_interrupt(self);
    default:
      return false;
  }
}

}  // namespace grove::detail
