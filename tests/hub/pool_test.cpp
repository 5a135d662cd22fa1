// grove::Pool and grove::Group (gevent.pool).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::Clock;
using grove::test::elapsed_ms;

namespace {
struct Gauge {
  std::atomic<int> now{0}, peak{0};
  void enter() {
    int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
  }
  void leave() { --now; }
};
}  // namespace

TEST(Pool, SpawnWaitsWhileFull) {
  grove::Pool pool(2);
  EXPECT_EQ(pool.free_count(), 2u);
  grove::Event go;
  auto a = pool.spawn([&] { go.wait(); });
  auto b = pool.spawn([&] { go.wait(); });
  EXPECT_TRUE(pool.full());
  EXPECT_EQ(pool.size(), 2u);
  // Timed from here, not from when the spawner starts (that may be late on a loaded machine):
  // its spawn cannot finish before go.set(), 30 ms on.
  const auto t0 = Clock::now();
  auto spawner = grove::spawn([&] {
    pool.spawn([] {}).join();
    return elapsed_ms(t0);
  });
  grove::sleep(30ms);
  EXPECT_FALSE(spawner.ready());
  go.set();
  EXPECT_GE(spawner.get(), 29.0);
  EXPECT_TRUE(pool.join(2s));
  EXPECT_EQ(pool.free_count(), 2u);
  EXPECT_FALSE(pool.wait_available(0ms) == false);
  EXPECT_THROW(grove::Pool(0), std::invalid_argument);
}

TEST(Pool, BoundNeverExceededUnderLoad) {
  constexpr int kSize = 4;
  grove::Pool pool(kSize);
  Gauge g;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  // Spawners from several fibers and plain threads at once.
  auto spawn_many = [&] {
    for (int i = 0; i < 100; ++i) pool.spawn([&, i] {
      g.enter();
      if (i % 3 == 0) grove::sleep(std::chrono::microseconds(200));
      else grove::yield();
      g.leave();
      ++done;
    });
  };
  std::vector<grove::Fiber<void>> spawners;
  for (int i = 0; i < 3; ++i) spawners.push_back(grove::spawn(spawn_many));
  grove::Event thread_done;  // std::thread::join would block this worker, which the pool needs
  threads.emplace_back([&] {
    spawn_many();
    thread_done.set();
  });
  grove::joinall(spawners);
  ASSERT_TRUE(thread_done.wait(30s));
  threads[0].join();
  EXPECT_TRUE(pool.join(10s));
  EXPECT_EQ(done.load(), 400);
  EXPECT_LE(g.peak.load(), kSize);
  EXPECT_GE(g.peak.load(), 2);
  EXPECT_EQ(pool.free_count(), static_cast<std::size_t>(kSize));
}

TEST(Pool, MapKeepsOrderAndBound) {
  grove::Pool pool(3);
  Gauge g;
  std::vector<int> in(20);
  std::iota(in.begin(), in.end(), 0);
  auto out = pool.map([&](int x) {
    g.enter();
    grove::sleep(std::chrono::milliseconds((x * 7) % 5));
    g.leave();
    return x * x;
  }, in);
  ASSERT_EQ(out.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(out[i], i * i);
  EXPECT_LE(g.peak.load(), 3);
}

TEST(Pool, ImapUnorderedYieldsInCompletionOrder) {
  grove::Pool pool(4);
  // Finish times 10 ms apart; wider under sanitizers, where starting four fibers can take longer.
#if defined(GROVE_TSAN) || defined(GROVE_ASAN)
  constexpr int kGap = 50;
#else
  constexpr int kGap = 10;
#endif
  std::vector<int> delays{4 * kGap, 1 * kGap, 3 * kGap, 2 * kGap};
  std::vector<int> got;
  for (int v : pool.imap_unordered([](int d) {
         grove::sleep(std::chrono::milliseconds(d));
         return d;
       }, delays)) {
    got.push_back(v);
  }
  EXPECT_EQ(got, (std::vector<int>{kGap, 2 * kGap, 3 * kGap, 4 * kGap}));
  // An exception surfaces at its turn.
  std::vector<int> xs{1, 2, 3};
  auto it = pool.imap_unordered([](int x) -> int {
    if (x == 2) throw std::runtime_error("two");
    grove::sleep(std::chrono::milliseconds(20 * x));
    return x;
  }, xs);
  EXPECT_THROW(it.next(), std::runtime_error);
  EXPECT_EQ(it.next(), 1);
  EXPECT_EQ(it.next(), 3);
  EXPECT_EQ(it.next(), std::nullopt);
}

TEST(Pool, ApplyAndApplyAsync) {
  grove::Pool pool(1);
  EXPECT_EQ(pool.apply([](int a, int b) { return a * b; }, 6, 7), 42);
  auto f = pool.apply_async([] { return std::string("async"); });
  EXPECT_EQ(f.get(), "async");
  // apply from inside a member of a full pool runs inline instead of deadlocking.
  auto outer = pool.spawn([&] { return pool.apply([] { return 5; }); });
  EXPECT_EQ(outer.get(), 5);
}

TEST(Pool, KillFreesSlotsEvenBeforeStart) {
  grove::Pool pool(2);
  std::atomic<int> started{0};
  auto a = pool.spawn([&] { ++started; grove::sleep(10s); });
  auto b = pool.spawn([&] { ++started; grove::sleep(10s); });
  EXPECT_TRUE(pool.kill(2s));
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.free_count(), 2u);
  EXPECT_TRUE(a.killed());
  EXPECT_TRUE(b.killed());
}

TEST(Group, AddDiscardJoinKill) {
  grove::Group group;
  grove::Event go;
  auto a = group.spawn([&] { go.wait(); return 1; });
  auto outside = grove::spawn([&] { go.wait(); });
  group.add(outside);
  EXPECT_EQ(group.size(), 2u);
  EXPECT_TRUE(group.contains(outside));
  group.discard(outside);
  EXPECT_FALSE(group.contains(outside));
  EXPECT_FALSE(group.join(20ms));
  go.set();
  EXPECT_TRUE(group.join(2s));
  EXPECT_EQ(group.size(), 0u);
  outside.join();
  auto sleeper = group.spawn([] { grove::sleep(10s); });
  EXPECT_TRUE(group.kill(2s));
  EXPECT_TRUE(sleeper.killed());
  // A dead fiber added later is not kept.
  group.add(a);
  EXPECT_EQ(group.size(), 0u);
}

TEST(Group, JoinRaiseError) {
  grove::Group group;
  group.spawn([] { grove::sleep(200ms); });
  auto bad = group.spawn([] { grove::sleep(5ms); throw std::logic_error("member failed"); });
  bad.link_exception([] {});  // observed: keep stderr clean
  const auto t0 = Clock::now();
  EXPECT_THROW(group.join(5s, true), std::logic_error);
  EXPECT_LT(elapsed_ms(t0), 150.0);
  EXPECT_TRUE(group.kill(2s));
}
