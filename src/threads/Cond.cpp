// pthread_cond_* for threads-as-fibers: a sequence word waiters sleep on (FiberFutex). A signal
// bumps it and wakes one; a waiter that went to sleep after the bump sees the change and returns
// at once, so no wake-up is lost; an extra one is a permitted spurious wake-up.
#include <cerrno>
#include <climits>
#include <cstring>

#include "grove/scheduler.hpp"
#include "threads/MutexWords.hpp"
#include "threads/Sync.hpp"

namespace grove::threads {
namespace {

// grove's view of a pthread_cond_t (48 bytes). All zero (PTHREAD_COND_INITIALIZER) is a
// CLOCK_REALTIME condition with no waiters.
struct CondWords {
  std::atomic<std::uint32_t> seq;
  std::atomic<std::uint32_t> waiters;
  clockid_t clock;
};
static_assert(sizeof(CondWords) <= sizeof(pthread_cond_t));

CondWords& words(pthread_cond_t* c) { return *reinterpret_cast<CondWords*>(c); }

int wait_until(pthread_cond_t* c, pthread_mutex_t* m, TimePoint deadline) {
  CondWords& cw = words(c);
  MutexWords& mw = threads::words(m);
  detail::FiberControl* self = nullptr;
  std::uint32_t count = 0;
  if (tracks_owner(mw)) {
    self = detail::current_fiber();
    if (mw.owner.load(std::memory_order_relaxed) != self) return EPERM;
    count = mw.count;  // a recursive mutex is released fully and retaken to the same depth
    mw.count = 0;
  }
  cw.waiters.fetch_add(1, std::memory_order_seq_cst);
  const std::uint32_t seen = cw.seq.load(std::memory_order_seq_cst);
  threads::pthread_mutex_unlock(m);
  const int rc = futex_wait(&cw.seq, seen, deadline);
  cw.waiters.fetch_sub(1, std::memory_order_release);
  // POSIX: the mutex is held again on every return, timeouts included.
  while (mutex_lock_until(m, detail::kNoDeadline) != 0) {
  }
  if (self) mw.count = count;
  return rc;
}

}  // namespace

int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* attr) {
  clockid_t clock = CLOCK_REALTIME;
  if (attr && pthread_condattr_getclock(attr, &clock) != 0) return EINVAL;
  std::memset(static_cast<void*>(c), 0, sizeof *c);
  words(c).clock = clock;
  return 0;
}

int pthread_cond_destroy(pthread_cond_t* c) {
  // Woken waiters may still be leaving (touching `waiters`): let them, as glibc does.
  while (words(c).waiters.load(std::memory_order_acquire) != 0) grove::yield();
  return 0;
}

int pthread_cond_signal(pthread_cond_t* c) {
  CondWords& cw = words(c);
  cw.seq.fetch_add(1, std::memory_order_seq_cst);
  if (cw.waiters.load(std::memory_order_seq_cst) != 0) futex_wake(&cw.seq, 1);
  return 0;
}

int pthread_cond_broadcast(pthread_cond_t* c) {
  CondWords& cw = words(c);
  cw.seq.fetch_add(1, std::memory_order_seq_cst);
  if (cw.waiters.load(std::memory_order_seq_cst) != 0) futex_wake(&cw.seq, INT_MAX);
  return 0;
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) { return wait_until(c, m, detail::kNoDeadline); }

int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* abstime) {
  TimePoint deadline;
  if (!abstime) return EINVAL;
  if (int rc = deadline_from(clock, abstime, deadline)) return rc;
  return wait_until(c, m, deadline);
}

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abstime) {
  return threads::pthread_cond_clockwait(c, m, words(c).clock, abstime);
}

}  // namespace grove::threads
