// socket, socketpair, accept, connect, shutdown and the two socket options grove emulates.
#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>

#include "hook/IoCall.hpp"
#include "sys/Real.hpp"

namespace grove::hook {
namespace {

// Sockets made inside a fiber are non-blocking in the kernel; the user's flag is virtual.
std::uint32_t new_socket_state(int type_flags, bool managed) {
  std::uint32_t s = kKnown | kSocket;
  if (managed) s |= kManaged;
  if (type_flags & SOCK_NONBLOCK) s |= kUserNonblock;
  return s;
}

}  // namespace

int socket(int domain, int type, int protocol) {
  const bool managed = active();
  const int fd = real::socket(domain, managed ? (type | SOCK_NONBLOCK) : type, protocol);
  if (fd >= 0) fd_created(fd, new_socket_state(type, managed));
  return fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
  const bool managed = active();
  const int r = real::socketpair(domain, managed ? (type | SOCK_NONBLOCK) : type, protocol, sv);
  if (r == 0) {
    fd_created(sv[0], new_socket_state(type, managed));
    fd_created(sv[1], new_socket_state(type, managed));
  }
  return r;
}

int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  const bool managed = active();
  const int conn = io_call(fd, IoDirection::read, false, false, [&](bool, bool) {
    return real::accept4(fd, addr, len, managed ? (flags | SOCK_NONBLOCK) : flags);
  });
  if (conn >= 0) fd_created(conn, new_socket_state(flags, managed));
  return conn;
}

int accept(int fd, sockaddr* addr, socklen_t* len) { return hook::accept4(fd, addr, len, 0); }

int connect(int fd, const sockaddr* addr, socklen_t len) {
  const bool fiber = active();
  detail::FdEntry* e = detail::FdTable::instance().get(fd);
  const std::uint32_t s = fiber ? fd_state(e, fd) : (e ? e->user_flags.load(std::memory_order_acquire) : 0);
  const int r = real::connect(fd, addr, len);
  // Only grove's own sockets are non-blocking behind the user's back; for the others the
  // kernel already blocked (or the user asked for EINPROGRESS).
  if (r == 0 || errno != EINPROGRESS || !(s & kManaged) || (s & kUserNonblock)) return r;
  const TimePoint deadline = deadline_in(e->send_timeout_ns.load(std::memory_order_relaxed));
  if (wait_fd(fiber, fd, IoDirection::write, deadline) != 0) {
    if (errno == EAGAIN) errno = EINPROGRESS;  // SO_SNDTIMEO passed: what Linux reports
    return -1;
  }
  int err = 0;
  socklen_t err_len = sizeof err;
  if (real::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) return -1;
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 0;
}

int shutdown(int fd, int how) { return real::shutdown(fd, how); }

int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  const int r = real::setsockopt(fd, level, name, value, len);
  if (r == 0 && level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) && len >= sizeof(timeval)) {
    if (detail::FdEntry* e = detail::FdTable::instance().get(fd)) {
      const auto* tv = static_cast<const timeval*>(value);
      const std::int64_t ns = std::int64_t{tv->tv_sec} * 1000000000 + std::int64_t{tv->tv_usec} * 1000;
      (name == SO_RCVTIMEO ? e->recv_timeout_ns : e->send_timeout_ns).store(ns, std::memory_order_relaxed);
    }
  }
  return r;
}

// The kernel keeps the timeouts too (set above), so reading them back needs nothing of ours.
int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  return real::getsockopt(fd, level, name, value, len);
}

}  // namespace grove::hook
