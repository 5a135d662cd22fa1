#include "sys/Fence.hpp"
#include "sched/Runtime.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "context/GuardHandler.hpp"
#include "sys/OsThread.hpp"
#include "sys/Sys.hpp"
#include "sys/FutexLock.hpp"

namespace grove::detail {

std::atomic<Runtime*> Runtime::instance_{nullptr};

namespace {
// Handed to the new thread, which takes its name and body and says so; the creator waits for that,
// then frees it. So nothing on the heap outlives the start of a thread that never ends (workers,
// the monitor), and the new thread never reads the creator's stack (which ASan flags after fork).
struct ThreadStart {
  char name[16];  // no std::string work on the new thread's fresh stack
  std::function<void()> body;
  std::atomic<std::uint32_t> taken{0};
};

void* run_runtime_thread(void* arg) {
  auto* start = static_cast<ThreadStart*>(arg);
  pthread_setname_np(pthread_self(), start->name);
  std::function<void()> body = std::move(start->body);
  start->taken.store(1, std::memory_order_release);
  sys::futex_wake(reinterpret_cast<std::uint32_t*>(&start->taken), 1);
  body();
  return nullptr;
}
}  // namespace

pthread_t spawn_runtime_thread(std::string name, std::function<void()> body, bool joinable) {
  // The real pthread_create: under GROVE_THREADS=fibers the program's one makes thread-fibers.
  auto* start = new ThreadStart{{}, std::move(body)};
  name.copy(start->name, sizeof start->name - 1);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, joinable ? PTHREAD_CREATE_JOINABLE : PTHREAD_CREATE_DETACHED);
  pthread_t id{};
  const int rc = sys::os_thread_create(&id, &attr, &run_runtime_thread, start);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete start;
    throw std::system_error(rc, std::generic_category(), "grove: cannot start a runtime thread");
  }
  const int saved_errno = errno;
  while (start->taken.load(std::memory_order_acquire) == 0) {
    sys::futex_wait(reinterpret_cast<std::uint32_t*>(&start->taken), 0, nullptr);
  }
  delete start;
  errno = saved_errno;
  return id;
}

void join_runtime_thread(pthread_t thread) { sys::os_thread_join(thread, nullptr); }

Runtime::Runtime(const Config& cfg, std::unique_ptr<EventSource> events) : config(cfg), events_(std::move(events)) {
  workers.reserve(cfg.workers);
  for (unsigned i = 0; i < cfg.workers; ++i) workers.push_back(std::make_unique<Worker>(*this, i));
  idle_list_.reserve(cfg.workers);
}

Runtime& Runtime::start(const Config& config, std::unique_ptr<EventSource> events) {
  static sys::FutexLock start_mu;
  std::lock_guard lock(start_mu);
  if (Runtime* rt = get()) return *rt;
  install_guard_handler();
  // Never destroyed: fibers and workers may still run while static destructors do.
  auto* rt = new Runtime(config, std::move(events));
  const bool is_main_thread = sys::gettid() == getpid();
  unsigned first_thread = 0;
  if (is_main_thread && !Worker::current()) {
    auto* main_fiber = new FiberControl(FiberKind::main);
    main_fiber->id = rt->next_fiber_id();
    main_fiber->name = "main";
    rt->workers[0]->adopt_current_thread(main_fiber);
    first_thread = 1;
  }
  return rt->launch(first_thread);
}

Runtime& Runtime::restart_in_child(std::unique_ptr<EventSource> events) {
  Runtime* old = get();
  auto* rt = new Runtime(old->config, std::move(events));
  Worker* w = Worker::current();
  unsigned first_thread = 0;
  FiberControl* self = w ? w->running_fiber() : nullptr;
  if (self && self->kind != FiberKind::scheduler) {
    rt->workers[0]->adopt_current_thread(self);
    first_thread = 1;
  } else {
    Worker::set_current(nullptr);  // a plain thread stays one
  }
  return rt->launch(first_thread);
}

// Publishes the runtime. Its threads (workers from `first_thread` on, and the monitor) start now,
// or with the first spawn if a thread was adopted (see ensure_threads).
Runtime& Runtime::launch(unsigned first_thread) {
  first_thread_ = first_thread;
  instance_.store(this, std::memory_order_release);
  if (first_thread == 0) start_threads();
  return *this;
}

void Runtime::start_threads() {
  std::lock_guard lock(threads_mu_);
  if (threads_started_.load(std::memory_order_relaxed)) return;
  for (unsigned i = first_thread_; i < workers.size(); ++i) workers[i]->start_thread();
  spawn_runtime_thread("grove-monitor", [this] { monitor_loop(); });
  threads_started_.store(true, std::memory_order_release);
}

void Runtime::inject(FiberControl* f) {
  if (f->pinned && f->home) {
    Worker* home = f->home;  // read before the push: once queued, f may run and be freed
    home->inbox.push(f);
    notify_inbox(home);
    return;
  }
  global.push(f);
  wake_idle_worker(true);
}

void Runtime::wake_idle_worker(bool strict) {
  if (strict) sys::full_fence();
  if (nidle.load(std::memory_order_relaxed) == 0 || nspinning.load(std::memory_order_relaxed) != 0) return;
  int expected = 0;
  if (!nspinning.compare_exchange_strong(expected, 1)) return;
  Worker* w = nullptr;
  {
    std::lock_guard lock(idle_mu_);
    if (!idle_list_.empty()) {
      w = idle_list_.back();
      idle_list_.pop_back();
      w->idle.store(false, std::memory_order_relaxed);
      w->woken_as_spinner = true;
      nidle.fetch_sub(1);
    }
  }
  if (!w) {
    nspinning.fetch_sub(1);
    return;
  }
  unpark_worker(w);
}

void Runtime::notify_inbox(Worker* w) {
  sys::full_fence();
  if (w->is_spare) {  // never on the idle list: it waits for its pinned fibers in wait_for_loan
    unpark_worker(w);
    return;
  }
  if (!w->idle.load(std::memory_order_seq_cst)) return;
  {
    std::lock_guard lock(idle_mu_);
    if (!w->idle.load(std::memory_order_relaxed)) return;
    idle_list_.erase(std::find(idle_list_.begin(), idle_list_.end(), w));
    w->idle.store(false, std::memory_order_relaxed);
    w->woken_as_spinner = false;
    nidle.fetch_sub(1);
  }
  unpark_worker(w);
}

void Runtime::add_idle(Worker* w) {
  std::lock_guard lock(idle_mu_);
  idle_list_.push_back(w);
  w->idle.store(true, std::memory_order_seq_cst);
  nidle.fetch_add(1);
}

bool Runtime::remove_idle(Worker* w) {
  std::lock_guard lock(idle_mu_);
  if (!w->idle.load(std::memory_order_relaxed)) return false;
  idle_list_.erase(std::find(idle_list_.begin(), idle_list_.end(), w));
  w->idle.store(false, std::memory_order_relaxed);
  nidle.fetch_sub(1);
  return true;
}

bool Runtime::work_visible(const Worker* self) const {
  if (!global.empty() || !self->inbox.empty()) return true;
  for (const auto& w : workers) {
    if (!w->ring.empty() || w->stealable_next()) return true;
  }
  return false;
}

void Runtime::unpark_worker(Worker* w) {
  if (w->wake_word.exchange(1, std::memory_order_seq_cst) != 0) return;
  if (w->in_poller.load(std::memory_order_seq_cst)) events_->interrupt();
  sys::futex_wake(reinterpret_cast<std::uint32_t*>(&w->wake_word), 1);
}

void Runtime::wake_monitor() {
  if (!monitor_sleeping.load(std::memory_order_relaxed)) return;
  monitor_word.store(1, std::memory_order_seq_cst);
  sys::futex_wake(reinterpret_cast<std::uint32_t*>(&monitor_word), 1);
}

TimePoint Runtime::earliest_timer() const {
  TimePoint earliest = kNoDeadline;
  for (const auto& w : workers) earliest = std::min(earliest, w->timers.earliest());
  return earliest;
}

bool Runtime::poller_blocked() const {
  for (const auto& w : workers) {
    if (w->in_poller.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

int Runtime::poll_now() {
  if (!events_->try_acquire()) return -1;
  const int woken = events_->poll(TimePoint{});
  last_poll_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  release_poller();
  return woken;
}

void Runtime::release_poller() {
  events_->release();
  // Pairs with sleep_until_work (publish idle, fence, try_acquire fails, futex): one of us sees
  // the other. Without the fence our load of nidle may pass our release store (x86 too).
  sys::full_fence();
  if (nidle.load(std::memory_order_relaxed) > 0 && !poller_blocked()) wake_idle_worker(false);
}

}  // namespace grove::detail
