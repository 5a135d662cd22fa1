// Servers that are down or silent, deadlines, kills and interrupts around a lookup.
#include <gtest/gtest.h>

#include "DnsTestUtil.hpp"
#include "fiber/FiberControl.hpp"
#include "grove/grove.hpp"

namespace grove::test {
namespace {

// A UDP socket that receives queries and never answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_;
};

void use_servers(const std::string& servers, int timeout_ms, int attempts) {
  dns::Settings s;
  s.servers = servers;
  s.timeout = std::chrono::milliseconds(timeout_ms);
  s.attempts = attempts;
  dns::configure(s);
}

struct RestoreServer {
  ~RestoreServer() { use_test_server(); }
};

TEST(DnsFailure, ServerDownIsEaiAgain) {
  RestoreServer restore;
  use_servers("127.0.0.1:" + std::to_string(free_udp_port()), 500, 2);  // nobody listens: refused
  auto start = Clock::now();
  dns::AddrInfo out;
  EXPECT_EQ(dns::try_getaddrinfo("n1.grove.test", nullptr, nullptr, out), EAI_AGAIN);
  EXPECT_LT(seconds_since(start), 1.0 * 2 + 1);
}

TEST(DnsFailure, SilentServerTimesOutWithinTheConfiguredTimeout) {
  RestoreServer restore;
  SilentServer silent;
  use_servers(silent.address(), 300, 2);
  grove::spawn([] {
    auto start = Clock::now();
    dns::AddrInfo out;
    addrinfo h{};
    h.ai_family = AF_INET;
    EXPECT_EQ(dns::try_getaddrinfo("n1.grove.test", nullptr, &h, out), EAI_AGAIN);
    const double s = seconds_since(start);
    EXPECT_GE(s, 0.25);  // it did wait for the server
    EXPECT_LT(s, 0.3 * 2 * 2 + 2);  // c-ares doubles the timeout per round; generous for sanitizers
  }).get();
}

TEST(DnsFailure, FailsOverToTheNextServer) {
  RestoreServer restore;
  SilentServer silent;
  use_servers(silent.address() + "," + dns_server().address(), 300, 1);
  grove::spawn([] {
    addrinfo h{};
    h.ai_family = AF_INET;
    EXPECT_EQ(addresses(dns::getaddrinfo("n9.grove.test", nullptr, &h)), std::vector<std::string>{address_of(9)});
  }).get();
}

TEST(DnsFailure, DeadlineGivesEaiAgain) {
  RestoreServer restore;
  SilentServer silent;
  use_servers(silent.address(), 5000, 3);
  grove::spawn([] {
    auto start = Clock::now();
    dns::AddrInfo out;
    EXPECT_EQ(dns::try_getaddrinfo("n1.grove.test", nullptr, nullptr, out, std::chrono::milliseconds(200)), EAI_AGAIN);
    EXPECT_GE(seconds_since(start), 0.19);
    EXPECT_LT(seconds_since(start), 2.0);
    try {
      dns::getnameinfo(nullptr, 0, 0, std::chrono::milliseconds(1));
      ADD_FAILURE() << "no exception";
    } catch (const dns::Error& e) {
      EXPECT_EQ(e.code(), EAI_FAMILY);
    }
  }).get();
}

TEST(DnsFailure, KillAbortsALookupPromptly) {
  RestoreServer restore;
  SilentServer silent;
  use_servers(silent.address(), 5000, 3);
  const int fds_before = fd_count();
  std::atomic<bool> returned{false};
  auto f = grove::spawn([&] {
    dns::AddrInfo out;
    dns::try_getaddrinfo("n1.grove.test", nullptr, nullptr, out);
    returned = true;
  });
  grove::sleep(std::chrono::milliseconds(100));
  auto start = Clock::now();
  f.kill();
  EXPECT_LT(seconds_since(start), 1.0);
  EXPECT_TRUE(f.killed());
  EXPECT_FALSE(returned.load());
  EXPECT_EQ(fd_count(), fds_before) << "the cancelled lookup left a socket open";
}

struct TestTimeout {};  // stands in for grove::Timeout: any interrupt a fiber can receive

TEST(DnsFailure, InterruptAbortsALookupAndPropagates) {
  RestoreServer restore;
  SilentServer silent;
  use_servers(silent.address(), 5000, 3);
  const int fds_before = fd_count();
  auto f = grove::spawn([] {
    dns::AddrInfo out;
    try {
      dns::try_getaddrinfo("n1.grove.test", nullptr, nullptr, out);
    } catch (const TestTimeout&) {
      return 1;
    }
    return 0;
  });
  grove::sleep(std::chrono::milliseconds(100));
  auto start = Clock::now();
  f.control()->post_interrupt(std::make_exception_ptr(TestTimeout{}), false);
  EXPECT_EQ(f.get(), 1);
  EXPECT_LT(seconds_since(start), 1.0);
  EXPECT_EQ(fd_count(), fds_before);
  // The channel was cancelled cleanly: the next lookup works normally.
  use_test_server();
  EXPECT_EQ(addresses(dns::getaddrinfo(name_of(3).c_str(), nullptr)), std::vector<std::string>{address_of(3)});
}

TEST(DnsFailure, ReverseLookupDeadline) {
  RestoreServer restore;
  SilentServer silent;
  use_servers(silent.address(), 5000, 3);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "10.77.0.4", &a.sin_addr);
  dns::NameInfo out;
  auto start = Clock::now();
  EXPECT_EQ(dns::try_getnameinfo(reinterpret_cast<sockaddr*>(&a), sizeof a, out, 0,
                                 grove::detail::deadline_after(std::chrono::milliseconds(150))),
            EAI_AGAIN);
  EXPECT_LT(seconds_since(start), 2.0);
}

}  // namespace
}  // namespace grove::test
