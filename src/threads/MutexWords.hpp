#pragma once
// grove's view of a pthread_mutex_t (40 bytes on x86_64 glibc). `state` is where glibc keeps
// __lock and `kind` is glibc's __kind, so the static initializers set the type grove reads.
#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "fiber/FiberControl.hpp"
#include "threads/FiberFutex.hpp"

namespace grove::threads {

struct MutexWords {
  std::atomic<std::uint32_t> state;           // 0 free, 1 held, 2 held and maybe waited for
  std::uint32_t count;                        // a recursive owner's extra locks
  std::atomic<detail::FiberControl*> owner;   // recursive / errorcheck mutexes only
  int kind;                                   // PTHREAD_MUTEX_* in the low two bits
};
static_assert(sizeof(MutexWords) <= sizeof(pthread_mutex_t));
static_assert(offsetof(MutexWords, kind) == offsetof(pthread_mutex_t, __data.__kind));

inline MutexWords& words(pthread_mutex_t* m) { return *reinterpret_cast<MutexWords*>(m); }
inline int mutex_type(const MutexWords& w) { return w.kind & 3; }
inline bool tracks_owner(const MutexWords& w) {
  const int t = mutex_type(w);
  return t == PTHREAD_MUTEX_RECURSIVE || t == PTHREAD_MUTEX_ERRORCHECK;
}

// Locks until `deadline`: 0, or ETIMEDOUT, EDEADLK (errorcheck, held by the caller), EAGAIN
// (recursion count exhausted).
int mutex_lock_until(pthread_mutex_t* m, TimePoint deadline);

}  // namespace grove::threads
