#pragma once
// The resolver engine behind grove::dns and the hooked libc functions: libc's signatures and
// return codes, glibc's answers for everything local, c-ares for DNS.
#include <netdb.h>

#include "grove/detail/fiber_core.hpp"

namespace grove::dns::detail {

// getaddrinfo(): 0 and a glibc-layout list in *res (free with freeaddrinfo), or an EAI_* code.
int lookup_addrinfo(const char* host, const char* service, const addrinfo* hints, addrinfo** res,
                    grove::detail::TimePoint deadline);

// getnameinfo(): 0 or an EAI_* code.
int lookup_nameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen, char* serv,
                    socklen_t servlen, int flags, grove::detail::TimePoint deadline);

// An ARES_* status of a failed DNS query as the EAI_* code glibc gives for the same failure.
int eai_from_ares(int status);

}  // namespace grove::dns::detail
