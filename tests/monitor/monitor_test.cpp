// The monitor thread: the report of fibers that run too long without suspending, and hand-off
// of stuck workers to spare threads (tests run with GROVE_MAX_BLOCKING_MS=100).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../core/TestUtil.hpp"
#include "grove/grove.hpp"
#include "sched/Runtime.hpp"

using namespace std::chrono_literals;

namespace {

void spin_for(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(Monitor, ReportsAFiberThatRunsTooLongOnce) {
  ASSERT_EQ(grove::current_config().max_blocking_ms, 100u);
  testing::internal::CaptureStderr();
  auto hog = grove::spawn(grove::SpawnOptions{.name = "hog"}, [] { spin_for(400ms); });
  auto polite = grove::spawn(grove::SpawnOptions{.name = "polite"}, [] {
    for (int i = 0; i < 40; ++i) {
      spin_for(5ms);
      grove::yield();
    }
  });
  hog.join();
  polite.join();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_of(err, "grove: fiber hog has run "), 1) << err;
  EXPECT_NE(err.find("ms without yielding (worker "), std::string::npos) << err;
  EXPECT_EQ(count_of(err, "fiber polite"), 0) << err;
}

TEST(Monitor, ReportedFiberMayFinishWhileTheMonitorLooks) {
  // Many short hogs right at the threshold: the monitor races their exit (no crash, no UAF under ASan).
  testing::internal::CaptureStderr();
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(grove::spawn([] { spin_for(std::chrono::milliseconds(100 + (std::rand() % 3))); }));
  for (auto& f : fs) f.join();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_LE(count_of(err, "without yielding"), 20) << err;
}

// Every worker blocks in a raw read() on a pipe (a call grove does not hook here); a fiber
// queued behind them must still run to completion, served by spare threads.
TEST(Monitor, StuckWorkersAreHandedOffToSpares) {
  const unsigned n = grove::worker_count();
  std::vector<int> fds(2 * n);
  for (unsigned i = 0; i < n; ++i) ASSERT_EQ(pipe(&fds[2 * i]), 0);
  std::atomic<unsigned> entered{0};
  std::atomic<bool> progressed_while_blocked{false};
  const auto handoffs_before = grove::detail::Runtime::get()->handoffs.load();
  std::vector<grove::Fiber<long>> blockers;
  for (unsigned i = 0; i < n; ++i) {
    blockers.push_back(grove::spawn([&, i] {
      char c = 0;
      ++entered;
      return static_cast<long>(read(fds[2 * i], &c, 1));
    }));
  }
  auto worker = grove::spawn([&] {
    while (entered.load() < n) grove::sleep(1ms);
    for (int i = 0; i < 20; ++i) grove::sleep(1ms);  // needs timers and the run queue
    progressed_while_blocked = entered.load() == n;
  });
  // A plain thread releases the blockers once the fiber finished, or after 5 s.
  std::thread releaser([&] {
    const auto start = grove::test::Clock::now();
    while (!progressed_while_blocked.load() && grove::test::elapsed_ms(start) < 5000) std::this_thread::sleep_for(1ms);
    for (unsigned i = 0; i < n; ++i) EXPECT_EQ(write(fds[2 * i + 1], "x", 1), 1);
  });
  worker.join();
  for (auto& b : blockers) EXPECT_EQ(b.get(), 1);
  releaser.join();
  EXPECT_TRUE(progressed_while_blocked.load());
  EXPECT_GT(grove::detail::Runtime::get()->handoffs.load(), handoffs_before);
  for (int fd : fds) close(fd);
}

// While a worker's thread is blocked in the kernel, the fibers pinned to it wait for that thread
// (they are bound to it) and then run there in order; its unpinned fibers run elsewhere meanwhile
// (on a spare at one worker, on the other worker at two).
TEST(Monitor, PinnedFibersOfABlockedWorkerWaitForItsThreadInOrder) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t main_tid = gettid();  // the main fiber is pinned to worker 0, the main thread
  const auto handoffs_before = grove::detail::Runtime::get()->handoffs.load();
  std::atomic<bool> blocked{false}, released{false};
  std::vector<int> order;
  std::atomic<int> off_thread{0};
  std::vector<grove::Fiber<void>> fs;
  fs.push_back(grove::spawn(grove::SpawnOptions{.pinned = true}, [&] {
    blocked = true;
    char c = 0;
    EXPECT_EQ(read(fds[0], &c, 1), 1);  // not hooked here: the worker's thread blocks
    released = true;
  }));
  for (int i = 0; i < 5; ++i) {
    fs.push_back(grove::spawn(grove::SpawnOptions{.pinned = true}, [&, i] {
      if (gettid() != main_tid) ++off_thread;
      order.push_back(i);
    }));
  }
  std::atomic<bool> ran_while_blocked{false};
  std::atomic<pid_t> unpinned_tid{0};
  fs.push_back(grove::spawn([&] {
    unpinned_tid = gettid();
    while (!blocked.load()) grove::yield();
    grove::sleep(20ms);  // its timer is served by the thread that took it
    ran_while_blocked = !released.load() && order.empty();
    EXPECT_EQ(write(fds[1], "x", 1), 1);
  }));
  for (auto& f : fs) ASSERT_TRUE(f.join(10s));
  EXPECT_TRUE(ran_while_blocked.load());
  EXPECT_NE(unpinned_tid.load(), main_tid);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(off_thread.load(), 0);
  if (grove::worker_count() == 1) {
    EXPECT_GT(grove::detail::Runtime::get()->handoffs.load(), handoffs_before);
  }
  close(fds[0]);
  close(fds[1]);
}

// Longer than the monitor's hog threshold (100 ms; 2 s in sanitizer builds, where ordinary work is slow).
#if defined(GROVE_TSAN) || defined(GROVE_ASAN)
constexpr auto kHogTime = std::chrono::milliseconds(2600);
#else
constexpr auto kHogTime = std::chrono::milliseconds(300);
#endif

TEST(Monitor, CpuHogDoesNotStopOtherFibers) {
  std::atomic<bool> hog_running{false};
  std::atomic<int> ticks_during_hog{0};
  std::atomic<bool> hog_done{false};
  auto hog = grove::spawn([&] {
    hog_running = true;
    spin_for(kHogTime);
    hog_done = true;
  });
  auto ticker = grove::spawn([&] {
    while (!hog_running.load()) grove::sleep(1ms);
    while (!hog_done.load()) {
      grove::sleep(2ms);
      if (!hog_done.load()) ++ticks_during_hog;
    }
  });
  hog.join();
  ticker.join();
  EXPECT_GT(ticks_during_hog.load(), 10);
}

}  // namespace
