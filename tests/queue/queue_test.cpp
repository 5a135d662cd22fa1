// gevent.queue semantics: orders, bounds, timeouts, peek, close, JoinableQueue.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::elapsed_ms;
using Clock = std::chrono::steady_clock;

TEST(Queue, FifoOrder) {
  grove::Queue<int> q;
  for (int i = 0; i < 5; ++i) q.put(i);
  EXPECT_EQ(q.qsize(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q.get(), i);
  EXPECT_TRUE(q.empty());
}

TEST(Queue, LifoOrder) {
  grove::LifoQueue<int> q;
  for (int i = 0; i < 5; ++i) q.put(i);
  EXPECT_EQ(q.peek(), 4);
  for (int i = 4; i >= 0; --i) EXPECT_EQ(q.get(), i);
}

TEST(Queue, PriorityOrderSmallestFirstAndStableForTies) {
  grove::PriorityQueue<int> q;
  for (int v : {5, 1, 4, 2, 3}) q.put(v);
  EXPECT_EQ(q.peek(), 1);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(q.get(), i);

  using Job = std::pair<int, std::string>;
  auto by_priority = [](const Job& a, const Job& b) { return a.first < b.first; };
  grove::PriorityQueue<Job, decltype(by_priority)> jobs(0, by_priority);
  jobs.put({2, "b1"});
  jobs.put({1, "a"});
  jobs.put({2, "b2"});
  jobs.put({2, "b3"});
  EXPECT_EQ(jobs.get().second, "a");
  EXPECT_EQ(jobs.get().second, "b1");
  EXPECT_EQ(jobs.get().second, "b2");
  EXPECT_EQ(jobs.get().second, "b3");

  grove::PriorityQueue<int, std::greater<int>> largest_first;
  for (int v : {1, 3, 2}) largest_first.put(v);
  EXPECT_EQ(largest_first.get(), 3);
}

TEST(Queue, MoveOnlyItems) {
  grove::Queue<std::unique_ptr<int>> q(1);
  q.put(std::make_unique<int>(7));
  auto extra = std::make_unique<int>(8);
  EXPECT_FALSE(q.try_put(std::move(extra)));
  ASSERT_NE(extra, nullptr) << "a failed try_put must leave the item with the caller";
  EXPECT_THROW(q.put(std::move(extra), 10ms), grove::QueueFull);
  ASSERT_NE(extra, nullptr) << "a timed-out put must leave the item with the caller";
  EXPECT_EQ(*q.get(), 7);
}

TEST(Queue, MaxsizeBlocksPutUntilGet) {
  grove::Queue<int> q(2);
  EXPECT_EQ(q.maxsize(), 2u);
  q.put(1);
  q.put(2);
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.try_put(3));
  std::atomic<bool> third_in{false};
  auto putter = grove::spawn([&] {
    q.put(3);
    third_in = true;
  });
  grove::sleep(30ms);
  EXPECT_FALSE(third_in.load()) << "put on a full queue must wait";
  EXPECT_EQ(q.get(), 1);
  putter.join();
  EXPECT_TRUE(third_in.load());
  EXPECT_EQ(q.get(), 2);
  EXPECT_EQ(q.get(), 3);
  EXPECT_FALSE(grove::Queue<int>().full()) << "maxsize 0 is unbounded";
}

TEST(Queue, GetTimeoutIsExactAndThrowsEmpty) {
  grove::Queue<int> q;
  auto t0 = Clock::now();
  EXPECT_THROW(q.get(50ms), grove::QueueEmpty);
  double ms = elapsed_ms(t0);
  EXPECT_GE(ms, 49.0);
  EXPECT_LT(ms, 500.0);
  t0 = Clock::now();
  EXPECT_THROW(q.get(0ms), grove::QueueEmpty);
  EXPECT_LT(elapsed_ms(t0), 100.0);
  EXPECT_THROW(q.get(-1ms), std::invalid_argument);
}

TEST(Queue, PutTimeoutIsExactAndThrowsFull) {
  grove::Queue<int> q(1);
  q.put(1);
  auto t0 = Clock::now();
  EXPECT_THROW(q.put(2, 40ms), grove::QueueFull);
  double ms = elapsed_ms(t0);
  EXPECT_GE(ms, 39.0);
  EXPECT_LT(ms, 500.0);
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_THROW(q.put(2, -5ms), std::invalid_argument);
}

TEST(Queue, TimedGetSucceedsWhenAnItemArrivesInTime) {
  grove::Queue<int> q;
  auto f = grove::spawn([&] {
    grove::sleep(20ms);
    q.put(9);
  });
  auto t0 = Clock::now();
  EXPECT_EQ(q.get(2s), 9);
  EXPECT_LT(elapsed_ms(t0), 1000.0);
  f.join();
}

TEST(Queue, TryFormsNeverWait) {
  grove::Queue<int> q(1);
  EXPECT_EQ(q.try_get(), std::nullopt);
  EXPECT_EQ(q.try_peek(), std::nullopt);
  EXPECT_TRUE(q.try_put(4));
  EXPECT_FALSE(q.try_put(5));
  EXPECT_EQ(q.try_peek(), 4);
  EXPECT_EQ(q.try_get(), 4);
}

TEST(Queue, PeekWaitsAndLeavesTheItem) {
  grove::Queue<std::string> q;
  auto f = grove::spawn([&] {
    grove::sleep(20ms);
    q.put("x");
  });
  EXPECT_EQ(q.peek(), "x");
  EXPECT_EQ(q.qsize(), 1u);
  EXPECT_EQ(q.get(), "x");
  f.join();
  auto t0 = Clock::now();
  EXPECT_THROW(q.peek(30ms), grove::QueueEmpty);
  EXPECT_GE(elapsed_ms(t0), 29.0);
}

TEST(Queue, GettersAreServedInArrivalOrder) {
  grove::Queue<int> q;
  std::vector<int> got(5, -1);
  std::vector<grove::Fiber<void>> getters;
  for (int i = 0; i < 5; ++i) {
    getters.push_back(grove::spawn([&, i] { got[i] = q.get(); }));
    grove::sleep(10ms);  // let getter i queue up before getter i+1
  }
  for (int i = 0; i < 5; ++i) q.put(i * 10);
  for (auto& g : getters) g.join();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(got[i], i * 10) << "getter " << i;
}

TEST(Queue, PuttersAreServedInArrivalOrder) {
  grove::Queue<int> q(1);
  q.put(-1);
  std::vector<grove::Fiber<void>> putters;
  for (int i = 0; i < 4; ++i) {
    putters.push_back(grove::spawn([&, i] { q.put(i); }));
    grove::sleep(10ms);
  }
  EXPECT_EQ(q.get(), -1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(q.get(), i);
  for (auto& p : putters) p.join();
}

TEST(Queue, CloseRejectsPutsAndDrainsGets) {
  grove::Queue<int> q;
  q.put(1);
  q.put(2);
  q.close();
  EXPECT_TRUE(q.closed());
  EXPECT_THROW(q.put(3), grove::QueueClosed);
  EXPECT_THROW(q.try_put(3), grove::QueueClosed);
  EXPECT_NO_THROW(q.close()) << "closing a queue twice is harmless";
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get(), 2);
  EXPECT_THROW(q.get(), grove::QueueClosed);
  EXPECT_THROW(q.get(1s), grove::QueueClosed);
  EXPECT_EQ(q.try_get(), std::nullopt);
}

TEST(Queue, CloseWakesWaitingGettersAndPutters) {
  grove::Queue<int> empty;
  auto getter = grove::spawn([&] { return empty.get(); });
  grove::Queue<int> full(1);
  full.put(0);
  auto putter = grove::spawn([&] { full.put(1); });
  grove::sleep(20ms);
  empty.close();
  full.close();
  EXPECT_THROW(getter.get(), grove::QueueClosed);
  EXPECT_THROW(putter.get(), grove::QueueClosed);
  EXPECT_EQ(full.get(), 0) << "the item put before close stays available";
}

TEST(Queue, RangeForDrainsUntilClosed) {
  grove::Queue<int> q;
  auto producer = grove::spawn([&] {
    for (int i = 0; i < 100; ++i) q.put(i);
    q.close();
  });
  int expected = 0;
  for (int v : q) EXPECT_EQ(v, expected++);
  EXPECT_EQ(expected, 100);
  producer.join();
}

TEST(Queue, KilledGetterLeavesNoTrace) {
  grove::Queue<int> q;
  auto getter = grove::spawn([&] { return q.get(); });
  grove::sleep(10ms);
  getter.kill();
  EXPECT_TRUE(getter.killed());
  q.put(5);  // must not be handed to the dead getter
  EXPECT_EQ(q.try_get(), 5);
}

TEST(JoinableQueue, JoinWaitsForEveryTaskDone) {
  grove::JoinableQueue<int> q;
  std::atomic<int> done{0};
  std::vector<grove::Fiber<void>> workers;
  for (int w = 0; w < 3; ++w) {
    workers.push_back(grove::spawn([&] {
      for (;;) {
        int v = q.get();
        if (v < 0) return;
        grove::sleep(1ms);
        ++done;
        q.task_done();
      }
    }));
  }
  for (int i = 0; i < 30; ++i) q.put(i);
  q.join();
  EXPECT_EQ(done.load(), 30);
  EXPECT_EQ(q.unfinished_tasks(), 0u);
  for (int w = 0; w < 3; ++w) q.put(-1);
  for (auto& f : workers) f.join();
}

TEST(JoinableQueue, JoinTimeoutAndTooManyTaskDone) {
  grove::JoinableQueue<int> q;
  EXPECT_TRUE(q.join(0ms));
  q.put(1);
  auto t0 = Clock::now();
  EXPECT_FALSE(q.join(30ms));
  EXPECT_GE(elapsed_ms(t0), 29.0);
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.unfinished_tasks(), 1u) << "get alone does not finish a task";
  q.task_done();
  EXPECT_TRUE(q.join(0ms));
  try {
    q.task_done();
    FAIL() << "task_done without a task must throw";
  } catch (const grove::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("task_done"), std::string::npos);
  }
}
