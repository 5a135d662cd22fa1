// ThreadPool: blocking functions on OS threads while the calling fiber's worker keeps running.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::elapsed_ms;
using Clock = std::chrono::steady_clock;

TEST(ThreadPool, ApplyReturnsTheResult) {
  grove::ThreadPool pool(2);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.apply([](int a, int b) { return a * b; }, 6, 7), 42);
  EXPECT_EQ(pool.apply([] { return std::string("on a thread"); }), "on a thread");
  auto caller = std::this_thread::get_id();
  EXPECT_NE(pool.apply([] { return std::this_thread::get_id(); }), caller);
  auto moved = pool.apply([] { return std::make_unique<int>(5); });
  EXPECT_EQ(*moved, 5);
}

TEST(ThreadPool, ExceptionsReachTheCaller) {
  grove::ThreadPool pool(1);
  EXPECT_THROW(pool.apply([]() -> int { throw std::runtime_error("boom"); }), std::runtime_error);
  auto f = pool.spawn([] { throw std::logic_error("bad"); });
  f.wait();
  EXPECT_FALSE(f.successful());
  EXPECT_NE(f.exception(), nullptr);
  EXPECT_THROW(f.get(), std::logic_error);
}

TEST(ThreadPool, BlockingCallDoesNotBlockTheWorker) {
  // With GROVE_WORKERS=1 everything else runs on this very thread: a ticker fiber must keep
  // ticking while the pool thread sleeps in a real (unhooked) blocking call.
  grove::ThreadPool pool(1);
  std::atomic<bool> stop{false};
  std::atomic<int> ticks{0};
  auto ticker = grove::spawn([&] {
    while (!stop.load()) {
      grove::sleep(5ms);
      ++ticks;
    }
  });
  auto t0 = Clock::now();
  int v = pool.apply([] {
    std::this_thread::sleep_for(200ms);
    return 1;
  });
  double ms = elapsed_ms(t0);
  int during = ticks.load();
  stop = true;
  ticker.join();
  EXPECT_EQ(v, 1);
  EXPECT_GE(ms, 199.0);
  EXPECT_GE(during, 10) << "the ticker fiber should have run while the pool thread blocked";
}

TEST(ThreadPool, ManyFibersShareThePool) {
  grove::ThreadPool pool(3);
  std::vector<grove::Fiber<long>> fibers;
  for (int i = 0; i < 40; ++i) {
    fibers.push_back(grove::spawn([&pool, i] {
      long sum = 0;
      for (int k = 0; k < 10; ++k) sum += pool.apply([i, k] { return static_cast<long>(i * 100 + k); });
      return sum;
    }));
  }
  for (int i = 0; i < 40; ++i) EXPECT_EQ(fibers[static_cast<std::size_t>(i)].get(), i * 1000L + 45);
}

TEST(ThreadPool, BoundedQueueMakesSpawnWait) {
  grove::ThreadPool pool(1, 2);
  std::atomic<bool> release{false};
  auto gate = [&] {
    while (!release.load()) std::this_thread::sleep_for(1ms);
  };
  auto first = pool.spawn(gate);  // taken by the thread
  while (pool.queued() != 0) grove::sleep(1ms);
  pool.spawn(gate);
  pool.spawn(gate);  // the queue now holds 2
  std::atomic<bool> fourth_queued{false};
  auto submitter = grove::spawn([&] {
    pool.spawn([] {});
    fourth_queued = true;
  });
  grove::sleep(30ms);
  EXPECT_FALSE(fourth_queued.load()) << "spawn must wait while the task queue is full";
  release = true;
  submitter.join();
  EXPECT_TRUE(fourth_queued.load());
  pool.join();
  EXPECT_TRUE(first.ready());
}

TEST(ThreadPool, JoinWaitsForAllTasksAndTimedGet) {
  grove::ThreadPool pool(2);
  std::atomic<int> done{0};
  for (int i = 0; i < 20; ++i) {
    pool.spawn([&] {
      std::this_thread::sleep_for(2ms);
      ++done;
    });
  }
  pool.join();
  EXPECT_EQ(done.load(), 20);
  auto slow = pool.spawn([] {
    std::this_thread::sleep_for(100ms);
    return 3;
  });
  EXPECT_FALSE(slow.wait(10ms));
  EXPECT_FALSE(slow.ready());
  EXPECT_EQ(slow.get(5s), 3);
}

TEST(ThreadPool, ShutdownFinishesQueuedTasksThenRejects) {
  std::atomic<int> done{0};
  {
    grove::ThreadPool pool(1);
    for (int i = 0; i < 10; ++i) {
      pool.spawn([&] {
        std::this_thread::sleep_for(1ms);
        ++done;
      });
    }
    pool.shutdown();
    EXPECT_EQ(done.load(), 10);
    EXPECT_THROW(pool.spawn([] {}), grove::QueueClosed);
  }
  {
    grove::ThreadPool pool(2);
    for (int i = 0; i < 10; ++i) pool.spawn([&] { ++done; });
  }  // the destructor finishes the backlog
  EXPECT_EQ(done.load(), 20);
}

TEST(ThreadPool, BadArgumentsAreErrors) {
  EXPECT_THROW(grove::ThreadPool(0), std::invalid_argument);
  grove::ThreadFuture<int> empty;
  EXPECT_THROW(empty.get(), grove::UsageError);
}

TEST(ThreadPool, UsableFromPlainThreads) {
  grove::ThreadPool pool(2);
  std::atomic<int> sum{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) sum += pool.apply([t, i] { return t + i; });
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(sum.load(), 3 * (49 * 50 / 2) + 50 * (0 + 1 + 2));
}
