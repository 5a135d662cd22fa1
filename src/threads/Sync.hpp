#pragma once
// Fiber-aware POSIX synchronisation for threads-as-fibers mode (GROVE_THREADS=fibers): the shim's
// pthread_mutex_*, pthread_cond_*, pthread_rwlock_*, pthread_barrier_*, pthread_once and sem_*
// forward here. Same contracts and return codes as glibc's; a blocked caller parks its fiber
// (or, on a plain thread, blocks the thread), so other fibers of the worker keep running.
//
// State lives in the program's own object (pthread_mutex_t etc.) as plain words laid out so that
// the all-zero static initializers, and the kind field of PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP /
// PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP (glibc's __kind), mean what they mean to glibc; waiters
// wait in FiberFutex's address-hashed table. So no side table, no allocation, nothing leaked when a
// program frees a mutex without destroying it. Process-shared objects work within the process only.
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

namespace grove::threads {

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr);
int pthread_mutex_destroy(pthread_mutex_t* m);
int pthread_mutex_lock(pthread_mutex_t* m);
int pthread_mutex_trylock(pthread_mutex_t* m);
int pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* abstime);  // CLOCK_REALTIME
int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const timespec* abstime);
int pthread_mutex_unlock(pthread_mutex_t* m);

int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* attr);
int pthread_cond_destroy(pthread_cond_t* c);
int pthread_cond_signal(pthread_cond_t* c);
int pthread_cond_broadcast(pthread_cond_t* c);
int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m);
// abstime on the clock set by pthread_condattr_setclock (default CLOCK_REALTIME).
int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* abstime);
int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* abstime);

int pthread_rwlock_init(pthread_rwlock_t* l, const pthread_rwlockattr_t* attr);
int pthread_rwlock_destroy(pthread_rwlock_t* l);
int pthread_rwlock_rdlock(pthread_rwlock_t* l);
int pthread_rwlock_tryrdlock(pthread_rwlock_t* l);
int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const timespec* abstime);
int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t clock, const timespec* abstime);
int pthread_rwlock_wrlock(pthread_rwlock_t* l);
int pthread_rwlock_trywrlock(pthread_rwlock_t* l);
int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const timespec* abstime);
int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t clock, const timespec* abstime);
int pthread_rwlock_unlock(pthread_rwlock_t* l);

int pthread_barrier_init(pthread_barrier_t* b, const pthread_barrierattr_t* attr, unsigned count);
int pthread_barrier_destroy(pthread_barrier_t* b);
int pthread_barrier_wait(pthread_barrier_t* b);

int pthread_once(pthread_once_t* once, void (*init)());

// The sem_* family reports errors as libc does: -1 with errno set.
int sem_init(sem_t* s, int pshared, unsigned value);
int sem_destroy(sem_t* s);
int sem_wait(sem_t* s);
int sem_trywait(sem_t* s);
int sem_timedwait(sem_t* s, const timespec* abstime);  // CLOCK_REALTIME
int sem_clockwait(sem_t* s, clockid_t clock, const timespec* abstime);
int sem_post(sem_t* s);
int sem_getvalue(sem_t* s, int* value);

// Yields the running fiber (a plain thread yields its CPU); always 0.
int sched_yield();

}  // namespace grove::threads
