// Numeric hosts and /etc/hosts names: grove's answers must equal glibc's, node by node.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "DnsTestUtil.hpp"
#include "grove/grove.hpp"

namespace grove::test {
namespace {

std::string describe(const addrinfo* ai) {
  std::ostringstream s;
  s << "flags=" << ai->ai_flags << " family=" << ai->ai_family << " socktype=" << ai->ai_socktype
    << " protocol=" << ai->ai_protocol << " addrlen=" << ai->ai_addrlen << " addr=" << to_string(ai->ai_addr)
    << " canon=" << (ai->ai_canonname ? ai->ai_canonname : "(null)");
  return s.str();
}

// Compares rc and every field of every node, including the raw sockaddr bytes (port, scope id).
void expect_same_as_glibc(const char* host, const char* service, const addrinfo* hints) {
  const std::string what = std::string("host=") + (host ? host : "NULL") + " service=" + (service ? service : "NULL") +
                           (hints ? " flags=" + std::to_string(hints->ai_flags) + " family=" + std::to_string(hints->ai_family) +
                                        " socktype=" + std::to_string(hints->ai_socktype) + " protocol=" +
                                        std::to_string(hints->ai_protocol)
                                  : std::string(" hints=NULL"));
  addrinfo* expected = nullptr;
  const int expected_rc = ::getaddrinfo(host, service, hints, &expected);
  dns::AddrInfo actual;
  const int rc = dns::try_getaddrinfo(host, service, hints, actual);
  ASSERT_EQ(rc, expected_rc) << what << ": grove says " << dns::strerror(rc) << ", glibc " << gai_strerror(expected_rc);
  const addrinfo* a = actual.get();
  for (const addrinfo* e = expected; e; e = e->ai_next, a = a->ai_next) {
    ASSERT_NE(a, nullptr) << what << ": grove's list is shorter; glibc has " << describe(e);
    EXPECT_EQ(describe(a), describe(e)) << what;
    ASSERT_EQ(a->ai_addrlen, e->ai_addrlen) << what;
    EXPECT_EQ(std::memcmp(a->ai_addr, e->ai_addr, e->ai_addrlen), 0) << what << " sockaddr bytes differ";
  }
  EXPECT_EQ(a, nullptr) << what << ": grove's list is longer: " << describe(a);
  if (expected) ::freeaddrinfo(expected);
}

// Variants whose family /etc/hosts cannot answer go to DNS, where grove asks the test server and
// glibc the machine's: those are skipped (has_v4/has_v6: what the host can answer locally).
void compare_all_variants(const char* host, bool has_v4 = true, bool has_v6 = true) {
  const char* services[] = {nullptr, "80", "http", "domain", "no-such-service"};
  const int families[] = {AF_UNSPEC, AF_INET, AF_INET6};
  const int flag_sets[] = {0, AI_CANONNAME, AI_PASSIVE, AI_V4MAPPED, AI_V4MAPPED | AI_ALL, AI_NUMERICSERV,
                           AI_ADDRCONFIG, AI_CANONNAME | AI_V4MAPPED | AI_ADDRCONFIG};
  const int socktypes[] = {0, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW};
  for (const char* service : services) {
    expect_same_as_glibc(host, service, nullptr);
    for (int family : families) {
      for (int flags : flag_sets) {
        if (family == AF_INET && !has_v4) continue;
        if (family == AF_INET6 && !has_v6 && !(has_v4 && (flags & AI_V4MAPPED))) continue;
        for (int socktype : socktypes) {
          addrinfo hints{};
          hints.ai_family = family;
          hints.ai_flags = flags;
          hints.ai_socktype = socktype;
          expect_same_as_glibc(host, service, &hints);
        }
      }
    }
  }
  addrinfo with_protocol{};
  with_protocol.ai_protocol = IPPROTO_UDP;
  expect_same_as_glibc(host, "53", &with_protocol);
}

// Every name in the machine's /etc/hosts (glibc cannot be pointed at another file).
struct HostsName {
  bool v4 = false, v6 = false;
};
std::map<std::string, HostsName> hosts_file_names() {
  std::map<std::string, HostsName> names;
  std::ifstream in("/etc/hosts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string addr, name;
    if (!(fields >> addr)) continue;
    const bool v6 = addr.find(':') != std::string::npos;
    while (fields >> name) (v6 ? names[name].v6 : names[name].v4) = true;
  }
  return names;
}

TEST(DnsGlibc, NumericHostsMatchGlibc) {
  for (const char* host : {"127.0.0.1", "10.1.2.3", "127.1", "0x7f.1", "::1", "fe80::1", "::ffff:10.1.2.3",
                           "2001:db8::5"}) {
    compare_all_variants(host);
  }
  expect_same_as_glibc(nullptr, "80", nullptr);
  addrinfo passive{};
  passive.ai_flags = AI_PASSIVE;
  expect_same_as_glibc(nullptr, "8080", &passive);
  expect_same_as_glibc(nullptr, nullptr, nullptr);
  addrinfo bad{};
  bad.ai_family = AF_UNIX;
  expect_same_as_glibc("127.0.0.1", nullptr, &bad);
  bad = {};
  bad.ai_flags = 0x4000000;
  expect_same_as_glibc("127.0.0.1", nullptr, &bad);
  bad = {};
  bad.ai_flags = AI_NUMERICHOST;
  expect_same_as_glibc("n1.grove.test", nullptr, &bad);
}

TEST(DnsGlibc, HostsFileNamesMatchGlibc) {
  auto names = hosts_file_names();
  ASSERT_FALSE(names.empty()) << "/etc/hosts has no names";
  for (const auto& [name, families] : names) compare_all_variants(name.c_str(), families.v4, families.v6);
  if (names.count("localhost")) {
    compare_all_variants("LOCALHOST", names["localhost"].v4, names["localhost"].v6);  // any case matches
  }
}

TEST(DnsGlibc, SameAnswersInsideFibers) {
  // The same comparison from a fiber (the engine's normal home) at every worker count.
  grove::spawn([] {
    compare_all_variants("127.0.0.1");
    auto names = hosts_file_names();
    if (names.count("localhost")) compare_all_variants("localhost", names["localhost"].v4, names["localhost"].v6);
  }).get();
}

// A server that never answers: anything touching the network would take seconds.
TEST(DnsGlibc, NumericHostsNeverTouchTheNetwork) {
  int silent = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  dns::Settings s;
  s.servers = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  s.timeout = std::chrono::milliseconds(3000);
  s.attempts = 3;
  dns::configure(s);
  auto start = Clock::now();
  for (const char* host : {"127.0.0.1", "::1", "10.9.8.7", "localhost"}) {
    auto list = dns::getaddrinfo(host, "80");
    EXPECT_FALSE(list.empty()) << host;
  }
  sockaddr_in lo{};
  lo.sin_family = AF_INET;
  lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(dns::getnameinfo(reinterpret_cast<sockaddr*>(&lo), sizeof lo, NI_NUMERICHOST).host, "127.0.0.1");
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 2.0);
  char buf[512];
  EXPECT_LT(recv(silent, buf, sizeof buf, MSG_DONTWAIT), 0) << "a query reached the server";
  ::close(silent);
  use_test_server();
}

}  // namespace
}  // namespace grove::test
