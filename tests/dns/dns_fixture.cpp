#include <gtest/gtest.h>

#include <memory>

#include "DnsTestUtil.hpp"

namespace grove::test {
namespace {

std::unique_ptr<DnsServer> g_server;

class DnsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_server = std::make_unique<DnsServer>();
    use_test_server();
  }
  void TearDown() override { g_server.reset(); }
};

const auto* const g_env = ::testing::AddGlobalTestEnvironment(new DnsEnvironment);

}  // namespace

DnsServer& dns_server() { return *g_server; }

void use_test_server() {
  dns::Settings s;
  s.servers = g_server->address();
  s.timeout = std::chrono::milliseconds(1000);
  s.attempts = 2;
  dns::configure(s);
}

}  // namespace grove::test
