// Hand-off (Go's handoffp): when a worker is stuck in a call grove does not hook (regular-file
// I/O, a raw futex, a CPU hog) while fibers wait behind it, the monitor lends a spare thread.
// The spare steals the stuck worker's run queue and fires its timers until the worker switches
// again, then gives its own queue back to the global queue and parks until it is lent again.
// Fibers pinned to the stuck worker (the adopted main fiber on worker 0) cannot move: they wait.
#include <ctime>

#include "context/GuardHandler.hpp"
#include "sched/Runtime.hpp"
#include "sched/WorkerSwitch.hpp"
#include "sys/Sys.hpp"
#include "sys/Timeout.hpp"

namespace grove::detail {

bool Runtime::start_spare(Worker* stuck, std::uint64_t switches) {
  const unsigned n = nspares.load(std::memory_order_acquire);
  Worker* spare = nullptr;
  for (unsigned i = 0; i < n && !spare; ++i) {
    Worker* s = spares[i].load(std::memory_order_acquire);
    if (s != stuck && !s->victim.load(std::memory_order_acquire)) spare = s;
  }
  const bool fresh = !spare;
  if (fresh) {
    if (n == kMaxSpares) return false;
    spare = new Worker(*this, static_cast<unsigned>(workers.size() + n), true);
  }
  spare->victim_switches = switches;
  stuck->handed_to.store(spare, std::memory_order_release);
  spare->victim.store(stuck, std::memory_order_release);
  handoffs.fetch_add(1, std::memory_order_relaxed);
  if (fresh) {
    spares[n].store(spare, std::memory_order_release);
    nspares.store(n + 1, std::memory_order_release);
    spare->start_thread();
  } else {
    spare->wake_word.store(1, std::memory_order_seq_cst);
    sys::futex_wake(reinterpret_cast<std::uint32_t*>(&spare->wake_word), 1);
  }
  return true;
}

void Worker::spare_loop() {
  for (;;) {
    Worker* stuck = nullptr;
    while (!(stuck = victim.load(std::memory_order_acquire))) {
      wake_word.store(0, std::memory_order_seq_cst);
      if (!victim.load(std::memory_order_seq_cst)) sys::futex_wait(reinterpret_cast<std::uint32_t*>(&wake_word), 0, nullptr);
    }
    busy.store(true, std::memory_order_relaxed);
    for (;;) {
      const bool still_stuck = stuck->switches.load(std::memory_order_relaxed) == victim_switches;
      if (still_stuck) {
        if (FiberControl* f = find_spare_work(stuck)) {
          switch_to(f, PostAction::none);
          continue;
        }
      } else {
        flush_to_global();
        // Fibers that parked here with a deadline have their timers here: serve them first.
        if (timers.empty()) break;
        timers.fire_due(Clock::now());
        flush_to_global();
      }
      nap(std::chrono::milliseconds(1));
    }
    busy.store(false, std::memory_order_relaxed);
    stuck->handed_to.store(nullptr, std::memory_order_release);
    victim.store(nullptr, std::memory_order_release);
  }
}

FiberControl* Worker::find_spare_work(Worker* stuck) {
  housekeeping(false);
  if (FiberControl* f = take_local()) return f;
  stuck->timers.fire_due(Clock::now());  // wakes go to this spare (the current worker)
  if (FiberControl* f = take_local()) return f;
  if (FiberControl* f = ring.steal_from(stuck->ring)) {
    if (FiberControl* g = claim_entry(f)) {
      if (FiberControl* mine = accept_stolen(g)) return mine;
    }
    if (FiberControl* other = take_local()) return other;
  }
  if (stuck->ring.empty()) {
    if (FiberControl* f = stuck->runnext.exchange(nullptr, std::memory_order_acquire)) {
      if (FiberControl* mine = accept_stolen(f)) return mine;
    }
  }
  return take_global();
}

void Worker::flush_to_global() {
  bool any = false;
  if (FiberControl* f = runnext.exchange(nullptr, std::memory_order_acquire)) {
    rt.global.push(f);
    any = true;
  }
  while (FiberControl* f = ring.pop()) {
    if (FiberControl* g = claim_entry(f)) {
      rt.global.push(g);
      any = true;
    }
  }
  if (any) rt.wake_idle_worker(true);
}

// Waits for I/O or a short while; the spare is not on the idle list, so nobody wakes it.
void Worker::nap(std::chrono::milliseconds at_most) {
  const TimePoint deadline = std::min(Clock::now() + at_most, timers.earliest());
  if (rt.events()->try_acquire()) {
    rt.events()->poll(deadline);
    rt.events()->release();
    return;
  }
  const timespec ts = sys::time_left(deadline);
  sys::nanosleep(&ts, nullptr);
}

}  // namespace grove::detail
