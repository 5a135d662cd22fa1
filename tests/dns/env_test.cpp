// GROVE_DNS_SERVERS: a malformed value stops the program at load; a good one is used.
#include <gtest/gtest.h>

#include "../core/TestUtil.hpp"
#include "DnsTestUtil.hpp"

namespace grove::test {
namespace {

const std::string kTool = std::string(GROVE_BIN_DIR) + "/grove_dns_resolve";

TEST(DnsEnv, MalformedServersStopTheProgram) {
  for (const char* bad : {"nonsense", "1.2.3.4:70000", "[::1]:", "1.2.3.4,,5.6.7.8", ""}) {
    auto r = run_command(std::string("GROVE_DNS_SERVERS='") + bad + "' " + kTool + " n1.grove.test");
    EXPECT_EQ(r.status, 2) << bad << ": " << r.output;
    EXPECT_EQ(r.output, std::string("grove: GROVE_DNS_SERVERS=\"") + bad +
                            "\": expected a comma-separated list of ip[:port] with IPv6 as [addr]:port, "
                            "e.g. 127.0.0.1:5353,[::1]:53\n");
  }
}

TEST(DnsEnv, ServersFromTheEnvironmentAreUsed) {
  auto r = run_command("GROVE_DNS_SERVERS=" + dns_server().address() + " " + kTool + " n12.grove.test");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, address_of(12) + "\n");
  r = run_command("GROVE_DNS_SERVERS='[::1]:1," + dns_server().address() + "' " + kTool + " n13.grove.test");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, address_of(13) + "\n");
  r = run_command("GROVE_DNS_SERVERS=" + dns_server().address() + " " + kTool + " missing.grove.test");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.output, "grove::dns::getaddrinfo(\"missing.grove.test\", NULL): Name or service not known\n");
}

}  // namespace
}  // namespace grove::test
