// Hand-off (Go's handoffp): when a worker is stuck in a call grove does not hook (regular-file
// I/O, a raw futex, a CPU hog) while fibers wait behind it, the monitor lends a spare thread.
// The spare steals the stuck worker's run queue and fires its timers until the worker switches
// again, then gives its own queue back to the global queue and parks until it is lent again,
// still running the fibers that a hooked call pinned to its thread (wait_for_loan).
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

// Fibers pinned to this spare stay in its queue.
void Worker::flush_to_global() {
  bool any = false;
  FiberControl* pinned_here[RunQueue::kCapacity + 1];  // the ring and runnext
  std::size_t kept = 0;
  auto hand_out = [&](FiberControl* f) {
    if (f->pinned && f->home == this) {
      pinned_here[kept++] = f;
    } else {
      rt.global.push(f);
      any = true;
    }
  };
  if (FiberControl* f = runnext.exchange(nullptr, std::memory_order_acquire)) hand_out(f);
  while (FiberControl* f = ring.pop()) {
    if (FiberControl* g = claim_entry(f)) hand_out(g);
  }
  for (std::size_t i = 0; i < kept; ++i) push_tail(pinned_here[i]);
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
