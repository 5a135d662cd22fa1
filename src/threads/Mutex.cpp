// pthread_mutex_* for threads-as-fibers: the three-state futex mutex (as glibc's normal mutex)
// on FiberFutex, with an owner word for recursive and error-checking mutexes.
#include <cerrno>
#include <climits>
#include <cstring>

#include "sys/Real.hpp"
#include "threads/MutexWords.hpp"
#include "threads/Sync.hpp"

namespace grove::threads {
namespace {

bool try_acquire(MutexWords& w) {
  std::uint32_t expected = 0;
  return w.state.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed);
}

int acquire_contended(MutexWords& w, TimePoint deadline) {
  while (w.state.exchange(2, std::memory_order_acquire) != 0) {
    if (futex_wait(&w.state, 2, deadline) == ETIMEDOUT) {
      // One last try: the lock may have been freed as the deadline passed.
      if (w.state.exchange(2, std::memory_order_acquire) == 0) return 0;
      return ETIMEDOUT;
    }
  }
  return 0;
}

// Re-entry by the owner: counted (recursive) or refused (errorcheck). -1: not the owner.
int relock_by_owner(MutexWords& w, detail::FiberControl* self, int errorcheck_code) {
  if (w.owner.load(std::memory_order_relaxed) != self) return -1;
  if (mutex_type(w) == PTHREAD_MUTEX_ERRORCHECK) return errorcheck_code;
  if (w.count == UINT_MAX) return EAGAIN;
  ++w.count;
  return 0;
}

}  // namespace

int mutex_lock_until(pthread_mutex_t* m, TimePoint deadline) {
  MutexWords& w = words(m);
  if (!tracks_owner(w)) {
    if (try_acquire(w)) [[likely]] return 0;
    return acquire_contended(w, deadline);
  }
  detail::FiberControl* self = detail::current_fiber();
  if (int rc = relock_by_owner(w, self, EDEADLK); rc >= 0) return rc;
  if (!try_acquire(w)) {
    if (int rc = acquire_contended(w, deadline)) return rc;
  }
  w.owner.store(self, std::memory_order_relaxed);
  w.count = 0;
  return 0;
}

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr) {
  int type = PTHREAD_MUTEX_NORMAL;
  if (attr && pthread_mutexattr_gettype(attr, &type) != 0) return EINVAL;
  std::memset(static_cast<void*>(m), 0, sizeof *m);
  words(m).kind = type;
  return 0;
}

int pthread_mutex_destroy(pthread_mutex_t* m) {
  return words(m).state.load(std::memory_order_relaxed) != 0 ? EBUSY : 0;
}

int pthread_mutex_lock(pthread_mutex_t* m) { return mutex_lock_until(m, detail::kNoDeadline); }

int pthread_mutex_trylock(pthread_mutex_t* m) {
  MutexWords& w = words(m);
  if (!tracks_owner(w)) return try_acquire(w) ? 0 : EBUSY;
  detail::FiberControl* self = detail::current_fiber();
  if (int rc = relock_by_owner(w, self, EBUSY); rc >= 0) return rc;
  if (!try_acquire(w)) return EBUSY;
  w.owner.store(self, std::memory_order_relaxed);
  w.count = 0;
  return 0;
}

int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const timespec* abstime) {
  MutexWords& w = words(m);
  // As glibc: a free mutex is taken without looking at the timeout.
  if (!tracks_owner(w) && try_acquire(w)) return 0;
  TimePoint deadline;
  if (!abstime) return EINVAL;
  if (int rc = deadline_from(clock, abstime, deadline)) return rc;
  return mutex_lock_until(m, deadline);
}

int pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* abstime) {
  return threads::pthread_mutex_clocklock(m, CLOCK_REALTIME, abstime);
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
  MutexWords& w = words(m);
  if (tracks_owner(w)) {
    if (w.owner.load(std::memory_order_relaxed) != detail::current_fiber()) return EPERM;
    if (w.count > 0) {
      --w.count;
      return 0;
    }
    w.owner.store(nullptr, std::memory_order_relaxed);
  }
  if (w.state.exchange(0, std::memory_order_release) == 2) futex_wake(&w.state, 1);
  return 0;
}

}  // namespace grove::threads
