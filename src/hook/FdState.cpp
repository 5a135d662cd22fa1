#include "hook/FdState.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>

#include "sys/Real.hpp"
#include "io/Poller.hpp"
#include "sched/Runtime.hpp"
#include "sys/Sys.hpp"

namespace grove::hook {
namespace {

using detail::FdEntry;
using detail::FdTable;

// A private epoll set used only to ask "can epoll watch this descriptor?" (char devices).
bool epoll_accepts(int fd) {
  static int probe = epoll_create1(EPOLL_CLOEXEC);
  if (probe < 0) return true;
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (epoll_ctl(probe, EPOLL_CTL_ADD, fd, &ev) == 0) {
    epoll_ctl(probe, EPOLL_CTL_DEL, fd, nullptr);
    return true;
  }
  return errno != EPERM;
}

std::int64_t socket_timeout_ns(int fd, int name) {
  timeval tv{};
  socklen_t len = sizeof tv;
  if (real::getsockopt(fd, SOL_SOCKET, name, &tv, &len) != 0) return 0;
  return std::int64_t{tv.tv_sec} * 1000000000 + std::int64_t{tv.tv_usec} * 1000;
}

std::uint32_t classify(int fd, FdEntry* e) {
  const int saved = errno;
  struct stat st{};
  std::uint32_t s = kKnown;
  if (fstat(fd, &st) != 0) {
    errno = saved;
    return kPassthrough;  // not open: the real call reports EBADF; do not remember anything
  }
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
    s |= kPassthrough;
  } else if (S_ISCHR(st.st_mode) && !epoll_accepts(fd)) {
    s |= kPassthrough;  // /dev/null, /dev/zero, ...: always ready
  }
  if (S_ISSOCK(st.st_mode)) {
    s |= kSocket;
    e->recv_timeout_ns.store(socket_timeout_ns(fd, SO_RCVTIMEO), std::memory_order_relaxed);
    e->send_timeout_ns.store(socket_timeout_ns(fd, SO_SNDTIMEO), std::memory_order_relaxed);
  }
  const int fl = real::fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK)) s |= kUserNonblock;
  errno = saved;
  e->user_flags.store(s, std::memory_order_release);
  return s;
}

}  // namespace

std::uint32_t fd_state(FdEntry* e, int fd) {
  if (!e) return kPassthrough;
  const std::uint32_t s = e->user_flags.load(std::memory_order_acquire);
  return (s & kKnown) ? s : classify(fd, e);
}

void fd_created(int fd, std::uint32_t state) {
  FdEntry* e = FdTable::instance().get(fd);
  if (!e) return;
  e->recv_timeout_ns.store(0, std::memory_order_relaxed);
  e->send_timeout_ns.store(0, std::memory_order_relaxed);
  e->user_flags.store(state, std::memory_order_release);
}

void fd_copied(int from, int to) {
  FdEntry* src = FdTable::instance().get(from);
  FdEntry* dst = FdTable::instance().get(to);
  if (!src || !dst) return;
  dst->recv_timeout_ns.store(src->recv_timeout_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->send_timeout_ns.store(src->send_timeout_ns.load(std::memory_order_relaxed), std::memory_order_relaxed);
  dst->user_flags.store(src->user_flags.load(std::memory_order_acquire), std::memory_order_release);
}

void fd_closed(int fd) {
  if (detail::Runtime::get()) detail::Poller::instance().forget(fd);
  if (FdEntry* e = FdTable::instance().find(fd)) e->reset_user_state();
}

}  // namespace grove::hook
