// Forward and reverse lookups against the local dnsmasq, errors, and resolver settings.
#include <gtest/gtest.h>

#include <thread>

#include "DnsTestUtil.hpp"
#include "grove/grove.hpp"

namespace grove::test {
namespace {

addrinfo hints_for(int family, int flags = 0, int socktype = 0) {
  addrinfo h{};
  h.ai_family = family;
  h.ai_flags = flags;
  h.ai_socktype = socktype;
  return h;
}

TEST(DnsLookup, ResolvesNamesFromTheServer) {
  auto h = hints_for(AF_INET);
  for (int i : {0, 1, 249, 250, 999}) {
    auto list = dns::getaddrinfo(name_of(i).c_str(), "80", &h);
    EXPECT_EQ(addresses(list), std::vector<std::string>{address_of(i)}) << name_of(i);
  }
}

TEST(DnsLookup, ShapesResultsLikeGlibc) {
  // socktype 0: one node per socket type glibc knows for a service (TCP, UDP), port filled in.
  auto h = hints_for(AF_INET);
  auto list = dns::getaddrinfo("n7.grove.test", "domain", &h);  // 53/tcp and 53/udp in /etc/services
  ASSERT_EQ(list.size(), 2u);
  const addrinfo* a = list.get();
  EXPECT_EQ(a->ai_socktype, SOCK_STREAM);
  EXPECT_EQ(a->ai_protocol, IPPROTO_TCP);
  EXPECT_EQ(a->ai_next->ai_socktype, SOCK_DGRAM);
  EXPECT_EQ(a->ai_next->ai_protocol, IPPROTO_UDP);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_port), 53);
  EXPECT_EQ(a->ai_canonname, nullptr);
  // No service: TCP, UDP and raw, as glibc.
  EXPECT_EQ(dns::getaddrinfo("n7.grove.test", nullptr, &h).size(), 3u);
  // Bad service: the same error glibc gives, before any query.
  dns::AddrInfo out;
  EXPECT_EQ(dns::try_getaddrinfo("n7.grove.test", "no-such-service", &h, out), EAI_SERVICE);
  EXPECT_TRUE(out.empty());
}

TEST(DnsLookup, BothFamiliesAndV4Mapped) {
  auto unspec = hints_for(AF_UNSPEC, 0, SOCK_STREAM);
  auto both = addresses(dns::getaddrinfo("dual.grove.test", nullptr, &unspec));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_TRUE((both == std::vector<std::string>{"fd00::77", "10.77.9.9"} ||
               both == std::vector<std::string>{"10.77.9.9", "fd00::77"}));
  auto v6 = hints_for(AF_INET6, 0, SOCK_STREAM);
  EXPECT_EQ(addresses(dns::getaddrinfo("dual.grove.test", nullptr, &v6)), std::vector<std::string>{"fd00::77"});
  auto mapped = hints_for(AF_INET6, AI_V4MAPPED, SOCK_STREAM);
  EXPECT_EQ(addresses(dns::getaddrinfo("n3.grove.test", nullptr, &mapped)), std::vector<std::string>{"::ffff:10.77.0.4"});
  EXPECT_EQ(addresses(dns::getaddrinfo("dual.grove.test", nullptr, &mapped)), std::vector<std::string>{"fd00::77"});
  auto all = hints_for(AF_INET6, AI_V4MAPPED | AI_ALL, SOCK_STREAM);
  EXPECT_EQ(addresses(dns::getaddrinfo("dual.grove.test", nullptr, &all)),
            (std::vector<std::string>{"fd00::77", "::ffff:10.77.9.9"}));
}

TEST(DnsLookup, CanonicalNameFollowsCname) {
  auto h = hints_for(AF_INET, AI_CANONNAME, SOCK_STREAM);
  auto list = dns::getaddrinfo("alias.grove.test", nullptr, &h);
  ASSERT_EQ(addresses(list), std::vector<std::string>{address_of(1)});
  ASSERT_NE(list.get()->ai_canonname, nullptr);
  EXPECT_STREQ(list.get()->ai_canonname, "n1.grove.test");
  auto plain = dns::getaddrinfo("n2.grove.test", nullptr, &h);
  ASSERT_NE(plain.get()->ai_canonname, nullptr);
  EXPECT_STREQ(plain.get()->ai_canonname, "n2.grove.test");
}

TEST(DnsLookup, NxdomainIsEaiNoname) {
  dns::AddrInfo out;
  EXPECT_EQ(dns::try_getaddrinfo("missing.grove.test", "80", nullptr, out), EAI_NONAME);
  EXPECT_TRUE(out.empty());
  try {
    dns::getaddrinfo("missing.grove.test", "80");
    FAIL() << "no exception";
  } catch (const dns::Error& e) {
    EXPECT_EQ(e.code(), EAI_NONAME);
    EXPECT_STREQ(e.what(), "grove::dns::getaddrinfo(\"missing.grove.test\", \"80\"): Name or service not known");
  }
  auto v4 = hints_for(AF_INET);
  EXPECT_EQ(dns::try_getaddrinfo("v6only.grove.test", nullptr, &v4, out), EAI_NODATA);
  EXPECT_EQ(dns::try_getaddrinfo("", nullptr, &v4, out), EAI_NONAME);
}

TEST(DnsLookup, ReverseLookups) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(53);
  inet_pton(AF_INET, "10.77.0.4", &a.sin_addr);
  auto sa = reinterpret_cast<sockaddr*>(&a);
  auto info = dns::getnameinfo(sa, sizeof a);
  EXPECT_EQ(info.host, "n3.grove.test");
  EXPECT_EQ(info.service, "domain");
  EXPECT_EQ(dns::getnameinfo(sa, sizeof a, NI_NUMERICSERV | NI_DGRAM).service, "53");
  EXPECT_EQ(dns::getnameinfo(sa, sizeof a, NI_NUMERICHOST).host, "10.77.0.4");
  // Unknown address: numeric, or EAI_NONAME when a name is required.
  inet_pton(AF_INET, "10.99.99.99", &a.sin_addr);
  EXPECT_EQ(dns::getnameinfo(sa, sizeof a).host, "10.99.99.99");
  dns::NameInfo out;
  EXPECT_EQ(dns::try_getnameinfo(sa, sizeof a, out, NI_NAMEREQD), EAI_NONAME);
  // IPv6, and IPv4-mapped IPv6 looked up as IPv4.
  sockaddr_in6 b{};
  b.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "fd00::77", &b.sin6_addr);
  EXPECT_EQ(dns::getnameinfo(reinterpret_cast<sockaddr*>(&b), sizeof b).host, "dual.grove.test");
  inet_pton(AF_INET6, "::ffff:10.77.0.5", &b.sin6_addr);
  EXPECT_EQ(dns::getnameinfo(reinterpret_cast<sockaddr*>(&b), sizeof b).host, "n4.grove.test");
  // Local answers are glibc's.
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  ASSERT_EQ(::getnameinfo(sa, sizeof a, host, sizeof host, serv, sizeof serv, 0), 0);
  info = dns::getnameinfo(sa, sizeof a);
  EXPECT_EQ(info.host, host);
  EXPECT_EQ(info.service, serv);
  EXPECT_EQ(dns::try_getnameinfo(sa, 3, out), ::getnameinfo(sa, 3, host, sizeof host, serv, sizeof serv, 0));
}

TEST(DnsLookup, WorksOnPlainThreads) {
  std::vector<std::string> got;
  std::thread t([&] { got = addresses(dns::getaddrinfo(name_of(42).c_str(), nullptr)); });
  t.join();
  EXPECT_EQ(got, std::vector<std::string>{address_of(42)});
}

TEST(DnsSettings, ResolvConfSearchAndNdots) {
  char path[] = "/tmp/grove-resolv-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string conf = "search nowhere.test grove.test\noptions ndots:2 timeout:1 attempts:1\n";
  ASSERT_EQ(write(fd, conf.data(), conf.size()), static_cast<ssize_t>(conf.size()));
  ::close(fd);
  dns::Settings s;
  s.servers = dns_server().address();
  s.resolv_conf = path;
  dns::configure(s);
  auto h = hints_for(AF_INET, AI_CANONNAME, SOCK_STREAM);
  auto list = dns::getaddrinfo("n5", nullptr, &h);  // tried as n5.nowhere.test (NXDOMAIN), then n5.grove.test
  EXPECT_EQ(addresses(list), std::vector<std::string>{address_of(5)});
  ASSERT_NE(list.get()->ai_canonname, nullptr);
  EXPECT_STREQ(list.get()->ai_canonname, "n5.grove.test");
  unlink(path);
  use_test_server();
}

TEST(DnsSettings, RejectsMalformedSettings) {
  dns::Settings s;
  s.servers = "127.0.0.1:99999";
  try {
    dns::configure(s);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"127.0.0.1:99999\" is not ip[:port]"), std::string::npos) << e.what();
  }
  for (const char* bad : {"", "localhost", "1.2.3.4:", "[::1", "[::1]x", "::1:53x", "1.2.3.4,", "1.2.3.4:0"}) {
    s.servers = bad;
    if (!*bad) continue;  // empty keeps the current servers
    EXPECT_THROW(dns::configure(s), std::invalid_argument) << bad;
  }
  s = {};
  s.timeout = std::chrono::milliseconds(-1);
  EXPECT_THROW(dns::configure(s), std::invalid_argument);
  s = {};
  s.attempts = -2;
  EXPECT_THROW(dns::configure(s), std::invalid_argument);
  s = {};
  s.servers = "127.0.0.1, [::1]:53";
  EXPECT_THROW(dns::configure(s), std::invalid_argument);  // no spaces
  use_test_server();
}

}  // namespace
}  // namespace grove::test
