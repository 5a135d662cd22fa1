// Sockets.
#include "Shim.hpp"

GROVE_SHIM(int, socket, (int d, int t, int p), (d, t, p))
GROVE_SHIM(int, socketpair, (int d, int t, int p, int sv[2]), (d, t, p, sv))
GROVE_SHIM(int, connect, (int fd, const sockaddr* a, socklen_t l), (fd, a, l))
GROVE_SHIM(int, accept, (int fd, sockaddr* a, socklen_t* l), (fd, a, l))
GROVE_SHIM(int, accept4, (int fd, sockaddr* a, socklen_t* l, int f), (fd, a, l, f))
GROVE_SHIM(int, shutdown, (int fd, int how), (fd, how))
GROVE_SHIM(int, setsockopt, (int fd, int lv, int nm, const void* v, socklen_t l), (fd, lv, nm, v, l))
GROVE_SHIM(int, getsockopt, (int fd, int lv, int nm, void* v, socklen_t* l), (fd, lv, nm, v, l))
