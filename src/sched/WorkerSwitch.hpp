#pragma once
// The switch path, inlined into Worker.cpp and Spare.cpp (the only users): a yield or park is one
// call into libgrove, not a chain of them.
#include <cerrno>

#include "context/GuardHandler.hpp"
#include "sched/Runtime.hpp"
#include "sched/Worker.hpp"

namespace grove::detail {

inline constexpr std::uint32_t kFairnessTicks = 61;  // as Go: check the global queue every 61 schedules

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

// The pinned queue's head was queued before every ring entry not yet taken: it goes first.
__attribute__((always_inline)) inline bool Worker::pinned_turn() const {
  return static_cast<std::int32_t>(ring.consumed() - pinned_queue.front().ring_mark) >= 0;
}

__attribute__((always_inline)) inline FiberControl* Worker::take_local() {
  for (;;) {
    if (runnext.load(std::memory_order_relaxed)) {
      if (FiberControl* f = runnext.exchange(nullptr, std::memory_order_acquire)) return from_next(f);
    }
    FiberControl* entry;
    if (pinned_queue.empty()) [[likely]] {
      entry = ring.pop();  // never pop_exclusive: a spare may steal from a stuck single worker
      if (!entry) return nullptr;
    } else if (pinned_turn() || !(entry = ring.pop())) {
      entry = pinned_queue.pop();
    }
    if (FiberControl* f = claim_entry(entry)) return f;
  }
}

__attribute__((always_inline)) inline FiberControl* Worker::next_fast() {
  if (++tick_ % kFairnessTicks == 0 || needs_check.load(std::memory_order_relaxed) || !inbox.empty()) [[unlikely]] {
    return nullptr;
  }
  return take_local();
}

__attribute__((always_inline)) inline void Worker::switch_to(FiberControl* next, PostAction action) {
  FiberControl* self = running_fiber();
  pending_prev_ = self;
  pending_action_ = action;
  self->saved_errno = *errno_;
  if (self->stack && !self->stack.guarded && !canary_intact(self->stack)) [[unlikely]] report_stack_overflow(self);
  // A fiber woken before it finished switching out is still on its old CPU: wait (briefly).
  while (next->on_cpu.load(std::memory_order_acquire)) [[unlikely]] cpu_relax();
  next->on_cpu.store(true, std::memory_order_relaxed);
  running.store(next, std::memory_order_relaxed);
  switches.store(switches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sanitizer_before_switch(self->san, next->san, action == PostAction::release);
  // Ordinary fibers share the worker's TLS: one predictable branch. Nothing below may touch TLS.
  if ((reinterpret_cast<std::uintptr_t>(next->tls) | foreign_tp_) != 0) [[unlikely]] switch_thread_pointer(next);
  Transfer t = jump(next->fctx, this);
  static_cast<Worker*>(t.data)->after_switch(t.fctx);
}

}  // namespace grove::detail
