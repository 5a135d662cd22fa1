#pragma once
#include <pthread.h>
// The process-wide scheduler: the workers, the global injection queue, and the idle protocol
// (learned from Go: at most one spinning worker is woken per burst of new work).
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "grove/config.hpp"
#include "sched/EventSource.hpp"
#include "sched/FiberList.hpp"
#include "sched/Worker.hpp"
#include "sys/FutexLock.hpp"

namespace grove::detail {

class Runtime {
 public:
  // The running runtime, or nullptr before start.
  static Runtime* get() noexcept { return instance_.load(std::memory_order_acquire); }
  // Starts it once; `config` must be fully resolved. If the calling thread is the process's main
  // thread it is adopted: it becomes worker 0 and its stack the main fiber.
  static Runtime& start(const Config& config, std::unique_ptr<EventSource> events);
  // In the child of fork(): only the forking thread survives. Replaces the runtime with a fresh
  // one on `events`, whose worker 0 adopts the forking fiber (if the thread was running one) as
  // its main fiber; the parent's other fibers are abandoned. Everything else starts anew.
  static Runtime& restart_in_child(std::unique_ptr<EventSource> events);

  const Config config;
  std::vector<std::unique_ptr<Worker>> workers;
  FiberList global;
  EventSource* events() const { return events_.get(); }
  bool single_worker() const { return workers.size() == 1; }
  std::uint64_t next_fiber_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  // A block of `n` fresh ids (workers hand them out one by one without touching a shared line).
  std::uint64_t reserve_fiber_ids(std::uint64_t n) { return next_id_.fetch_add(n, std::memory_order_relaxed); }

  // The other workers and the monitor start with the first spawned fiber when the main thread was
  // adopted: until then its main fiber is the only one, and a single-threaded process is cheaper
  // for the kernel (an unmodified program under the shim that never spawns stays single-threaded).
  void ensure_threads() {
    if (!threads_started_.load(std::memory_order_acquire)) [[unlikely]] start_threads();
  }

  // A fiber became runnable on a thread that is not a worker (or is pinned elsewhere).
  void inject(FiberControl* f);
  // Wakes an idle worker to look for work if none is spinning. `strict` adds the full fence a
  // foreign thread needs so the wake-up cannot be lost.
  void wake_idle_worker(bool strict);
  // The common case (nobody idle) without a call.
  void wake_idle_worker_if_any() {
    if (nidle.load(std::memory_order_relaxed) != 0) wake_idle_worker(false);
  }
  // A pinned fiber was queued in `w`'s inbox.
  void notify_inbox(Worker* w);

  // Idle protocol, called by workers.
  std::atomic<int> nspinning{0};
  std::atomic<int> nidle{0};
  void add_idle(Worker* w);
  bool remove_idle(Worker* w);  // false if a waker removed it first
  bool work_visible(const Worker* self) const;
  void unpark_worker(Worker* w);

  // The nearest timer deadline over all workers (idle workers wake for other workers' timers).
  TimePoint earliest_timer() const;

  // A non-blocking poll for I/O readiness if no other thread is polling; -1 if one is.
  int poll_now();
  // Gives the poller back after polling on behalf of others (poll_now, a spare's nap). A worker
  // that went idle meanwhile found it taken and sleeps on its futex, deaf to I/O: wake one.
  void release_poller();
  bool poller_blocked() const;
  TimePoint last_poll() const { return TimePoint(Clock::duration(last_poll_.load(std::memory_order_relaxed))); }

  // Monitor support (Monitor.cpp).
  void monitor_loop();
  void watch_worker(Worker* w, TimePoint now);
  void report_blocking(Worker* w, std::uint64_t switches, Clock::duration stuck_for);
  bool work_waiting(const Worker* w, TimePoint now) const;

  // Hand-off (Spare.cpp): spare threads, created on demand and reused, never freed.
  static constexpr unsigned kMaxSpares = 16;
  std::array<std::atomic<Worker*>, kMaxSpares> spares{};
  std::atomic<unsigned> nspares{0};
  std::atomic<std::uint64_t> handoffs{0};  // how many times a spare took over (tests read it)
  bool start_spare(Worker* stuck, std::uint64_t switches);

  std::atomic<bool> monitor_sleeping{false};
  std::atomic<std::uint32_t> monitor_word{0};
  void wake_monitor();

 private:
  Runtime(const Config& config, std::unique_ptr<EventSource> events);
  static std::atomic<Runtime*> instance_;
  Runtime& launch(unsigned first_thread);
  void start_threads();

  std::unique_ptr<EventSource> events_;
  sys::FutexLock idle_mu_;
  std::vector<Worker*> idle_list_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<Clock::rep> last_poll_{0};
  unsigned first_thread_ = 0;  // workers below it run on adopted threads
  std::atomic<bool> threads_started_{false};
  sys::FutexLock threads_mu_;
};

// Starts an OS thread for the runtime's own use (workers, monitor, spares, thread pools) with the
// real pthread_create (never a thread-fiber, whatever GROVE_THREADS says), named `name` (at most
// 15 characters: top -H, ps -T). Detached unless `joinable`; then join it with join_runtime_thread.
pthread_t spawn_runtime_thread(std::string name, std::function<void()> body, bool joinable = false);
void join_runtime_thread(pthread_t thread);

}  // namespace grove::detail

// Writes the scheduler's state (one line per worker and spare) to `fd`; for stalls, from gdb:
// `gdb -p PID -batch -ex 'call grove_dump_state(2)'` (StateDump.cpp).
extern "C" void grove_dump_state(int fd);
