// read/write and the socket send/recv family, with libc's partial-transfer rules: a blocking
// send/write returns only when everything was sent (or with the partial count on error/timeout).
#include <limits.h>
#include <sys/sendfile.h>

#include <vector>

#include "hook/IoCall.hpp"
#include "sys/Real.hpp"
#include "sys/Sys.hpp"

namespace grove::hook {
namespace {

constexpr IoDirection kRead = IoDirection::read;
constexpr IoDirection kWrite = IoDirection::write;

// Repeats `once(done)` (which transfers from offset `done`) until `total` bytes moved, as a
// blocking send or a MSG_WAITALL receive does. Stops at the first error or end of stream,
// returning what was moved (or -1 if nothing).
template <typename Once>
ssize_t transfer_all(std::size_t total, Once once) {
  std::size_t done = 0;
  for (;;) {
    IoMode mode;
    const ssize_t r = once(done, &mode);
    if (r < 0) return done > 0 ? static_cast<ssize_t>(done) : -1;
    done += static_cast<std::size_t>(r);
    if (!mode.emulated || done >= total || r == 0) return static_cast<ssize_t>(done);
  }
}

// Writes to a blocking pipe/tty larger than PIPE_BUF are split so each piece fits the free space
// that readiness promised (a blocking write of more would block the worker).
bool unmanaged_stream(int fd) {
  if (!active()) return false;
  const std::uint32_t s = fd_state(fd);
  return blocking_for_user(s) && !(s & (kManaged | kSocket));
}

std::size_t iov_total(const iovec* iov, int n) {
  std::size_t t = 0;
  for (int i = 0; i < n; ++i) t += iov[i].iov_len;
  return t;
}

// The iovecs that remain after `skip` bytes.
std::vector<iovec> iov_after(const iovec* iov, int n, std::size_t skip) {
  std::vector<iovec> out;
  for (int i = 0; i < n; ++i) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    out.push_back(iovec{static_cast<char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip});
    skip = 0;
  }
  return out;
}


// Regular files and the character devices epoll refuses (/dev/null, /dev/zero) need nothing
// but the real call: answered from the entry's flags before any other work (dd under the shim).
inline bool known_passthrough(int fd) {
  const detail::FdEntry* e = detail::FdTable::instance().find(fd);
  constexpr std::uint32_t kBits = kKnown | kPassthrough;
  return e && (e->user_flags.load(std::memory_order_acquire) & kBits) == kBits;
}

}  // namespace

// In a fiber, plain read/write skip libc's wrapper: in a multi-threaded process it brackets the
// call with pthread cancellation bookkeeping that worker threads never need (~15% of a dd loop).
namespace {
__attribute__((noinline)) ssize_t read_slow(int fd, void* buf, size_t n) {
  return io_call(fd, kRead, false, true, [&](bool dw, bool fiber) -> ssize_t {
    if (dw) return real::recv(fd, buf, n, MSG_DONTWAIT);
    return fiber ? sys::read(fd, buf, n) : real::read(fd, buf, n);
  });
}
}  // namespace

ssize_t read(int fd, void* buf, size_t n) {
  if (known_passthrough(fd)) return active() ? sys::read(fd, buf, n) : real::read(fd, buf, n);
  return read_slow(fd, buf, n);
}

ssize_t readv(int fd, const iovec* iov, int iovcnt) {
  return io_call(fd, kRead, false, true, [&](bool dw, bool) {
    if (!dw) return real::readv(fd, iov, iovcnt);
    msghdr m{};
    m.msg_iov = const_cast<iovec*>(iov);
    m.msg_iovlen = static_cast<std::size_t>(iovcnt);
    return real::recvmsg(fd, &m, MSG_DONTWAIT);
  });
}

ssize_t recvfrom(int fd, void* buf, size_t n, int flags, sockaddr* addr, socklen_t* len) {
  auto once = [&](std::size_t done, IoMode* mode) {
    return io_call(fd, kRead, flags & MSG_DONTWAIT, true, [&](bool dw, bool) {
      // With MSG_WAITALL on a non-blocking socket the kernel returns what it has; the loop below
      // waits for the rest.
      return real::recvfrom(fd, static_cast<char*>(buf) + done, n - done, flags | (dw ? MSG_DONTWAIT : 0), addr, len);
    }, mode);
  };
  if (!(flags & MSG_WAITALL)) return once(0, nullptr);
  return transfer_all(n, once);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) { return hook::recvfrom(fd, buf, n, flags, nullptr, nullptr); }

ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  return io_call(fd, kRead, flags & MSG_DONTWAIT, true,
                 [&](bool dw, bool) { return real::recvmsg(fd, msg, flags | (dw ? MSG_DONTWAIT : 0)); });
}

int recvmmsg(int fd, mmsghdr* msgs, unsigned int vlen, int flags, timespec* timeout) {
  return io_call(fd, kRead, flags & MSG_DONTWAIT, true,
                 [&](bool dw, bool) { return real::recvmmsg(fd, msgs, vlen, flags | (dw ? MSG_DONTWAIT : 0), timeout); });
}

namespace {
__attribute__((noinline)) ssize_t write_slow(int fd, const void* buf, size_t n) {
  if (n > PIPE_BUF && unmanaged_stream(fd)) {
    return transfer_all(n, [&](std::size_t done, IoMode* mode) {
      const std::size_t piece = std::min<std::size_t>(n - done, PIPE_BUF);
      return io_call(fd, kWrite, false, true,
                     [&](bool, bool) { return real::write(fd, static_cast<const char*>(buf) + done, piece); }, mode);
    });
  }
  return transfer_all(n, [&](std::size_t done, IoMode* mode) {
    const char* p = static_cast<const char*>(buf) + done;
    return io_call(fd, kWrite, false, true, [&](bool dw, bool fiber) -> ssize_t {
      if (dw) return real::send(fd, p, n - done, MSG_DONTWAIT);
      return fiber ? sys::write(fd, p, n - done) : real::write(fd, p, n - done);
    }, mode);
  });
}

}  // namespace

ssize_t write(int fd, const void* buf, size_t n) {
  if (known_passthrough(fd)) return active() ? sys::write(fd, buf, n) : real::write(fd, buf, n);
  return write_slow(fd, buf, n);
}

ssize_t writev(int fd, const iovec* iov, int iovcnt) {
  const std::size_t total = iov_total(iov, iovcnt);
  if (total > PIPE_BUF && unmanaged_stream(fd)) {
    // Piece by piece, each piece at most PIPE_BUF.
    return transfer_all(total, [&](std::size_t done, IoMode* mode) {
      std::vector<iovec> rest = iov_after(iov, iovcnt, done);
      const iovec first = rest.front();
      const std::size_t piece = std::min<std::size_t>(first.iov_len, PIPE_BUF);
      return io_call(fd, kWrite, false, true, [&](bool, bool) { return real::write(fd, first.iov_base, piece); }, mode);
    });
  }
  return transfer_all(total, [&](std::size_t done, IoMode* mode) {
    std::vector<iovec> rest;
    const iovec* v = iov;
    int count = iovcnt;
    if (done) {
      rest = iov_after(iov, iovcnt, done);
      v = rest.data();
      count = static_cast<int>(rest.size());
    }
    return io_call(fd, kWrite, false, true, [&](bool dw, bool) {
      if (!dw) return real::writev(fd, v, count);
      msghdr m{};
      m.msg_iov = const_cast<iovec*>(v);
      m.msg_iovlen = static_cast<std::size_t>(count);
      return real::sendmsg(fd, &m, MSG_DONTWAIT);
    }, mode);
  });
}

ssize_t sendto(int fd, const void* buf, size_t n, int flags, const sockaddr* addr, socklen_t len) {
  return transfer_all(n, [&](std::size_t done, IoMode* mode) {
    return io_call(fd, kWrite, flags & MSG_DONTWAIT, true, [&](bool dw, bool) {
      return real::sendto(fd, static_cast<const char*>(buf) + done, n - done, flags | (dw ? MSG_DONTWAIT : 0), addr, len);
    }, mode);
  });
}

ssize_t send(int fd, const void* buf, size_t n, int flags) { return hook::sendto(fd, buf, n, flags, nullptr, 0); }

ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  const std::size_t total = iov_total(msg->msg_iov, static_cast<int>(msg->msg_iovlen));
  return transfer_all(total, [&](std::size_t done, IoMode* mode) {
    msghdr m = *msg;
    std::vector<iovec> rest;
    if (done) {
      rest = iov_after(msg->msg_iov, static_cast<int>(msg->msg_iovlen), done);
      m.msg_iov = rest.data();
      m.msg_iovlen = rest.size();
      m.msg_control = nullptr;  // ancillary data went out with the first byte
      m.msg_controllen = 0;
    }
    return io_call(fd, kWrite, flags & MSG_DONTWAIT, true,
                   [&](bool dw, bool) { return real::sendmsg(fd, &m, flags | (dw ? MSG_DONTWAIT : 0)); }, mode);
  });
}

int sendmmsg(int fd, mmsghdr* msgs, unsigned int vlen, int flags) {
  return io_call(fd, kWrite, flags & MSG_DONTWAIT, true,
                 [&](bool dw, bool) { return real::sendmmsg(fd, msgs, vlen, flags | (dw ? MSG_DONTWAIT : 0)); });
}

ssize_t sendfile(int out_fd, int in_fd, off_t* offset, size_t count) {
  return transfer_all(count, [&](std::size_t done, IoMode* mode) {
    return io_call(out_fd, kWrite, false, false,
                   [&](bool, bool) { return real::sendfile(out_fd, in_fd, offset, count - done); }, mode);
  });
}

}  // namespace grove::hook
