// close, the dup family, fcntl/ioctl (the user's O_NONBLOCK stays virtual on grove's sockets),
// pipe, pipe2 and eventfd.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include <cerrno>

#include "hook/Active.hpp"
#include "hook/FdState.hpp"
#include "hook/Hook.hpp"
#include "sys/Real.hpp"

namespace grove::hook {
namespace {

std::uint32_t known_state(int fd) {
  detail::FdEntry* e = detail::FdTable::instance().find(fd);
  return e ? e->user_flags.load(std::memory_order_acquire) : 0;
}

void set_user_nonblock(int fd, bool on) {
  if (detail::FdEntry* e = detail::FdTable::instance().get(fd)) {
    if (on) {
      e->user_flags.fetch_or(kUserNonblock, std::memory_order_acq_rel);
    } else {
      e->user_flags.fetch_and(~std::uint32_t{kUserNonblock}, std::memory_order_acq_rel);
    }
  }
}

}  // namespace

int close(int fd) {
  // Waiters get EBADF before the number can be reused by anyone.
  fd_closed(fd);
  return real::close(fd);
}

int dup(int fd) {
  const int r = real::dup(fd);
  if (r >= 0) fd_copied(fd, r);
  return r;
}

int dup2(int fd, int target) {
  const int r = real::dup2(fd, target);
  if (r >= 0 && fd != target) {
    fd_closed(target);  // it was closed implicitly
    fd_copied(fd, target);
  }
  return r;
}

int dup3(int fd, int target, int flags) {
  const int r = real::dup3(fd, target, flags);
  if (r >= 0) {
    fd_closed(target);
    fd_copied(fd, target);
  }
  return r;
}

int fcntl(int fd, int cmd, unsigned long arg) {
  const std::uint32_t s = known_state(fd);
  switch (cmd) {
    case F_GETFL: {
      const int fl = real::fcntl(fd, cmd);
      if (fl < 0 || !(s & kManaged)) return fl;
      return (fl & ~O_NONBLOCK) | ((s & kUserNonblock) ? O_NONBLOCK : 0);
    }
    case F_SETFL: {
      const bool user_nb = arg & O_NONBLOCK;
      const unsigned long kernel = (s & kManaged) ? (arg | O_NONBLOCK) : arg;
      const int r = real::fcntl(fd, cmd, kernel);
      if (r == 0 && (s & kKnown)) set_user_nonblock(fd, user_nb);
      return r;
    }
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const int r = real::fcntl(fd, cmd, arg);
      if (r >= 0) fd_copied(fd, r);
      return r;
    }
    default:
      return real::fcntl(fd, cmd, arg);
  }
}

int ioctl(int fd, unsigned long request, void* arg) {
  if (request != FIONBIO) return real::ioctl(fd, request, arg);
  const std::uint32_t s = known_state(fd);
  if (!(s & kManaged)) {
    const int r = real::ioctl(fd, request, arg);
    if (r == 0 && (s & kKnown) && arg) set_user_nonblock(fd, *static_cast<const int*>(arg) != 0);
    return r;
  }
  // grove's socket: the kernel stays non-blocking; the call still validates fd and arg.
  int on = 1;
  const int r = real::ioctl(fd, request, &on);
  if (r != 0) return r;
  if (!arg) {
    errno = EFAULT;
    return -1;
  }
  set_user_nonblock(fd, *static_cast<const int*>(arg) != 0);
  return 0;
}

int pipe2(int fds[2], int flags) {
  const int r = real::pipe2(fds, flags);
  if (r == 0) {
    // Pipes are shared with children: never made non-blocking behind the user's back.
    const std::uint32_t s = kKnown | ((flags & O_NONBLOCK) ? kUserNonblock : 0u);
    fd_created(fds[0], s);
    fd_created(fds[1], s);
  }
  return r;
}

int pipe(int fds[2]) { return hook::pipe2(fds, 0); }

int eventfd(unsigned int initval, int flags) {
  const bool managed = active();
  const int fd = real::eventfd(initval, managed ? (flags | EFD_NONBLOCK) : flags);
  if (fd >= 0) fd_created(fd, kKnown | (managed ? kManaged : 0u) | ((flags & EFD_NONBLOCK) ? kUserNonblock : 0u));
  return fd;
}

}  // namespace grove::hook
