// The monitor thread (Go's sysmon, reduced): timer/poll passes for busy workers, the report of
// fibers that run too long without suspending (GROVE_MAX_BLOCKING_MS), and hand-off of stuck
// workers to spare threads (Spare.cpp).
#include <cstring>
#include <fcntl.h>
#include <linux/membarrier.h>

#include <cstdio>
#include <string>

#include "fiber/FiberControl.hpp"
#include "grove/detail/fiber_core.hpp"
#include "sched/Runtime.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {
namespace {

// A worker that has not switched for this long while its queued work or due timers wait gets an
// idle worker to take them (stealing, and firing its timers)...
constexpr auto kRescueAfter = std::chrono::milliseconds(2);
// ...and, if its thread has been blocked in the kernel this long (an unhooked read, a raw futex:
// little CPU used), its queue is handed to a spare thread.
constexpr auto kHandoffAfter = std::chrono::milliseconds(10);

// CPU time the worker's thread has consumed: a worker stuck in a blocking call uses almost none
// while the wall clock runs; a CPU hog (or a thread merely preempted) uses most of it.
// True when the thread sleeps in the kernel (state S or D); a preempted thread is R (runnable).
bool thread_sleeping_in_kernel(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
  char buf[512];
  const int fd = sys::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const long n = sys::read(fd, buf, sizeof buf - 1);
  sys::close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  const char* paren = std::strrchr(buf, ')');  // the command name may contain spaces
  return paren && paren[1] == ' ' && (paren[2] == 'S' || paren[2] == 'D');
}

Clock::duration thread_cpu_time(const Worker* w) {
  timespec ts{};
  if (!w->cpu_clock_ready.load(std::memory_order_acquire)) return Clock::duration::zero();
  if (clock_gettime(w->cpu_clock.load(std::memory_order_relaxed), &ts) != 0) return Clock::duration::zero();
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// An asymmetric fence: makes every running thread of the process execute a full barrier, so the
// worker's retire path needs only a plain load of Worker::monitor_hold (no fence per fiber exit).
bool process_fence() {
  static const bool registered = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  return registered && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

}  // namespace

void Runtime::monitor_loop() {
  const auto n = static_cast<int>(workers.size());
  process_fence();  // registers early: registration itself is slow
  int idle_rounds = 0;
  for (;;) {
    if (nidle.load() == n) {
      if (++idle_rounds >= 3 && !poller_blocked()) {
        // Every worker idle and none in the poller: they sleep on futexes, deaf to I/O. Only a
        // bug elsewhere leaves them so for long; poll for them, which wakes one to take over.
        poll_now();
      } else if (idle_rounds >= 3) {
        monitor_word.store(0, std::memory_order_seq_cst);
        monitor_sleeping.store(true, std::memory_order_seq_cst);
        if (nidle.load(std::memory_order_seq_cst) == n) {
          sys::futex_wait(reinterpret_cast<std::uint32_t*>(&monitor_word), 0, nullptr);
        }
        monitor_sleeping.store(false, std::memory_order_relaxed);
        idle_rounds = 0;
      }
    } else {
      idle_rounds = 0;
    }
    const timespec tick{0, 1000000};
    sys::nanosleep(&tick, nullptr);
    const TimePoint now = Clock::now();
    const bool poll_due = !poller_blocked() && now - last_poll() >= std::chrono::milliseconds(2);
    for (const auto& w : workers) {
      if (!w->busy.load(std::memory_order_relaxed)) continue;
      if (poll_due || (!w->timers.empty() && w->timers.earliest() <= now)) {
        w->needs_check.store(true, std::memory_order_relaxed);
      }
      if (!w->ring.empty()) wake_idle_worker(true);
    }
    for (const auto& w : workers) watch_worker(w.get(), now);
    const unsigned active_spares = nspares.load(std::memory_order_acquire);
    for (unsigned i = 0; i < active_spares; ++i) {
      Worker* s = spares[i].load(std::memory_order_acquire);
      if (s && s->victim.load(std::memory_order_acquire)) watch_worker(s, now);
    }
    if (!poller_blocked() && now - last_poll() >= std::chrono::milliseconds(10)) {
      // Every worker is stuck in long-running fibers: poll on their behalf (Go's sysmon does too).
      poll_now();
    }
  }
}

// A worker is "stuck" when its switch count has not moved while it was busy.
void Runtime::watch_worker(Worker* w, TimePoint now) {
  const std::uint64_t s = w->switches.load(std::memory_order_relaxed);
  if (s != w->seen_switches || !w->busy.load(std::memory_order_relaxed)) {
    w->seen_switches = s;
    w->seen_since = now;
    w->seen_cpu = thread_cpu_time(w);
    w->blocking_reported = false;
    return;
  }
  const Clock::duration stuck_for = now - w->seen_since;
  if (config.max_blocking_ms && !w->blocking_reported && stuck_for >= std::chrono::milliseconds(config.max_blocking_ms)) {
    w->blocking_reported = true;
    report_blocking(w, s, stuck_for);
  }
  if (stuck_for < kRescueAfter || !work_waiting(w, now)) return;
  // Idle workers take a stuck worker's queued fibers and fire its timers (never a spare's).
  if (nidle.load() > 0 && !w->is_spare) {
    wake_idle_worker(true);
    return;
  }
  // Go's rule: a worker slot changes threads only while its thread is blocked in a system call.
  // A fiber computing on the CPU keeps its worker (grove cannot preempt it, and a spare would run
  // that worker's other fibers in parallel with it, more threads than GROVE_WORKERS running fiber
  // code); the other workers take its queued fibers and fire its timers instead.
  if (stuck_for >= kHandoffAfter && !w->handed_to.load(std::memory_order_acquire) &&
      thread_cpu_time(w) - w->seen_cpu < stuck_for / 4 && thread_sleeping_in_kernel(w->tid.load(std::memory_order_relaxed))) {
    start_spare(w, s);
  }
}

bool Runtime::work_waiting(const Worker* w, TimePoint now) const {
  return !w->ring.empty() || w->stealable_next() || !global.empty() ||
         (!w->timers.empty() && w->timers.earliest() <= now);
}

void Runtime::report_blocking(Worker* w, std::uint64_t switches, Clock::duration stuck_for) {
  FiberControl* f = w->running_fiber();
  if (!f || f->kind == FiberKind::scheduler) return;
  std::string name;
  // Hold the fiber, then check it is still the one running: after the fence, a worker that
  // switches away from it sees the hold before retiring (freeing) it.
  w->monitor_hold.store(f, std::memory_order_seq_cst);
  if (process_fence() && w->running_fiber() == f && w->switches.load(std::memory_order_seq_cst) == switches) {
    name = fiber_name(f);
  }
  w->monitor_hold.store(nullptr, std::memory_order_release);
  if (name.empty()) return;  // it moved on meanwhile (or no fence here): nothing to report
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(stuck_for).count();
  const std::string line = "grove: fiber " + name + " has run " + std::to_string(ms) +
                           " ms without yielding (worker " + std::to_string(w->index) +
                           (w->is_spare ? ", a spare" : "") + ")\n";
  sys::write(2, line.data(), line.size());
}

}  // namespace grove::detail
