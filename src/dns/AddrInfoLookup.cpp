// getaddrinfo(): glibc for numeric hosts and /etc/hosts names, c-ares for DNS, glibc's shape.
#include <ares.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <vector>

#include "dns/Channel.hpp"
#include "dns/HostsFile.hpp"
#include "sys/Real.hpp"
#include "dns/Lookup.hpp"
#include "dns/Shape.hpp"

namespace grove::dns::detail {
namespace {

// glibc's hints when the caller passes none.
constexpr addrinfo kDefaultHints = {AI_V4MAPPED | AI_ADDRCONFIG, AF_UNSPEC, 0, 0, 0, nullptr, nullptr, nullptr};

void on_addrinfo(void* arg, int status, int, ares_addrinfo* res) {
  auto* q = static_cast<AresAnswer*>(arg);
  if (q->result) ares_freeaddrinfo(q->result);
  q->status = status;
  q->result = res;
  q->done = true;
}

struct OwnedList {
  addrinfo* p = nullptr;
  ~OwnedList() {
    if (p) grove::real::freeaddrinfo(p);
  }
};

// AI_ADDRCONFIG as glibc reads it: a family counts if some interface has an address of it
// other than the loopback one.
void configured_families(bool& v4, bool& v6) {
  v4 = v6 = false;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      v4 |= reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr != htonl(INADDR_LOOPBACK);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      v6 |= !IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    }
  }
  freeifaddrs(list);
}

Address to_address(const sockaddr* sa) {
  Address a{};
  a.family = sa->sa_family;
  if (a.family == AF_INET) {
    std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
  } else {
    std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
  }
  return a;
}

Address map_v4(const Address& v4) {
  Address a{};
  a.family = AF_INET6;
  a.bytes[10] = a.bytes[11] = 0xff;
  std::memcpy(a.bytes + 12, v4.bytes, 4);
  return a;
}

}  // namespace

AresAnswer::~AresAnswer() {
  if (result) ares_freeaddrinfo(result);
}

std::string canonical_name(const ares_addrinfo* ai, const char* host) {
  for (const ares_addrinfo_cname* c = ai->cnames; c; c = c->next) {
    bool is_alias = false;
    for (const ares_addrinfo_cname* d = ai->cnames; d; d = d->next) {
      if (d->alias && c->name && strcasecmp(d->alias, c->name) == 0) is_alias = true;
    }
    if (!is_alias && c->name) return c->name;
  }
  return ai->name ? ai->name : host;
}

int query_addresses(const char* host, int family, AresAnswer& answer, grove::detail::TimePoint deadline) {
  Channel channel;  // after `answer`, whose callback may run in ~Channel
  if (int rc = channel.open(); rc != ARES_SUCCESS) return rc;
  ares_addrinfo_hints ah{};
  ah.ai_family = family;
  ah.ai_flags = ARES_AI_CANONNAME;
  ares_getaddrinfo(channel.get(), host, nullptr, &ah, on_addrinfo, &answer);
  if (!channel.run_until(answer.done, deadline)) {
    channel.cancel();
    return ARES_ETIMEOUT;
  }
  return answer.status;
}

int eai_from_ares(int status) {
  switch (status) {
    case ARES_SUCCESS: return 0;
    case ARES_ENOTFOUND:
    case ARES_EBADNAME: return EAI_NONAME;
    case ARES_ENODATA: return EAI_NODATA;
    case ARES_ENOMEM: return EAI_MEMORY;
    case ARES_EBADFAMILY: return EAI_FAMILY;
    case ARES_EBADFLAGS: return EAI_BADFLAGS;
    case ARES_ESERVICE: return EAI_SERVICE;
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
    case ARES_EBADRESP:
    case ARES_EBADQUERY: return EAI_FAIL;
    default: return EAI_AGAIN;  // timeouts, refused, SERVFAIL, unreachable servers: try again later
  }
}

int lookup_addrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** res,
                    grove::detail::TimePoint deadline) {
  *res = nullptr;
  const addrinfo& h = hints ? *hints : kDefaultHints;
  // No host, or numeric only: glibc answers without any lookup.
  if (!host || (h.ai_flags & AI_NUMERICHOST)) return grove::real::getaddrinfo(host, service, hints, res);
  addrinfo numeric = h;
  numeric.ai_flags |= AI_NUMERICHOST;
  int rc = grove::real::getaddrinfo(host, service, &numeric, res);
  if (rc == 0) {
    for (addrinfo* p = *res; p; p = p->ai_next) p->ai_flags = h.ai_flags;
    return 0;
  }
  if (rc != EAI_NONAME) return rc;  // bad flags, family, service, socket type: the same for names
  if (*host == '\0') return EAI_NONAME;

  const bool v4mapped = h.ai_family == AF_INET6 && (h.ai_flags & AI_V4MAPPED);
  if (hosts_has_name(host, h.ai_family, v4mapped)) return grove::real::getaddrinfo(host, service, hints, res);

  int family = h.ai_family;
  if (h.ai_flags & AI_ADDRCONFIG) {
    bool v4 = false, v6 = false;
    configured_families(v4, v6);
    if (family == AF_UNSPEC && v4 != v6) {
      family = v4 ? AF_INET : AF_INET6;
    } else if ((family == AF_INET && !v4) || (family == AF_INET6 && !v6)) {
      return EAI_NONAME;
    }
  }
  // Service and socket type errors come before any query, as in glibc.
  OwnedList tmpl4, tmpl6;
  if (family != AF_INET6 && (rc = shape_template(AF_INET, service, h, &tmpl4.p)) != 0) return rc;
  if (family != AF_INET && (rc = shape_template(AF_INET6, service, h, &tmpl6.p)) != 0) return rc;

  AresAnswer query;
  if ((rc = query_addresses(host, v4mapped ? AF_UNSPEC : family, query, deadline)) != ARES_SUCCESS) {
    return eai_from_ares(rc);
  }

  std::vector<Address> addrs, mapped;
  for (const ares_addrinfo_node* n = query.result ? query.result->nodes : nullptr; n; n = n->ai_next) {
    if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
    Address a = to_address(n->ai_addr);
    if (v4mapped && a.family == AF_INET) {
      mapped.push_back(map_v4(a));
    } else {
      addrs.push_back(a);
    }
  }
  // AI_V4MAPPED: IPv4 answers, mapped, only if there is no IPv6 one (or with AI_ALL, after them).
  if (addrs.empty() || (h.ai_flags & AI_ALL)) addrs.insert(addrs.end(), mapped.begin(), mapped.end());
  if (addrs.empty()) return EAI_NODATA;
  std::string canon;
  if (h.ai_flags & AI_CANONNAME) canon = canonical_name(query.result, host);
  *res = build_list(addrs, tmpl4.p, tmpl6.p, h.ai_flags, (h.ai_flags & AI_CANONNAME) ? canon.c_str() : nullptr);
  return *res ? 0 : EAI_MEMORY;
}

}  // namespace grove::dns::detail
