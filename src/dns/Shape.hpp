#pragma once
// Builds getaddrinfo() results in glibc's exact shape and memory layout from a list of addresses.
// glibc computes the per-address part (socket types, protocols, port) for a numeric stand-in
// address; grove repeats it for each real address. Every node is one malloc() holding the
// addrinfo and its sockaddr, and ai_canonname its own malloc(), as glibc allocates them, so
// glibc's freeaddrinfo() frees lists from either path.
#include <netdb.h>
#include <netinet/in.h>

#include <string>
#include <vector>

namespace grove::dns::detail {

struct Address {
  int family;               // AF_INET or AF_INET6
  unsigned char bytes[16];  // 4 or 16 bytes
};

// The addrinfo nodes glibc produces per address of `family` for `service` and `hints`
// (an EAI_* code if glibc rejects the service, socket type or protocol).
int shape_template(int family, const char* service, const addrinfo& hints, addrinfo** out);

// Concatenates a copy of `tmpl` (for the address's family) per address, in order. `canonname`
// (if not null) goes on the first node. nullptr when out of memory.
addrinfo* build_list(const std::vector<Address>& addrs, const addrinfo* tmpl4, const addrinfo* tmpl6,
                     int flags, const char* canonname);

}  // namespace grove::dns::detail
