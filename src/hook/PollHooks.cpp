// poll, ppoll, select, pselect, epoll_wait, epoll_pwait. A fiber first asks the kernel with a zero
// timeout; if nothing is ready it parks until one descriptor could be (one fd: in grove's poller;
// several: a temporary epoll set of them, itself watched by the poller; an application's epoll set:
// that set's own fd), then asks again. The answer always comes from the real call.
#include <sys/epoll.h>
#include <sys/select.h>

#include <cerrno>
#include <vector>

#include "hook/FdState.hpp"
#include "hook/Hook.hpp"
#include "sys/Real.hpp"
#include "hook/Wait.hpp"
#include "io/Poller.hpp"
#include "sys/Sys.hpp"

namespace grove::hook {
namespace {

constexpr short kReadEvents = POLLIN | POLLPRI | POLLRDHUP;

// An epoll set holding the descriptors of one poll() call; closed (and forgotten) on scope exit.
class TempEpoll {
 public:
  TempEpoll(const pollfd* fds, nfds_t n) {
    fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (fd_ < 0) return;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].fd < 0) continue;
      epoll_event ev{};
      ev.events = static_cast<std::uint32_t>(fds[i].events) & (EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP);
      ev.data.fd = fds[i].fd;
      if (epoll_ctl(fd_, EPOLL_CTL_ADD, fds[i].fd, &ev) != 0 && errno == EEXIST) {
        ev.events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP;  // listed twice: watch everything
        epoll_ctl(fd_, EPOLL_CTL_MOD, fds[i].fd, &ev);
      }
    }
  }
  ~TempEpoll() {
    if (fd_ < 0) return;
    fd_closed(fd_);
    sys::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// The fiber part of poll(): `deadline` is not kNoDeadline-or-past; returns like poll().
int poll_fiber(pollfd* fds, nfds_t n, TimePoint deadline, const sigset_t* mask) {
  const timespec zero{0, 0};
  int r = real::ppoll(fds, n, &zero, mask);
  if (r != 0) return r;
  if (n == 0) {
    sleep_fiber(deadline);
    return 0;
  }
  int single = -1;
  IoDirection dir = IoDirection::read;
  if (n == 1 && fds[0].fd >= 0) {
    const bool rd = fds[0].events & kReadEvents;
    const bool wr = fds[0].events & POLLOUT;
    if (rd != wr) {
      single = fds[0].fd;
      dir = rd ? IoDirection::read : IoDirection::write;
    }
  }
  TempEpoll set(single >= 0 ? nullptr : fds, single >= 0 ? 0 : n);
  const int watch = single >= 0 ? single : set.fd();
  if (watch < 0) return real::ppoll(fds, n, nullptr, mask);  // no epoll set: block the worker
  for (;;) {
    if (wait_fiber(watch, dir, deadline) != 0) {
      if (errno != EAGAIN && errno != EBADF) return -1;
      // Timed out, or a descriptor was closed under us: report what the kernel says now.
      return real::ppoll(fds, n, &zero, mask);
    }
    r = real::ppoll(fds, n, &zero, mask);
    if (r != 0) return r;
  }
}

int poll_common(pollfd* fds, nfds_t n, TimePoint deadline, bool zero_timeout, const sigset_t* mask) {
  if (zero_timeout) {
    const timespec zero{0, 0};
    return real::ppoll(fds, n, &zero, mask);
  }
  return poll_fiber(fds, n, deadline, mask);
}

// select() on top of poll(): same readiness rules as the kernel's select.
int select_fiber(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, TimePoint deadline, bool zero_timeout,
                 const sigset_t* mask) {
  if (nfds < 0 || nfds > FD_SETSIZE) {
    errno = EINVAL;
    return -1;
  }
  std::vector<pollfd> fds;
  for (int fd = 0; fd < nfds; ++fd) {
    short ev = 0;
    if (rd && FD_ISSET(fd, rd)) ev |= POLLIN;
    if (wr && FD_ISSET(fd, wr)) ev |= POLLOUT;
    if (ex && FD_ISSET(fd, ex)) ev |= POLLPRI;
    if (ev) fds.push_back(pollfd{fd, ev, 0});
  }
  const int r = poll_common(fds.data(), fds.size(), deadline, zero_timeout, mask);
  if (r < 0) return r;
  for (const pollfd& p : fds) {
    if (p.revents & POLLNVAL) {
      errno = EBADF;
      return -1;
    }
  }
  if (rd) FD_ZERO(rd);
  if (wr) FD_ZERO(wr);
  if (ex) FD_ZERO(ex);
  int count = 0;
  for (const pollfd& p : fds) {
    if ((p.events & POLLIN) && (p.revents & (POLLIN | POLLHUP | POLLERR))) FD_SET(p.fd, rd), ++count;
    if ((p.events & POLLOUT) && (p.revents & (POLLOUT | POLLERR))) FD_SET(p.fd, wr), ++count;
    if ((p.events & POLLPRI) && (p.revents & POLLPRI)) FD_SET(p.fd, ex), ++count;
  }
  return count;
}

void store_remaining(timeval* tv, TimePoint deadline) {
  auto left = std::max(deadline - Clock::now(), Clock::duration::zero());
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
  tv->tv_sec = static_cast<time_t>(us / 1000000);
  tv->tv_usec = static_cast<suseconds_t>(us % 1000000);
}

}  // namespace

int poll(pollfd* fds, nfds_t n, int timeout_ms) {
  if (!active() || timeout_ms == 0) return real::poll(fds, n, timeout_ms);
  return poll_fiber(fds, n, deadline_ms(timeout_ms), nullptr);
}

int ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) {
  if (!active() || (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0)) return real::ppoll(fds, n, timeout, mask);
  TimePoint deadline;
  if (!deadline_ts(timeout, deadline)) {
    errno = EINVAL;
    return -1;
  }
  return poll_fiber(fds, n, deadline, mask);
}

int select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, timeval* timeout) {
  if (!active() || (timeout && timeout->tv_sec == 0 && timeout->tv_usec == 0)) return real::select(nfds, rd, wr, ex, timeout);
  if (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0)) {
    errno = EINVAL;
    return -1;
  }
  TimePoint deadline = kNoDeadline;
  if (timeout) {
    // Linux normalises tv_usec >= 1000000 rather than refusing it.
    deadline = Clock::now() + std::chrono::seconds(timeout->tv_sec) + std::chrono::microseconds(timeout->tv_usec);
  }
  const int r = select_fiber(nfds, rd, wr, ex, deadline, false, nullptr);
  if (timeout) store_remaining(timeout, deadline);  // Linux reports the time not slept
  return r;
}

int pselect(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, const timespec* timeout, const sigset_t* mask) {
  if (!active() || (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0)) {
    return real::pselect(nfds, rd, wr, ex, timeout, mask);
  }
  TimePoint deadline;
  if (!deadline_ts(timeout, deadline)) {
    errno = EINVAL;
    return -1;
  }
  return select_fiber(nfds, rd, wr, ex, deadline, false, mask);
}

int epoll_pwait(int epfd, epoll_event* events, int max, int timeout_ms, const sigset_t* mask) {
  if (!active() || timeout_ms == 0) return real::epoll_pwait(epfd, events, max, timeout_ms, mask);
  const TimePoint deadline = deadline_ms(timeout_ms);
  for (;;) {
    const int r = real::epoll_pwait(epfd, events, max, 0, mask);
    if (r != 0) return r;
    // An epoll set is itself readable while any of its descriptors is ready.
    if (wait_fiber(epfd, IoDirection::read, deadline) != 0) return errno == EAGAIN ? 0 : -1;
  }
}

int epoll_wait(int epfd, epoll_event* events, int max, int timeout_ms) {
  return hook::epoll_pwait(epfd, events, max, timeout_ms, nullptr);
}

}  // namespace grove::hook
