#include "dns/Libc.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstring>

namespace grove::dns::detail::libc {
namespace {

using GetAddrInfoFn = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
using FreeAddrInfoFn = void (*)(addrinfo*);
using GetNameInfoFn = int (*)(const sockaddr*, socklen_t, char*, socklen_t, char*, socklen_t, int);
using GaiStrerrorFn = const char* (*)(int);

GetAddrInfoFn g_getaddrinfo = nullptr;
FreeAddrInfoFn g_freeaddrinfo = nullptr;
GetNameInfoFn g_getnameinfo = nullptr;
GaiStrerrorFn g_gai_strerror = nullptr;

template <typename Fn>
void resolve(void* libc, const char* name, Fn& out) {
  out = reinterpret_cast<Fn>(dlsym(libc, name));
  if (!out) {
    static const char msg[] = "grove: cannot find glibc's resolver functions\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(2);
  }
}

// dlsym on libc's own handle searches libc only, never an interposing shim (no recursion).
__attribute__((constructor)) void resolve_libc_resolver() {
  void* libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
  if (!libc) libc = RTLD_NEXT;
  resolve(libc, "getaddrinfo", g_getaddrinfo);
  resolve(libc, "freeaddrinfo", g_freeaddrinfo);
  resolve(libc, "getnameinfo", g_getnameinfo);
  resolve(libc, "gai_strerror", g_gai_strerror);
}

}  // namespace

int getaddrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** res) {
  return g_getaddrinfo(host, service, hints, res);
}
void freeaddrinfo(addrinfo* list) { g_freeaddrinfo(list); }
int getnameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen, char* serv,
                socklen_t servlen, int flags) {
  return g_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}
const char* gai_strerror(int code) { return g_gai_strerror(code); }

}  // namespace grove::dns::detail::libc
