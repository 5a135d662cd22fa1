// Name resolution.
#include "Shim.hpp"

GROVE_SHIM(int, getaddrinfo, (const char* h, const char* s, const addrinfo* hi, addrinfo** r), (h, s, hi, r))
GROVE_SHIM(void, freeaddrinfo, (addrinfo * a), (a))
GROVE_SHIM(const char*, gai_strerror, (int c), (c))
GROVE_SHIM(int, getnameinfo, (const sockaddr* sa, socklen_t sl, char* h, socklen_t hl, char* s, socklen_t svl, int f),
           (sa, sl, h, hl, s, svl, f))
GROVE_SHIM(hostent*, gethostbyname, (const char* n), (n))
GROVE_SHIM(hostent*, gethostbyname2, (const char* n, int af), (n, af))
GROVE_SHIM(int, gethostbyname_r, (const char* n, hostent* h, char* b, size_t l, hostent** r, int* e),
           (n, h, b, l, r, e))
GROVE_SHIM(int, gethostbyname2_r, (const char* n, int af, hostent* h, char* b, size_t l, hostent** r, int* e),
           (n, af, h, b, l, r, e))
GROVE_SHIM(hostent*, gethostbyaddr, (const void* a, socklen_t l, int t), (a, l, t))
GROVE_SHIM(int, gethostbyaddr_r, (const void* a, socklen_t al, int t, hostent* h, char* b, size_t l, hostent** r, int* e),
           (a, al, t, h, b, l, r, e))
