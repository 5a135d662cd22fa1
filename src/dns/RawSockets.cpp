#include "dns/RawSockets.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "grove/io.hpp"

namespace grove::dns::detail {
namespace {

ares_socket_t raw_socket(int domain, int type, int protocol, void*) {
  long fd = syscall(SYS_socket, domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return ARES_SOCKET_BAD;
  if (type == SOCK_STREAM) {
    // c-ares leaves socket options to us when it does not create the sockets itself.
    int one = 1;
    syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return static_cast<ares_socket_t>(fd);
}

int raw_close(ares_socket_t fd, void*) { return grove::close(fd); }

int raw_connect(ares_socket_t fd, const sockaddr* addr, ares_socklen_t len, void*) {
  return static_cast<int>(syscall(SYS_connect, fd, addr, len));
}

ares_ssize_t raw_recvfrom(ares_socket_t fd, void* buf, size_t len, int flags, sockaddr* from, ares_socklen_t* fromlen, void*) {
  return syscall(SYS_recvfrom, fd, buf, len, flags, from, fromlen);
}

ares_ssize_t raw_sendv(ares_socket_t fd, const iovec* iov, int count, void*) {
  return syscall(SYS_writev, fd, iov, count);
}

const ares_socket_functions kRawSockets = {raw_socket, raw_close, raw_connect, raw_recvfrom, raw_sendv};

}  // namespace

const ares_socket_functions& raw_socket_functions() { return kRawSockets; }

}  // namespace grove::dns::detail
