#include <gtest/gtest.h>

#include <grove/grove.hpp>

namespace {

int recurse(int depth) {
  volatile char pad[512];
  pad[0] = static_cast<char>(depth);
  return depth > 1000000000 ? pad[0] : recurse(depth + 1) + pad[0];
}

}  // namespace

TEST(StackOverflowDeathTest, GuardPageHitNamesTheFiber) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto f = grove::spawn(grove::SpawnOptions{.name = "deep-recursion"}, [] { return recurse(0); });
        f.join();
      },
      "grove: stack overflow in fiber deep-recursion");
}
