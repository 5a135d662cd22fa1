#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <vector>
#include <stdexcept>
#include <string>
#include <thread>

#include <grove/grove.hpp>

#include "TestUtil.hpp"

using namespace std::chrono_literals;

TEST(Fiber, ReturnsItsValue) {
  auto f = grove::spawn([](int a, int b) { return a + b; }, 40, 2);
  EXPECT_EQ(f.get(), 42);
  EXPECT_TRUE(f.ready());
  EXPECT_TRUE(f.successful());
  ASSERT_NE(f.value(), nullptr);
  EXPECT_EQ(*f.value(), 42);
}

TEST(Fiber, MoveOnlyArgumentsAndResults) {
  auto f = grove::spawn([](std::unique_ptr<int> p) { return std::make_unique<int>(*p * 2); }, std::make_unique<int>(21));
  EXPECT_EQ(*f.get(), 42);
}

TEST(Fiber, VoidFiberJoins) {
  int x = 0;
  auto f = grove::spawn([&] { x = 7; });
  f.join();
  EXPECT_EQ(x, 7);
}

TEST(Fiber, ExceptionReachesGet) {
  auto f = grove::spawn([]() -> int { throw std::runtime_error("boom"); });
  f.join();
  EXPECT_TRUE(f.ready());
  EXPECT_FALSE(f.successful());
  EXPECT_NE(f.exception(), nullptr);
  EXPECT_THROW(f.get(), std::runtime_error);
}

TEST(Fiber, UnjoinedFailureIsReported) {
  auto r = grove::test::run_command(std::string(GROVE_BIN_DIR) + "/grove_env_probe");  // sanity: binary exists
  ASSERT_EQ(r.status, 0) << r.output;
  testing::internal::CaptureStderr();
  auto f = grove::spawn(grove::SpawnOptions{.name = "doomed"}, [] { throw std::runtime_error("disk on fire"); });
  while (!f.ready()) grove::sleep(1ms);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("grove: fiber doomed failed: disk on fire"), std::string::npos) << err;
}

TEST(Fiber, NamesAndIds) {
  auto a = grove::spawn(grove::SpawnOptions{.name = "alpha"}, [] { return grove::current_fiber_id(); });
  auto b = grove::spawn([] {});
  EXPECT_EQ(a.name(), "alpha");
  EXPECT_EQ(b.name(), "fiber-" + std::to_string(b.id()));
  EXPECT_NE(a.id(), b.id());
  EXPECT_EQ(a.get(), a.id());
}

TEST(Fiber, JoinTimesOut) {
  auto f = grove::spawn([] { grove::sleep(200ms); });
  auto t0 = grove::test::Clock::now();
  EXPECT_FALSE(f.join(20ms));
  double ms = grove::test::elapsed_ms(t0);
  EXPECT_GE(ms, 19.0);
  EXPECT_LT(ms, 150.0);
  EXPECT_TRUE(f.join(5s));
}

TEST(Fiber, NegativeTimeoutIsAnError) {
  auto f = grove::spawn([] {});
  EXPECT_THROW(f.join(-1ms), std::invalid_argument);
  EXPECT_THROW(grove::sleep(-5ms), std::invalid_argument);
  f.join();
}

TEST(Fiber, JoiningItselfIsAnError) {
  auto f = grove::spawn([] {});
  grove::Fiber<void>* self_handle = nullptr;
  std::string message;
  grove::Fiber<void> g = grove::spawn([&] {
    grove::sleep(5ms);
    try {
      self_handle->join();
    } catch (const grove::UsageError& e) {
      message = e.what();
    }
  });
  self_handle = &g;
  g.join();
  EXPECT_NE(message.find("cannot join itself"), std::string::npos) << message;
  f.join();
}

TEST(Fiber, EmptyHandleIsAnError) {
  grove::Fiber<int> empty;
  EXPECT_THROW(empty.join(), grove::UsageError);
}

TEST(Fiber, KillUnwindsAtSuspensionPointRunningDestructors) {
  std::atomic<bool> destroyed{false}, reached_end{false};
  struct Guard {
    std::atomic<bool>& flag;
    ~Guard() { flag = true; }
  };
  auto f = grove::spawn([&] {
    Guard g{destroyed};
    grove::sleep(10s);
    reached_end = true;
  });
  grove::sleep(5ms);
  auto t0 = grove::test::Clock::now();
  f.kill();
  EXPECT_LT(grove::test::elapsed_ms(t0), 1000.0);
  EXPECT_TRUE(f.ready());
  EXPECT_TRUE(f.killed());
  EXPECT_TRUE(f.successful());  // as in gevent: GreenletExit is not a failure
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(reached_end);
  EXPECT_THROW(f.get(), grove::FiberExit);
}

TEST(Fiber, KilledBeforeStartingNeverRuns) {
  std::atomic<bool> ran{false};
  // Pinned to main's worker, it cannot start before main suspends (in kill's join).
  auto f = grove::spawn(grove::SpawnOptions{.pinned = true}, [&] { ran = true; });
  f.kill();
  EXPECT_TRUE(f.killed());
  EXPECT_FALSE(ran);
}

TEST(Fiber, KillWithoutBlockReturnsAtOnce) {
  auto f = grove::spawn([] { grove::sleep(10s); });
  grove::sleep(1ms);
  f.kill(false);
  EXPECT_TRUE(f.join(2s));
  EXPECT_TRUE(f.killed());
}

TEST(Fiber, KillingAFinishedFiberIsHarmless) {
  auto f = grove::spawn([] { return 1; });
  EXPECT_EQ(f.get(), 1);
  f.kill();
  EXPECT_FALSE(f.killed());
  EXPECT_EQ(f.get(), 1);
}

TEST(Fiber, PlainThreadsCanSpawnJoinAndSleep) {
  std::atomic<int> sum{0};
  std::atomic<bool> finished{false};
  std::thread t([&] {
    EXPECT_FALSE(grove::in_fiber());
    auto f = grove::spawn([] {
      grove::sleep(2ms);
      return 5;
    });
    sum += f.get();
    auto t0 = grove::test::Clock::now();
    grove::sleep(10ms);
    EXPECT_GE(grove::test::elapsed_ms(t0), 9.5);
    auto g = grove::spawn([] { grove::sleep(1s); });
    EXPECT_FALSE(g.join(5ms));
    g.kill();
    EXPECT_TRUE(g.killed());
    finished = true;
  });
  // The thread needs fibers to run: wait cooperatively, since std::thread::join would block
  // the (possibly only) worker this main fiber runs on.
  while (!finished) grove::sleep(1ms);
  t.join();
  EXPECT_EQ(sum, 5);
}

TEST(Fiber, HandlesOutliveFibersAndCopiesShareState) {
  grove::Fiber<std::string> copy;
  {
    auto f = grove::spawn([] { return std::string(1000, 'x'); });
    copy = f;
  }
  EXPECT_EQ(copy.get().size(), 1000u);
}

TEST(Fiber, DroppedHandleDoesNotStopFiber) {
  std::atomic<bool> ran{false};
  grove::spawn([&] {
    grove::sleep(2ms);
    ran = true;
  });
  for (int i = 0; i < 500 && !ran; ++i) grove::sleep(2ms);
  EXPECT_TRUE(ran);
}

TEST(Fiber, JoiningAnUnstartedChildRunsItDepthFirst) {
  // Fork/join trees run depth-first when joiners run their queued children directly, so only
  // a path's worth of fibers is alive at once (skynet-style), and every result is still right.
  std::atomic<int> alive{0}, peak{0};
  std::function<long(int, long)> tree = [&](int depth, long base) -> long {
    int now = ++alive;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    long sum = 0;
    if (depth == 0) {
      sum = base;
    } else {
      grove::Fiber<long> kids[4];
      for (int i = 0; i < 4; ++i) kids[i] = grove::spawn(tree, depth - 1, base * 4 + i);
      for (auto& k : kids) sum += k.get();
    }
    --alive;
    return sum;
  };
  long expected = 0;
  for (long leaf = 0; leaf < 4096; ++leaf) expected += leaf;  // depth 6: leaves 0..4095
  EXPECT_EQ(grove::spawn(tree, 6, 0L).get(), expected);
  if (grove::worker_count() == 1) {
    // Breadth-first would hold all 4096 leaves at once; the fairness hop every 61 ticks starts a
    // few other subtrees, hence hundreds rather than a path of 28.
    EXPECT_LT(peak.load(), 1000) << "breadth-first: " << peak.load() << " fibers alive at once";
  }
}

TEST(Fiber, DirectedJoinKeepsSpawnOrderForOthers) {
  if (grove::worker_count() != 1) GTEST_SKIP() << "ordering is only deterministic on one worker";
  std::vector<int> order;
  auto a = grove::spawn([&] { order.push_back(1); });
  auto b = grove::spawn([&] { order.push_back(2); });
  auto c = grove::spawn([&] { order.push_back(3); });
  b.join();  // runs b directly; a and c keep their FIFO order afterwards
  a.join();
  c.join();
  EXPECT_EQ(order, (std::vector<int>{2, 1, 3}));
}
