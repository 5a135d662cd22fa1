// Hand-off (Go's handoffp): when a worker's thread is blocked in the kernel in a call grove does
// not hook (regular-file I/O, a raw futex) while fibers wait behind it, the monitor lends a spare
// thread. (A CPU hog is not handed off: see Runtime::watch_worker.)
// The spare steals the stuck worker's run queue and fires its timers until the worker switches
// again, then gives its own queue back to the global queue and parks until it is lent again,
// still running the fibers that a hooked call pinned to its thread (wait_for_loan).
// Fibers pinned to the stuck worker (the adopted main fiber on worker 0) are bound to its thread:
// they stay in its pinned queue, in order, and run when it returns.
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
    // Free, and not running a fiber bound to it (that one might be stuck itself).
    if (s != stuck && !s->victim.load(std::memory_order_acquire) && s->running_fiber() == s->scheduler_context()) spare = s;
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
    Worker* stuck = wait_for_loan();
    busy.store(true, std::memory_order_relaxed);
    while (stuck->switches.load(std::memory_order_relaxed) == victim_switches) {
      if (FiberControl* f = find_spare_work(stuck)) {
        switch_to(f, PostAction::none);
        continue;
      }
      nap(std::chrono::milliseconds(1));
    }
    busy.store(false, std::memory_order_relaxed);
    stuck->handed_to.store(nullptr, std::memory_order_release);
    victim.store(nullptr, std::memory_order_release);
  }
}

// Between loans. A fiber that made a hooked call here is pinned to this thread for good (its code
// may keep this thread's TLS addresses, errno's): the spare runs such fibers whenever they wake
// (their wakers reach it through the inbox, see Runtime::notify_inbox) and fires their timers.
// Every other fiber goes back to the global queue.
Worker* Worker::wait_for_loan() {
  for (;;) {
    if (Worker* stuck = victim.load(std::memory_order_acquire)) return stuck;
    drain_inbox();
    timers.fire_due(Clock::now());
    flush_to_global();
    if (FiberControl* f = take_local()) {
      switch_to(f, PostAction::none);
      continue;
    }
    wake_word.store(0, std::memory_order_seq_cst);
    if (victim.load(std::memory_order_seq_cst) || !inbox.empty()) continue;
    const sys::SyscallTimeout timeout(timers.earliest());
    sys::futex_wait(reinterpret_cast<std::uint32_t*>(&wake_word), 0, timeout.get());
  }
}

FiberControl* Worker::find_spare_work(Worker* stuck) {
  housekeeping(false);
  drain_inbox();
  if (FiberControl* f = take_local()) return f;
  stuck->timers.fire_due(Clock::now());  // wakes go to this spare (the current worker)
  if (FiberControl* f = take_local()) return f;
  if (FiberControl* e = ring.steal_from(stuck->ring)) {
    if (FiberControl* f = claim_entry(e)) return f;
    if (FiberControl* other = take_local()) return other;
  }
  // The stuck worker's pinned fibers (in its pinned queue, inbox, or tagged run-next slot) stay:
  // they are bound to its thread and run, in order, when it returns.
  if (stuck->ring.empty()) {
    if (FiberControl* f = steal_runnext(stuck)) return f;
  }
  return take_global();
}

// Unpinned fibers queued here go to the global queue; those pinned to this spare stay in its
// pinned queue (the ring never holds pinned fibers).
void Worker::flush_to_global() {
  bool any = false;
  if (FiberControl* rn = runnext.exchange(nullptr, std::memory_order_acquire)) {
    FiberControl* f = from_next(rn);
    if (f->pinned) {
      pinned_queue.push(f, ring.pushed());
    } else {
      rt.global.push(f);
      any = true;
    }
  }
  while (FiberControl* e = ring.pop()) {
    if (FiberControl* f = claim_entry(e)) {
      rt.global.push(f);
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
    rt.release_poller();
    return;
  }
  const timespec ts = sys::time_left(deadline);
  sys::nanosleep(&ts, nullptr);
}

}  // namespace grove::detail
