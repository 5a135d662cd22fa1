#pragma once
// glibc's own resolver entry points, resolved once at load from libc.so.6 itself, so that grove
// reaches them even when an LD_PRELOAD shim interposes getaddrinfo & co. Used only for answers
// that never touch the network (numeric hosts, /etc/hosts, service names, result shaping).
#include <netdb.h>
#include <sys/socket.h>

namespace grove::dns::detail::libc {

int getaddrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** res);
void freeaddrinfo(addrinfo* list);
int getnameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen, char* serv,
                socklen_t servlen, int flags);
const char* gai_strerror(int code);

}  // namespace grove::dns::detail::libc
