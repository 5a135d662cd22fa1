#pragma once
// Raw system calls for the runtime's own use. Under the LD_PRELOAD shim, libc's read/write/poll/
// epoll_wait/sched_yield/... resolve to grove's hooks, so the runtime must never call them itself.
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

namespace grove::sys {

inline long futex_wait(std::uint32_t* addr, std::uint32_t expected, const timespec* relative) {
  return syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, relative, nullptr, 0);
}
inline long futex_wake(std::uint32_t* addr, int count) {
  return syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}
inline int epoll_wait(int epfd, epoll_event* events, int max, const timespec* timeout) {
  // epoll_pwait2 takes a nanosecond timeout (Linux 5.11); fall back to milliseconds, rounded up.
  static std::atomic<bool> has_pwait2{true};
  if (has_pwait2.load(std::memory_order_relaxed)) {
    long r = syscall(SYS_epoll_pwait2, epfd, events, max, timeout, nullptr, 0);
    if (r >= 0 || errno != ENOSYS) return static_cast<int>(r);
    has_pwait2.store(false, std::memory_order_relaxed);
  }
  int ms = -1;
  if (timeout) ms = static_cast<int>(timeout->tv_sec * 1000 + (timeout->tv_nsec + 999999) / 1000000);
  return static_cast<int>(syscall(SYS_epoll_wait, epfd, events, max, ms));
}
// The poller's and monitor's own descriptors stay out of libc too: ThreadSanitizer's interceptors
// would track them half-way (grove closes them raw), then report their reused numbers as races.
inline int epoll_create1(int flags) { return static_cast<int>(syscall(SYS_epoll_create1, flags)); }
inline int epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
  return static_cast<int>(syscall(SYS_epoll_ctl, epfd, op, fd, event));
}
inline int open(const char* path, int flags) { return static_cast<int>(syscall(SYS_openat, AT_FDCWD, path, flags)); }
inline long read(int fd, void* buf, std::size_t n) { return syscall(SYS_read, fd, buf, n); }
inline long write(int fd, const void* buf, std::size_t n) { return syscall(SYS_write, fd, buf, n); }
inline int close(int fd) { return static_cast<int>(syscall(SYS_close, fd)); }
inline int eventfd(unsigned initval, int flags) { return static_cast<int>(syscall(SYS_eventfd2, initval, flags)); }
inline int poll(struct pollfd* fds, unsigned long n, const timespec* timeout) {
  return static_cast<int>(syscall(SYS_ppoll, fds, n, timeout, nullptr, 8));
}
inline void sched_yield() { syscall(SYS_sched_yield); }
inline int nanosleep(const timespec* req, timespec* rem) { return static_cast<int>(syscall(SYS_nanosleep, req, rem)); }
inline pid_t gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

}  // namespace grove::sys
