// pthread_rwlock_* for threads-as-fibers. A small guard (held only for a few instructions, never
// across a suspension) protects the counts; blocked callers sleep on a sequence word that every
// release bumps. Readers are preferred (glibc's default) unless the attribute asks for writers.
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

#include "sync/SpinLock.hpp"
#include "threads/FiberFutex.hpp"
#include "threads/Sync.hpp"
#include "fiber/FiberControl.hpp"

namespace grove::threads {
namespace {

// grove's view of a pthread_rwlock_t (56 bytes); `prefer` sits on glibc's __flags, so
// PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP asks for writer preference here too.
struct RwWords {
  detail::SpinLock guard;
  std::uint32_t readers;
  std::atomic<std::uint32_t> seq;
  std::uint32_t waiting;          // sleepers of any kind
  detail::FiberControl* writer;
  std::uint32_t writers_waiting;
  std::uint32_t unused[5];
  int prefer;                     // PTHREAD_RWLOCK_PREFER_*_NP
};
static_assert(sizeof(RwWords) <= sizeof(pthread_rwlock_t));
static_assert(offsetof(RwWords, prefer) == offsetof(pthread_rwlock_t, __data.__flags));

RwWords& words(pthread_rwlock_t* l) { return *reinterpret_cast<RwWords*>(l); }

enum class Mode { read, write };

bool can_take(const RwWords& w, Mode mode) {
  if (w.writer) return false;
  if (mode == Mode::write) return w.readers == 0;
  return !(w.prefer == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP && w.writers_waiting > 0);
}

// With the guard held.
int take(RwWords& w, Mode mode, detail::FiberControl* self) {
  if (mode == Mode::write) {
    w.writer = self;
    return 0;
  }
  if (w.readers == UINT_MAX) return EAGAIN;
  ++w.readers;
  return 0;
}

void wake_all(RwWords& w) {
  w.seq.fetch_add(1, std::memory_order_seq_cst);
  futex_wake(&w.seq, INT_MAX);
}

int lock(pthread_rwlock_t* l, Mode mode, bool try_only, TimePoint deadline) {
  RwWords& w = words(l);
  detail::FiberControl* self = detail::current_fiber();
  std::unique_lock guard(w.guard);
  if (w.writer == self) return try_only ? EBUSY : EDEADLK;
  while (!can_take(w, mode)) {
    if (try_only) return EBUSY;
    const std::uint32_t seen = w.seq.load(std::memory_order_relaxed);
    ++w.waiting;
    if (mode == Mode::write) ++w.writers_waiting;
    guard.unlock();
    const int rc = futex_wait(&w.seq, seen, deadline);
    guard.lock();
    --w.waiting;
    if (mode == Mode::write) --w.writers_waiting;
    if (rc == ETIMEDOUT && !can_take(w, mode)) {
      // A writer giving up may unblock readers that deferred to it.
      const bool unblock = mode == Mode::write && w.writers_waiting == 0 && w.waiting > 0;
      guard.unlock();
      if (unblock) wake_all(w);
      return ETIMEDOUT;
    }
  }
  return take(w, mode, self);
}

int timed(pthread_rwlock_t* l, Mode mode, clockid_t clock, const timespec* abstime) {
  if (int rc = lock(l, mode, true, detail::kNoDeadline); rc != EBUSY) return rc;
  TimePoint deadline;
  if (!abstime) return EINVAL;
  if (int rc = deadline_from(clock, abstime, deadline)) return rc;
  return lock(l, mode, false, deadline);
}

}  // namespace

int pthread_rwlock_init(pthread_rwlock_t* l, const pthread_rwlockattr_t* attr) {
  int prefer = PTHREAD_RWLOCK_PREFER_READER_NP;
  if (attr && pthread_rwlockattr_getkind_np(attr, &prefer) != 0) return EINVAL;
  std::memset(static_cast<void*>(l), 0, sizeof *l);
  words(l).prefer = prefer;
  return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t* l) {
  RwWords& w = words(l);
  std::lock_guard guard(w.guard);
  return (w.writer || w.readers || w.waiting) ? EBUSY : 0;
}

int pthread_rwlock_rdlock(pthread_rwlock_t* l) { return lock(l, Mode::read, false, detail::kNoDeadline); }
int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) { return lock(l, Mode::read, true, detail::kNoDeadline); }
int pthread_rwlock_wrlock(pthread_rwlock_t* l) { return lock(l, Mode::write, false, detail::kNoDeadline); }
int pthread_rwlock_trywrlock(pthread_rwlock_t* l) { return lock(l, Mode::write, true, detail::kNoDeadline); }

int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t clock, const timespec* abstime) {
  return timed(l, Mode::read, clock, abstime);
}
int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t clock, const timespec* abstime) {
  return timed(l, Mode::write, clock, abstime);
}
int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const timespec* abstime) {
  return timed(l, Mode::read, CLOCK_REALTIME, abstime);
}
int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const timespec* abstime) {
  return timed(l, Mode::write, CLOCK_REALTIME, abstime);
}

int pthread_rwlock_unlock(pthread_rwlock_t* l) {
  RwWords& w = words(l);
  std::unique_lock guard(w.guard);
  if (w.writer) {
    if (w.writer != detail::current_fiber()) return EPERM;
    w.writer = nullptr;
  } else if (w.readers > 0) {
    --w.readers;
  } else {
    return EPERM;
  }
  const bool wake = w.waiting > 0 && !w.writer && w.readers == 0;
  guard.unlock();
  if (wake) wake_all(w);
  return 0;
}

}  // namespace grove::threads
