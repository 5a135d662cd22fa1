// select under load: many fibers on every worker and OS threads selecting across channels and a
// queue, with recv and send cases; every item must arrive exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

using namespace std::chrono_literals;

namespace {

constexpr int kProducers = 6;  // 4 fibers + 2 OS threads
constexpr int kPerProducer = 8000;
constexpr int kTotal = kProducers * kPerProducer;

struct Tally {
  std::vector<std::atomic<int>> seen = std::vector<std::atomic<int>>(kTotal);
  std::atomic<int> total{0};
  void record(int v) {
    ASSERT_GE(v, 0);
    ASSERT_LT(v, kTotal);
    EXPECT_EQ(seen[static_cast<std::size_t>(v)].fetch_add(1), 0) << "item " << v << " twice";
    total.fetch_add(1);
  }
};

}  // namespace

TEST(SelectStress, EveryItemExactlyOnce) {
  grove::Channel<int> rendezvous;   // unbuffered
  grove::Channel<int> buffered(4);
  grove::Queue<int> queue(3);
  grove::Channel<int> done_signal;  // closed when all producers are done
  Tally tally;

  // Producers offer each item to all three at once with a send select; only one may take it.
  auto produce = [&](int p) {
    for (int i = 0; i < kPerProducer; ++i) {
      int item = p * kPerProducer + i;
      if (i % 3 == 0) {
        grove::select(grove::on_send(rendezvous, item), grove::on_send(buffered, item), grove::on_send(queue, item));
      } else if (i % 3 == 1) {
        // With a timeout, retried until it fires: a timed-out send must not have sent anything.
        while (grove::select(grove::on_send(buffered, item), grove::on_send(rendezvous, item),
                             grove::on_timeout(std::chrono::microseconds(100))) == 2) {
        }
      } else {
        rendezvous.send(item);
      }
    }
  };
  // Consumers select over the three sources plus the done channel.
  auto consume = [&] {
    for (;;) {
      std::optional<int> v;
      int which = grove::select(grove::on_recv(rendezvous, v), grove::on_recv(buffered, v), grove::on_recv(queue, v),
                                grove::on_recv(done_signal));
      if (which == 3) break;
      ASSERT_TRUE(v.has_value());
      tally.record(*v);
    }
    // Drain what the buffers still hold.
    while (auto v = buffered.try_recv()) tally.record(*v);
    while (auto v = queue.try_get()) tally.record(*v);
  };

  std::vector<grove::Fiber<void>> producers, consumers;
  for (int p = 0; p < 4; ++p) producers.push_back(grove::spawn(produce, p));
  std::vector<std::thread> threads;
  for (int p = 4; p < kProducers; ++p) threads.emplace_back(produce, p);
  for (int c = 0; c < 5; ++c) consumers.push_back(grove::spawn(consume));
  std::thread thread_consumer(consume);

  for (auto& p : producers) p.join();
  while (tally.total.load() + static_cast<int>(buffered.size() + queue.qsize()) < kTotal) grove::sleep(1ms);
  for (auto& t : threads) t.join();
  done_signal.close();
  for (auto& c : consumers) c.join();
  thread_consumer.join();
  // Consumers' final drains race with each other, but each item is still taken once.
  while (auto v = buffered.try_recv()) tally.record(*v);
  while (auto v = queue.try_get()) tally.record(*v);
  ASSERT_EQ(tally.total.load(), kTotal);
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(tally.seen[static_cast<std::size_t>(i)].load(), 1) << i;
}

TEST(SelectStress, SelectsMatchingEachOther) {
  // Both sides select: senders over two unbuffered channels, receivers over the same two. Each
  // match pairs one waiting select with one polling select.
  grove::Channel<int> a, b;
  constexpr int kItems = 6000;
  Tally tally;
  std::atomic<int> next{0};
  std::vector<grove::Fiber<void>> fibers;
  for (int s = 0; s < 3; ++s) {
    fibers.push_back(grove::spawn([&] {
      for (int item; (item = next.fetch_add(1)) < kItems;) {
        grove::select(grove::on_send(a, item), grove::on_send(b, item));
      }
    }));
  }
  std::atomic<int> received{0};
  auto receive = [&] {
    while (received.load() < kItems) {
      std::optional<int> v;
      if (grove::select(grove::on_recv(a, v), grove::on_recv(b, v), grove::on_timeout(1ms)) == 2) continue;
      tally.record(*v);
      received.fetch_add(1);
    }
  };
  for (int r = 0; r < 3; ++r) fibers.push_back(grove::spawn(receive));
  std::thread t(receive);
  for (auto& f : fibers) f.join();
  t.join();
  ASSERT_EQ(tally.total.load(), kItems);
  for (int i = 0; i < kItems; ++i) ASSERT_EQ(tally.seen[static_cast<std::size_t>(i)].load(), 1) << i;
}
