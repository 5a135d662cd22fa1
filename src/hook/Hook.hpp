#pragma once
// Cooperative libc hooks: grove's versions of blocking libc calls, with libc's exact contract.
//
// How a hooked function is wired (follow this to add one; DNS and threads-as-fibers do too):
//  1. `grove::hook::X` — same signature as libc's X, C++ linkage — implements it in src/hook/*.cpp
//     (part of libgrove.so). Outside a fiber, before the runtime starts, or on a thread grove does not
//     manage, it passes straight through to the real function (see `active()` below).
//  2. `grove::real::X` — a pointer to the real function, resolved ONCE when libgrove loads
//     (dlsym(RTLD_NEXT), else libc's own handle; dlvsym for versioned symbols). Add one line to
//     GROVE_REAL_FUNCTIONS in src/sys/Real.hpp (below every layer that calls libc's originals). Never resolve inside a hook: dlsym may call malloc.
//  3. The interposing `extern "C" X(...)` lives in shim/<family>.cpp and only forwards to
//     grove::hook::X (one GROVE_SHIM line, shim/Shim.hpp). shim/ is compiled into both
//     build/lib/libgrove_preload.so (LD_PRELOAD / grove-run) and the CMake target grove::hooks
//     (link it into a program to patch its libc calls at link time). Without either, libgrove
//     leaves libc alone.
// The runtime's own code never calls a hookable libc function: it uses src/sys/Sys.hpp (raw
// syscalls) or grove::real::X.
// Variadic libc functions (fcntl, ioctl) take their one optional argument as a pointer-sized value.
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

namespace grove::hook {

// Whether the caller may be parked: hook/Active.hpp (inline, for src/hook only).

// --- sockets (SocketHooks.cpp)
int socket(int domain, int type, int protocol);
int socketpair(int domain, int type, int protocol, int sv[2]);
int connect(int fd, const sockaddr* addr, socklen_t len);
int accept(int fd, sockaddr* addr, socklen_t* len);
int accept4(int fd, sockaddr* addr, socklen_t* len, int flags);
int shutdown(int fd, int how);
int setsockopt(int fd, int level, int name, const void* value, socklen_t len);
int getsockopt(int fd, int level, int name, void* value, socklen_t* len);

// --- data transfer (IoHooks.cpp)
ssize_t read(int fd, void* buf, size_t n);
ssize_t readv(int fd, const iovec* iov, int iovcnt);
ssize_t recv(int fd, void* buf, size_t n, int flags);
ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* addr, socklen_t* len);
ssize_t recvmsg(int fd, msghdr* msg, int flags);
int recvmmsg(int fd, mmsghdr* msgs, unsigned int vlen, int flags, timespec* timeout);
ssize_t write(int fd, const void* buf, size_t n);
ssize_t writev(int fd, const iovec* iov, int iovcnt);
ssize_t send(int fd, const void* buf, size_t n, int flags);
ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* addr, socklen_t len);
ssize_t sendmsg(int fd, const msghdr* msg, int flags);
int sendmmsg(int fd, mmsghdr* msgs, unsigned int vlen, int flags);
ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count);

// --- readiness (PollHooks.cpp)
int poll(pollfd* fds, nfds_t n, int timeout_ms);
int ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask);
int select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, timeval* timeout);
int pselect(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, const timespec* timeout, const sigset_t* mask);
int epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms);
int epoll_pwait(int epfd, epoll_event* events, int max, int timeout_ms, const sigset_t* mask);

// --- time (SleepHooks.cpp)
unsigned int sleep(unsigned int seconds);
int usleep(useconds_t usec);
int nanosleep(const timespec* req, timespec* rem);
int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem);
int sched_yield();

// --- descriptors (FdHooks.cpp)
int close(int fd);
int dup(int fd);
int dup2(int fd, int target);
int dup3(int fd, int target, int flags);
int fcntl(int fd, int cmd, unsigned long arg);
int ioctl(int fd, unsigned long request, void* arg);
int pipe(int fds[2]);
int pipe2(int fds[2], int flags);
int eventfd(unsigned int initval, int flags);

// --- processes (ProcessHooks.cpp)
pid_t fork();
pid_t waitpid(pid_t pid, int* status, int options);
pid_t wait(int* status);
pid_t wait3(int* status, int options, rusage* usage);
pid_t wait4(pid_t pid, int* status, int options, rusage* usage);
int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options);
int system(const char* command);
FILE* popen(const char* command, const char* mode);
int pclose(FILE* stream);

// --- name resolution (DnsHooks.cpp): c-ares inside fibers, glibc elsewhere
int getaddrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** res);
void freeaddrinfo(addrinfo* list);
const char* gai_strerror(int code);
int getnameinfo(const sockaddr* addr, socklen_t addrlen, char* host, socklen_t hostlen, char* serv, socklen_t servlen,
                int flags);
hostent* gethostbyname(const char* name);
hostent* gethostbyname2(const char* name, int af);
int gethostbyname_r(const char* name, hostent* ret, char* buf, size_t buflen, hostent** result, int* h_errnop);
int gethostbyname2_r(const char* name, int af, hostent* ret, char* buf, size_t buflen, hostent** result,
                     int* h_errnop);
hostent* gethostbyaddr(const void* addr, socklen_t len, int type);
int gethostbyaddr_r(const void* addr, socklen_t len, int type, hostent* ret, char* buf, size_t buflen,
                    hostent** result, int* h_errnop);

}  // namespace grove::hook
