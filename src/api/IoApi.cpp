// grove::wait_readable / wait_writable / close.
#include <poll.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "api/Bootstrap.hpp"
#include "grove/io.hpp"
#include "grove/scheduler.hpp"
#include "io/Poller.hpp"
#include "sys/Sys.hpp"
#include "sys/Timeout.hpp"

namespace grove {

using namespace detail;

namespace {

// Outside fibers the thread itself blocks, in poll().
IoStatus wait_thread(int fd, short events, TimePoint deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const sys::SyscallTimeout timeout(deadline);
    int n = sys::poll(&p, 1, timeout.get());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "grove: poll");
    if (n == 0) return IoStatus::timed_out;
    if (p.revents & POLLNVAL) throw std::system_error(EBADF, std::generic_category(), "grove: wait on fd " + std::to_string(fd));
    return IoStatus::ready;
  }
}

IoStatus wait_fd(int fd, IoDirection dir, TimePoint deadline) {
  if (fd < 0) throw std::invalid_argument("grove: wait on negative file descriptor " + std::to_string(fd));
  if (!in_fiber()) return wait_thread(fd, dir == IoDirection::read ? POLLIN : POLLOUT, deadline);
  switch (Poller::instance().wait(fd, dir, deadline)) {
    case WaitOutcome::ready:
      return IoStatus::ready;
    case WaitOutcome::timed_out:
      return IoStatus::timed_out;
    case WaitOutcome::closed:
      return IoStatus::closed;
    case WaitOutcome::interrupted:
      throw_interrupt(current_fiber());
    case WaitOutcome::error:
      break;
  }
  throw std::system_error(errno, std::generic_category(), "grove: wait on fd " + std::to_string(fd));
}

}  // namespace

const char* to_string(IoStatus s) {
  switch (s) {
    case IoStatus::ready: return "ready";
    case IoStatus::timed_out: return "timed out";
    case IoStatus::closed: return "closed";
  }
  return "?";
}

IoStatus wait_readable(int fd, TimePoint deadline) { return wait_fd(fd, IoDirection::read, deadline); }
IoStatus wait_writable(int fd, TimePoint deadline) { return wait_fd(fd, IoDirection::write, deadline); }

int close(int fd) {
  if (Runtime::get()) Poller::instance().forget(fd);
  return sys::close(fd);
}

}  // namespace grove
