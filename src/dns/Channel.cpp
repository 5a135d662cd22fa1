#include "dns/Channel.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>

#include "dns/RawSockets.hpp"
#include "dns/Template.hpp"
#include "grove/io.hpp"
#include "grove/scheduler.hpp"
#include "sys/Sys.hpp"

namespace grove::dns::detail {

using grove::detail::Clock;
using grove::detail::TimePoint;

namespace {

constexpr auto kMaxWait = std::chrono::hours(1);

timeval to_timeval(Clock::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::max(d, Clock::duration::zero())).count();
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

Clock::duration from_timeval(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

}  // namespace

Channel::~Channel() {
  if (channel_) {
    ares_cancel(channel_);
    ares_destroy(channel_);
  }
  if (epfd_ >= 0) grove::close(epfd_);
}

int Channel::open() {
  int status = ARES_SUCCESS;
  auto tmpl = current_template(status);
  if (!tmpl) return status;
  status = ares_dup(&channel_, tmpl->channel);
  if (status != ARES_SUCCESS) {
    channel_ = nullptr;
    return status;
  }
  ares_set_socket_functions(channel_, &raw_socket_functions(), nullptr);
  return ARES_SUCCESS;
}

void Channel::cancel() {
  if (channel_) ares_cancel(channel_);
}

bool Channel::run_until(const bool& done, TimePoint deadline) {
  while (!done) {
    const TimePoint now = Clock::now();
    if (now >= deadline) return false;
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
    timeval limit = to_timeval(deadline == grove::detail::kNoDeadline ? Clock::duration(kMaxWait) : deadline - now);
    timeval tv{};
    const timeval* next = ares_timeout(channel_, &limit, &tv);
    const TimePoint wake = now + from_timeval(*next);

    int nsocks = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      if (ARES_GETSOCK_READABLE(bits, i) || ARES_GETSOCK_WRITABLE(bits, i)) nsocks = i + 1;
    }
    if (nsocks == 1 && !ARES_GETSOCK_WRITABLE(bits, 0)) {
      // The common case: one UDP socket waiting for its answer.
      if (grove::wait_readable(socks[0], wake) == IoStatus::ready) {
        ares_process_fd(channel_, socks[0], ARES_SOCKET_BAD);
        continue;
      }
    } else if (nsocks > 0) {
      wait_many(socks, bits, wake);
      continue;
    } else {
      grove::sleep_until(wake);
    }
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts and retries
  }
  return true;
}

void Channel::watch(int fd, unsigned events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
}

// Several sockets (failover to another server, TCP fallback): a private level-triggered epoll
// set gathers them into one fd that the fiber waits on.
void Channel::wait_many(const ares_socket_t* socks, int bits, TimePoint wake) {
  if (epfd_ < 0) epfd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) {
    // Out of descriptors for the set: poll the sockets every few milliseconds instead.
    grove::sleep_until(std::min(wake, Clock::now() + std::chrono::milliseconds(5)));
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      const bool in = ARES_GETSOCK_READABLE(bits, i), out = ARES_GETSOCK_WRITABLE(bits, i);
      if (in || out) ares_process_fd(channel_, in ? socks[i] : ARES_SOCKET_BAD, out ? socks[i] : ARES_SOCKET_BAD);
    }
    return;
  }
  int wanted[ARES_GETSOCK_MAXNUM];
  int nwanted = 0;
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    unsigned events = (ARES_GETSOCK_READABLE(bits, i) ? EPOLLIN : 0u) | (ARES_GETSOCK_WRITABLE(bits, i) ? EPOLLOUT : 0u);
    if (!events) continue;
    watch(socks[i], events);
    wanted[nwanted++] = socks[i];
  }
  for (int i = 0; i < nwatched_; ++i) {
    if (std::find(wanted, wanted + nwanted, watched_[i]) == wanted + nwanted) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, watched_[i], nullptr);  // may already be gone with its close
    }
  }
  std::copy(wanted, wanted + nwanted, watched_);
  nwatched_ = nwanted;

  epoll_event events[ARES_GETSOCK_MAXNUM];
  const timespec zero{};
  int n = sys::epoll_wait(epfd_, events, ARES_GETSOCK_MAXNUM, &zero);
  if (n <= 0 && grove::wait_readable(epfd_, wake) == IoStatus::ready) {
    n = sys::epoll_wait(epfd_, events, ARES_GETSOCK_MAXNUM, &zero);
  }
  if (n <= 0) {
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    return;
  }
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    const bool in = events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP);
    const bool out = events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP);
    ares_process_fd(channel_, in ? fd : ARES_SOCKET_BAD, out ? fd : ARES_SOCKET_BAD);
  }
}

}  // namespace grove::dns::detail
