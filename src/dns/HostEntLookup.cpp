// gethostbyname2_r() and gethostbyaddr_r() on the engine: glibc answers numeric names and
// /etc/hosts entries (byte-identical results); c-ares answers the rest, packed into the caller's
// buffer the way glibc packs it, with glibc's return values and h_errno codes.
#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dns/Channel.hpp"
#include "dns/HostsFile.hpp"
#include "dns/Shape.hpp"
#include "dns/Lookup.hpp"
#include "sys/Real.hpp"

namespace grove::dns::detail {
namespace {

struct HostAnswer {
  std::string name;
  std::vector<std::string> aliases;
  int family = AF_INET;
  std::vector<Address> addrs;
};

std::size_t address_length(int family) { return family == AF_INET ? 4 : 16; }

// glibc's __nss_hostname_digits_dots: names it answers itself (numeric addresses, or a
// HOST_NOT_FOUND for malformed ones) without asking any NSS source.
bool answered_by_digits_dots(const char* name) {
  const auto c0 = static_cast<unsigned char>(name[0]);
  if (std::isdigit(c0)) {
    const char* p = name;
    while (std::isdigit(static_cast<unsigned char>(*p)) || *p == '.') ++p;
    if (*p == '\0' && p[-1] != '.') return true;
  }
  if ((std::isxdigit(c0) && std::strchr(name, ':')) || c0 == ':') {
    const char* p = name;
    while (std::isxdigit(static_cast<unsigned char>(*p)) || *p == ':' || *p == '.') ++p;
    if (*p == '\0') return true;
  }
  return false;
}

// Lays the answer out in `buf` (pointer arrays, then addresses, then strings) and points `ret`
// at it; ERANGE if it does not fit, as glibc reports a short buffer.
int pack(const HostAnswer& a, hostent* ret, char* buf, std::size_t buflen) {
  const std::size_t len = address_length(a.family);
  const std::uintptr_t start = reinterpret_cast<std::uintptr_t>(buf);
  const std::size_t pad = (alignof(char*) - start % alignof(char*)) % alignof(char*);
  std::size_t need = pad + (a.addrs.size() + 1 + a.aliases.size() + 1) * sizeof(char*) + a.addrs.size() * len +
                     a.name.size() + 1;
  for (const std::string& alias : a.aliases) need += alias.size() + 1;
  if (!buf || need > buflen) return ERANGE;

  char** addr_list = reinterpret_cast<char**>(buf + pad);
  char** alias_list = addr_list + a.addrs.size() + 1;
  char* p = reinterpret_cast<char*>(alias_list + a.aliases.size() + 1);
  for (std::size_t i = 0; i < a.addrs.size(); ++i, p += len) {
    std::memcpy(p, a.addrs[i].bytes, len);
    addr_list[i] = p;
  }
  addr_list[a.addrs.size()] = nullptr;
  auto copy = [&p](const std::string& s) {
    char* out = p;
    std::memcpy(p, s.c_str(), s.size() + 1);
    p += s.size() + 1;
    return out;
  };
  for (std::size_t i = 0; i < a.aliases.size(); ++i) alias_list[i] = copy(a.aliases[i]);
  alias_list[a.aliases.size()] = nullptr;
  ret->h_name = copy(a.name);
  ret->h_aliases = alias_list;
  ret->h_addrtype = a.family;
  ret->h_length = static_cast<int>(len);
  ret->h_addr_list = addr_list;
  return 0;
}

// glibc's answer for a failed lookup: *result null, h_errno set; the return value is 0 for
// "no such name / no such data", EAGAIN for TRY_AGAIN, else errno (NETDB_INTERNAL).
int fail(int herr, int err, hostent** result, int* h_errnop) {
  *result = nullptr;
  *h_errnop = herr;
  errno = err;
  return err;
}

int fail_from_ares(int status, hostent** result, int* h_errnop) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_EBADNAME: return fail(HOST_NOT_FOUND, 0, result, h_errnop);
    case ARES_ENODATA: return fail(NO_DATA, 0, result, h_errnop);
    case ARES_ENOMEM: return fail(NETDB_INTERNAL, ENOMEM, result, h_errnop);
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
    case ARES_EBADRESP:
    case ARES_EBADQUERY: return fail(NO_RECOVERY, 0, result, h_errnop);
    default: return fail(TRY_AGAIN, EAGAIN, result, h_errnop);  // timeouts, refused, SERVFAIL
  }
}

int succeed(const HostAnswer& answer, hostent* ret, char* buf, std::size_t buflen, hostent** result, int* h_errnop) {
  if (pack(answer, ret, buf, buflen) != 0) return fail(NETDB_INTERNAL, ERANGE, result, h_errnop);
  *result = ret;
  *h_errnop = NETDB_SUCCESS;
  errno = 0;  // glibc clears errno on success
  return 0;
}

struct PtrQuery {
  bool done = false;
  int status = ARES_SUCCESS;
  std::string name;
};

void on_ptr(void* arg, int status, int, hostent* host) {
  auto* q = static_cast<PtrQuery*>(arg);
  q->status = status;
  if (status == ARES_SUCCESS && host && host->h_name) q->name = host->h_name;
  q->done = true;
}

}  // namespace

int lookup_hostent(const char* name, int family, hostent* ret, char* buf, std::size_t buflen, hostent** result,
                   int* h_errnop, grove::detail::TimePoint deadline) {
  if (!name || !ret || !result || !h_errnop) {
    if (result) *result = nullptr;
    if (h_errnop) *h_errnop = NETDB_INTERNAL;
    errno = EINVAL;
    return EINVAL;
  }
  // Other families are refused by glibc itself, numeric names and /etc/hosts entries answered
  // locally: its results are the reference.
  if ((family != AF_INET && family != AF_INET6) || answered_by_digits_dots(name) ||
      hosts_has_name(name, family, false)) {
    return family == AF_INET ? grove::real::gethostbyname_r(name, ret, buf, buflen, result, h_errnop)
                             : grove::real::gethostbyname2_r(name, family, ret, buf, buflen, result, h_errnop);
  }
  AresAnswer query;
  if (int status = query_addresses(name, family, query, deadline); status != ARES_SUCCESS) {
    return fail_from_ares(status, result, h_errnop);
  }
  HostAnswer answer;
  answer.family = family;
  answer.name = canonical_name(query.result, name);
  for (const ares_addrinfo_cname* c = query.result->cnames; c; c = c->next) {
    if (c->alias) answer.aliases.emplace_back(c->alias);
  }
  for (const ares_addrinfo_node* n = query.result->nodes; n; n = n->ai_next) {
    if (n->ai_family != family) continue;
    Address a{};
    a.family = family;
    if (family == AF_INET) {
      std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in*>(n->ai_addr)->sin_addr, 4);
    } else {
      std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in6*>(n->ai_addr)->sin6_addr, 16);
    }
    answer.addrs.push_back(a);
  }
  if (answer.addrs.empty()) return fail(NO_DATA, 0, result, h_errnop);
  return succeed(answer, ret, buf, buflen, result, h_errnop);
}

int lookup_hostent_by_address(const void* addr, socklen_t len, int type, hostent* ret, char* buf, std::size_t buflen,
                              hostent** result, int* h_errnop, grove::detail::TimePoint deadline) {
  if (!addr || !ret || !result || !h_errnop) {
    if (result) *result = nullptr;
    if (h_errnop) *h_errnop = NETDB_INTERNAL;
    errno = EINVAL;
    return EINVAL;
  }
  const bool well_formed = (type == AF_INET && len == 4) || (type == AF_INET6 && len == 16);
  // Malformed arguments, the unspecified address, IPv4-mapped ones (glibc rewrites them) and
  // /etc/hosts addresses: glibc answers without the network.
  if (!well_formed || (type == AF_INET6 && (IN6_IS_ADDR_UNSPECIFIED(static_cast<const in6_addr*>(addr)) ||
                                            IN6_IS_ADDR_V4MAPPED(static_cast<const in6_addr*>(addr)))) ||
      hosts_has_address(type, addr)) {
    return grove::real::gethostbyaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop);
  }
  PtrQuery query;  // before the channel: its callback may run in ~Channel
  Channel channel;
  if (int status = channel.open(); status != ARES_SUCCESS) return fail_from_ares(status, result, h_errnop);
  ares_gethostbyaddr(channel.get(), addr, static_cast<int>(len), type, on_ptr, &query);
  if (!channel.run_until(query.done, deadline)) {
    channel.cancel();
    return fail_from_ares(ARES_ETIMEOUT, result, h_errnop);
  }
  if (query.status != ARES_SUCCESS) return fail_from_ares(query.status, result, h_errnop);
  if (query.name.empty()) return fail(HOST_NOT_FOUND, 0, result, h_errnop);
  HostAnswer answer;
  answer.family = type;
  answer.name = query.name;
  Address a{};
  a.family = type;
  std::memcpy(a.bytes, addr, len);
  answer.addrs.push_back(a);
  return succeed(answer, ret, buf, buflen, result, h_errnop);
}

}  // namespace grove::dns::detail
