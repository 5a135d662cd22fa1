// getaddrinfo & co.: inside a fiber the c-ares engine answers (the fiber parks while the query is
// out, the worker runs others); elsewhere glibc does. Both paths give glibc's results and codes.
#include <cerrno>
#include <cstddef>
#include <vector>

#include "dns/Lookup.hpp"
#include "grove/local.hpp"
#include "hook/Hook.hpp"
#include "sys/Real.hpp"
#include "hook/Wait.hpp"

namespace grove::hook {
namespace {

// The non-reentrant functions' result, per fiber: glibc keeps one static buffer per process,
// valid until the next call; per fiber, another fiber's lookup on the same worker (or after a
// migration) cannot overwrite a result the caller is still reading.
struct HostentStorage {
  hostent ent{};
  std::vector<char> buf = std::vector<char>(1024);
};

HostentStorage& hostent_storage() {
  static grove::local<HostentStorage> storage;
  return *storage;
}

// glibc's non-reentrant wrapper: grow the buffer while the answer does not fit, then report
// failure through h_errno.
template <typename Lookup>
hostent* with_fiber_storage(Lookup lookup) {
  HostentStorage& s = hostent_storage();
  hostent* result = nullptr;
  int herr = NETDB_SUCCESS;
  while (lookup(&s.ent, s.buf.data(), s.buf.size(), &result, &herr) == ERANGE && herr == NETDB_INTERNAL) {
    s.buf.resize(s.buf.size() * 2);
  }
  if (!result) h_errno = herr;
  return result;
}

}  // namespace

int getaddrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** res) {
  if (!active()) return real::getaddrinfo(host, service, hints, res);
  stay_on_this_worker();
  return dns::detail::lookup_addrinfo(host, service, hints, res, kNoDeadline);
}

// Both paths build glibc's layout (one malloc per node holding its sockaddr, ai_canonname its
// own), so glibc's freeaddrinfo frees either.
void freeaddrinfo(addrinfo* list) { real::freeaddrinfo(list); }

// The engine reports glibc's EAI_* codes, so glibc's texts apply to both paths.
const char* gai_strerror(int code) { return real::gai_strerror(code); }

int getnameinfo(const sockaddr* addr, socklen_t addrlen, char* host, socklen_t hostlen, char* serv, socklen_t servlen,
                int flags) {
  if (!active()) return real::getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags);
  stay_on_this_worker();
  return dns::detail::lookup_nameinfo(addr, addrlen, host, hostlen, serv, servlen, flags, kNoDeadline);
}

int gethostbyname2_r(const char* name, int af, hostent* ret, char* buf, size_t buflen, hostent** result,
                     int* h_errnop) {
  if (!active()) return real::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop);
  stay_on_this_worker();
  return dns::detail::lookup_hostent(name, af, ret, buf, buflen, result, h_errnop, kNoDeadline);
}

int gethostbyname_r(const char* name, hostent* ret, char* buf, size_t buflen, hostent** result, int* h_errnop) {
  if (!active()) return real::gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
  stay_on_this_worker();
  return dns::detail::lookup_hostent(name, AF_INET, ret, buf, buflen, result, h_errnop, kNoDeadline);
}

int gethostbyaddr_r(const void* addr, socklen_t len, int type, hostent* ret, char* buf, size_t buflen,
                    hostent** result, int* h_errnop) {
  if (!active()) return real::gethostbyaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop);
  stay_on_this_worker();
  return dns::detail::lookup_hostent_by_address(addr, len, type, ret, buf, buflen, result, h_errnop, kNoDeadline);
}

hostent* gethostbyname(const char* name) {
  if (!active()) return real::gethostbyname(name);
  stay_on_this_worker();
  return with_fiber_storage([name](hostent* ret, char* buf, size_t len, hostent** result, int* herr) {
    return dns::detail::lookup_hostent(name, AF_INET, ret, buf, len, result, herr, kNoDeadline);
  });
}

hostent* gethostbyname2(const char* name, int af) {
  if (!active()) return real::gethostbyname2(name, af);
  stay_on_this_worker();
  return with_fiber_storage([name, af](hostent* ret, char* buf, size_t len, hostent** result, int* herr) {
    return dns::detail::lookup_hostent(name, af, ret, buf, len, result, herr, kNoDeadline);
  });
}

hostent* gethostbyaddr(const void* addr, socklen_t len, int type) {
  if (!active()) return real::gethostbyaddr(addr, len, type);
  stay_on_this_worker();
  return with_fiber_storage([addr, len, type](hostent* ret, char* buf, size_t n, hostent** result, int* herr) {
    return dns::detail::lookup_hostent_by_address(addr, len, type, ret, buf, n, result, herr, kNoDeadline);
  });
}

}  // namespace grove::hook
