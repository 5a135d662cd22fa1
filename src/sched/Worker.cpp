#include "sys/Fence.hpp"
#include "sys/Timeout.hpp"
#include "sched/Worker.hpp"
#include "sched/WorkerSwitch.hpp"

#include <pthread.h>

#include <cerrno>
#include <cstddef>
#include <ctime>
#include <utility>

#include "context/GuardHandler.hpp"
#include "fiber/FiberLifecycle.hpp"
#include "sched/Park.hpp"
#include "sched/Runtime.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {

constinit thread_local Worker* Worker::t_current __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(1);
constexpr auto kRunnextSlice = std::chrono::milliseconds(10);
}  // namespace

FiberControl* Worker::claim_spawn_entry(FiberControl* entry) {
  FiberControl* f = untag(entry);
  if (claim_first_run(f)) return f;
  release(f);  // a joiner ran it already; drop the reference it took for this entry
  return nullptr;
}

bool Worker::drop_if_stale(FiberControl* entry) {
  if (!is_spawn_entry(entry)) return false;
  FiberControl* f = untag(entry);
  if (f->join_word.load(std::memory_order_acquire) & join_word::kUnclaimed) return false;
  release(f);
  return true;
}

// Entry points of fresh contexts; friends of Worker so they can finish the switch.
struct SwitchEntry {
  // What every resumed context does first (see switch_to), for a context entered the first time.
  // The Transfer's data is not used: jumps pass different things there.
  static Worker* entered(Transfer t) {
    Worker* w = Worker::current();
    if constexpr (Worker::kNeedsAfterSwitch) w->after_switch(t.fctx);
    if (w->running_fiber()->retire_on_resume) w->retire_pending();
    return w;
  }
  static void fiber(Transfer t) {
    Worker* w = entered(t);
    FiberControl* next = run_fiber_body(w->running_fiber());
    // The fiber may have migrated while it ran: finish on the worker it is on now.
    Worker::current()->exit_to(next);
  }
  static void scheduler(Transfer t) {
    entered(t)->run_loop();
  }
};

Worker::Worker(Runtime& runtime, unsigned idx, bool spare)
    : rt(runtime), index(idx), is_spare(spare), rng_(0x9e3779b97f4a7c15ull * (idx + 1)) {
  sched_.pinned = true;
  sched_.home = this;
}

void Worker::bind_thread() {
  home_tp_ = FiberTls::current_thread_pointer();
  install_alt_signal_stack();
  errno_ = &errno;
  clockid_t clock{};
  pthread_getcpuclockid(pthread_self(), &clock);
  cpu_clock.store(clock, std::memory_order_relaxed);
  tid.store(sys::gettid(), std::memory_order_relaxed);
  cpu_clock_ready.store(true, std::memory_order_release);
}

__attribute__((noinline)) void* Worker::current_slot() noexcept { return &t_current; }

// No TLS access here but inside current_slot(): between the two FS writes TLS is the fiber's.
__attribute__((noinline)) void* Worker::slot_in(const FiberTls* tls) noexcept {
  const std::uintptr_t cur = FiberTls::current_thread_pointer();
  FiberTls::set_thread_pointer(tls->thread_pointer());
  void* slot = current_slot();
  FiberTls::set_thread_pointer(cur);
  return slot;
}

void Worker::start_thread() {
  spawn_runtime_thread(is_spare ? "grove-spare" : "grove-worker-" + std::to_string(index), [this] {
    set_current(this);
    bind_thread();
    running.store(&sched_, std::memory_order_relaxed);
    sched_.on_cpu.store(true, std::memory_order_relaxed);
    sched_.san.init_for_current_thread();
    if (is_spare) spare_loop();
    run_loop();
  });
}

void Worker::adopt_current_thread(FiberControl* main_fiber) {
  set_current(this);
  bind_thread();
  main_fiber->pinned = true;
  main_fiber->home = this;
  main_fiber->on_cpu.store(true, std::memory_order_relaxed);
  // A fiber with a stack of its own (one that called fork) keeps its sanitizer bounds.
  if (!main_fiber->stack) main_fiber->san.init_for_current_thread();
  running.store(main_fiber, std::memory_order_relaxed);
  // The thread's own stack now belongs to the main fiber, so the loop gets a stack of its own.
  sched_.stack = allocate_stack(256 * 1024);
  sched_.san.init_for_stack(sched_.stack.base, sched_.stack.size);
  sched_.fctx = make_context(sched_.stack.top(), sched_.stack.size, &SwitchEntry::scheduler);
}

Fcontext make_fiber_context(FiberControl* f) { return make_context(f->stack.top(), f->stack.size, &SwitchEntry::fiber); }

void Worker::run_loop() {
  for (;;) {
    FiberControl* f = find_runnable();
    if (spinning) {
      spinning = false;
      if (rt.nspinning.fetch_sub(1) == 1) rt.wake_idle_worker(false);
    }
    switch_to(f, PostAction::none);
  }
}

void Worker::suspend(PostAction action) {
  FiberControl* next = next_fast();
  switch_to(next ? next : &sched_, action);
}

void Worker::switch_thread_pointer(FiberControl* next) {
  if (next->tls) {
    // The fiber's copy of t_current must name the worker it now runs on.
    *static_cast<Worker**>(next->tls_worker_slot) = this;
    next->tls->activate();
    foreign_tp_ = next->tls->thread_pointer();
  } else {
    FiberTls::set_thread_pointer(home_tp_);
    foreign_tp_ = 0;
  }
}

void Worker::after_switch([[maybe_unused]] Fcontext from) {
  FiberControl* prev = pending_prev_;
  if constexpr (!kSwitchSavesContext) prev->fctx = from;
  sanitizer_after_switch(running_fiber()->san, &prev->san);
  prev->on_cpu.store(false, std::memory_order_release);  // only now may another thread resume it
}

YieldStep Worker::yield_slow(FiberControl* popped, bool attention) {
  FiberControl* next = popped ? claim_entry(popped) : nullptr;
  if (!next && !attention) next = take_local();
  switch_to(next ? next : &sched_, PostAction::requeue);
  return YieldStep{nullptr, nullptr};
}

Worker* Worker::current_after_switch() noexcept { return t_current; }

void Worker::retire_after_switch() { current_after_switch()->retire_pending(); }

// grove_yield_jump (context/Jump.cpp) saves the context at offset 0 and clears the flag at 8.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(FiberControl, fctx) == 0 && offsetof(FiberControl, on_cpu) == 8);
// grove::yield (scheduler.hpp) reads both flags there at once.
static_assert(offsetof(FiberControl, interrupt_pending) == kResumeFlagsOffset &&
              offsetof(FiberControl, retire_on_resume) == kResumeFlagsOffset + 1 && kResumeFlagsOffset % 2 == 0);
#pragma GCC diagnostic pop

void Worker::retire_pending() {
  running_fiber()->retire_on_resume = false;
  FiberControl* prev = std::exchange(pending_retire_, nullptr);
  if (!prev) return;
  // The monitor may be reading its name (it holds it for a few instructions).
  while (monitor_hold.load(std::memory_order_acquire) == prev) cpu_relax();
  retire_fiber(prev, &stack_cache);
}

void Worker::push_overflow(FiberControl* f) {
  // Full. Directed joins leave claimed spawn entries behind (stale): drop those, keeping the live
  // ones in order. Only if that frees too little, the older half moves to the global queue (as
  // plain fibers: spawn entries are resolved on the way) for other workers to take.
  FiberControl* entries[RunQueue::kCapacity];
  const std::uint32_t taken = ring.take_all(entries);
  std::uint32_t live = 0;
  for (std::uint32_t i = 0; i < taken; ++i) {
    if (!drop_if_stale(entries[i])) entries[live++] = entries[i];
  }
  std::uint32_t first_kept = 0;
  FiberControl* spill[RunQueue::kCapacity];
  std::uint32_t spilled = 0;
  if (live > RunQueue::kCapacity / 2) {
    first_kept = live / 2;
    for (std::uint32_t i = 0; i < first_kept; ++i) {
      if (FiberControl* g = claim_entry(entries[i])) spill[spilled++] = g;
    }
  }
  for (std::uint32_t i = first_kept; i < live; ++i) ring.push(entries[i]);
  ring.push(f);
  if (spilled == 0) return;
  rt.global.push_batch(spill, spilled);
  rt.wake_idle_worker(false);
}

// Marks the first run of a fiber about to be queued as claimable by a joiner.
static inline void mark_unclaimed(FiberControl* f) {
  // Usually no other thread can see the fiber yet (the spawner's handle and the scheduler's are
  // its only references, and nothing registered on it): a plain store. Otherwise (a Group already
  // tracks it, a link is attached) keep what others set.
  if (f->refs.load(std::memory_order_acquire) == 2 && f->join_word.load(std::memory_order_acquire) == 0) {
    f->join_word.store(join_word::kUnclaimed, std::memory_order_relaxed);
  } else {
    f->join_word.fetch_or(join_word::kUnclaimed, std::memory_order_relaxed);
  }
}

void Worker::enqueue_spawned(FiberControl* f) {
  if (f->pinned) {
    if (f->home != this) {
      make_runnable(f, true);
      return;
    }
    mark_unclaimed(f);
    pinned_queue.push(tag_spawn(f), ring.pushed());
    return;
  }
  mark_unclaimed(f);
  push_ring(tag_spawn(f));
  if (ring.size() > 1) rt.wake_idle_worker_if_any();
}

void Worker::exit_to(FiberControl* next) {
  // As next_fast would: the fairness tick, a monitor request or woken pinned fibers first go
  // through the scheduler loop (with `next` to run next).
  const bool runs_here = next && next->kind != FiberKind::thread && (!next->pinned || next->home == this);
  if (runs_here && !needs_attention()) [[likely]] {
    switch_to(next, PostAction::release);
    __builtin_unreachable();
  }
  // `next` may run elsewhere before this fiber is retired: the scheduler keeps its reference.
  running_fiber()->ref_to_joiner = false;
  if (runs_here) {
    make_runnable(next, false);
    switch_to(&sched_, PostAction::release);
  } else {
    if (next) resume(next, false);  // a thread, or a fiber pinned elsewhere
    suspend(PostAction::release);
  }
  __builtin_unreachable();
}

void Worker::suspend_to(FiberControl* next) { switch_to(next, PostAction::none); }

std::uint64_t Worker::rt_reserve_ids(std::uint64_t n) { return rt.reserve_fiber_ids(n); }

bool Worker::retract_spawn_entry(FiberControl* f) {
  runnext_streak_ = 0;  // a joiner running its queued child: the queue is being served
  if (f->pinned) return pinned_queue.retract_back(tag_spawn(f));
  return ring.retract_last(tag_spawn(f));
}

void Worker::make_runnable(FiberControl* f, bool fifo) {
  if (f->pinned && f->home != this) {
    Worker* home = f->home;  // read before the push: once queued, f may run and be freed
    home->inbox.push(f);
    rt.notify_inbox(home);
    return;
  }
  if (!fifo) {
    FiberControl* displaced = runnext.exchange(as_next(f), std::memory_order_acq_rel);
    if (!displaced) return;
    f = from_next(displaced);
  }
  push_tail(f);
  // One queued fiber we will run ourselves soon; wake a helper once there is more (a futex wake
  // costs more than a spawn). The monitor wakes one if a lone fiber waits behind a long run.
  if (ring.size() > 1) rt.wake_idle_worker_if_any();
}

bool Worker::drain_inbox() {
  // All of them: the pinned queue is unbounded, so they never overflow to the global queue (the
  // monitor's poll on a preempted worker's behalf can wake hundreds of its pinned fibers at once).
  bool any = false;
  while (FiberControl* f = inbox.pop()) {
    pinned_queue.push(f, ring.pushed());
    any = true;
  }
  return any;
}

void Worker::housekeeping(bool force_poll) {
  needs_check.store(false, std::memory_order_relaxed);
  const TimePoint now = Clock::now();
  timers.fire_due(now);
  if (force_poll || now - rt.last_poll() >= kPollInterval) rt.poll_now();
}

FiberControl* Worker::find_runnable() {
  for (;;) {
    housekeeping(false);
    if (--fair_countdown_ <= 0) {
      fair_countdown_ = kFairnessTicks;
      if (FiberControl* f = take_global()) return f;
      // Fibers handing off through runnext must not starve the rest of the queue, but a chain
      // of wakes (joins, notify_one) runs depth-first: only one that has held the worker for a
      // whole time slice (Go's 10 ms) goes behind the others.
      if (runnext_streak_ < kFairnessTicks) {
        streak_since_ = TimePoint{};
      } else if (streak_since_ == TimePoint{}) {
        streak_since_ = Clock::now();
      } else if (Clock::now() - streak_since_ >= kRunnextSlice) {
        runnext_streak_ = 0;
        streak_since_ = TimePoint{};
        if (FiberControl* rn = runnext.exchange(nullptr, std::memory_order_acquire)) push_tail(from_next(rn));
      }
    }
    drain_inbox();
    if (FiberControl* f = take_local()) return f;
    if (FiberControl* f = take_global()) {
      // Take a fair share of the rest so the global lock is not hit per fiber.
      std::size_t share = rt.global.size() / rt.workers.size();
      for (std::size_t i = 0; i < share && i < RunQueue::kCapacity / 2; ++i) {
        FiberControl* g = rt.global.pop();
        if (!g) break;
        push_tail(g);
      }
      return f;
    }
    if (rt.poll_now() > 0) continue;
    if (!rt.single_worker()) {
      const int busy_workers = static_cast<int>(rt.workers.size()) - rt.nidle.load();
      if (!spinning && 2 * rt.nspinning.load() < busy_workers) {
        spinning = true;
        rt.nspinning.fetch_add(1);
      }
      if (spinning) {
        if (FiberControl* f = steal_work()) return f;
      }
    }
    sleep_until_work();
  }
}

// The global queue holds unpinned fibers only (pinned ones go to their home's inbox).
FiberControl* Worker::take_global() { return rt.global.pop(); }

// A victim's run-next fiber, unless it is pinned there.
FiberControl* Worker::steal_runnext(Worker* victim) {
  FiberControl* rn = victim->runnext.load(std::memory_order_relaxed);
  if (!rn || is_pinned_next(rn)) return nullptr;
  if (!victim->runnext.compare_exchange_strong(rn, nullptr, std::memory_order_acquire)) return nullptr;
  return rn;
}

FiberControl* Worker::steal_work() {
  const std::size_t n = rt.workers.size();
  // A worker stuck in a long computation cannot fire its timers: do it for it (as Go's stealWork).
  const TimePoint now = Clock::now();
  for (const auto& victim : rt.workers) {
    if (victim.get() != this && victim->timers.fire_due(now) > 0) {
      if (FiberControl* f = take_local()) return f;
    }
  }
  for (int round = 0; round < 4; ++round) {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    const std::size_t start = rng_ % n;
    for (std::size_t i = 0; i < n; ++i) {
      Worker* victim = rt.workers[(start + i) % n].get();
      if (victim == this) continue;
      FiberControl* f = ring.steal_from(victim->ring);
      if (f) {
        f = claim_entry(f);
        if (!f) {
          if (FiberControl* other = take_local()) return other;
          continue;
        }
      }
      if (!f && round == 3 && victim->ring.empty()) f = steal_runnext(victim);
      if (f) return f;
    }
  }
  return nullptr;
}

void Worker::sleep_until_work() {
  if (spinning) {
    spinning = false;
    rt.nspinning.fetch_sub(1);
  }
  wake_word.store(0, std::memory_order_seq_cst);
  rt.add_idle(this);
  sys::full_fence();
  if (rt.work_visible(this)) {
    if (!rt.remove_idle(this)) spinning = woken_as_spinner;
    return;
  }
  busy.store(false, std::memory_order_relaxed);
  const TimePoint deadline = rt.earliest_timer();
  if (rt.events()->try_acquire()) {
    in_poller.store(true, std::memory_order_seq_cst);
    if (wake_word.load(std::memory_order_seq_cst) == 0) rt.events()->poll(deadline);
    in_poller.store(false, std::memory_order_relaxed);
    rt.events()->release();
  } else if (wake_word.load(std::memory_order_acquire) == 0) {
    const sys::SyscallTimeout timeout(deadline);
    sys::futex_wait(reinterpret_cast<std::uint32_t*>(&wake_word), 0, timeout.get());
  }
  busy.store(true, std::memory_order_relaxed);
  if (!rt.remove_idle(this)) spinning = woken_as_spinner;
  rt.wake_monitor();
}

}  // namespace grove::detail
