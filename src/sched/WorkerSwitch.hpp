#pragma once
// The switch path, inlined into Worker.cpp, Spare.cpp and (grove::yield's part) ThisFiber.cpp: a
// yield or park is one call into libgrove, not a chain of them.
#include <cerrno>

#include "context/GuardHandler.hpp"
#include "sched/Runtime.hpp"
#include "sched/Worker.hpp"

namespace grove::detail {

inline constexpr std::uintptr_t kSpawnTag = 1;  // low bit of a run-queue entry: a fiber's spawn entry
inline bool is_spawn_entry(FiberControl* e) { return reinterpret_cast<std::uintptr_t>(e) & kSpawnTag; }
inline FiberControl* tag_spawn(FiberControl* f) { return reinterpret_cast<FiberControl*>(reinterpret_cast<std::uintptr_t>(f) | kSpawnTag); }
inline FiberControl* untag(FiberControl* e) { return reinterpret_cast<FiberControl*>(reinterpret_cast<std::uintptr_t>(e) & ~kSpawnTag); }


__attribute__((always_inline)) inline void Worker::push_ring(FiberControl* entry) {
  if (!ring.push(entry)) [[unlikely]] push_overflow(entry);
}

__attribute__((always_inline)) inline void Worker::push_tail(FiberControl* f) {
  if (f->pinned) [[unlikely]] {
    pinned_queue.push(f, ring.pushed());
  } else {
    push_ring(f);
  }
}

__attribute__((always_inline)) inline bool Worker::has_room_for(const FiberControl* f) const {
  return f->pinned ? !pinned_queue.full() : ring.has_room();
}

__attribute__((always_inline)) inline void Worker::push_tail_unchecked(FiberControl* f) {
  if (f->pinned) {
    pinned_queue.push_unchecked(f, ring.pushed());
  } else {
    ring.push_unchecked(f);
  }
}

// The pinned queue's head was queued before every ring entry not yet taken: it goes first.
__attribute__((always_inline)) inline bool Worker::pinned_turn() const {
  return static_cast<std::int32_t>(ring.consumed() - pinned_queue.front().ring_mark) >= 0;
}

// A plain entry is the fiber itself; a spawn entry needs its claim (claim_spawn_entry).
__attribute__((always_inline)) inline FiberControl* Worker::claim_entry(FiberControl* entry) {
  if (!is_spawn_entry(entry)) [[likely]] return entry;
  return claim_spawn_entry(entry);
}

// The next queued entry, unclaimed: the pinned queue and the ring interleaved in arrival order.
__attribute__((always_inline)) inline FiberControl* Worker::pop_queued() {
  // Never pop_exclusive: a spare may steal from a stuck single worker.
  if (pinned_queue.empty()) [[likely]] return ring.pop();
  FiberControl* entry;
  if (pinned_turn() || !(entry = ring.pop())) entry = pinned_queue.pop();
  return entry;
}

__attribute__((always_inline)) inline FiberControl* Worker::take_local() {
  for (;;) {
    if (runnext.load(std::memory_order_relaxed)) {
      if (FiberControl* f = runnext.exchange(nullptr, std::memory_order_acquire)) {
        ++runnext_streak_;
        return from_next(f);
      }
    }
    FiberControl* entry = pop_queued();
    if (!entry) return nullptr;
    if (FiberControl* f = claim_entry(entry)) {
      runnext_streak_ = 0;
      return f;
    }
  }
}

__attribute__((always_inline)) inline bool Worker::needs_attention() {
  return --fair_countdown_ <= 0 || needs_check.load(std::memory_order_relaxed) || !inbox.empty();
}

__attribute__((always_inline)) inline FiberControl* Worker::next_fast() {
  if (needs_attention()) [[unlikely]] return nullptr;
  return take_local();
}

// What every switch from `self` to `next` records before its jump (the monitor watches the count).
__attribute__((always_inline)) inline void Worker::hand_cpu(FiberControl* self, FiberControl* next) {
  self->saved_errno = *errno_;
  next->on_cpu.store(true, std::memory_order_relaxed);
  running.store(next, std::memory_order_relaxed);
  switches.store(switches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Ordinary fibers share the worker's TLS; a thread-fiber (or leaving one) needs FS switched.
__attribute__((always_inline)) inline bool Worker::needs_tls_switch(const FiberControl* next) const {
  return (reinterpret_cast<std::uintptr_t>(next->tls) | foreign_tp_) != 0;
}

__attribute__((always_inline)) inline bool stack_overflowed(const FiberControl* f) {
  return f->stack && !f->stack.guarded && !canary_intact(f->stack);
}

// Every switch saves the left context and restores the next one's errno, so a resumed context
// has nothing to do but free a finished fiber it replaced (retire_on_resume), unless
// kNeedsAfterSwitch.
__attribute__((always_inline)) inline void Worker::switch_to(FiberControl* next, PostAction action) {
  FiberControl* self = running_fiber();
  if (stack_overflowed(self)) [[unlikely]] report_stack_overflow(self);
  // A fiber woken before it finished switching out is still on its old CPU: wait (briefly).
  while (next->on_cpu.load(std::memory_order_acquire)) [[unlikely]] cpu_relax();
  hand_cpu(self, next);
  pending_prev_ = self;
  if (action == PostAction::requeue) {
    push_tail(self);  // a thief that takes it waits until the switch below has saved it (on_cpu)
  } else if (action == PostAction::release) [[unlikely]] {
    pending_retire_ = self;
    next->retire_on_resume = true;
  }
  sanitizer_before_switch(self->san, next->san, action == PostAction::release);
  // Ordinary fibers share the worker's TLS: one predictable branch. Nothing below may touch TLS.
  if (needs_tls_switch(next)) [[unlikely]] switch_thread_pointer(next);
  *errno_ = next->saved_errno;
  if (kFastSwitch && action == PostAction::release) {
    // A finished fiber never resumes, so no return of ours pairs with the switch: end it in
    // `pop; jmp`, whose target the branch predictor learns, not in a `ret` that is always
    // mispredicted (a fiber that jumped from its own frame, as Fiber::join does, then runs on
    // with no mispredicted returns at all).
    grove_yield_jump(next->fctx, self);
    __builtin_unreachable();
  }
  // With kNeedsAfterSwitch, after_switch still reads the left fiber: it lets go of it (on_cpu).
  const Transfer t = switch_fiber(next->fctx, this, &self->fctx, kNeedsAfterSwitch ? &jump_scratch_ : &self->on_cpu);
  if constexpr (kNeedsAfterSwitch) current_after_switch()->after_switch(t.fctx);
  if (self->retire_on_resume) [[unlikely]] retire_after_switch();
}

__attribute__((always_inline)) inline bool Worker::prepare_jump(FiberControl* self, FiberControl* next, YieldStep* step) {
  if (!kFastSwitch || needs_tls_switch(next) || stack_overflowed(self)) {
    return false;
  }
  while (next->on_cpu.load(std::memory_order_acquire)) [[unlikely]] cpu_relax();
  hand_cpu(self, next);
  *errno_ = next->saved_errno;
  *step = YieldStep{next->fctx, self};
  return true;
}

// grove::yield's work before its jump (the inline yield jumps from its caller's frame, see
// scheduler.hpp). Its common case, a plain queued fiber next and nothing else to do, calls
// nothing, so it saves no registers; anything else yields through the general path right here.
__attribute__((always_inline)) inline YieldStep Worker::yield_step(FiberControl* self) {
  FiberControl* entry = nullptr;
  const bool attention = needs_attention();
  if (kFastSwitch && !attention && !runnext.load(std::memory_order_relaxed)) [[likely]] {
    entry = pop_queued();
    FiberControl* next = entry;
    if (next && !is_spawn_entry(next) && !next->on_cpu.load(std::memory_order_acquire) && !needs_tls_switch(next) &&
        !stack_overflowed(self) && has_room_for(self)) [[likely]] {
      hand_cpu(self, next);
      push_tail_unchecked(self);  // a thief that takes it waits for the jump to clear its on_cpu
      *errno_ = next->saved_errno;
      return YieldStep{next->fctx, self};
    }
  }
  return yield_slow(entry, attention);
}

}  // namespace grove::detail
