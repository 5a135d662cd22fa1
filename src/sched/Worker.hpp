#pragma once
// A worker: one OS thread that runs fibers from its run queue, steals from others when idle,
// and sleeps (in the poller or on a futex) when there is nothing to do.
#include <atomic>
#include <cstdint>

#include "fiber/BlockCache.hpp"
#include "fiber/FiberControl.hpp"
#include "grove/scheduler.hpp"
#include "sched/FiberList.hpp"
#include "sched/PinnedQueue.hpp"
#include "sched/RunQueue.hpp"
#include "sched/TimerHeap.hpp"

namespace grove::detail {

class Runtime;

// Bit 1 of Worker::runnext: the fiber is pinned, so a thief must leave it there.
inline constexpr std::uintptr_t kPinnedNextTag = 2;
inline bool is_pinned_next(FiberControl* e) { return reinterpret_cast<std::uintptr_t>(e) & kPinnedNextTag; }
inline FiberControl* as_next(FiberControl* f) {
  return f->pinned ? reinterpret_cast<FiberControl*>(reinterpret_cast<std::uintptr_t>(f) | kPinnedNextTag) : f;
}
inline FiberControl* from_next(FiberControl* e) {
  return reinterpret_cast<FiberControl*>(reinterpret_cast<std::uintptr_t>(e) & ~kPinnedNextTag);
}

inline constexpr std::int32_t kFairnessTicks = 61;  // as Go: check the global queue every 61 schedules

enum class PostAction : std::uint8_t {
  none,     // the previous context parked (or is the scheduler loop)
  requeue,  // the previous fiber yielded: back to the tail of the run queue
  release,  // the previous fiber finished: free its stack and drop the scheduler's reference
};

class Worker {
 public:
  Worker(Runtime& rt, unsigned index, bool spare = false);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The worker of the calling thread, or nullptr on threads that are not workers.
  // On a thread-fiber (FiberControl::tls) this reads the fiber's own copy, which switch_to
  // keeps up to date.
  static Worker* current() noexcept { return t_current; }
  static void set_current(Worker* w) noexcept { t_current = w; }
  // Where Worker::current() is stored in the TLS active now (for FiberControl::tls_worker_slot).
  static void* current_slot() noexcept;
  // The same address inside `tls` (a thread-fiber's TLS that is not current).
  static void* slot_in(const FiberTls* tls) noexcept;

  // Runs on this worker's thread forever (its native stack or, for the adopted thread, a stack of its own).
  [[noreturn]] void run_loop();

  // From a fiber running on this worker: switch away. `action` says what happens to it.
  void suspend(PostAction action);
  // From `self`, the fiber running on this worker: grove::yield's work before its jump
  // (WorkerSwitch.hpp).
  inline YieldStep yield_step(FiberControl* self);
  // A finished fiber switched away for good: its stack and the scheduler's reference go. Runs
  // first thing in the context it switched to (FiberControl::retire_on_resume).
  __attribute__((noinline)) void retire_pending();
  // The same from a context just resumed, which may not read TLS itself (see after_switch).
  __attribute__((noinline, cold)) static void retire_after_switch();

  // Queues a fiber that became runnable, from this worker's thread. `fifo` false: run it next.
  void make_runnable(FiberControl* f, bool fifo);
  // Queues a new fiber (FIFO) with a spawn entry that a joiner may claim (directed join).
  void enqueue_spawned(FiberControl* f);
  // From a fiber: park (already prepared) and switch straight to `next`, claimed by the caller.
  void suspend_to(FiberControl* next);
  // suspend_to's work before its jump, for a caller that jumps from its own frame (Fiber::join:
  // grove_yield_jump with *step). False, with nothing done, when the switch needs more than a
  // jump (sanitizers, thread-fibers' TLS, an overflowed stack): use suspend_to.
  inline bool prepare_jump(FiberControl* self, FiberControl* next, YieldStep* step);
  // Claims the first run of a fiber still sitting in a run queue as its spawn entry.
  static bool claim_first_run(FiberControl* f) {
    return (f->join_word.load(std::memory_order_relaxed) & join_word::kUnclaimed) &&
           (f->join_word.fetch_and(~join_word::kUnclaimed, std::memory_order_acq_rel) & join_word::kUnclaimed);
  }
  // From a fiber that just finished: switch away for good, to `next` (a fiber the caller claimed
  // from its park, or null) if it may run here now, so a lone joiner needs no trip through a queue.
  [[noreturn]] void exit_to(FiberControl* next);
  // After claim_first_run: takes the spawn entry back out of this worker's queues if it is the
  // one queued last (the usual spawn-then-join), so no stale entry is left. False if it is not.
  bool retract_spawn_entry(FiberControl* f);

  // A fresh fiber id, from a block reserved by this worker (owner only).
  std::uint64_t take_fiber_id() {
    if (id_next_ == id_end_) [[unlikely]] {
      id_next_ = rt_reserve_ids(kIdBlock);
      id_end_ = id_next_ + kIdBlock;
    }
    return id_next_++;
  }

  // The scheduler loop's own context.
  FiberControl* scheduler_context() { return &sched_; }

  Runtime& rt;
  const unsigned index;
  // The context executing on this worker now. Atomic (relaxed) only because the monitor reads it.
  std::atomic<FiberControl*> running{nullptr};
  FiberControl* running_fiber() const noexcept { return running.load(std::memory_order_relaxed); }
  RunQueue ring;  // unpinned fibers only: thieves take from it
  // The fiber to run next; a pinned one is tagged (kPinnedNextTag) so thieves leave it.
  std::atomic<FiberControl*> runnext{nullptr};
  PinnedQueue pinned_queue;  // runnable fibers pinned here (owner only)
  // Whether runnext holds a fiber another thread may take.
  bool stealable_next() const noexcept {
    FiberControl* rn = runnext.load(std::memory_order_acquire);
    return rn && !is_pinned_next(rn);
  }
  FiberList inbox;  // pinned fibers woken by other threads, moved to pinned_queue by the owner
  TimerHeap timers;
  StackCache stack_cache;  // only this worker's thread touches it
  BlockCache block_cache;  // likewise

  // Read by the monitor thread.
  std::atomic<std::uint64_t> switches{0};
  std::atomic<bool> needs_check{false};  // the monitor asks for a timer/poll pass at the next switch
  std::atomic<bool> busy{true};

  // Idle bookkeeping, owned by Runtime's idle protocol.
  bool spinning = false;
  bool woken_as_spinner = false;
  std::atomic<bool> idle{false};
  std::atomic<std::uint32_t> wake_word{0};
  std::atomic<bool> in_poller{false};

  void start_thread();
  void bind_thread();     // per-thread setup: signal stack, errno address, CPU clock
  // Set by the worker thread at start, read by the monitor: this thread's CPU-time clock (blocked
  // vs busy) and its kernel id (its scheduling state). Valid once `cpu_clock_ready`.
  std::atomic<clockid_t> cpu_clock{};
  std::atomic<pid_t> tid{0};
  std::atomic<bool> cpu_clock_ready{false};
  void adopt_current_thread(FiberControl* main_fiber);

  // --- hand-off (Go's handoffp; see Spare.cpp): a spare thread serves a stuck worker's queue.
  const bool is_spare;
  std::atomic<Worker*> handed_to{nullptr};  // on a stuck worker: the spare serving it
  std::atomic<Worker*> victim{nullptr};     // on a spare: the stuck worker it serves (null: free)
  std::uint64_t victim_switches = 0;        // the victim's switch count when it was found stuck
  // The monitor reads the running fiber's name only while this names it; retiring waits.
  std::atomic<FiberControl*> monitor_hold{nullptr};
  // What current_worker_index() reports: a spare acts as the worker whose queue it serves.
  unsigned logical_index() const noexcept { return logical_worker()->index; }
  const Worker* logical_worker() const noexcept {
    if (__builtin_expect(is_spare, 0)) {
      if (const Worker* v = victim.load(std::memory_order_relaxed)) return v;
    }
    return this;
  }
  // Where a fiber spawned pinned here belongs: a spare's own thread only outlives its hand-off
  // for fibers that bound themselves to it, so new ones go to the worker it stands in for.
  Worker* home_for_spawn() noexcept { return const_cast<Worker*>(logical_worker()); }

  // --- monitor bookkeeping (monitor thread only)
  std::uint64_t seen_switches = 0;
  TimePoint seen_since{};
  bool blocking_reported = false;
  Clock::duration seen_cpu{};

 private:
  friend struct SwitchEntry;
  // initial-exec: a plain %fs-relative load instead of a __tls_get_addr call per switch.
  // constinit: other files then know it needs no dynamic initialisation (no TLS wrapper call).
  static constinit thread_local Worker* t_current __attribute__((tls_model("initial-exec")));

  inline void switch_to(FiberControl* next, PostAction action);
  // A yield through switch_to: takes `popped` (an entry yield_step took) or what take_local gives.
  __attribute__((noinline)) YieldStep yield_slow(FiberControl* popped, bool attention);
  // What a resumed context must do when the jump cannot do all (Boost's portable jump, which
  // does not save the left context itself) or the sanitizers need telling. after_switch then
  // reads the left fiber, so it (not the jump) clears its on_cpu.
#if !GROVE_OWN_JUMP || defined(GROVE_ASAN)
  static constexpr bool kNeedsAfterSwitch = true;
#else
  static constexpr bool kNeedsAfterSwitch = false;
#endif
  // Whether yield may jump without telling a sanitizer (yield_step).
#if GROVE_OWN_JUMP && !defined(GROVE_ASAN) && !defined(GROVE_TSAN)
  static constexpr bool kFastSwitch = true;
#else
  static constexpr bool kFastSwitch = false;
#endif
  // Worker::current() read in a function of its own: the caller may have just been resumed on
  // another thread, and code in the same function could reuse the old thread pointer.
  __attribute__((noinline)) static Worker* current_after_switch() noexcept;
  // Never inlined into switch_to: code after a jump may run on another thread, and the compiler
  // would reuse the old thread's TLS addresses computed before it.
  __attribute__((noinline)) void after_switch(Fcontext from);
  inline bool needs_attention();
  inline FiberControl* next_fast();
  FiberControl* find_runnable();
  inline FiberControl* take_local();
  inline bool pinned_turn() const;
  FiberControl* steal_work();
  static FiberControl* steal_runnext(Worker* victim);
  FiberControl* take_global();
  // Queues a runnable fiber behind the others: pinned ones in pinned_queue, the rest in the ring.
  inline void push_tail(FiberControl* f);
  inline void push_ring(FiberControl* entry);
  inline bool has_room_for(const FiberControl* f) const;
  inline void push_tail_unchecked(FiberControl* f);  // when has_room_for(f)
  inline FiberControl* pop_queued();
  inline void hand_cpu(FiberControl* self, FiberControl* next);
  inline bool needs_tls_switch(const FiberControl* next) const;
  void push_overflow(FiberControl* f);
  // Resolves a run-queue entry: a tagged spawn entry whose fiber a joiner already ran is stale
  // (dropped, with the reference the joiner took for it); otherwise the fiber to run.
  static inline FiberControl* claim_entry(FiberControl* entry);
  static FiberControl* claim_spawn_entry(FiberControl* entry);
  // A spawn entry whose fiber a joiner already claimed: dropped (true). Anything else: kept.
  static bool drop_if_stale(FiberControl* entry);
  bool drain_inbox();
  void housekeeping(bool force_poll);
  void sleep_until_work();
  [[noreturn]] void spare_loop();
  Worker* wait_for_loan();
  FiberControl* find_spare_work(Worker* stuck);
  void flush_to_global();
  void nap(std::chrono::milliseconds at_most);

  // Cold: FS must change because `next` has its own TLS, or the previous context had.
  __attribute__((noinline, cold)) void switch_thread_pointer(FiberControl* next);

  FiberControl sched_{FiberKind::scheduler};
  std::uintptr_t home_tp_ = 0;     // this worker thread's own TLS (its TCB)
  std::uintptr_t foreign_tp_ = 0;  // nonzero while a thread-fiber's TLS is current
  FiberControl* pending_prev_ = nullptr;    // the context the last switch left
  std::atomic<bool> jump_scratch_{false};   // what the jump clears when after_switch clears on_cpu
  FiberControl* pending_retire_ = nullptr;  // a finished fiber whose stack the resumed context frees
  // Schedules left until the scheduler loop runs timers and the poller and looks at the global
  // queue before its own (kFairnessTicks).
  std::int32_t fair_countdown_ = kFairnessTicks;
  std::int32_t runnext_streak_ = 0;  // schedules taken from runnext in a row
  TimePoint streak_since_{};         // when a streak of a whole fairness round was first seen
  std::uint64_t rng_;
  static constexpr std::uint64_t kIdBlock = 256;
  std::uint64_t rt_reserve_ids(std::uint64_t n);
  std::uint64_t id_next_ = 0;
  std::uint64_t id_end_ = 0;
  int* errno_ = nullptr;         // this thread's errno (its address never changes for a thread)
};

}  // namespace grove::detail
