#include <gtest/gtest.h>

#include <string>

#include <grove/grove.hpp>

#include "TestUtil.hpp"

namespace {

grove::test::CommandResult probe(const std::string& env) {
  return grove::test::run_command("env " + env + " " + GROVE_BIN_DIR + "/grove_env_probe");
}

void expect_rejected(const std::string& env, const std::string& message) {
  auto r = probe(env);
  EXPECT_EQ(r.status, 2) << env << ": " << r.output;
  EXPECT_NE(r.output.find(message), std::string::npos) << env << ": " << r.output;
}

}  // namespace

TEST(Config, BadWorkerCountsStopTheProgram) {
  expect_rejected("GROVE_WORKERS=abc", "grove: GROVE_WORKERS=\"abc\": expected a whole number from 1 to 1024");
  expect_rejected("GROVE_WORKERS=0", "grove: GROVE_WORKERS=\"0\": expected a whole number from 1 to 1024");
  expect_rejected("GROVE_WORKERS=99999", "grove: GROVE_WORKERS=\"99999\": expected a whole number from 1 to 1024");
  expect_rejected("GROVE_WORKERS=-3", "GROVE_WORKERS=\"-3\"");
  expect_rejected("GROVE_WORKERS=", "GROVE_WORKERS=\"\"");
}

TEST(Config, BadStackSizesStopTheProgram) {
  expect_rejected("GROVE_STACK_SIZE=12x", "grove: GROVE_STACK_SIZE=\"12x\": expected a size in bytes");
  expect_rejected("GROVE_STACK_SIZE=1024", "from 16K to 1G");
  expect_rejected("GROVE_STACK_SIZE=2G", "GROVE_STACK_SIZE=\"2G\"");
}

TEST(Config, OtherVariablesAreValidated) {
  expect_rejected("GROVE_MAX_BLOCKING_MS=soon", "grove: GROVE_MAX_BLOCKING_MS=\"soon\"");
  expect_rejected("GROVE_THREADS=green", "grove: GROVE_THREADS=\"green\": expected os or fibers");
}

TEST(Config, GoodValuesAreApplied) {
  auto r = probe("GROVE_WORKERS=3 GROVE_STACK_SIZE=64K");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("workers=3 stack_size=65536"), std::string::npos) << r.output;
  r = probe("GROVE_STACK_SIZE=1M");
  EXPECT_NE(r.output.find("stack_size=1048576"), std::string::npos) << r.output;
}

TEST(Config, InitAfterStartIsAUsageError) {
  ASSERT_GE(grove::worker_count(), 1u);  // starts the runtime
  EXPECT_THROW(grove::init(grove::Config{.workers = 2}), grove::UsageError);
  EXPECT_THROW(grove::init(grove::Config{.workers = 5000}), std::invalid_argument);
  EXPECT_THROW(grove::init(grove::Config{.stack_size = 100}), std::invalid_argument);
}

TEST(Config, CurrentConfigReportsTheDefaults) {
  grove::Config c = grove::current_config();
  EXPECT_GE(c.workers, 1u);
  EXPECT_EQ(c.stack_size, 128u * 1024);
}
