// Readiness: poll, select and epoll waits.
#include "Shim.hpp"

GROVE_SHIM(int, poll, (pollfd* f, nfds_t n, int ms), (f, n, ms))
GROVE_SHIM(int, ppoll, (pollfd* f, nfds_t n, const timespec* t, const sigset_t* m), (f, n, t, m))
GROVE_SHIM(int, select, (int n, fd_set* r, fd_set* w, fd_set* e, timeval* t), (n, r, w, e, t))
GROVE_SHIM(int, pselect, (int n, fd_set* r, fd_set* w, fd_set* e, const timespec* t, const sigset_t* m), (n, r, w, e, t, m))
GROVE_SHIM(int, epoll_wait, (int ep, epoll_event* e, int mx, int ms), (ep, e, mx, ms))
GROVE_SHIM(int, epoll_pwait, (int ep, epoll_event* e, int mx, int ms, const sigset_t* s), (ep, e, mx, ms, s))

extern "C" __attribute__((visibility("default"))) int __poll_chk(pollfd* f, nfds_t n, int ms, size_t buflen) {
  if (buflen / sizeof(pollfd) < n) __builtin_trap();
  return grove::hook::poll(f, n, ms);
}
extern "C" __attribute__((visibility("default"))) int __ppoll_chk(pollfd* f, nfds_t n, const timespec* t,
                                                                  const sigset_t* m, size_t buflen) {
  if (buflen / sizeof(pollfd) < n) __builtin_trap();
  return grove::hook::ppoll(f, n, t, m);
}
