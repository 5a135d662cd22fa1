// getnameinfo(): glibc for numeric answers, /etc/hosts addresses and services; c-ares for PTR.
#include <ares.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "dns/Channel.hpp"
#include "dns/HostsFile.hpp"
#include "sys/Real.hpp"
#include "dns/Lookup.hpp"

namespace grove::dns::detail {
namespace {

struct HostQuery {
  bool done = false;
  int status = ARES_SUCCESS;
  std::string name;
};

void on_host(void* arg, int status, int, hostent* host) {
  auto* q = static_cast<HostQuery*>(arg);
  q->status = status;
  if (status == ARES_SUCCESS && host && host->h_name) q->name = host->h_name;
  q->done = true;
}

// NI_NOFQDN strips the local domain, which glibc takes from the host name after its first dot.
void strip_local_domain(std::string& name) {
  char self[256] = {};
  if (gethostname(self, sizeof self - 1) != 0) return;
  const char* dot = std::strchr(self, '.');
  if (!dot) return;
  const std::string domain(dot);  // ".example.com"
  if (name.size() > domain.size() && strcasecmp(name.c_str() + name.size() - domain.size(), domain.c_str()) == 0) {
    name.resize(name.size() - domain.size());
  }
}

}  // namespace

int lookup_nameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen, char* serv,
                    socklen_t servlen, int flags, grove::detail::TimePoint deadline) {
  const bool wants_name = host && hostlen > 0 && !(flags & NI_NUMERICHOST);
  const bool inet = sa && ((sa->sa_family == AF_INET && salen >= sizeof(sockaddr_in)) ||
                           (sa->sa_family == AF_INET6 && salen >= sizeof(sockaddr_in6)));
  if (!wants_name || !inet) return grove::real::getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);

  // The address to look up: IPv4-mapped IPv6 addresses are looked up as IPv4, as glibc does.
  int family = sa->sa_family;
  const unsigned char* addr;
  if (family == AF_INET) {
    addr = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  } else {
    const in6_addr* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    addr = a6->s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
      family = AF_INET;
      addr += 12;
    }
  }
  if (hosts_has_address(family, addr)) return grove::real::getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);

  // glibc gives the service and the numeric fallback (with its scope id) without the network.
  char numeric[NI_MAXHOST];
  int rc = grove::real::getnameinfo(sa, salen, numeric, sizeof numeric, serv, servlen, (flags | NI_NUMERICHOST) & ~NI_NAMEREQD);
  if (rc != 0) return rc;

  HostQuery query;  // declared before the channel: its callback may run in ~Channel
  Channel channel;
  if ((rc = channel.open()) != ARES_SUCCESS) return eai_from_ares(rc);
  ares_gethostbyaddr(channel.get(), addr, family == AF_INET ? 4 : 16, family, on_host, &query);
  if (!channel.run_until(query.done, deadline)) {
    channel.cancel();
    return EAI_AGAIN;
  }
  std::string name;
  if (query.status == ARES_SUCCESS && !query.name.empty()) {
    name = query.name;
    if (flags & NI_NOFQDN) strip_local_domain(name);
  } else if (query.status == ARES_ENOTFOUND || query.status == ARES_ENODATA || query.status == ARES_SUCCESS) {
    if (flags & NI_NAMEREQD) return EAI_NONAME;
    name = numeric;
  } else {
    return eai_from_ares(query.status);
  }
  if (name.size() >= static_cast<std::size_t>(hostlen)) return EAI_OVERFLOW;
  std::memcpy(host, name.c_str(), name.size() + 1);
  return 0;
}

}  // namespace grove::dns::detail
