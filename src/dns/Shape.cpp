#include "dns/Shape.hpp"

#include <cstdlib>
#include <cstring>

#include "sys/Real.hpp"

namespace grove::dns::detail {

int shape_template(int family, const char* service, const addrinfo& hints, addrinfo** out) {
  addrinfo h{};
  h.ai_flags = (hints.ai_flags & AI_NUMERICSERV) | AI_NUMERICHOST;
  h.ai_family = family;
  h.ai_socktype = hints.ai_socktype;
  h.ai_protocol = hints.ai_protocol;
  return grove::real::getaddrinfo(family == AF_INET ? "0.0.0.0" : "::", service, &h, out);
}

addrinfo* build_list(const std::vector<Address>& addrs, const addrinfo* tmpl4, const addrinfo* tmpl6,
                     int flags, const char* canonname) {
  addrinfo* head = nullptr;
  addrinfo** tail = &head;
  for (const Address& a : addrs) {
    for (const addrinfo* t = a.family == AF_INET ? tmpl4 : tmpl6; t; t = t->ai_next) {
      auto* node = static_cast<addrinfo*>(std::malloc(sizeof(addrinfo) + t->ai_addrlen));
      if (!node) {
        grove::real::freeaddrinfo(head);
        return nullptr;
      }
      *node = *t;
      node->ai_flags = flags;
      node->ai_canonname = nullptr;
      node->ai_next = nullptr;
      node->ai_addr = reinterpret_cast<sockaddr*>(node + 1);
      std::memcpy(node->ai_addr, t->ai_addr, t->ai_addrlen);
      if (a.family == AF_INET) {
        std::memcpy(&reinterpret_cast<sockaddr_in*>(node->ai_addr)->sin_addr, a.bytes, 4);
      } else {
        std::memcpy(&reinterpret_cast<sockaddr_in6*>(node->ai_addr)->sin6_addr, a.bytes, 16);
      }
      *tail = node;
      tail = &node->ai_next;
    }
  }
  if (head && canonname) {
    head->ai_canonname = strdup(canonname);
    if (!head->ai_canonname) {
      grove::real::freeaddrinfo(head);
      return nullptr;
    }
  }
  return head;
}

}  // namespace grove::dns::detail
