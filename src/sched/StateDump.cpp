// grove_dump_state(fd): one line per worker and spare (queues, idle/poller/spinning flags, timers)
// for diagnosing a stall: `gdb -p PID -batch -ex 'call grove_dump_state(2)'`. Costs nothing until
// called; it reads the scheduler's state without locks, so a busy runtime gives a blurred picture.
#include <cinttypes>
#include <cstdio>

#include "sched/Runtime.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {
namespace {

double ms_from_now(TimePoint t, TimePoint now) {
  return std::chrono::duration<double, std::milli>(t - now).count();
}

void dump_worker(int fd, const Worker& w, TimePoint now) {
  char line[512];
  char timers[48] = "none";
  if (!w.timers.empty()) std::snprintf(timers, sizeof timers, "in %.1f ms", ms_from_now(w.timers.earliest(), now));
  const Worker* victim = w.victim.load(std::memory_order_relaxed);
  char role[32];
  if (w.is_spare) {
    std::snprintf(role, sizeof role, "spare %u (serving %d)", w.index, victim ? static_cast<int>(victim->index) : -1);
  } else {
    std::snprintf(role, sizeof role, "worker %u", w.index);
  }
  const FiberControl* running = w.running.load(std::memory_order_relaxed);
  const int n = std::snprintf(
      line, sizeof line,
      "%s: running=%s idle=%d in_poller=%d spinning=%d busy=%d wake_word=%u ring=%u runnext=%d inbox=%zu "
      "timers=%s switches=%" PRIu64 " handed_to=%s\n",
      role, running == nullptr ? "none" : running->kind == FiberKind::scheduler ? "scheduler" : "fiber",
      w.idle.load(std::memory_order_relaxed), w.in_poller.load(std::memory_order_relaxed), w.spinning,
      w.busy.load(std::memory_order_relaxed), w.wake_word.load(std::memory_order_relaxed), w.ring.size(),
      w.runnext.load(std::memory_order_relaxed) != nullptr, w.inbox.size(), timers,
      w.switches.load(std::memory_order_relaxed), w.handed_to.load(std::memory_order_relaxed) ? "spare" : "-");
  if (n > 0) sys::write(fd, line, static_cast<std::size_t>(n) < sizeof line ? n : sizeof line - 1);
}

}  // namespace
}  // namespace grove::detail

extern "C" __attribute__((visibility("default"), used)) void grove_dump_state(int fd) {
  using namespace grove::detail;
  Runtime* rt = Runtime::get();
  char line[512];
  if (!rt) {
    const int n = std::snprintf(line, sizeof line, "grove: no runtime\n");
    grove::sys::write(fd, line, static_cast<std::size_t>(n));
    return;
  }
  const TimePoint now = Clock::now();
  const unsigned nspares = rt->nspares.load(std::memory_order_acquire);
  const int n = std::snprintf(
      line, sizeof line,
      "grove: workers=%zu nidle=%d nspinning=%d global=%zu poller=%s poller_blocked=%d last_poll=%.1f ms ago "
      "monitor=%s spares=%u handoffs=%" PRIu64 "\n",
      rt->workers.size(), rt->nidle.load(), rt->nspinning.load(), rt->global.size(),
      rt->events()->held() ? "held" : "free", rt->poller_blocked(), -ms_from_now(rt->last_poll(), now),
      rt->monitor_sleeping.load() ? "sleeping" : "awake", nspares, rt->handoffs.load());
  if (n > 0) grove::sys::write(fd, line, static_cast<std::size_t>(n) < sizeof line ? n : sizeof line - 1);
  for (const auto& w : rt->workers) dump_worker(fd, *w, now);
  for (unsigned i = 0; i < nspares; ++i) {
    if (const Worker* s = rt->spares[i].load(std::memory_order_acquire)) dump_worker(fd, *s, now);
  }
}
