#pragma once
// Which names and addresses /etc/hosts answers. glibc's "files" source (first in nsswitch's hosts
// line everywhere we know of) answers those without the network, so grove hands them to glibc and
// gets byte-identical results; everything else goes to DNS.
#include <netinet/in.h>

#include <string>

namespace grove::dns::detail {

// True if /etc/hosts has `name` (any case, canonical or alias) with an address glibc would return
// for `family` (AF_INET6 with AI_V4MAPPED also takes IPv4 entries).
bool hosts_has_name(const std::string& name, int family, bool v4mapped);
// True if /etc/hosts has this address (4 or 16 bytes).
bool hosts_has_address(int family, const void* addr);

}  // namespace grove::dns::detail
