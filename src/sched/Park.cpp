#include "sched/Park.hpp"

#include <cerrno>
#include <ctime>

#include "sched/Runtime.hpp"
#include "sched/Worker.hpp"
#include "sys/Sys.hpp"
#include "sys/Timeout.hpp"

namespace grove::detail {
namespace {

// Tokens carry the park's interruptibility in bit 0 so interrupters need no other state.
constexpr std::uint64_t kInterruptibleBit = 1;

void fire_park_timer(TimerNode* node);

struct ParkTimer : TimerNode {
  FiberControl* fiber = nullptr;
  std::uint64_t token = 0;
};

void fire_park_timer(TimerNode* node) {
  auto* t = static_cast<ParkTimer*>(node);
  unpark(t->fiber, t->token, WakeReason::timed_out, true);
}


// A plain thread parks on its futex word; a timeout must still win the token race to count.
__attribute__((noinline)) WakeReason park_thread(FiberControl* self, const ParkTicket& ticket, TimePoint deadline) {
  auto* word = reinterpret_cast<std::uint32_t*>(&self->thread_wake);
  bool waiting_for_claimer = false;
  while (self->thread_wake.load(std::memory_order_acquire) == 0) {
    if (self->thread_alarm <= Clock::now() && self->on_thread_alarm) {
      self->on_thread_alarm(self);  // may post an interrupt that claims this park
      continue;
    }
    const TimePoint wake_at = std::min(deadline, self->thread_alarm);
    if (waiting_for_claimer || wake_at == kNoDeadline) {
      sys::futex_wait(word, 0, nullptr);
      continue;
    }
    if (Clock::now() >= deadline) {
      if (claim(self, ticket.token, WakeReason::timed_out)) break;
      waiting_for_claimer = true;  // a waker claimed us first; its futex wake is on its way
      continue;
    }
    timespec ts = sys::time_left(wake_at);
    sys::futex_wait(word, 0, &ts);
  }
  self->thread_wake.store(0, std::memory_order_relaxed);
  return self->wake_reason;
}

// Out of line: parks without a deadline need no timer on the stack.
__attribute__((noinline)) WakeReason park_with_timer(FiberControl* self, const ParkTicket& ticket, TimePoint deadline, Worker* w,
                                                     FiberControl* next);

}  // namespace

ParkTicket prepare_park(bool interruptible) {
  const ParkTicket ticket = prepare_park_before_rmw(interruptible);
  ticket.fiber->park_token.store(ticket.token, std::memory_order_seq_cst);
  return ticket;
}

ParkTicket prepare_park_before_rmw(bool interruptible) {
  Worker* w = Worker::current();
  FiberControl* self = w ? w->running_fiber() : current_fiber();
  std::uint64_t token = (++self->park_epoch << 1) | (interruptible ? kInterruptibleBit : 0);
  self->wake_reason = WakeReason::none;
#if defined(__x86_64__)
  self->park_token.store(token, std::memory_order_release);
#else
  self->park_token.store(token, std::memory_order_seq_cst);
#endif
  return ParkTicket{self, token};
}

WakeReason park(const ParkTicket& ticket, TimePoint deadline, bool interruptible, FiberControl* next) {
  FiberControl* self = ticket.fiber;
  // Pairs with post_interrupt(): it sets the flag then tries the token; we published the token
  // then read the flag, so one of us sees the other.
  WakeReason early = WakeReason::none;
  if (interruptible && self->interrupt_pending.load(std::memory_order_seq_cst)) {
    if (claim(self, ticket.token, WakeReason::interrupted)) early = WakeReason::interrupted;
  }
  if (early == WakeReason::none && deadline != kNoDeadline && deadline <= Clock::now()) {
    if (claim(self, ticket.token, WakeReason::timed_out)) early = WakeReason::timed_out;
  }
  if (early != WakeReason::none) {
    if (next) resume(next, true);  // we will not run it now: queue it like any runnable fiber
    return early;
  }
  Worker* w = Worker::current();
  if (self->kind == FiberKind::thread || !w) return park_thread(self, ticket, deadline);
  if (deadline == kNoDeadline) {
    // Suspend even if a waker already claimed us: it has queued us and will run us.
    if (next) {
      w->suspend_to(next);
    } else {
      w->suspend(PostAction::none);
    }
    return self->wake_reason;
  }
  return park_with_timer(self, ticket, deadline, w, next);
}

namespace {
WakeReason park_with_timer(FiberControl* self, const ParkTicket& ticket, TimePoint deadline, Worker* w, FiberControl* next) {
  ParkTimer timer;
  timer.deadline = deadline;
  timer.fire = &fire_park_timer;
  timer.fiber = self;
  timer.token = ticket.token;
  w->timers.add(&timer);
  if (next) {
    w->suspend_to(next);
  } else {
    w->suspend(PostAction::none);
  }
  TimerHeap::cancel(&timer);
  return self->wake_reason;
}
}  // namespace

void resume(FiberControl* f, bool fifo) {
  if (f->kind == FiberKind::thread) {
    f->thread_wake.store(1, std::memory_order_release);
    sys::futex_wake(reinterpret_cast<std::uint32_t*>(&f->thread_wake), 1);
    return;
  }
  if (Worker* w = Worker::current()) {
    w->make_runnable(f, fifo);
  } else {
    Runtime::get()->inject(f);
  }
}

bool unpark_any(FiberControl* f, WakeReason reason) {
  std::uint64_t token = f->park_token.load(std::memory_order_seq_cst);
  if (token == 0 || !(token & kInterruptibleBit)) return false;
  return unpark(f, token, reason);
}

}  // namespace grove::detail
