// pthread_barrier_* for threads-as-fibers: the last arrival bumps the generation and wakes the rest.
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

#include "sync/SpinLock.hpp"
#include "threads/FiberFutex.hpp"
#include "threads/Sync.hpp"

namespace grove::threads {
namespace {

struct BarrierWords {
  detail::SpinLock guard;
  std::uint32_t target;
  std::uint32_t arrived;
  std::atomic<std::uint32_t> generation;
  std::atomic<std::uint32_t> leaving;  // woken waiters not yet out (destroy waits for them)
};
static_assert(sizeof(BarrierWords) <= sizeof(pthread_barrier_t));

BarrierWords& words(pthread_barrier_t* b) { return *reinterpret_cast<BarrierWords*>(b); }

}  // namespace

int pthread_barrier_init(pthread_barrier_t* b, const pthread_barrierattr_t*, unsigned count) {
  if (count == 0 || count > INT_MAX) return EINVAL;
  std::memset(static_cast<void*>(b), 0, sizeof *b);
  words(b).target = count;
  return 0;
}

int pthread_barrier_destroy(pthread_barrier_t* b) {
  BarrierWords& w = words(b);
  std::unique_lock guard(w.guard);
  if (w.arrived != 0) return EBUSY;
  guard.unlock();
  while (w.leaving.load(std::memory_order_acquire) != 0) threads::sched_yield();
  return 0;
}

int pthread_barrier_wait(pthread_barrier_t* b) {
  BarrierWords& w = words(b);
  std::unique_lock guard(w.guard);
  const std::uint32_t gen = w.generation.load(std::memory_order_relaxed);
  if (++w.arrived == w.target) {
    w.arrived = 0;
    w.leaving.fetch_add(w.target - 1, std::memory_order_relaxed);
    w.generation.store(gen + 1, std::memory_order_seq_cst);
    guard.unlock();
    futex_wake(&w.generation, INT_MAX);
    return PTHREAD_BARRIER_SERIAL_THREAD;
  }
  guard.unlock();
  while (w.generation.load(std::memory_order_acquire) == gen) futex_wait(&w.generation, gen, detail::kNoDeadline);
  w.leaving.fetch_sub(1, std::memory_order_release);
  return 0;
}

}  // namespace grove::threads
