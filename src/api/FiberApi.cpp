// The runtime side of grove::spawn and grove::Fiber<R>.
#include <atomic>
#include <cstdlib>
#include <new>
#include <utility>

#include "api/Bootstrap.hpp"
#include "fiber/BlockCache.hpp"
#include "fiber/FiberLifecycle.hpp"
#include "grove/fiber.hpp"
#include "sched/Park.hpp"
#include "sched/WorkerSwitch.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {

FiberControl* fiber_create(const SpawnOptions& options, std::size_t task_size, std::size_t task_align, void** task_memory) {
  Worker* w = Worker::current();
  Runtime& rt = w ? w->rt : runtime();  // the first spawn may start the runtime, adopting this thread
  if (!w) w = Worker::current();
  const std::size_t stack_size = options.stack_size ? checked_stack_size(options.stack_size) : rt.config.stack_size;
  const std::size_t align = std::max(task_align, alignof(FiberControl));
  const std::size_t header = (sizeof(FiberControl) + align - 1) & ~(align - 1);  // alignments are powers of two
  if (align > alignof(std::max_align_t)) {
    throw std::invalid_argument("grove: spawn: callables aligned beyond " + std::to_string(alignof(std::max_align_t)) +
                                " bytes are not supported");
  }
  const std::size_t block_size = header + task_size;
  FiberControl* f = w ? w->block_cache.take(block_size) : nullptr;
  if (!f) [[unlikely]] f = ::new (allocate_block(block_size)) FiberControl(FiberKind::task);
  f->block_size = block_size;
  try {
    f->stack = allocate_stack(stack_size, w ? &w->stack_cache : nullptr);
  } catch (...) {
    f->~FiberControl();
    std::free(f);
    throw;
  }
  f->san.init_for_stack(f->stack.base, f->stack.size);
  f->fctx = make_fiber_context(f);
  f->id = w ? w->take_fiber_id() : rt.next_fiber_id();
  if (!options.name.empty()) f->name = options.name;  // a fresh block's name is empty
  f->pinned = options.pinned;
  // The handle's reference and the scheduler's (dropped when the fiber is retired, or handed to
  // its lone joiner: ref_to_joiner), set while nobody else can see the block: no atomic add.
  f->refs.store(2, std::memory_order_relaxed);
  *task_memory = reinterpret_cast<char*>(f) + header;
  return f;
}

void fiber_start(FiberControl* f, TaskBase* task) {
  Worker* w = Worker::current();
  Runtime& rt = w ? w->rt : runtime();
  rt.ensure_threads();
  f->task = task;
  if (f->pinned) f->home = w ? w->home_for_spawn() : rt.workers[0].get();
  if (w) {
    w->enqueue_spawned(f);
  } else {
    rt.inject(f);
  }
}

void fiber_retain(FiberControl* f) noexcept { retain(f); }
void fiber_release_joined(FiberControl* f) noexcept { release(f, 2); }

void fiber_release(FiberControl* f) noexcept {
  // A fiber created but never started still owns its stack, and the scheduler's reference.
  if (!f->task && f->stack) {
    release_stack(f->stack);
    f->stack = Stack{};
    release(f);
  }
  release(f);
}

namespace {

using join_word::joiner;
using join_word::kDone;
using join_word::kUnclaimed;
using join_word::kWatched;

// After claiming `f`'s first run: the fiber to switch to now (directed join: it runs on our time
// slice), or null if it must start on its own worker. Its queue entry, unless taken back, stays
// behind stale and owns a reference until popped.
FiberControl* take_first_run(FiberControl* f, Worker* w) {
  // Read only once claimed: until then `f` may be running elsewhere, pinning itself.
  if (f->pinned && f->home != w) {
    retain(f);  // owned by the stale queue entry, dropped when it is popped
    resume(f, true);  // it must start on its own worker
    return nullptr;
  }
  if (!w->retract_spawn_entry(f)) retain(f);
  return f;
}

// A park we prepared but will not use: take our own token back, or, if a waker (an interrupt)
// claimed it first, take the wake-up it queued (its interrupt stays pending).
void cancel_park(const ParkTicket& ticket) {
  if (!claim(ticket.fiber, ticket.token, WakeReason::none)) park(ticket, kNoDeadline, false);
}

// Any number of joiners, with the joiners WaitQueue.
bool join_queued(FiberControl* f, FiberControl* self, Worker* w, TimePoint deadline) {
  FiberControl* next = nullptr;
  if (w && self->kind != FiberKind::thread && Worker::claim_first_run(f)) next = take_first_run(f, w);
  WaitQueue::Lock lock(f->joiners.mutex());
  while (!(f->join_word.fetch_or(kWatched, std::memory_order_acq_rel) & kDone)) {
    switch (f->joiners.wait(lock, deadline, true, nullptr, std::exchange(next, nullptr))) {
      case WakeReason::interrupted:
        throw_interrupt(self);
      case WakeReason::timed_out:
        return fiber_done(f);
      case WakeReason::notified:
        return true;  // joiners are notified only once the fiber is done
      default:
        break;
    }
    lock.lock();
  }
  if (next) {
    // Done before we parked (cannot happen: it has not run), kept for safety: queue it.
    lock.unlock();
    resume(next, true);
  }
  return true;
}

// Woken by a timeout or interrupt: leave the join word. If the finishing fiber already took us
// from it, it is about to fail to claim our park: wait until it no longer touches us.
void leave_join_word(FiberControl* f, FiberControl* self) {
  std::uintptr_t word = f->join_word.load(std::memory_order_acquire);
  while (joiner(word) == self) {
    if (f->join_word.compare_exchange_weak(word, word & join_word::kFlags, std::memory_order_acq_rel)) return;
  }
  for (int spins = 0; !(f->join_word.load(std::memory_order_acquire) & join_word::kLetGo); ++spins) {
    if (spins < 64) {
      cpu_relax();
    } else {
      sys::sched_yield();
    }
  }
}

// After a lone joiner's park: notified means the fiber finished (only it claims the park so).
bool finish_lone_join(FiberControl* f, FiberControl* self, WakeReason reason, bool* took_ref) {
  if (reason == WakeReason::notified) {
    if (f->ref_to_joiner) {
      if (took_ref) {
        *took_ref = true;
      } else {
        release(f);
      }
    }
    return true;
  }
  leave_join_word(f, self);
  if (reason == WakeReason::interrupted) throw_interrupt(self);
  return fiber_done(f);
}

// fiber_join; with `step`, a switch straight to the child it claimed is prepared but left to the
// caller, who makes it from its own frame (*step set; join_end finishes the join).
bool join_core(FiberControl* f, TimePoint deadline, bool* took_ref, YieldStep* step) {
  std::uintptr_t word = f->join_word.load(std::memory_order_acquire);
  if (word & kDone) return true;
  Worker* w = Worker::current();
  FiberControl* self = w ? w->running_fiber() : current_fiber();
  if (self == f) throw UsageError("grove: a fiber cannot join itself (fiber " + fiber_name(f) + ")");
  if (joiner(word)) return join_queued(f, self, w, deadline);
  // The lone joiner: register in the join word, with a park the finishing fiber claims.
  const bool may_run_it = w && self->kind != FiberKind::thread;
  const ParkTicket ticket = prepare_park_before_rmw(true);  // the CAS below is that RMW
  std::uintptr_t mine;
  do {
    if (word & kDone) {
      cancel_park(ticket);
      return true;
    }
    if (joiner(word)) {
      cancel_park(ticket);
      return join_queued(f, self, w, deadline);
    }
    // Claiming the first run in the same CAS: a directed join, the child runs on our time slice.
    mine = (may_run_it ? word & ~kUnclaimed : word) | reinterpret_cast<std::uintptr_t>(self);
  } while (!f->join_word.compare_exchange_weak(word, mine, std::memory_order_acq_rel, std::memory_order_acquire));
  FiberControl* next = may_run_it && (word & kUnclaimed) ? take_first_run(f, w) : nullptr;
  // park()'s common case (no deadline, no interrupt pending), with the jump left to the caller.
  if (step && next && deadline == kNoDeadline && !self->interrupt_pending.load(std::memory_order_seq_cst) &&
      w->prepare_jump(self, next, step)) {
    return true;
  }
  return finish_lone_join(f, self, park(ticket, deadline, true, next), took_ref);
}

}  // namespace

bool fiber_join(FiberControl* f, TimePoint deadline, bool* took_ref) { return join_core(f, deadline, took_ref, nullptr); }

YieldStep join_begin(FiberControl* f, bool* took_ref) {
  YieldStep step{nullptr, nullptr};
  join_core(f, kNoDeadline, took_ref, &step);
  return step;
}

void join_end(FiberControl* f, bool* took_ref) {
  Worker* w = Worker::current();
  FiberControl* self = w->running_fiber();
  if (self->retire_on_resume) w->retire_pending();
  finish_lone_join(f, self, self->wake_reason, took_ref);
}

bool fiber_done(const FiberControl* f) noexcept { return f->join_word.load(std::memory_order_acquire) & join_word::kDone; }
bool fiber_killed(const FiberControl* f) noexcept { return fiber_done(f) && f->killed; }
std::exception_ptr fiber_exception(const FiberControl* f) noexcept { return fiber_done(f) ? f->error : nullptr; }
TaskBase* fiber_task(FiberControl* f) noexcept { return f->task; }
std::uint64_t fiber_id(const FiberControl* f) noexcept { return f->id; }
std::string fiber_name(const FiberControl* f) { return f->name.empty() ? "fiber-" + std::to_string(f->id) : f->name; }

void fiber_kill(FiberControl* f, bool block, TimePoint deadline) {
  if (fiber_done(f)) return;
  if (f == current_fiber()) throw FiberExit{};
  f->post_interrupt(std::make_exception_ptr(FiberExit{}), true);
  if (block) fiber_join(f, deadline);
}

TimePoint deadline_after(Clock::duration timeout) {
  if (timeout < Clock::duration::zero()) throw std::invalid_argument("grove: negative timeout");
  const TimePoint now = Clock::now();
  if (timeout >= kNoDeadline - now) return kNoDeadline;
  return now + timeout;
}

}  // namespace grove::detail
