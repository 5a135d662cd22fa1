#pragma once
// A real DNS server for the tests: dnsmasq on 127.0.0.1 at a free port, answering from a hosts
// file of 1000 names (n<i>.grove.test -> 10.77.<i/250>.<i%250+1>), with NXDOMAIN for other
// names under grove.test, NXDOMAIN for unknown private reverse lookups, and one CNAME.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace grove::test {

inline constexpr int kNames = 1000;

inline std::string name_of(int i) { return "n" + std::to_string(i) + ".grove.test"; }
inline std::string address_of(int i) {
  return "10.77." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

// A UDP port on 127.0.0.1 nobody listens on right now.
inline int free_udp_port() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// True if a server answers an A query for n0.grove.test on `port` within `timeout_ms`.
inline bool answers(int port, int timeout_ms) {
  static const unsigned char query[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                        2, 'n', '0', 5, 'g', 'r', 'o', 'v', 'e', 4, 't', 'e', 's', 't', 0,
                                        0, 1, 0, 1};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{0, timeout_ms * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(fd, query, sizeof query, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  unsigned char buf[512];
  long n = recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  return n > 12 && buf[0] == 0x12 && buf[1] == 0x34;
}

class DnsServer {
 public:
  DnsServer() {
    char tmpl[] = "/tmp/grove-dns-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::ofstream hosts(dir_ + "/hosts");
    for (int i = 0; i < kNames; ++i) hosts << address_of(i) << ' ' << name_of(i) << '\n';
    hosts << "fd00::77 dual.grove.test\n10.77.9.9 dual.grove.test\nfd00::66 v6only.grove.test\n";
    hosts.close();
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) start(free_udp_port());
    if (pid_ <= 0) throw std::runtime_error("cannot start dnsmasq (log: " + dir_ + "/log)");
  }
  ~DnsServer() { stop(); }

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  void start(int port) {
    std::vector<std::string> args = {"/usr/sbin/dnsmasq", "--keep-in-foreground", "--port=" + std::to_string(port),
                                     "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                                     "--addn-hosts=" + dir_ + "/hosts", "--local=/grove.test/", "--local=/nowhere.test/", "--bogus-priv",
                                     "--cname=alias.grove.test,n1.grove.test", "--pid-file=",
                                     "--log-facility=" + dir_ + "/log", "--conf-file=/dev/null"};
    if (geteuid() == 0) args.push_back("--user=root");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return;
    for (int i = 0; i < 100; ++i) {
      if (answers(port, 50)) {
        pid_ = pid;
        port_ = port;
        return;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return;  // port taken: try another
    }
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace grove::test
