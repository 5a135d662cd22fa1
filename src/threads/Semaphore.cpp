// Unnamed POSIX semaphores for threads-as-fibers. The value and the sleeper count are where
// glibc keeps them (the low and high halves of its 64-bit word), so a sem_t glibc initialised
// reads the same here. Errors as libc: -1 and errno.
#include <cerrno>
#include <climits>
#include <cstring>

#include "threads/FiberFutex.hpp"
#include "threads/Sync.hpp"

namespace grove::threads {
namespace {

struct SemWords {
  std::atomic<std::uint32_t> value;
  std::atomic<std::uint32_t> waiters;
};
static_assert(sizeof(SemWords) <= sizeof(sem_t));

SemWords& words(sem_t* s) { return *reinterpret_cast<SemWords*>(s); }

bool try_take(SemWords& w) {
  std::uint32_t v = w.value.load(std::memory_order_relaxed);
  while (v > 0) {
    if (w.value.compare_exchange_weak(v, v - 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
  }
  return false;
}

int fail(int code) {
  errno = code;
  return -1;
}

int take_until(SemWords& w, TimePoint deadline) {
  for (;;) {
    if (try_take(w)) return 0;
    w.waiters.fetch_add(1, std::memory_order_seq_cst);
    const int rc = futex_wait(&w.value, 0, deadline);
    w.waiters.fetch_sub(1, std::memory_order_relaxed);
    if (rc == ETIMEDOUT) return try_take(w) ? 0 : fail(ETIMEDOUT);
  }
}

}  // namespace

int sem_init(sem_t* s, int, unsigned value) {
  if (value > SEM_VALUE_MAX) return fail(EINVAL);
  std::memset(static_cast<void*>(s), 0, sizeof *s);
  words(s).value.store(value, std::memory_order_relaxed);
  return 0;
}

int sem_destroy(sem_t*) { return 0; }

int sem_wait(sem_t* s) { return take_until(words(s), detail::kNoDeadline); }

int sem_trywait(sem_t* s) { return try_take(words(s)) ? 0 : fail(EAGAIN); }

int sem_clockwait(sem_t* s, clockid_t clock, const timespec* abstime) {
  TimePoint deadline;
  if (!abstime) return fail(EINVAL);
  if (int rc = deadline_from(clock, abstime, deadline)) return fail(rc);
  return take_until(words(s), deadline);
}

int sem_timedwait(sem_t* s, const timespec* abstime) { return threads::sem_clockwait(s, CLOCK_REALTIME, abstime); }

int sem_post(sem_t* s) {
  SemWords& w = words(s);
  std::uint32_t v = w.value.load(std::memory_order_relaxed);
  do {
    if (v >= SEM_VALUE_MAX) return fail(EOVERFLOW);
  } while (!w.value.compare_exchange_weak(v, v + 1, std::memory_order_seq_cst, std::memory_order_relaxed));
  if (w.waiters.load(std::memory_order_seq_cst) != 0) futex_wake(&w.value, 1);
  return 0;
}

int sem_getvalue(sem_t* s, int* value) {
  *value = static_cast<int>(words(s).value.load(std::memory_order_relaxed));
  return 0;
}

}  // namespace grove::threads
