// spawn_later, joinall, killall, wait/iwait, links and the unobserved-failure report.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::Clock;
using grove::test::elapsed_ms;

TEST(SpawnLater, StartsAfterTheDelay) {
  const auto t0 = Clock::now();
  auto f = grove::spawn_later(30ms, [t0](int x) { return std::make_pair(x * 2, elapsed_ms(t0)); }, 21);
  EXPECT_FALSE(f.ready());
  auto [v, started_ms] = f.get();
  EXPECT_EQ(v, 42);
  EXPECT_GE(started_ms, 29.0);
  EXPECT_LT(started_ms, 500.0);
}

TEST(SpawnLater, KilledBeforeStartNeverRuns) {
  std::atomic<bool> ran{false};
  auto f = grove::spawn_later(50ms, [&] { ran = true; });
  f.kill();
  EXPECT_TRUE(f.ready());
  EXPECT_TRUE(f.killed());
  grove::sleep(80ms);
  EXPECT_FALSE(ran);
  EXPECT_THROW(grove::spawn_later(-1ms, [] {}), std::invalid_argument);
}

TEST(JoinAll, HeterogeneousFibersWithInitializerList) {
  auto b = grove::spawn([] { grove::sleep(5ms); });
  auto c = grove::spawn([] { return std::string("x"); });
  auto a = grove::spawn([b, c] {  // finishes last by construction, not by timing
    b.join();
    c.join();
    grove::sleep(1ms);
    return 1;
  });
  auto done = grove::joinall({a, b, c}, 5s);
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done.back(), a);  // finished last
  EXPECT_EQ(a.get(), 1);
}

// Fibers that all finished while nobody looked still come out in the order they finished (a joined
// b and c, so it finished after them), not in the order given.
TEST(JoinAll, FinishOrderSurvivesALateLook) {
  auto b = grove::spawn([] { grove::sleep(5ms); });
  auto c = grove::spawn([] { grove::sleep(2ms); });
  auto a = grove::spawn([b, c] {
    b.join();
    c.join();
    return 1;
  });
  grove::IWait it({a, b, c});
  grove::sleep(100ms);  // everything finishes before the first look
  ASSERT_TRUE(a.ready() && b.ready() && c.ready());
  std::vector<std::size_t> order;
  while (auto i = it.next()) order.push_back(*i);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order.back(), 0u) << "a finished last";
  // A later joinall agrees: the order was recorded when they finished.
  auto done = grove::joinall({a, b, c});
  ASSERT_EQ(done.size(), 3u);
  EXPECT_EQ(done.back(), a);
}

TEST(JoinAll, TimeoutReturnsOnlyTheFinished) {
  std::vector<grove::Fiber<int>> fs;
  fs.push_back(grove::spawn([] { return 1; }));
  fs.push_back(grove::spawn([] { grove::sleep(10s); return 2; }));
  const auto t0 = Clock::now();
  auto done = grove::joinall(fs, 50ms);
  const double ms = elapsed_ms(t0);
  ASSERT_EQ(done.size(), 1u);
  static_assert(std::is_same_v<decltype(done), std::vector<grove::Fiber<int>>>);
  EXPECT_EQ(done[0].get(), 1);
  EXPECT_GE(ms, 49.0);
  EXPECT_LT(ms, 1000.0);
  fs[1].kill();
}

TEST(JoinAll, CountStopsEarly) {
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 4; ++i) fs.push_back(grove::spawn([i] { grove::sleep(std::chrono::milliseconds(5 + 200 * (i / 2))); }));
  auto done = grove::joinall(fs, std::nullopt, false, 2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_TRUE(fs[0].ready());
  EXPECT_TRUE(fs[1].ready());
  EXPECT_FALSE(fs[3].ready());
  grove::killall(fs);
}

TEST(JoinAll, RaiseErrorRethrowsTheFirstFailure) {
  auto ok = grove::spawn([] { grove::sleep(100ms); });
  auto bad = grove::spawn([] { grove::sleep(5ms); throw std::runtime_error("bad one"); });
  const auto t0 = Clock::now();
  try {
    grove::joinall({ok, bad}, 5s, true);
    FAIL() << "expected the failure";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "bad one");
  }
  EXPECT_LT(elapsed_ms(t0), 90.0);  // did not wait for `ok`
  // Without raise_error the failure is just a finished fiber.
  EXPECT_EQ(grove::joinall({ok, bad}).size(), 2u);
}

TEST(KillAll, KillsAndWaits) {
  std::vector<grove::Fiber<void>> fs;
  std::atomic<int> unwound{0};
  for (int i = 0; i < 5; ++i) {
    fs.push_back(grove::spawn([&] {
      struct Guard {
        std::atomic<int>& n;
        ~Guard() { ++n; }
      } g{unwound};
      grove::sleep(10s);
    }));
  }
  grove::sleep(5ms);
  EXPECT_TRUE(grove::killall(fs, 2s));
  EXPECT_EQ(unwound.load(), 5);
  for (auto& f : fs) EXPECT_TRUE(f.killed());
}

TEST(KillAll, TimeoutWhenAFiberIgnoresIt) {
  grove::Event release;
  auto stubborn = grove::spawn([&] {
    for (;;) {
      try {
        release.wait();
        return;
      } catch (const grove::FiberExit&) {
      }
    }
  });
  grove::sleep(5ms);
  const auto t0 = Clock::now();
  EXPECT_FALSE(grove::killall({stubborn}, 40ms));
  EXPECT_GE(elapsed_ms(t0), 39.0);
  release.set();
  stubborn.join();
}

TEST(Wait, MixedWaitablesInReadinessOrder) {
  grove::Event ev;
  grove::AsyncResult<int> ar;
  auto f = grove::spawn([] { grove::sleep(10ms); });
  grove::spawn([&] {
    grove::sleep(30ms);
    ar.set(5);
    grove::sleep(30ms);
    ev.set();
  });
  auto order = grove::wait({ev, f, ar}, 5s);
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 2, 0}));
  EXPECT_EQ(ar.get(), 5);
}

TEST(Wait, CountAndTimeout) {
  grove::Event a, b;
  const auto t0 = Clock::now();
  EXPECT_TRUE(grove::wait({a, b}, 30ms).empty());
  EXPECT_GE(elapsed_ms(t0), 29.0);
  b.set();
  EXPECT_EQ(grove::wait({a, b}, 5s, 1), std::vector<std::size_t>{1});
}

TEST(IWait, IteratesAsTheyFinish) {
  std::vector<grove::Fiber<int>> fs;
  for (int i : {3, 1, 2}) fs.push_back(grove::spawn([i] { grove::sleep(std::chrono::milliseconds(15 * i)); return i; }));
  std::vector<int> seen;
  for (std::size_t i : grove::iwait(fs)) seen.push_back(fs[i].get());
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
}

TEST(Wait, FromAPlainThread) {
  grove::Event ev;
  auto f = grove::spawn([&] { grove::sleep(20ms); ev.set(); return 3; });
  std::vector<std::size_t> got;
  std::thread t([&] { got = grove::wait({f, ev}, 5s); });
  while (!f.ready()) grove::sleep(1ms);
  t.join();
  EXPECT_EQ(got.size(), 2u);
}

TEST(Wait, ManyWaitersOnOneEventAcrossWorkers) {
  // Each waiter is queued on two queues; a notification must never be lost or doubled.
  for (int round = 0; round < 20; ++round) {
    grove::Event go, never;
    std::atomic<int> woke{0};
    std::vector<grove::Fiber<void>> fs;
    for (int i = 0; i < 20; ++i) fs.push_back(grove::spawn([&] {
      auto r = grove::wait({never, go}, 5s, 1);
      if (r == std::vector<std::size_t>{1}) ++woke;
    }));
    grove::yield();
    go.set();
    grove::joinall(fs);
    EXPECT_EQ(woke.load(), 20);
  }
}
