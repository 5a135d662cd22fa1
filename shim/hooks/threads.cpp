// pthreads and POSIX semaphores. With GROVE_THREADS=fibers (threads_as_fibers mode) they are
// grove's: pthread_create makes a thread-fiber (own TLS, see src/context/FiberTls.md) and the
// synchronisation objects park fibers (src/threads/Sync.hpp). Otherwise each call goes straight
// to libc's. pthread_self/equal and the pthread_key_* family need no wrapper: glibc reads them
// from the running TCB, which in fibers mode is the thread-fiber's own.
#include <cerrno>
#include <cstdlib>

#include "Shim.hpp"
#include "grove/scheduler.hpp"
#include "sys/Real.hpp"
#include "threads/Mode.hpp"
#include "threads/Sync.hpp"
#include "threads/ThreadFiber.hpp"

namespace {

using grove::threads::fibers_mode;
namespace real = grove::real;

int create_thread_fiber(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  int detach_state = PTHREAD_CREATE_JOINABLE;
  std::size_t stack_size = 0;  // default
  if (attr) {
    pthread_attr_getdetachstate(attr, &detach_state);
    void* user_stack = nullptr;
    // A caller-supplied stack cannot host a fiber's guard and TLS: its size is honoured instead.
    if (pthread_attr_getstack(attr, &user_stack, &stack_size) != 0 || !user_stack) {
      pthread_attr_getstacksize(attr, &stack_size);
    }
  }
  std::uintptr_t id = 0;
  const int rc = grove::detail::thread_fiber_create(&id, start, arg, stack_size, detach_state == PTHREAD_CREATE_DETACHED);
  if (rc == 0) *thread = static_cast<pthread_t>(id);
  return rc;
}

// pthread_exit on the main fiber: as glibc, the process lives on until the other threads end.
[[noreturn]] void exit_main_thread() {
  while (grove::detail::running_thread_fibers() != 0) grove::sleep(std::chrono::milliseconds(1));
  std::exit(0);
}

}  // namespace

#define GROVE_EXPORT extern "C" __attribute__((visibility("default")))

GROVE_EXPORT int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  if (!fibers_mode()) return real::pthread_create(thread, attr, start, arg);
  return create_thread_fiber(thread, attr, start, arg);
}

GROVE_EXPORT int pthread_join(pthread_t thread, void** result) {
  if (fibers_mode() && grove::detail::is_thread_fiber(thread)) return grove::detail::thread_fiber_join(thread, result);
  return real::pthread_join(thread, result);
}

GROVE_EXPORT int pthread_detach(pthread_t thread) {
  if (fibers_mode() && grove::detail::is_thread_fiber(thread)) return grove::detail::thread_fiber_detach(thread);
  return real::pthread_detach(thread);
}

GROVE_EXPORT void pthread_exit(void* value) {
  if (fibers_mode()) {
    if (grove::detail::current_thread_fiber()) grove::detail::thread_fiber_exit(value);
    if (grove::in_fiber()) exit_main_thread();
  }
  real::pthread_exit(value);
  __builtin_unreachable();
}

// The rest forward to grove::threads::X in fibers mode, else to libc's X.
#define GROVE_THREAD_SHIM(ret, name, params, args) \
  GROVE_EXPORT ret name params { return fibers_mode() ? grove::threads::name args : real::name args; }

GROVE_THREAD_SHIM(int, pthread_once, (pthread_once_t* o, void (*f)()), (o, f))
GROVE_THREAD_SHIM(int, pthread_mutex_init, (pthread_mutex_t* m, const pthread_mutexattr_t* a), (m, a))
GROVE_THREAD_SHIM(int, pthread_mutex_destroy, (pthread_mutex_t* m), (m))
GROVE_THREAD_SHIM(int, pthread_mutex_lock, (pthread_mutex_t* m), (m))
GROVE_THREAD_SHIM(int, pthread_mutex_trylock, (pthread_mutex_t* m), (m))
GROVE_THREAD_SHIM(int, pthread_mutex_timedlock, (pthread_mutex_t* m, const timespec* t), (m, t))
GROVE_THREAD_SHIM(int, pthread_mutex_clocklock, (pthread_mutex_t* m, clockid_t c, const timespec* t), (m, c, t))
GROVE_THREAD_SHIM(int, pthread_mutex_unlock, (pthread_mutex_t* m), (m))
GROVE_THREAD_SHIM(int, pthread_cond_init, (pthread_cond_t* c, const pthread_condattr_t* a), (c, a))
GROVE_THREAD_SHIM(int, pthread_cond_destroy, (pthread_cond_t* c), (c))
GROVE_THREAD_SHIM(int, pthread_cond_signal, (pthread_cond_t* c), (c))
GROVE_THREAD_SHIM(int, pthread_cond_broadcast, (pthread_cond_t* c), (c))
GROVE_THREAD_SHIM(int, pthread_cond_wait, (pthread_cond_t* c, pthread_mutex_t* m), (c, m))
GROVE_THREAD_SHIM(int, pthread_cond_timedwait, (pthread_cond_t* c, pthread_mutex_t* m, const timespec* t), (c, m, t))
GROVE_THREAD_SHIM(int, pthread_cond_clockwait, (pthread_cond_t* c, pthread_mutex_t* m, clockid_t k, const timespec* t),
                  (c, m, k, t))
GROVE_THREAD_SHIM(int, pthread_rwlock_init, (pthread_rwlock_t* l, const pthread_rwlockattr_t* a), (l, a))
GROVE_THREAD_SHIM(int, pthread_rwlock_destroy, (pthread_rwlock_t* l), (l))
GROVE_THREAD_SHIM(int, pthread_rwlock_rdlock, (pthread_rwlock_t* l), (l))
GROVE_THREAD_SHIM(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t* l), (l))
GROVE_THREAD_SHIM(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t* l, const timespec* t), (l, t))
GROVE_THREAD_SHIM(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t* l, clockid_t c, const timespec* t), (l, c, t))
GROVE_THREAD_SHIM(int, pthread_rwlock_wrlock, (pthread_rwlock_t* l), (l))
GROVE_THREAD_SHIM(int, pthread_rwlock_trywrlock, (pthread_rwlock_t* l), (l))
GROVE_THREAD_SHIM(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t* l, const timespec* t), (l, t))
GROVE_THREAD_SHIM(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t* l, clockid_t c, const timespec* t), (l, c, t))
GROVE_THREAD_SHIM(int, pthread_rwlock_unlock, (pthread_rwlock_t* l), (l))
GROVE_THREAD_SHIM(int, pthread_barrier_init, (pthread_barrier_t* b, const pthread_barrierattr_t* a, unsigned n), (b, a, n))
GROVE_THREAD_SHIM(int, pthread_barrier_destroy, (pthread_barrier_t* b), (b))
GROVE_THREAD_SHIM(int, pthread_barrier_wait, (pthread_barrier_t* b), (b))
GROVE_THREAD_SHIM(int, sem_init, (sem_t* s, int p, unsigned v), (s, p, v))
GROVE_THREAD_SHIM(int, sem_destroy, (sem_t* s), (s))
GROVE_THREAD_SHIM(int, sem_wait, (sem_t* s), (s))
GROVE_THREAD_SHIM(int, sem_trywait, (sem_t* s), (s))
GROVE_THREAD_SHIM(int, sem_timedwait, (sem_t* s, const timespec* t), (s, t))
GROVE_THREAD_SHIM(int, sem_clockwait, (sem_t* s, clockid_t c, const timespec* t), (s, c, t))
GROVE_THREAD_SHIM(int, sem_post, (sem_t* s), (s))
GROVE_THREAD_SHIM(int, sem_getvalue, (sem_t* s, int* v), (s, v))
