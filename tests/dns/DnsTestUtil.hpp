#pragma once
// Shared by the dns tests: the one dnsmasq of this test binary, and addrinfo helpers.
#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>

#include <fstream>
#include <string>
#include <vector>

#include "DnsServer.hpp"
#include "grove/dns.hpp"

namespace grove::test {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Started once per test binary; grove::dns is configured to use it (1 s per try, 2 tries).
DnsServer& dns_server();
// Puts the resolver back to the shared server's settings.
void use_test_server();

inline std::string to_string(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

// The distinct addresses of a result, in order.
inline std::vector<std::string> addresses(const dns::AddrInfo& list) {
  std::vector<std::string> out;
  for (const addrinfo& ai : list) {
    std::string a = to_string(ai.ai_addr);
    if (out.empty() || out.back() != a) out.push_back(a);
  }
  return out;
}

inline int count_dir(const char* path) {
  int n = 0;
  if (DIR* d = opendir(path)) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}
inline int thread_count() { return count_dir("/proc/self/task"); }
// Threads grove did not start (grove names its own grove-worker-N, grove-monitor, grove-spare,
// grove-pool): what DNS lookups may not add. The main thread (worker 0) is one of them.
inline int foreign_thread_count() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::string name;
      std::getline(comm, name);
      n += name.rfind("grove-", 0) != 0;
    }
    closedir(d);
  }
  return n;
}
inline int fd_count() { return count_dir("/proc/self/fd") - 1; }  // minus opendir's own

}  // namespace grove::test
