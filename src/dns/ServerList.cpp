#include "dns/ServerList.hpp"

#include <arpa/inet.h>
#include <stdlib.h>

#include <cstdlib>

#include "api/Bootstrap.hpp"

namespace grove::dns::detail {
namespace {

// A function-local static: constructed on first use, so the load-time reader below may run
// before this file's ordinary static initialisers.
std::string& env_storage() {
  static std::string servers;
  return servers;
}

bool parse_port(const std::string& s, unsigned& port) {
  if (s.empty() || s.size() > 5) return false;
  port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  return port >= 1 && port <= 65535;
}

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// One entry: "1.2.3.4", "1.2.3.4:53", "[::1]", "[::1]:53" or "::1".
bool parse_entry(const std::string& e, std::string& out) {
  unsigned port = 53;
  if (!e.empty() && e[0] == '[') {
    auto close = e.find(']');
    if (close == std::string::npos) return false;
    std::string addr = e.substr(1, close - 1);
    std::string rest = e.substr(close + 1);
    if (!is_ipv6(addr)) return false;
    if (!rest.empty() && (rest[0] != ':' || !parse_port(rest.substr(1), port))) return false;
    out = "[" + addr + "]:" + std::to_string(port);
    return true;
  }
  if (is_ipv6(e)) {
    out = "[" + e + "]:53";
    return true;
  }
  auto colon = e.find(':');
  std::string addr = e.substr(0, colon);
  if (!is_ipv4(addr)) return false;
  if (colon != std::string::npos && !parse_port(e.substr(colon + 1), port)) return false;
  out = addr + ":" + std::to_string(port);
  return true;
}

__attribute__((constructor)) void read_dns_environment() {
  const char* s = secure_getenv("GROVE_DNS_SERVERS");
  if (!s) return;
  std::string bad;
  if (!parse_server_list(s, env_storage(), bad)) grove::detail::die_bad_environment("GROVE_DNS_SERVERS", s, kServerListSyntax);
}

}  // namespace

bool parse_server_list(const std::string& text, std::string& ares_csv, std::string& bad) {
  ares_csv.clear();
  std::size_t start = 0;
  for (;;) {
    auto comma = text.find(',', start);
    std::string entry = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::string normal;
    if (!parse_entry(entry, normal)) {
      bad = entry;
      return false;
    }
    if (!ares_csv.empty()) ares_csv += ',';
    ares_csv += normal;
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

const std::string& env_servers() { return env_storage(); }

}  // namespace grove::dns::detail
