// Reading and writing, including the _FORTIFY_SOURCE entry points (__read_chk, ...) that
// programs built with -D_FORTIFY_SOURCE call instead.
#include "Shim.hpp"

GROVE_SHIM(ssize_t, read, (int fd, void* b, size_t n), (fd, b, n))
GROVE_SHIM(ssize_t, readv, (int fd, const iovec* v, int c), (fd, v, c))
GROVE_SHIM(ssize_t, recv, (int fd, void* b, size_t n, int f), (fd, b, n, f))
GROVE_SHIM(ssize_t, recvfrom, (int fd, void* b, size_t n, int f, sockaddr* a, socklen_t* l), (fd, b, n, f, a, l))
GROVE_SHIM(ssize_t, recvmsg, (int fd, msghdr* m, int f), (fd, m, f))
GROVE_SHIM(int, recvmmsg, (int fd, mmsghdr* m, unsigned int v, int f, timespec* t), (fd, m, v, f, t))
GROVE_SHIM(ssize_t, write, (int fd, const void* b, size_t n), (fd, b, n))
GROVE_SHIM(ssize_t, writev, (int fd, const iovec* v, int c), (fd, v, c))
GROVE_SHIM(ssize_t, send, (int fd, const void* b, size_t n, int f), (fd, b, n, f))
GROVE_SHIM(ssize_t, sendto, (int fd, const void* b, size_t n, int f, const sockaddr* a, socklen_t l), (fd, b, n, f, a, l))
GROVE_SHIM(ssize_t, sendmsg, (int fd, const msghdr* m, int f), (fd, m, f))
GROVE_SHIM(int, sendmmsg, (int fd, mmsghdr* m, unsigned int v, int f), (fd, m, v, f))
GROVE_SHIM(ssize_t, sendfile, (int o, int i, off_t* off, size_t n), (o, i, off, n))

// sendfile64 is the same call on 64-bit Linux (programs built with _FILE_OFFSET_BITS=64 use it).
extern "C" __attribute__((visibility("default"))) ssize_t sendfile64(int o, int i, off_t* off, size_t n) {
  return grove::hook::sendfile(o, i, off, n);
}

// Fortified variants: the same checks libc makes (abort on a buffer smaller than asked for).
extern "C" __attribute__((visibility("default"))) ssize_t __read_chk(int fd, void* b, size_t n, size_t buflen) {
  if (n > buflen) __builtin_trap();
  return grove::hook::read(fd, b, n);
}
extern "C" __attribute__((visibility("default"))) ssize_t __recv_chk(int fd, void* b, size_t n, size_t buflen, int f) {
  if (n > buflen) __builtin_trap();
  return grove::hook::recv(fd, b, n, f);
}
extern "C" __attribute__((visibility("default"))) ssize_t __recvfrom_chk(int fd, void* b, size_t n, size_t buflen, int f,
                                                                          sockaddr* a, socklen_t* l) {
  if (n > buflen) __builtin_trap();
  return grove::hook::recvfrom(fd, b, n, f, a, l);
}
