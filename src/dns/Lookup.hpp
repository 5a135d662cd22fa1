#pragma once
// The resolver engine behind grove::dns and the hooked libc functions: libc's signatures and
// return codes, glibc's answers for everything local, c-ares for DNS.
#include <ares.h>
#include <netdb.h>

#include <string>

#include "grove/detail/fiber_core.hpp"

namespace grove::dns::detail {

// getaddrinfo(): 0 and a glibc-layout list in *res (free with freeaddrinfo), or an EAI_* code.
int lookup_addrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** res,
                    grove::detail::TimePoint deadline);

// getnameinfo(): 0 or an EAI_* code.
int lookup_nameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen, char* serv,
                    socklen_t servlen, int flags, grove::detail::TimePoint deadline);

// gethostbyname2_r(): glibc's contract (0, ERANGE, EAGAIN, ... returned; *h_errnop set; *result
// null on failure), the hostent packed into `buf`.
int lookup_hostent(const char* name, int family, hostent* ret, char* buf, std::size_t buflen, hostent** result,
                   int* h_errnop, grove::detail::TimePoint deadline);

// gethostbyaddr_r(), with the same contract.
int lookup_hostent_by_address(const void* addr, socklen_t len, int type, hostent* ret, char* buf, std::size_t buflen,
                              hostent** result, int* h_errnop, grove::detail::TimePoint deadline);

// One c-ares address query (family AF_INET, AF_INET6 or AF_UNSPEC) with canonical names.
struct AresAnswer {
  bool done = false;
  int status = ARES_SUCCESS;
  ares_addrinfo* result = nullptr;
  AresAnswer() = default;
  AresAnswer(const AresAnswer&) = delete;
  AresAnswer& operator=(const AresAnswer&) = delete;
  ~AresAnswer();
};
// Runs the query on a private channel until answered or `deadline` (then ARES_ETIMEOUT).
int query_addresses(const char* host, int family, AresAnswer& answer, grove::detail::TimePoint deadline);

// The end of the CNAME chain (the name glibc reports as canonical), else the name answered.
std::string canonical_name(const ares_addrinfo* ai, const char* host);

// An ARES_* status of a failed DNS query as the EAI_* code glibc gives for the same failure.
int eai_from_ares(int status);

}  // namespace grove::dns::detail
