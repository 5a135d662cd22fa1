// An unmodified C program (resolve_loop.c: getaddrinfo, gethostbyname, getnameinfo in a loop)
// run under LD_PRELOAD=libgrove_preload.so with GROVE_DNS_SERVERS pointing at the test server.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "DnsTestUtil.hpp"

namespace grove::test {
namespace {

const std::string kProgram = std::string(GROVE_BIN_DIR) + "/grove_resolve_loop";

std::string preload() {
  std::string p = GROVE_SANITIZER_PRELOAD;
  if (!p.empty()) p += ":";
  return p + GROVE_LIB_DIR + "/libgrove_preload.so";
}

struct ProgramRun {
  int status = -1;
  std::string out;
};

// Runs `env_and_args` through the shell; stdout only (stderr goes to the test's log).
ProgramRun run(const std::string& env_and_args) {
  ProgramRun r;
  const std::string command = "env " + env_and_args;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::string under_shim(const std::string& args, const std::string& servers) {
  return "LD_PRELOAD=" + preload() + " GROVE_DNS_SERVERS=" + servers + " " + kProgram + " " + args;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(DnsPreload, UnmodifiedProgramResolvesTheServersNames) {
  constexpr int kCount = 200;
  const ProgramRun r = run(under_shim("-n " + std::to_string(kCount), dns_server().address()));
  EXPECT_EQ(r.status, 0) << r.out;
  const auto got = lines(r.out);
  ASSERT_EQ(got.size(), 2u * kCount) << r.out;
  for (int i = 0; i < kCount; ++i) {
    const std::string n = name_of(i), a = address_of(i);
    EXPECT_EQ(got[2 * i], "getaddrinfo " + n + " family=2 flags=0: [2 1 6 " + a + " " + a + "/80 canon=-] [2 2 17 " + a +
                              " " + a + "/80 canon=-] [2 3 0 " + a + " " + a + "/80 canon=-]");
    EXPECT_EQ(got[2 * i + 1], "gethostbyname " + n + ": name=" + n + " type=2 len=4 aliases= addrs=" + a + ",");
  }
}

TEST(DnsPreload, LocalNamesGiveTheSameOutputWithAndWithoutTheShim) {
  std::string names = "localhost LOCALHOST 127.0.0.1 10.1.2.3 127.1 ::1 fe80::1 ::ffff:10.1.2.3";
  std::ifstream hosts("/etc/hosts");
  for (std::string line; std::getline(hosts, line);) {
    std::istringstream fields(line.substr(0, line.find('#')));
    std::string addr, name;
    if (!(fields >> addr) || addr.find(':') != std::string::npos) continue;  // IPv4 entries: all variants local
    while (fields >> name) names += " " + name;
  }
  const ProgramRun plain = run(kProgram + " " + names);
  const ProgramRun shimmed = run(under_shim(names, dns_server().address()));
  EXPECT_EQ(shimmed.status, plain.status);
  EXPECT_EQ(shimmed.out, plain.out);
  EXPECT_FALSE(plain.out.empty());
}

TEST(DnsPreload, LookupsGoThroughCaresNotTheSystemResolver) {
  // glibc knows nothing of GROVE_DNS_SERVERS: without the shim the test server's names do not
  // resolve (.test is reserved, no real server has them); with it they do.
  const ProgramRun plain = run("RES_OPTIONS=timeout:1\\ attempts:1 " + kProgram + " -n 1");
  EXPECT_NE(plain.status, 0) << plain.out;
  const ProgramRun shimmed = run(under_shim("-n 1", dns_server().address()));
  EXPECT_EQ(shimmed.status, 0) << shimmed.out;
  EXPECT_NE(shimmed.out.find(address_of(0)), std::string::npos) << shimmed.out;
}

TEST(DnsPreload, MalformedServerListStopsTheProgramWithAClearError) {
  const ProgramRun r = run(under_shim("-n 1", "not-an-address") + " 2>&1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("GROVE_DNS_SERVERS"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace grove::test
