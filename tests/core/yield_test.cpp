// grove::yield's inline fast path (a jump from the caller's frame, scheduler.hpp) against what the
// general path guarantees: a fiber finishing into a yielding one is freed, kills and Timeouts
// arriving meanwhile are raised at the yield, errno stays per fiber. (FIFO turns: pinned_test.cpp.)
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <vector>

#include <grove/grove.hpp>

#include "TestUtil.hpp"
#include "context/Stack.hpp"

using namespace std::chrono_literals;

namespace {

__attribute__((noinline)) void set_errno(int v) { errno = v; }
__attribute__((noinline)) int read_errno() { return errno; }

// A fiber that yielded once is queued as a plain entry, so the next yields between it and the
// main fiber take the fast path; when it finishes it switches into the yielding main fiber,
// which must free its stack (FiberControl::retire_on_resume). Leaked stacks would pile up.
TEST(Yield, FiberFinishingIntoAYieldingFiberIsFreed) {
  const long rounds = grove::test::scaled(4000);
  const std::size_t before = grove::detail::stack_stats().guarded_live;
  for (long i = 0; i < rounds; ++i) {
    auto f = grove::spawn(grove::SpawnOptions{.pinned = true}, [] { grove::yield(); });
    while (!f.ready()) grove::yield();
  }
  // Each worker caches at most 128 stacks; a leak would leave `rounds` more.
  EXPECT_LT(grove::detail::stack_stats().guarded_live, before + 128 * grove::worker_count() + 8);
}

TEST(Yield, KillArrivingBetweenYieldsIsRaisedAtTheNextYield) {
  std::atomic<long> yields{0};
  std::atomic<bool> unwound{false};
  auto f = grove::spawn(grove::SpawnOptions{.pinned = true}, [&] {
    struct Guard {
      std::atomic<bool>& flag;
      ~Guard() { flag = true; }
    } guard{unwound};
    for (;;) {
      grove::yield();
      yields.fetch_add(1, std::memory_order_relaxed);
    }
  });
  while (yields.load() < 100) grove::yield();
  f.kill();
  EXPECT_TRUE(f.ready());
  EXPECT_TRUE(unwound.load());
  EXPECT_TRUE(f.killed());
}

TEST(Yield, TimeoutExpiringWhileYieldingIsRaisedAtAYield) {
  auto f = grove::spawn([] {
    long n = 0;
    try {
      grove::Timeout t(20ms);
      for (;;) {
        grove::yield();
        ++n;
      }
    } catch (const grove::Timeout&) {
      return std::string("timed out");
    }
  });
  // Keeps the fiber's worker busy with a second yielding fiber, so its yields take the fast path.
  std::atomic<bool> stop{false};
  auto partner = grove::spawn([&] {
    while (!stop.load(std::memory_order_relaxed)) grove::yield();
  });
  EXPECT_EQ(f.get(), "timed out");
  stop = true;
  partner.join();
}

TEST(Yield, ErrnoIsPerFiberAcrossYields) {
  std::atomic<int> wrong{0};
  std::vector<grove::Fiber<void>> fs;
  for (int id = 1; id <= 4; ++id) {
    fs.push_back(grove::spawn(grove::SpawnOptions{.pinned = true}, [id, &wrong] {
      for (int round = 0; round < 2000; ++round) {
        set_errno(id * 1000 + round);
        grove::yield();
        if (read_errno() != id * 1000 + round) wrong.fetch_add(1);
      }
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
