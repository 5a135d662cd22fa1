// Runs the greenlet examples and checks their transcripts.
#include <gtest/gtest.h>

#include <string>

#include "../core/TestUtil.hpp"

TEST(ExamplesGreenlet, PingPongPrintsTheSeedsOrder) {
  auto r = grove::test::run_command(std::string(GROVE_BIN_DIR) + "/greenlet_pingpong");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "12\n56\n34\n78\n");
}

TEST(ExamplesGreenlet, ProducerConsumerTranscript) {
  auto r = grove::test::run_command(std::string(GROVE_BIN_DIR) + "/producer_consumer");
  ASSERT_EQ(r.status, 0) << r.output;
  std::string expected;
  for (int n = 1; n <= 5; ++n) {
    expected += "[PRODUCER] Producing " + std::to_string(n) + "...\n";
    expected += "[CONSUMER] Consuming " + std::to_string(n) + "...\n";
    expected += "[PRODUCER] Consumer return: 200 OK\n";
  }
  EXPECT_EQ(r.output, expected);
}
