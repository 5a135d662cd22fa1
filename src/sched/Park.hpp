#pragma once
// Parking and waking fibers. A park publishes a token; wakers (a notifier, a timer, the poller,
// an interrupt) race to claim it with one CAS, so a fiber is woken exactly once per park.
#include <cstdint>

#include "fiber/FiberControl.hpp"

namespace grove::detail {

struct ParkTicket {
  FiberControl* fiber;
  std::uint64_t token;
};

// Publishes a fresh token for the running fiber (or thread). Waiter records must be queued
// between this and park().
ParkTicket prepare_park(bool interruptible = true);
// The same, for a caller whose next atomic operation is a read-modify-write (before it parks):
// the token's store then needs no fence of its own on x86-64, where that RMW is a locked
// instruction, a full barrier, so the token is visible to interrupters before park() reads
// interrupt_pending (the store-load order prepare_park's seq_cst store gives).
ParkTicket prepare_park_before_rmw(bool interruptible = true);

// Suspends until woken with the ticket, `deadline` passes (timed_out), or an interrupt is posted
// (interrupted, only when `interruptible`). Plain threads block on a futex.
// `next`, if given, is a runnable fiber the caller has claimed to run instead of the queue's head.
WakeReason park(const ParkTicket& ticket, TimePoint deadline, bool interruptible = true, FiberControl* next = nullptr);

// Claims the ticket without running the fiber yet (so a primitive can hand it data first);
// false if someone else woke it first. Follow a successful claim with resume().
inline bool claim(FiberControl* fiber, std::uint64_t token, WakeReason reason) {
  std::uint64_t expected = token;
  if (!fiber->park_token.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return false;
  fiber->wake_reason = reason;
  return true;
}
// Makes a claimed fiber runnable. `fifo`: queue behind other runnable fibers instead of running
// next (broadcast wakes keep their order).
void resume(FiberControl* fiber, bool fifo = false);
inline bool unpark(FiberControl* fiber, std::uint64_t token, WakeReason reason, bool fifo = false) {
  if (!claim(fiber, token, reason)) return false;
  resume(fiber, fifo);
  return true;
}

// Wakes the fiber if it is parked at all (interrupts and kills). Returns whether it was.
bool unpark_any(FiberControl* fiber, WakeReason reason);

}  // namespace grove::detail
