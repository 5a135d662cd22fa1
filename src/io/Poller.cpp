#include "io/Poller.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "sched/Park.hpp"
#include "sched/Runtime.hpp"
#include "sched/Worker.hpp"
#include "sys/Sys.hpp"
#include "sys/Timeout.hpp"

namespace grove::detail {
namespace {

constexpr std::uint64_t kWakeTag = ~std::uint64_t{0};
constexpr int kMaxEvents = 256;
Poller* g_poller = nullptr;

std::uint64_t pack(int fd, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | static_cast<std::uint32_t>(fd);
}

}  // namespace

Poller::Poller() {
  epfd_ = sys::epoll_create1(EPOLL_CLOEXEC);
  wakefd_ = sys::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || wakefd_ < 0) throw std::system_error(errno, std::generic_category(), "grove: cannot create the poller");
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = kWakeTag;
  sys::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev);
  g_poller = this;
}

Poller::~Poller() {
  sys::close(wakefd_);
  sys::close(epfd_);
}

Poller& Poller::instance() { return *g_poller; }

void Poller::abandon_after_fork() {
  sys::close(wakefd_);
  sys::close(epfd_);
  wakefd_ = epfd_ = -1;
}

void Poller::interrupt() {
  std::uint64_t one = 1;
  sys::write(wakefd_, &one, sizeof one);
}

int Poller::poll(TimePoint deadline) {
  // Take no more events than the polling worker's run queue has room for: the rest stay in the
  // kernel's ready list, in order. Woken fibers that overflow the run queue go to the global
  // queue, where a busy worker takes one per 61 ticks (a p99 of seconds at 5000 connections).
  int room = kMaxEvents;
  if (const Worker* w = Worker::current()) {
    const std::uint32_t queued = w->ring.size();
    if (queued >= RunQueue::kCapacity) return 0;
    room = std::min(room, static_cast<int>(RunQueue::kCapacity - queued));
  }
  epoll_event events[kMaxEvents];
  const sys::SyscallTimeout timeout(deadline);
  const int saved_errno = errno;
  int n = sys::epoll_wait(epfd_, events, room, timeout.get());
  errno = saved_errno;
  int woken = 0;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == kWakeTag) {
      std::uint64_t drain;
      sys::read(wakefd_, &drain, sizeof drain);
      continue;
    }
    dispatch(events[i].data.u64, events[i].events);
    ++woken;
  }
  return woken;
}

void Poller::dispatch(std::uint64_t data, std::uint32_t events) {
  const int fd = static_cast<int>(data & 0xffffffffu);
  FdEntry* e = FdTable::instance().find(fd);
  if (!e) return;
  WaitQueue::Lock lock(e->mutex());
  if (!e->registered || e->generation != static_cast<std::uint32_t>(data >> 32)) return;
  // A woken waiter retries its operation, which consumes the edge; only an edge nobody was
  // waiting for is remembered (else the waiter's next EAGAIN would cost a useless retry).
  constexpr std::uint32_t kErr = EPOLLERR | EPOLLHUP;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLPRI | kErr)) {
    if (e->waiters[0].notify_all() == 0) e->ready[0] = true;
  }
  if (events & (EPOLLOUT | kErr)) {
    if (e->waiters[1].notify_all() == 0) e->ready[1] = true;
  }
}

WaitOutcome Poller::wait(int fd, IoDirection dir, TimePoint deadline) {
  FdEntry* e = FdTable::instance().get(fd);
  if (!e) {
    errno = EBADF;
    return WaitOutcome::error;
  }
  const int d = static_cast<int>(dir);
  WaitQueue::Lock lock(e->mutex());
  if (!e->registered) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
    ev.data.u64 = pack(fd, e->generation);
    if (sys::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      if (errno == EPERM) {
        // Regular files and directories cannot be polled: they are always ready.
        return WaitOutcome::ready;
      }
      if (errno != EEXIST) return WaitOutcome::error;
      // Registered under an old generation by a descriptor that was closed behind our back.
      sys::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
    }
    e->registered = true;
    e->ready[0] = e->ready[1] = false;
  }
  if (e->ready[d]) {
    e->ready[d] = false;
    return WaitOutcome::ready;
  }
  switch (e->waiters[d].wait(lock, deadline)) {
    case WakeReason::notified:
      return WaitOutcome::ready;
    case WakeReason::timed_out:
      return WaitOutcome::timed_out;
    case WakeReason::closed:
      return WaitOutcome::closed;
    case WakeReason::interrupted:
      return WaitOutcome::interrupted;
    case WakeReason::none:
      break;
  }
  return WaitOutcome::ready;
}

void Poller::forget(int fd) {
  FdEntry* e = FdTable::instance().find(fd);
  if (!e) return;
  WaitQueue::Lock lock(e->mutex());
  if (e->registered) sys::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  e->registered = false;
  ++e->generation;
  e->ready[0] = e->ready[1] = false;
  e->reset_user_state();
  e->waiters[0].notify_all(WakeReason::closed);
  e->waiters[1].notify_all(WakeReason::closed);
}

}  // namespace grove::detail
