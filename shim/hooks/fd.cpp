// Descriptor bookkeeping: close, dup*, fcntl, ioctl, pipes, eventfd.
#include <stdarg.h>

#include "Shim.hpp"

GROVE_SHIM(int, close, (int fd), (fd))
GROVE_SHIM(int, dup, (int fd), (fd))
GROVE_SHIM(int, dup2, (int fd, int t), (fd, t))
GROVE_SHIM(int, dup3, (int fd, int t, int f), (fd, t, f))
GROVE_SHIM(int, pipe, (int p[2]), (p))
GROVE_SHIM(int, pipe2, (int p[2], int f), (p, f))
GROVE_SHIM(int, eventfd, (unsigned int v, int f), (v, f))

// Variadic: the optional argument is an int or a pointer; read it as a pointer-sized value as
// libc itself does.
#define GROVE_SHIM_FCNTL(name)                                                       \
  extern "C" __attribute__((visibility("default"))) int name(int fd, int cmd, ...) { \
    va_list ap;                                                                      \
    va_start(ap, cmd);                                                               \
    unsigned long arg = va_arg(ap, unsigned long);                                   \
    va_end(ap);                                                                      \
    return grove::hook::fcntl(fd, cmd, arg);                                         \
  }
GROVE_SHIM_FCNTL(fcntl)
GROVE_SHIM_FCNTL(fcntl64)  // what programs built with _FILE_OFFSET_BITS=64 call

extern "C" __attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return grove::hook::ioctl(fd, request, arg);
}
