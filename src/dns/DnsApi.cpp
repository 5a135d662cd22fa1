// grove::dns: the C++ face of the resolver engine.
#include <cerrno>
#include <cstring>
#include <string>

#include "sys/Real.hpp"
#include "dns/Lookup.hpp"
#include "grove/dns.hpp"

namespace grove::dns {
namespace {

std::string quoted(const char* s) { return s ? "\"" + std::string(s) + "\"" : std::string("NULL"); }

std::string describe(int code) {
  std::string text = strerror(code);
  if (code == EAI_SYSTEM) text += std::string(": ") + std::strerror(errno);
  return text;
}

}  // namespace

AddrInfo& AddrInfo::operator=(AddrInfo&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void AddrInfo::reset(addrinfo* list) noexcept {
  if (list_) grove::real::freeaddrinfo(list_);
  list_ = list;
}

std::size_t AddrInfo::size() const noexcept {
  std::size_t n = 0;
  for (const addrinfo* p = list_; p; p = p->ai_next) ++n;
  return n;
}

Error::Error(int code, const std::string& query) : std::runtime_error(query + ": " + describe(code)), code_(code) {}

const char* strerror(int code) noexcept { return grove::real::gai_strerror(code); }

int try_getaddrinfo(const char* host, const char* service, const addrinfo* hints, AddrInfo& out,
                    grove::detail::TimePoint deadline) {
  addrinfo* list = nullptr;
  int rc = detail::lookup_addrinfo(host, service, hints, &list, deadline);
  out.reset(rc == 0 ? list : nullptr);
  return rc;
}

AddrInfo getaddrinfo(const char* host, const char* service, const addrinfo* hints, grove::detail::TimePoint deadline) {
  AddrInfo out;
  if (int rc = try_getaddrinfo(host, service, hints, out, deadline)) {
    throw Error(rc, "grove::dns::getaddrinfo(" + quoted(host) + ", " + quoted(service) + ")");
  }
  return out;
}

int try_getnameinfo(const sockaddr* addr, socklen_t addrlen, NameInfo& out, int flags, grove::detail::TimePoint deadline) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  int rc = detail::lookup_nameinfo(addr, addrlen, host, sizeof host, serv, sizeof serv, flags, deadline);
  if (rc == 0) {
    out.host = host;
    out.service = serv;
  }
  return rc;
}

NameInfo getnameinfo(const sockaddr* addr, socklen_t addrlen, int flags, grove::detail::TimePoint deadline) {
  NameInfo out;
  if (int rc = try_getnameinfo(addr, addrlen, out, flags, deadline)) {
    char numeric[NI_MAXHOST] = "?";
    grove::real::getnameinfo(addr, addrlen, numeric, sizeof numeric, nullptr, 0, NI_NUMERICHOST);
    throw Error(rc, std::string("grove::dns::getnameinfo(") + numeric + ")");
  }
  return out;
}

}  // namespace grove::dns
