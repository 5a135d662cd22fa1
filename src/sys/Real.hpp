#pragma once
// Pointers to the real libc functions behind grove's hooks, resolved once when libgrove loads
// (a constructor runs resolve_real_functions()). Until then each pointer holds a stand-in that
// makes the raw system call (or, for the few with no syscall equivalent, resolves everything
// first): a library constructor that runs before libgrove's may already call a hooked function.
//
// To add one: a line X(return type, name, (parameters), (arguments), stand-in expression).
// The stand-in is `GROVE_SYSCALL(SYS_x, args...)` where the raw call has libc's contract, else
// `GROVE_RESOLVE_FIRST`.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GROVE_REAL_FUNCTIONS(X)                                                                                  \
  X(int, socket, (int d, int t, int p), (d, t, p), GROVE_SYSCALL(SYS_socket, d, t, p))                          \
  X(int, socketpair, (int d, int t, int p, int* sv), (d, t, p, sv), GROVE_SYSCALL(SYS_socketpair, d, t, p, sv)) \
  X(int, connect, (int fd, const sockaddr* a, socklen_t l), (fd, a, l), GROVE_SYSCALL(SYS_connect, fd, a, l))   \
  X(int, accept, (int fd, sockaddr* a, socklen_t* l), (fd, a, l), GROVE_SYSCALL(SYS_accept4, fd, a, l, 0))      \
  X(int, accept4, (int fd, sockaddr* a, socklen_t* l, int f), (fd, a, l, f),                                    \
    GROVE_SYSCALL(SYS_accept4, fd, a, l, f))                                                                    \
  X(int, shutdown, (int fd, int how), (fd, how), GROVE_SYSCALL(SYS_shutdown, fd, how))                          \
  X(int, setsockopt, (int fd, int lv, int nm, const void* v, socklen_t l), (fd, lv, nm, v, l),                  \
    GROVE_SYSCALL(SYS_setsockopt, fd, lv, nm, v, l))                                                            \
  X(int, getsockopt, (int fd, int lv, int nm, void* v, socklen_t* l), (fd, lv, nm, v, l),                       \
    GROVE_SYSCALL(SYS_getsockopt, fd, lv, nm, v, l))                                                            \
  X(ssize_t, read, (int fd, void* b, size_t n), (fd, b, n), GROVE_SYSCALL(SYS_read, fd, b, n))                  \
  X(ssize_t, readv, (int fd, const iovec* v, int c), (fd, v, c), GROVE_SYSCALL(SYS_readv, fd, v, c))            \
  X(ssize_t, recv, (int fd, void* b, size_t n, int f), (fd, b, n, f),                                           \
    GROVE_SYSCALL(SYS_recvfrom, fd, b, n, f, nullptr, nullptr))                                                 \
  X(ssize_t, recvfrom, (int fd, void* b, size_t n, int f, sockaddr* a, socklen_t* l), (fd, b, n, f, a, l),      \
    GROVE_SYSCALL(SYS_recvfrom, fd, b, n, f, a, l))                                                             \
  X(ssize_t, recvmsg, (int fd, msghdr* m, int f), (fd, m, f), GROVE_SYSCALL(SYS_recvmsg, fd, m, f))             \
  X(int, recvmmsg, (int fd, mmsghdr* m, unsigned v, int f, timespec* t), (fd, m, v, f, t),                      \
    GROVE_SYSCALL(SYS_recvmmsg, fd, m, v, f, t))                                                                \
  X(ssize_t, write, (int fd, const void* b, size_t n), (fd, b, n), GROVE_SYSCALL(SYS_write, fd, b, n))          \
  X(ssize_t, writev, (int fd, const iovec* v, int c), (fd, v, c), GROVE_SYSCALL(SYS_writev, fd, v, c))          \
  X(ssize_t, send, (int fd, const void* b, size_t n, int f), (fd, b, n, f),                                     \
    GROVE_SYSCALL(SYS_sendto, fd, b, n, f, nullptr, 0))                                                         \
  X(ssize_t, sendto, (int fd, const void* b, size_t n, int f, const sockaddr* a, socklen_t l),                  \
    (fd, b, n, f, a, l), GROVE_SYSCALL(SYS_sendto, fd, b, n, f, a, l))                                          \
  X(ssize_t, sendmsg, (int fd, const msghdr* m, int f), (fd, m, f), GROVE_SYSCALL(SYS_sendmsg, fd, m, f))       \
  X(int, sendmmsg, (int fd, mmsghdr* m, unsigned v, int f), (fd, m, v, f), GROVE_SYSCALL(SYS_sendmmsg, fd, m, v, f)) \
  X(ssize_t, sendfile, (int o, int i, off_t* off, size_t n), (o, i, off, n), GROVE_SYSCALL(SYS_sendfile, o, i, off, n)) \
  X(int, poll, (pollfd* f, nfds_t n, int ms), (f, n, ms), GROVE_RESOLVE_FIRST)                                  \
  X(int, ppoll, (pollfd* f, nfds_t n, const timespec* t, const sigset_t* m), (f, n, t, m), GROVE_RESOLVE_FIRST)  \
  X(int, select, (int n, fd_set* r, fd_set* w, fd_set* e, timeval* t), (n, r, w, e, t), GROVE_RESOLVE_FIRST)     \
  X(int, pselect, (int n, fd_set* r, fd_set* w, fd_set* e, const timespec* t, const sigset_t* m),               \
    (n, r, w, e, t, m), GROVE_RESOLVE_FIRST)                                                                    \
  X(int, epoll_wait, (int ep, epoll_event* e, int mx, int ms), (ep, e, mx, ms),                                 \
    GROVE_SYSCALL(SYS_epoll_pwait, ep, e, mx, ms, nullptr, 8))                                                  \
  X(int, epoll_pwait, (int ep, epoll_event* e, int mx, int ms, const sigset_t* s), (ep, e, mx, ms, s),          \
    GROVE_RESOLVE_FIRST)                                                                                        \
  X(unsigned, sleep, (unsigned s), (s), GROVE_RESOLVE_FIRST)                                                    \
  X(int, usleep, (useconds_t u), (u), GROVE_RESOLVE_FIRST)                                                      \
  X(int, nanosleep, (const timespec* r, timespec* m), (r, m), GROVE_SYSCALL(SYS_nanosleep, r, m))               \
  X(int, clock_nanosleep, (clockid_t c, int f, const timespec* r, timespec* m), (c, f, r, m),                   \
    GROVE_RESOLVE_FIRST)                                                                                        \
  X(int, sched_yield, (), (), GROVE_SYSCALL(SYS_sched_yield))                                                   \
  X(int, close, (int fd), (fd), GROVE_SYSCALL(SYS_close, fd))                                                   \
  X(int, dup, (int fd), (fd), GROVE_SYSCALL(SYS_dup, fd))                                                       \
  X(int, dup2, (int fd, int t), (fd, t), GROVE_RESOLVE_FIRST)                                                   \
  X(int, dup3, (int fd, int t, int f), (fd, t, f), GROVE_SYSCALL(SYS_dup3, fd, t, f))                           \
  X(int, pipe, (int* p), (p), GROVE_SYSCALL(SYS_pipe2, p, 0))                                                   \
  X(int, pipe2, (int* p, int f), (p, f), GROVE_SYSCALL(SYS_pipe2, p, f))                                        \
  X(int, eventfd, (unsigned v, int f), (v, f), GROVE_SYSCALL(SYS_eventfd2, v, f))                               \
  X(pid_t, fork, (), (), GROVE_RESOLVE_FIRST)                                                                   \
  X(pid_t, waitpid, (pid_t p, int* s, int o), (p, s, o), GROVE_SYSCALL(SYS_wait4, p, s, o, nullptr))            \
  X(pid_t, wait, (int* s), (s), GROVE_SYSCALL(SYS_wait4, -1, s, 0, nullptr))                                    \
  X(pid_t, wait3, (int* s, int o, rusage* r), (s, o, r), GROVE_SYSCALL(SYS_wait4, -1, s, o, r))                 \
  X(pid_t, wait4, (pid_t p, int* s, int o, rusage* r), (p, s, o, r), GROVE_SYSCALL(SYS_wait4, p, s, o, r))      \
  X(int, waitid, (idtype_t t, id_t i, siginfo_t* s, int o), (t, i, s, o),                                       \
    GROVE_SYSCALL(SYS_waitid, t, i, s, o, nullptr))                                                             \
  X(int, system, (const char* c), (c), GROVE_RESOLVE_FIRST)                                                     \
  X(FILE*, popen, (const char* c, const char* m), (c, m), GROVE_RESOLVE_FIRST)                                  \
  X(int, pclose, (FILE * f), (f), GROVE_RESOLVE_FIRST)                                                          \
  /* threads: the real pthread functions (fibers mode interposes them; the runtime uses these) */ \
  X(int, pthread_create, (pthread_t* t, const pthread_attr_t* a, void* (*f)(void*), void* v), (t, a, f, v), GROVE_RESOLVE_FIRST) \
  X(int, pthread_join, (pthread_t t, void** r), (t, r), GROVE_RESOLVE_FIRST) \
  X(int, pthread_detach, (pthread_t t), (t), GROVE_RESOLVE_FIRST) \
  X(void, pthread_exit, (void* v), (v), GROVE_RESOLVE_FIRST) \
  X(int, pthread_once, (pthread_once_t* o, void (*f)()), (o, f), GROVE_RESOLVE_FIRST) \
  X(int, pthread_mutex_init, (pthread_mutex_t* m, const pthread_mutexattr_t* a), (m, a), GROVE_RESOLVE_FIRST) \
  X(int, pthread_mutex_destroy, (pthread_mutex_t* m), (m), GROVE_RESOLVE_FIRST) \
  X(int, pthread_mutex_lock, (pthread_mutex_t* m), (m), GROVE_RESOLVE_FIRST) \
  X(int, pthread_mutex_trylock, (pthread_mutex_t* m), (m), GROVE_RESOLVE_FIRST) \
  X(int, pthread_mutex_timedlock, (pthread_mutex_t* m, const timespec* t), (m, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_mutex_clocklock, (pthread_mutex_t* m, clockid_t c, const timespec* t), (m, c, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_mutex_unlock, (pthread_mutex_t* m), (m), GROVE_RESOLVE_FIRST) \
  X(int, pthread_cond_init, (pthread_cond_t* c, const pthread_condattr_t* a), (c, a), GROVE_RESOLVE_FIRST) \
  X(int, pthread_cond_destroy, (pthread_cond_t* c), (c), GROVE_RESOLVE_FIRST) \
  X(int, pthread_cond_signal, (pthread_cond_t* c), (c), GROVE_RESOLVE_FIRST) \
  X(int, pthread_cond_broadcast, (pthread_cond_t* c), (c), GROVE_RESOLVE_FIRST) \
  X(int, pthread_cond_wait, (pthread_cond_t* c, pthread_mutex_t* m), (c, m), GROVE_RESOLVE_FIRST) \
  X(int, pthread_cond_timedwait, (pthread_cond_t* c, pthread_mutex_t* m, const timespec* t), (c, m, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_cond_clockwait, (pthread_cond_t* c, pthread_mutex_t* m, clockid_t k, const timespec* t), (c, m, k, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_init, (pthread_rwlock_t* l, const pthread_rwlockattr_t* a), (l, a), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_destroy, (pthread_rwlock_t* l), (l), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_rdlock, (pthread_rwlock_t* l), (l), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t* l), (l), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t* l, const timespec* t), (l, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t* l, clockid_t c, const timespec* t), (l, c, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_wrlock, (pthread_rwlock_t* l), (l), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t* l), (l), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t* l, const timespec* t), (l, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t* l, clockid_t c, const timespec* t), (l, c, t), GROVE_RESOLVE_FIRST) \
  X(int, pthread_rwlock_unlock, (pthread_rwlock_t* l), (l), GROVE_RESOLVE_FIRST) \
  X(int, pthread_barrier_init, (pthread_barrier_t* b, const pthread_barrierattr_t* a, unsigned n), (b, a, n), GROVE_RESOLVE_FIRST) \
  X(int, pthread_barrier_destroy, (pthread_barrier_t* b), (b), GROVE_RESOLVE_FIRST) \
  X(int, pthread_barrier_wait, (pthread_barrier_t* b), (b), GROVE_RESOLVE_FIRST) \
  X(int, sem_init, (sem_t* s, int p, unsigned v), (s, p, v), GROVE_RESOLVE_FIRST) \
  X(int, sem_destroy, (sem_t* s), (s), GROVE_RESOLVE_FIRST) \
  X(int, sem_wait, (sem_t* s), (s), GROVE_RESOLVE_FIRST) \
  X(int, sem_trywait, (sem_t* s), (s), GROVE_RESOLVE_FIRST) \
  X(int, sem_timedwait, (sem_t* s, const timespec* t), (s, t), GROVE_RESOLVE_FIRST) \
  X(int, sem_clockwait, (sem_t* s, clockid_t c, const timespec* t), (s, c, t), GROVE_RESOLVE_FIRST) \
  X(int, sem_post, (sem_t* s), (s), GROVE_RESOLVE_FIRST) \
  X(int, sem_getvalue, (sem_t* s, int* v), (s, v), GROVE_RESOLVE_FIRST) \
  GROVE_REAL_RESOLVER_FUNCTIONS(X)

// The resolver (src/dns answers local names through these, so an interposed getaddrinfo never
// recurses into grove).
#define GROVE_REAL_RESOLVER_FUNCTIONS(X)                                                                         \
  X(int, getaddrinfo, (const char* h, const char* s, const addrinfo* hi, addrinfo** r), (h, s, hi, r),          \
    GROVE_RESOLVE_FIRST)                                                                                        \
  X(void, freeaddrinfo, (addrinfo * a), (a), GROVE_RESOLVE_FIRST)                                               \
  X(const char*, gai_strerror, (int c), (c), GROVE_RESOLVE_FIRST)                                               \
  X(int, getnameinfo, (const sockaddr* sa, socklen_t sl, char* h, socklen_t hl, char* s, socklen_t svl, int f), \
    (sa, sl, h, hl, s, svl, f), GROVE_RESOLVE_FIRST)                                                            \
  X(hostent*, gethostbyname, (const char* n), (n), GROVE_RESOLVE_FIRST)                                         \
  X(hostent*, gethostbyname2, (const char* n, int af), (n, af), GROVE_RESOLVE_FIRST)                            \
  X(int, gethostbyname_r, (const char* n, hostent* h, char* b, size_t l, hostent** r, int* e),                  \
    (n, h, b, l, r, e), GROVE_RESOLVE_FIRST)                                                                    \
  X(int, gethostbyname2_r, (const char* n, int af, hostent* h, char* b, size_t l, hostent** r, int* e),         \
    (n, af, h, b, l, r, e), GROVE_RESOLVE_FIRST)                                                                \
  X(hostent*, gethostbyaddr, (const void* a, socklen_t l, int t), (a, l, t), GROVE_RESOLVE_FIRST)               \
  X(int, gethostbyaddr_r, (const void* a, socklen_t al, int t, hostent* h, char* b, size_t l, hostent** r,      \
                           int* e), (a, al, t, h, b, l, r, e), GROVE_RESOLVE_FIRST)

namespace grove::real {

#define GROVE_REAL_DECLARE(ret, name, params, args, standin) extern ret(*name) params;
GROVE_REAL_FUNCTIONS(GROVE_REAL_DECLARE)
#undef GROVE_REAL_DECLARE

// Variadic ones, declared by hand.
extern int (*fcntl)(int fd, int cmd, ...);
extern int (*ioctl)(int fd, unsigned long request, ...);

// Resolves every pointer (idempotent). Runs from a constructor when libgrove loads.
void resolve_real_functions() noexcept;

// Looks a libc symbol up the way the pointers above are: the next definition after libgrove,
// else libc's own (for libraries that add their own real pointers, e.g. with a version).
void* resolve(const char* name, const char* version = nullptr) noexcept;

}  // namespace grove::real
