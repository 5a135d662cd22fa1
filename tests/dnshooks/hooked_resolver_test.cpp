// The hooked resolver functions in a program linked with grove::hooks: the plain libc names
// called inside fibers go through grove's engine (c-ares for DNS), and give glibc's answers,
// codes and h_errno values. glibc itself (grove::real) is the reference for every answer
// that needs no network.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <malloc.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "DnsTestUtil.hpp"
#include "grove/grove.hpp"
#include "sys/Real.hpp"

namespace grove::test {
namespace {

namespace real = grove::real;

template <typename F>
void in_fiber(F body) {
  auto f = grove::spawn(body);
  f.join();
  if (auto e = f.exception()) std::rethrow_exception(e);
}

// Names in the machine's /etc/hosts (glibc cannot be pointed at another file).
std::vector<std::string> hosts_file_names() {
  std::set<std::string> names;
  std::ifstream in("/etc/hosts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string addr, name;
    if (!(fields >> addr)) continue;
    while (fields >> name) names.insert(name);
  }
  return {names.begin(), names.end()};
}

bool has_ipv6_entry(const std::string& name) {
  std::ifstream in("/etc/hosts");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string addr, n;
    if (!(fields >> addr) || addr.find(':') == std::string::npos) continue;
    while (fields >> n) {
      if (strcasecmp(n.c_str(), name.c_str()) == 0) return true;
    }
  }
  return false;
}

const char* const kNumericNames[] = {"127.0.0.1", "10.1.2.3", "127.1", "::1", "fe80::1", "::ffff:10.1.2.3",
                                     "2001:db8::5", "1.2.3.4.5", "300.1.1.1", "::1::2"};

std::string describe(const addrinfo* ai) {
  std::ostringstream s;
  s << "flags=" << ai->ai_flags << " family=" << ai->ai_family << " socktype=" << ai->ai_socktype
    << " protocol=" << ai->ai_protocol << " addrlen=" << ai->ai_addrlen << " addr=" << to_string(ai->ai_addr)
    << " canon=" << (ai->ai_canonname ? ai->ai_canonname : "(null)");
  return s.str();
}

// Every field of every node, and the raw sockaddr bytes.
void expect_addrinfo_like_glibc(const char* host, const char* service, const addrinfo* hints) {
  const std::string what = std::string("getaddrinfo(") + host + ", " + (service ? service : "NULL") + ") flags=" +
                           std::to_string(hints->ai_flags) + " family=" + std::to_string(hints->ai_family);
  addrinfo* expected = nullptr;
  const int expected_rc = real::getaddrinfo(host, service, hints, &expected);
  addrinfo* actual = nullptr;
  const int rc = ::getaddrinfo(host, service, hints, &actual);
  ASSERT_EQ(rc, expected_rc) << what << ": hooked " << gai_strerror(rc) << ", glibc " << gai_strerror(expected_rc);
  const addrinfo* a = actual;
  for (const addrinfo* e = expected; e; e = e->ai_next, a = a->ai_next) {
    ASSERT_NE(a, nullptr) << what << ": hooked list is shorter; glibc has " << describe(e);
    EXPECT_EQ(describe(a), describe(e)) << what;
    ASSERT_EQ(a->ai_addrlen, e->ai_addrlen) << what;
    EXPECT_EQ(std::memcmp(a->ai_addr, e->ai_addr, e->ai_addrlen), 0) << what << ": sockaddr bytes differ";
  }
  EXPECT_EQ(a, nullptr) << what << ": hooked list is longer";
  if (expected) real::freeaddrinfo(expected);
  if (actual) ::freeaddrinfo(actual);
}

struct HostentView {
  bool found = false;
  int h_errno_value = 0;
  std::string name;
  std::vector<std::string> aliases;
  int type = 0, length = 0;
  std::vector<std::string> addrs;
};

HostentView view(const hostent* h, int herr) {
  HostentView v;
  v.h_errno_value = herr;
  if (!h) return v;
  v.found = true;
  v.name = h->h_name;
  for (char** a = h->h_aliases; *a; ++a) v.aliases.emplace_back(*a);
  v.type = h->h_addrtype;
  v.length = h->h_length;
  for (char** a = h->h_addr_list; *a; ++a) v.addrs.emplace_back(*a, *a + h->h_length);
  return v;
}

void expect_same(const HostentView& a, const HostentView& e, const std::string& what) {
  ASSERT_EQ(a.found, e.found) << what << " (h_errno hooked " << a.h_errno_value << ", glibc " << e.h_errno_value << ")";
  if (!e.found) {
    EXPECT_EQ(a.h_errno_value, e.h_errno_value) << what;
    return;
  }
  EXPECT_EQ(a.name, e.name) << what;
  EXPECT_EQ(a.aliases, e.aliases) << what;
  EXPECT_EQ(a.type, e.type) << what;
  EXPECT_EQ(a.length, e.length) << what;
  EXPECT_EQ(a.addrs, e.addrs) << what;
}

// gethostbyname, gethostbyname2, gethostbyname_r and gethostbyname2_r. IPv6 only where the
// answer is local (`local_v6`): otherwise glibc asks the machine's DNS server, grove the test's.
void expect_hostent_like_glibc(const char* name, bool local_v6) {
  const std::string what = std::string("name=") + name;
  hostent* h = real::gethostbyname(name);
  HostentView expected = view(h, h ? 0 : h_errno);
  h = ::gethostbyname(name);
  expect_same(view(h, h ? 0 : h_errno), expected, "gethostbyname " + what);

  for (int af : {AF_INET, AF_INET6}) {
    if (af == AF_INET6 && !local_v6) continue;
    h = real::gethostbyname2(name, af);
    expected = view(h, h ? 0 : h_errno);
    h = ::gethostbyname2(name, af);
    expect_same(view(h, h ? 0 : h_errno), expected, "gethostbyname2 af=" + std::to_string(af) + " " + what);

    hostent e_ent{}, a_ent{};
    char e_buf[2048], a_buf[2048];
    hostent *e_res = nullptr, *a_res = nullptr;
    int e_herr = 0, a_herr = 0;
    const int e_rc = real::gethostbyname2_r(name, af, &e_ent, e_buf, sizeof e_buf, &e_res, &e_herr);
    const int a_rc = ::gethostbyname2_r(name, af, &a_ent, a_buf, sizeof a_buf, &a_res, &a_herr);
    EXPECT_EQ(a_rc, e_rc) << "gethostbyname2_r " << what;
    expect_same(view(a_res, a_herr), view(e_res, e_herr), "gethostbyname2_r af=" + std::to_string(af) + " " + what);
  }
  hostent e_ent{}, a_ent{};
  char e_buf[2048], a_buf[2048];
  hostent *e_res = nullptr, *a_res = nullptr;
  int e_herr = 0, a_herr = 0;
  const int e_rc = real::gethostbyname_r(name, &e_ent, e_buf, sizeof e_buf, &e_res, &e_herr);
  const int a_rc = ::gethostbyname_r(name, &a_ent, a_buf, sizeof a_buf, &a_res, &a_herr);
  EXPECT_EQ(a_rc, e_rc) << "gethostbyname_r " << what;
  expect_same(view(a_res, a_herr), view(e_res, e_herr), "gethostbyname_r " + what);
}

in_addr ipv4(const char* text) {
  in_addr a{};
  inet_pton(AF_INET, text, &a);
  return a;
}

TEST(DnsHooks, GetaddrinfoMatchesGlibcForHostsFileAndNumericNames) {
  in_fiber([] {
    std::vector<std::string> names = hosts_file_names();
    ASSERT_FALSE(names.empty()) << "/etc/hosts has no names";
    for (const char* n : kNumericNames) {
      if (std::strcmp(n, "1.2.3.4.5") && std::strcmp(n, "300.1.1.1") && std::strcmp(n, "::1::2")) names.push_back(n);
    }
    for (const std::string& name : names) {
      for (int family : {AF_UNSPEC, AF_INET, AF_INET6}) {
        for (int flags : {0, AI_CANONNAME, AI_V4MAPPED, AI_V4MAPPED | AI_ALL, AI_ADDRCONFIG | AI_CANONNAME}) {
          for (const char* service : {static_cast<const char*>(nullptr), "80", "http"}) {
            addrinfo hints{};
            hints.ai_family = family;
            hints.ai_flags = flags;
            // A family /etc/hosts has no entry for would go to DNS, where glibc asks the machine's
            // server and grove the test's: only the local answers are compared.
            if (family == AF_INET6 && !(flags & AI_V4MAPPED) && name.find(':') == std::string::npos) continue;
            expect_addrinfo_like_glibc(name.c_str(), service, &hints);
          }
        }
      }
    }
  });
}

TEST(DnsHooks, GethostbynameFamilyMatchesGlibcForHostsFileAndNumericNames) {
  in_fiber([] {
    for (const std::string& name : hosts_file_names()) expect_hostent_like_glibc(name.c_str(), has_ipv6_entry(name));
    for (const char* name : kNumericNames) expect_hostent_like_glibc(name, true);
  });
}

TEST(DnsHooks, GethostbyaddrMatchesGlibcForHostsFileAddresses) {
  in_fiber([] {
    const in_addr lo = ipv4("127.0.0.1");
    hostent* h = real::gethostbyaddr(&lo, sizeof lo, AF_INET);
    const HostentView expected = view(h, h ? 0 : h_errno);
    ASSERT_TRUE(expected.found) << "/etc/hosts has no 127.0.0.1";
    h = ::gethostbyaddr(&lo, sizeof lo, AF_INET);
    expect_same(view(h, h ? 0 : h_errno), expected, "gethostbyaddr 127.0.0.1");
    hostent ent{};
    char buf[1024];
    hostent* res = nullptr;
    int herr = 0;
    EXPECT_EQ(::gethostbyaddr_r(&lo, sizeof lo, AF_INET, &ent, buf, sizeof buf, &res, &herr), 0);
    expect_same(view(res, herr), expected, "gethostbyaddr_r 127.0.0.1");
    // A wrong length is refused as glibc refuses it.
    h = real::gethostbyaddr(&lo, 3, AF_INET);
    const HostentView bad = view(h, h ? 0 : h_errno);
    h = ::gethostbyaddr(&lo, 3, AF_INET);
    expect_same(view(h, h ? 0 : h_errno), bad, "gethostbyaddr len=3");
  });
}

TEST(DnsHooks, DnsNamesComeFromTheTestServer) {
  in_fiber([] {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    ASSERT_EQ(::getaddrinfo(name_of(5).c_str(), "443", &hints, &list), 0);
    ASSERT_NE(list, nullptr);
    EXPECT_EQ(to_string(list->ai_addr), address_of(5));
    EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(list->ai_addr)->sin_port), 443);
    EXPECT_EQ(list->ai_next, nullptr);
    ::freeaddrinfo(list);

    hostent* h = ::gethostbyname(name_of(7).c_str());
    ASSERT_NE(h, nullptr) << "h_errno " << h_errno;
    EXPECT_STREQ(h->h_name, name_of(7).c_str());
    EXPECT_EQ(h->h_aliases[0], nullptr);
    EXPECT_EQ(h->h_addrtype, AF_INET);
    EXPECT_EQ(h->h_length, 4);
    ASSERT_NE(h->h_addr_list[0], nullptr);
    const in_addr seven = ipv4(address_of(7).c_str());
    EXPECT_EQ(std::memcmp(h->h_addr_list[0], &seven, 4), 0);
    EXPECT_EQ(h->h_addr_list[1], nullptr);

    // A CNAME: the canonical name as h_name, the name asked for as the alias (glibc's shape).
    h = ::gethostbyname("alias.grove.test");
    ASSERT_NE(h, nullptr) << "h_errno " << h_errno;
    EXPECT_STREQ(h->h_name, name_of(1).c_str());
    ASSERT_NE(h->h_aliases[0], nullptr);
    EXPECT_STREQ(h->h_aliases[0], "alias.grove.test");
    EXPECT_EQ(h->h_aliases[1], nullptr);

    h = ::gethostbyname2("dual.grove.test", AF_INET6);
    ASSERT_NE(h, nullptr) << "h_errno " << h_errno;
    EXPECT_EQ(h->h_addrtype, AF_INET6);
    EXPECT_EQ(h->h_length, 16);
    in6_addr v6{};
    inet_pton(AF_INET6, "fd00::77", &v6);
    EXPECT_EQ(std::memcmp(h->h_addr_list[0], &v6, 16), 0);

    // Reverse: dnsmasq answers PTR for its hosts file.
    const in_addr five = ipv4(address_of(5).c_str());
    h = ::gethostbyaddr(&five, sizeof five, AF_INET);
    ASSERT_NE(h, nullptr) << "h_errno " << h_errno;
    EXPECT_STREQ(h->h_name, name_of(5).c_str());
    EXPECT_EQ(std::memcmp(h->h_addr_list[0], &five, 4), 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = five;
    char host[NI_MAXHOST];
    ASSERT_EQ(::getnameinfo(reinterpret_cast<sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0, NI_NAMEREQD), 0);
    EXPECT_STREQ(host, name_of(5).c_str());
  });
}

TEST(DnsHooks, ReentrantFormsFillTheCallersBufferAndReportShortOnes) {
  in_fiber([] {
    hostent ent{};
    hostent* res = nullptr;
    int herr = 0;
    char tiny[8];
    errno = 0;
    EXPECT_EQ(::gethostbyname_r(name_of(9).c_str(), &ent, tiny, sizeof tiny, &res, &herr), ERANGE);
    EXPECT_EQ(res, nullptr);
    EXPECT_EQ(herr, NETDB_INTERNAL);
    EXPECT_EQ(errno, ERANGE);
    char buf[512];
    EXPECT_EQ(::gethostbyname_r(name_of(9).c_str(), &ent, buf, sizeof buf, &res, &herr), 0);
    ASSERT_EQ(res, &ent);
    EXPECT_STREQ(ent.h_name, name_of(9).c_str());
    // Every pointer in the answer points into the caller's buffer.
    auto inside = [&](const void* p) { return p >= buf && p < buf + sizeof buf; };
    EXPECT_TRUE(inside(ent.h_name));
    EXPECT_TRUE(inside(ent.h_aliases));
    EXPECT_TRUE(inside(ent.h_addr_list));
    EXPECT_TRUE(inside(ent.h_addr_list[0]));
    const in_addr nine = ipv4(address_of(9).c_str());
    EXPECT_EQ(std::memcmp(ent.h_addr_list[0], &nine, 4), 0);
  });
}

TEST(DnsHooks, UnknownNamesGiveEaiNonameAndHostNotFound) {
  in_fiber([] {
    addrinfo* list = nullptr;
    EXPECT_EQ(::getaddrinfo("no-such-name.grove.test", "80", nullptr, &list), EAI_NONAME);
    EXPECT_EQ(list, nullptr);
    EXPECT_STREQ(::gai_strerror(EAI_NONAME), real::gai_strerror(EAI_NONAME));

    h_errno = 0;
    EXPECT_EQ(::gethostbyname("no-such-name.grove.test"), nullptr);
    EXPECT_EQ(h_errno, HOST_NOT_FOUND);
    h_errno = 0;
    EXPECT_EQ(::gethostbyname2("no-such-name.grove.test", AF_INET6), nullptr);
    EXPECT_EQ(h_errno, HOST_NOT_FOUND);

    // glibc's _r contract: 0 returned, no result, the reason in *h_errnop.
    hostent ent{};
    char buf[512];
    hostent* res = &ent;
    int herr = 0;
    EXPECT_EQ(::gethostbyname_r("no-such-name.grove.test", &ent, buf, sizeof buf, &res, &herr), 0);
    EXPECT_EQ(res, nullptr);
    EXPECT_EQ(herr, HOST_NOT_FOUND);

    // A name with an IPv4 address only, asked for IPv6: it exists, without data of that type.
    h_errno = 0;
    EXPECT_EQ(::gethostbyname2(name_of(3).c_str(), AF_INET6), nullptr);
    EXPECT_EQ(h_errno, NO_DATA);

    const in_addr unknown = ipv4("10.77.200.200");
    h_errno = 0;
    EXPECT_EQ(::gethostbyaddr(&unknown, sizeof unknown, AF_INET), nullptr);
    EXPECT_EQ(h_errno, HOST_NOT_FOUND);

    EXPECT_EQ(::gethostbyname(nullptr), nullptr);
    EXPECT_EQ(h_errno, NETDB_INTERNAL);
    EXPECT_EQ(errno, EINVAL);
  });
}

TEST(DnsHooks, ServerDownGivesEaiAgainAndTryAgain) {
  int silent = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  dns::Settings s;
  s.servers = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  s.timeout = std::chrono::milliseconds(200);
  s.attempts = 1;
  dns::configure(s);
  in_fiber([] {
    auto start = Clock::now();
    addrinfo* list = nullptr;
    EXPECT_EQ(::getaddrinfo(name_of(1).c_str(), nullptr, nullptr, &list), EAI_AGAIN);
    h_errno = 0;
    EXPECT_EQ(::gethostbyname(name_of(1).c_str()), nullptr);
    EXPECT_EQ(h_errno, TRY_AGAIN);
    hostent ent{};
    char buf[512];
    hostent* res = nullptr;
    int herr = 0;
    EXPECT_EQ(::gethostbyname_r(name_of(1).c_str(), &ent, buf, sizeof buf, &res, &herr), EAGAIN);
    EXPECT_EQ(herr, TRY_AGAIN);
    EXPECT_LT(seconds_since(start), 10.0);
  });
  ::close(silent);
  use_test_server();
}

TEST(DnsHooks, FreeaddrinfoFreesListsFromEitherPath) {
  in_fiber([] {
    // glibc's layout: each node one allocation with its sockaddr right after it.
    addrinfo* dns_list = nullptr;
    ASSERT_EQ(::getaddrinfo("dual.grove.test", "80", nullptr, &dns_list), 0);
    addrinfo* glibc_list = nullptr;
    addrinfo numeric{};
    numeric.ai_flags = AI_CANONNAME;
    ASSERT_EQ(real::getaddrinfo("127.0.0.1", "80", &numeric, &glibc_list), 0);
    for (const addrinfo* list : {static_cast<const addrinfo*>(dns_list), static_cast<const addrinfo*>(glibc_list)}) {
      for (const addrinfo* p = list; p; p = p->ai_next) {
        EXPECT_EQ(reinterpret_cast<const void*>(p->ai_addr), static_cast<const void*>(p + 1));
        EXPECT_GE(malloc_usable_size(const_cast<addrinfo*>(p)), sizeof(addrinfo) + p->ai_addrlen);
      }
    }
    // The hooked freeaddrinfo takes glibc's list, glibc's takes grove's (sanitizer builds check
    // that every block goes back to the allocator it came from).
    ::freeaddrinfo(glibc_list);
    addrinfo canon{};
    canon.ai_flags = AI_CANONNAME;
    addrinfo* with_canon = nullptr;
    ASSERT_EQ(::getaddrinfo("alias.grove.test", nullptr, &canon, &with_canon), 0);
    ASSERT_NE(with_canon->ai_canonname, nullptr);
    EXPECT_STREQ(with_canon->ai_canonname, name_of(1).c_str());
    real::freeaddrinfo(with_canon);
    real::freeaddrinfo(dns_list);
  });
}

TEST(DnsHooks, NonReentrantResultsArePerFiber) {
  // Two fibers keep their gethostbyname results across each other's lookups (glibc's one static
  // buffer would be overwritten by the other fiber).
  auto lookup = [](int i) {
    hostent* h = ::gethostbyname(name_of(i).c_str());
    if (!h) return std::string("h_errno ") + std::to_string(h_errno);
    for (int round = 0; round < 5; ++round) grove::sleep(std::chrono::milliseconds(2));
    return std::string(h->h_name);
  };
  std::vector<grove::Fiber<std::string>> fibers;
  for (int i = 0; i < 20; ++i) fibers.push_back(grove::spawn(lookup, i));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(fibers[i].get(), name_of(i));
}

TEST(DnsHooks, ManyFibersResolveConcurrently) {
  constexpr int kFibers = 300;
  std::vector<grove::Fiber<std::string>> fibers;
  auto start = Clock::now();
  for (int i = 0; i < kFibers; ++i) {
    fibers.push_back(grove::spawn([i] {
      addrinfo hints{};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_DGRAM;
      addrinfo* list = nullptr;
      const int rc = ::getaddrinfo(name_of(i).c_str(), nullptr, &hints, &list);
      if (rc != 0) return std::string("getaddrinfo: ") + gai_strerror(rc);
      std::string got = to_string(list->ai_addr);
      ::freeaddrinfo(list);
      hostent ent{};
      char buf[512];
      hostent* res = nullptr;
      int herr = 0;
      if (::gethostbyname_r(name_of(i).c_str(), &ent, buf, sizeof buf, &res, &herr) != 0 || !res) {
        return std::string("gethostbyname_r: h_errno ") + std::to_string(herr);
      }
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, res->h_addr_list[0], text, sizeof text);
      return got == text ? got : got + " vs " + text;
    }));
  }
  for (int i = 0; i < kFibers; ++i) EXPECT_EQ(fibers[i].get(), address_of(i)) << name_of(i);
  EXPECT_LT(seconds_since(start), 30.0);
}

TEST(DnsHooks, PlainThreadsPassThroughToGlibc) {
  // Outside fibers the hooks are glibc: same answers for local names.
  std::thread([] {
    addrinfo hints{};
    hints.ai_flags = AI_CANONNAME;
    expect_addrinfo_like_glibc("localhost", "80", &hints);
    expect_hostent_like_glibc("localhost", has_ipv6_entry("localhost"));
    expect_hostent_like_glibc("127.0.0.1", true);
  }).join();
}

}  // namespace
}  // namespace grove::test
