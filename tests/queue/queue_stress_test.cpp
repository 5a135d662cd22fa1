// Queues under load: fibers on every worker and plain OS threads, every item counted once.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

using namespace std::chrono_literals;

namespace {

// Records which items arrived, failing on any duplicate.
class Tally {
 public:
  explicit Tally(int n) : seen_(static_cast<std::size_t>(n)) {}
  void record(int v) {
    ASSERT_GE(v, 0);
    ASSERT_LT(static_cast<std::size_t>(v), seen_.size());
    EXPECT_EQ(seen_[static_cast<std::size_t>(v)].fetch_add(1), 0) << "item " << v << " delivered twice";
    total_.fetch_add(1);
  }
  int total() const { return total_.load(); }
  void expect_each_once() const {
    for (std::size_t i = 0; i < seen_.size(); ++i) ASSERT_EQ(seen_[i].load(), 1) << "item " << i;
  }

 private:
  std::vector<std::atomic<int>> seen_;
  std::atomic<int> total_{0};
};

}  // namespace

TEST(QueueStress, FibersAndThreadsProduceAndConsumeEveryItemOnce) {
  constexpr int kPerProducer = 3000;
  constexpr int kFiberProducers = 4, kThreadProducers = 2;
  constexpr int kTotal = kPerProducer * (kFiberProducers + kThreadProducers);
  grove::Queue<int> q(16);
  Tally tally(kTotal);

  std::vector<grove::Fiber<void>> fibers;
  for (int p = 0; p < kFiberProducers; ++p) {
    fibers.push_back(grove::spawn([&, p] {
      for (int i = 0; i < kPerProducer; ++i) q.put(p * kPerProducer + i);
    }));
  }
  std::vector<std::thread> threads;
  for (int p = kFiberProducers; p < kFiberProducers + kThreadProducers; ++p) {
    threads.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) q.put(p * kPerProducer + i);
    });
  }
  // Consumers: fibers and one OS thread, until the queue is closed and drained.
  std::vector<grove::Fiber<void>> consumers;
  for (int c = 0; c < 3; ++c) {
    consumers.push_back(grove::spawn([&] {
      for (int v : q) tally.record(v);
    }));
  }
  std::thread thread_consumer([&] {
    for (int v : q) tally.record(v);
  });

  for (auto& f : fibers) f.join();
  // Wait (fiber-friendly) for the consumers to catch up before blocking on std::thread::join.
  while (tally.total() < kTotal) grove::sleep(1ms);
  for (auto& t : threads) t.join();
  q.close();
  for (auto& c : consumers) c.join();
  thread_consumer.join();
  EXPECT_EQ(tally.total(), kTotal);
  tally.expect_each_once();
}

TEST(QueueStress, TimedOutGettersNeverLoseItems) {
  // Getters with tiny timeouts race with putters: an item is either received or still queued.
  constexpr int kItems = 4000;
  grove::Queue<int> q;
  Tally tally(kItems);
  std::atomic<bool> producing{true};
  std::atomic<int> timeouts{0};
  std::vector<grove::Fiber<void>> getters;
  for (int g = 0; g < 6; ++g) {
    getters.push_back(grove::spawn([&, g] {
      while (producing.load() || !q.empty()) {
        try {
          tally.record(q.get(std::chrono::microseconds(50 + g * 37)));
        } catch (const grove::QueueEmpty&) {
          ++timeouts;
        }
      }
    }));
  }
  std::thread thread_getter([&] {
    while (producing.load() || !q.empty()) {
      try {
        tally.record(q.get(100us));
      } catch (const grove::QueueEmpty&) {
        ++timeouts;
      }
    }
  });
  auto producer = grove::spawn([&] {
    for (int i = 0; i < kItems; ++i) {
      q.put(i);
      if (i % 16 == 0) grove::sleep(50us);
    }
  });
  producer.join();
  while (tally.total() < kItems) grove::sleep(1ms);
  producing = false;
  for (auto& g : getters) g.join();
  thread_getter.join();
  EXPECT_EQ(tally.total(), kItems);
  tally.expect_each_once();
  EXPECT_GT(timeouts.load(), 0) << "the test should exercise timeouts";
}

TEST(QueueStress, PlainThreadsBlockAndWakeEachOther) {
  // No fibers at all: two OS threads ping-pong through bounded queues (futex parking).
  grove::Queue<int> ping(1), pong(1);
  constexpr int kRounds = 2000;
  std::thread a([&] {
    for (int i = 0; i < kRounds; ++i) {
      ping.put(i);
      EXPECT_EQ(pong.get(), i);
    }
  });
  std::thread b([&] {
    for (int i = 0; i < kRounds; ++i) pong.put(ping.get());
  });
  a.join();
  b.join();
  EXPECT_TRUE(ping.empty());
  EXPECT_TRUE(pong.empty());
}
