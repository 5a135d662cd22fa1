// Go channel semantics: rendezvous, buffering, timeouts, close, range-for, fibers and threads.
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

TEST(Channel, UnbufferedSendWaitsForAReceiver) {
  grove::Channel<int> ch;
  EXPECT_EQ(ch.capacity(), 0u);
  std::atomic<bool> sent{false};
  auto sender = grove::spawn([&] {
    ch.send(42);
    sent = true;
  });
  grove::sleep(30ms);
  EXPECT_FALSE(sent.load()) << "an unbuffered send completes only when a receiver takes the item";
  EXPECT_EQ(ch.size(), 0u);
  EXPECT_EQ(ch.recv(), 42);
  sender.join();
  EXPECT_TRUE(sent.load());
}

TEST(Channel, UnbufferedRecvWaitsForASender) {
  grove::Channel<std::string> ch;
  auto receiver = grove::spawn([&] { return ch.recv(); });
  grove::sleep(10ms);
  EXPECT_FALSE(receiver.ready());
  ch.send("hello");
  EXPECT_EQ(receiver.get(), "hello");
}

TEST(Channel, TryFormsOnUnbufferedNeedAPartner) {
  grove::Channel<int> ch;
  EXPECT_FALSE(ch.try_send(1));
  EXPECT_EQ(ch.try_recv(), std::nullopt);
  auto receiver = grove::spawn([&] { return ch.recv(); });
  bool sent = false;
  for (int i = 0; i < 1000 && !sent; ++i) {
    sent = ch.try_send(5);
    if (!sent) grove::sleep(1ms);
  }
  EXPECT_TRUE(sent);
  EXPECT_EQ(receiver.get(), 5);
}

TEST(Channel, BufferedHoldsCapacityItems) {
  grove::Channel<int> ch(3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(ch.try_send(i));
  EXPECT_FALSE(ch.try_send(3));
  EXPECT_EQ(ch.size(), 3u);
  std::atomic<bool> fourth{false};
  auto sender = grove::spawn([&] {
    ch.send(3);
    fourth = true;
  });
  grove::sleep(20ms);
  EXPECT_FALSE(fourth.load());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ch.recv(), i);
  sender.join();
  EXPECT_TRUE(fourth.load());
}

TEST(Channel, TimeoutsAreExactAndLeaveTheItem) {
  grove::Channel<std::unique_ptr<int>> ch;
  auto t0 = Clock::now();
  EXPECT_THROW(ch.recv(40ms), grove::QueueEmpty);
  double ms = elapsed_ms(t0);
  EXPECT_GE(ms, 39.0);
  EXPECT_LT(ms, 500.0);

  auto item = std::make_unique<int>(3);
  t0 = Clock::now();
  EXPECT_THROW(ch.send(std::move(item), 40ms), grove::QueueFull);
  ms = elapsed_ms(t0);
  EXPECT_GE(ms, 39.0);
  EXPECT_LT(ms, 500.0);
  ASSERT_NE(item, nullptr) << "a timed-out send keeps the caller's item";
  EXPECT_THROW(ch.recv(-1ms), std::invalid_argument);
  EXPECT_THROW(ch.send(std::move(item), -1ms), std::invalid_argument);
}

TEST(Channel, CloseDrainsThenReportsClosed) {
  grove::Channel<int> ch(4);
  ch.send(1);
  ch.send(2);
  ch.close();
  EXPECT_TRUE(ch.closed());
  EXPECT_THROW(ch.send(3), grove::ChannelClosed);
  EXPECT_THROW(ch.try_send(3), grove::ChannelClosed);
  EXPECT_EQ(ch.recv(), 1);
  EXPECT_EQ(ch.recv(), 2);
  EXPECT_EQ(ch.recv(), std::nullopt);
  EXPECT_EQ(ch.recv(1s), std::nullopt) << "closed and drained is not a timeout";
  EXPECT_EQ(ch.try_recv(), std::nullopt);
  try {
    ch.close();
    FAIL() << "closing twice must throw";
  } catch (const grove::ChannelClosed& e) {
    EXPECT_NE(std::string(e.what()).find("close of a closed channel"), std::string::npos);
  }
}

TEST(Channel, CloseWakesEveryWaiter) {
  grove::Channel<int> ch;
  std::vector<grove::Fiber<std::optional<int>>> receivers;
  for (int i = 0; i < 3; ++i) receivers.push_back(grove::spawn([&] { return ch.recv(); }));
  grove::Channel<int> full(1);
  full.send(0);
  auto sender = grove::spawn([&] { full.send(1); });
  grove::sleep(20ms);
  ch.close();
  full.close();
  for (auto& r : receivers) EXPECT_EQ(r.get(), std::nullopt);
  EXPECT_THROW(sender.get(), grove::ChannelClosed);
  EXPECT_EQ(full.recv(), 0);
  EXPECT_EQ(full.recv(), std::nullopt);
}

TEST(Channel, RangeForReceivesUntilClosed) {
  grove::Channel<int> ch;
  auto producer = grove::spawn([&] {
    for (int i = 0; i < 50; ++i) ch.send(i);
    ch.close();
  });
  int expected = 0;
  for (int& v : ch) EXPECT_EQ(v, expected++);
  EXPECT_EQ(expected, 50);
  producer.join();
}

TEST(Channel, FiberAndOsThreadRendezvous) {
  grove::Channel<int> to_thread, to_fiber;
  constexpr int kRounds = 1000;
  std::thread t([&] {
    for (int i = 0; i < kRounds; ++i) to_fiber.send(*to_thread.recv() + 1);
  });
  for (int i = 0; i < kRounds; ++i) {
    to_thread.send(i);
    EXPECT_EQ(to_fiber.recv(), i + 1);
  }
  t.join();
}

TEST(Channel, KilledReceiverTakesNothing) {
  grove::Channel<int> ch;
  auto receiver = grove::spawn([&] { return ch.recv(); });
  grove::sleep(10ms);
  receiver.kill();
  EXPECT_FALSE(ch.try_send(1)) << "the killed receiver must no longer be waiting";
}

TEST(Channel, PingPongAcrossFibersKeepsOrder) {
  grove::Channel<int> ch(8);
  constexpr int kItems = 20000;
  auto producer = grove::spawn([&] {
    for (int i = 0; i < kItems; ++i) ch.send(i);
    ch.close();
  });
  long long sum = 0;
  int expected = 0;
  for (int v : ch) {
    ASSERT_EQ(v, expected++);
    sum += v;
  }
  producer.join();
  EXPECT_EQ(sum, static_cast<long long>(kItems) * (kItems - 1) / 2);
}
