#include "threads/ThreadFiber.hpp"

#include <pthread.h>
#include <sys/mman.h>

#include <cerrno>
#include <exception>
#include <new>
#include <string>
#include <unordered_map>

#include "api/Bootstrap.hpp"
#include "grove/fiber.hpp"
#include "sched/Worker.hpp"
#include "sync/SpinLock.hpp"

namespace grove::detail {
namespace {

// What start_thread keeps mapped below the exiting frame (glibc's PTHREAD_STACK_MIN).
constexpr std::size_t kKeepBelowExitFrame = 16 * 1024;

struct ThreadTask;

struct Record {
  FiberControl* fiber;  // one reference, held until joined (or finished while detached)
  ThreadTask* task;
  bool detached;
  bool joining = false;
  bool finished = false;
};

// pthread_t -> record. A SpinLock, not a pthread mutex: those are what this layer implements.
SpinLock g_table_mu;
std::unordered_map<std::uintptr_t, Record>& table() {
  static auto* t = new std::unordered_map<std::uintptr_t, Record>();  // outlives exit-time threads
  return *t;
}

void finished(std::uintptr_t id) {
  FiberControl* drop = nullptr;
  {
    std::lock_guard lock(g_table_mu);
    auto it = table().find(id);
    if (it == table().end()) return;
    it->second.finished = true;
    if (it->second.detached) {
      drop = it->second.fiber;
      table().erase(it);
    }
  }
  // The scheduler still holds its own reference: the TLS we run on stays until retirement.
  if (drop) release(drop);
}

struct ThreadTask final : TaskBase {
  void* (*start)(void*);
  void* arg;
  void* result = nullptr;
  std::uintptr_t id = 0;
  ThreadTask(void* (*s)(void*), void* a) : start(s), arg(a) {}
  void run() override {
    try {
      result = start(arg);
    } catch (const ThreadExit& e) {
      result = e.value;
    } catch (...) {
      std::terminate();  // as an exception escaping a real thread's start routine
    }
    // start_thread's epilogue: thread_local destructors and key destructors, on this TLS.
    FiberControl* self = current_fiber();
    self->tls->run_exit_hooks();
    release_unused_stack(self->stack);
    finished(id);
  }

  // As glibc's start_thread (advise_stack_range): a finished thread gives back the pages it
  // touched below its last frames, so a deep 8 MiB stack waiting in the pool for its next
  // thread-fiber costs no RSS.
  __attribute__((noinline)) static void release_unused_stack(const Stack& stack) {
    const auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    const auto lo = reinterpret_cast<std::uintptr_t>(stack.base);
    if (sp <= lo + kKeepBelowExitFrame + page_size()) return;
    // The lowest page of an unguarded (slab) stack holds its overflow canary: leave it.
    const std::uintptr_t from = lo + (stack.guarded ? 0 : page_size());
    const std::uintptr_t to = (sp - kKeepBelowExitFrame) & ~(page_size() - 1);
    if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
  }
};

// glibc's default thread stack size (RLIMIT_STACK at start-up, or pthread_setattr_default_np).
std::size_t default_thread_stack() {
  pthread_attr_t attr;
  std::size_t size = 0;
  if (pthread_getattr_default_np(&attr) == 0) {
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
  }
  return size;
}

}  // namespace

std::size_t thread_fiber_stack_size(std::size_t requested) {
  // No attribute means what a default attribute says, as for an OS thread. Only a reservation:
  // stacks are mapped lazily, so a thread-fiber's RSS is what it touches.
  if (!requested) requested = default_thread_stack();
  if (!requested) requested = std::max(runtime().config.stack_size, std::size_t{256} * 1024);
  return round_to_pages(std::clamp(requested, kMinStackSize, kMaxStackSize));
}

int thread_fiber_create(std::uintptr_t* id, void* (*start)(void*), void* arg, std::size_t stack_size, bool detached) {
  if (!FiberTls::supported()) return EAGAIN;
  SpawnOptions options;
  options.stack_size = thread_fiber_stack_size(stack_size);
  void* memory = nullptr;
  FiberControl* f = nullptr;
  try {
    f = fiber_create(options, sizeof(ThreadTask), alignof(ThreadTask), &memory);
  } catch (const std::bad_alloc&) {
    return EAGAIN;
  }
  f->tls = FiberTls::create(FiberTls::Stack{f->stack.base, f->stack.size});
  if (!f->tls) {
    fiber_release(f);
    return EAGAIN;
  }
  f->tls_worker_slot = Worker::slot_in(f->tls);
  f->name = "thread-" + std::to_string(f->id);
  auto* task = ::new (memory) ThreadTask(start, arg);
  task->id = f->tls->thread_pointer();
  *id = task->id;
  {
    std::lock_guard lock(g_table_mu);
    table().emplace(task->id, Record{f, task, detached});
  }
  fiber_start(f, task);
  return 0;
}

int thread_fiber_join(std::uintptr_t id, void** result) {
  FiberControl* f = nullptr;
  ThreadTask* task = nullptr;
  {
    std::lock_guard lock(g_table_mu);
    auto it = table().find(id);
    if (it == table().end()) return ESRCH;
    if (it->second.fiber == current_fiber()) return EDEADLK;
    if (it->second.detached || it->second.joining) return EINVAL;
    it->second.joining = true;
    f = it->second.fiber;
    task = it->second.task;
  }
  // pthread_join is not a cancellation point here and never throws: retry interrupted waits.
  while (!fiber_done(f)) {
    try {
      fiber_join(f, kNoDeadline);
    } catch (...) {
    }
  }
  if (result) *result = task->result;
  {
    std::lock_guard lock(g_table_mu);
    table().erase(id);
  }
  release(f);
  return 0;
}

int thread_fiber_detach(std::uintptr_t id) {
  FiberControl* drop = nullptr;
  {
    std::lock_guard lock(g_table_mu);
    auto it = table().find(id);
    if (it == table().end()) return ESRCH;
    if (it->second.detached || it->second.joining) return EINVAL;
    if (it->second.finished) {
      drop = it->second.fiber;
      table().erase(it);
    } else {
      it->second.detached = true;
    }
  }
  if (drop) release(drop);
  return 0;
}

bool is_thread_fiber(std::uintptr_t id) {
  std::lock_guard lock(g_table_mu);
  return table().count(id) != 0;
}

std::size_t running_thread_fibers() {
  std::lock_guard lock(g_table_mu);
  std::size_t n = 0;
  for (const auto& [id, record] : table()) n += record.finished ? 0 : 1;
  return n;
}

FiberControl* current_thread_fiber() noexcept {
  if (!Worker::current()) return nullptr;
  FiberControl* f = current_fiber();
  return f->tls ? f : nullptr;
}

void thread_fiber_exit(void* value) { throw ThreadExit{value}; }

}  // namespace grove::detail
