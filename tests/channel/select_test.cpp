// grove::select: Go's select over channels and queues.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::elapsed_ms;
using Clock = std::chrono::steady_clock;

TEST(Select, ReadyRecvFires) {
  grove::Channel<int> a(1), b(1);
  b.send(7);
  std::optional<int> got;
  EXPECT_EQ(grove::select(grove::on_recv(a, got), grove::on_recv(b, [&](std::optional<int> v) { got = v; })), 1);
  EXPECT_EQ(got, 7);
}

TEST(Select, DefaultWhenNothingIsReady) {
  grove::Channel<int> a;
  grove::Queue<int> q;
  bool defaulted = false;
  EXPECT_EQ(grove::select(grove::on_recv(a), grove::on_recv(q), grove::on_default([&] { defaulted = true; })), 2);
  EXPECT_TRUE(defaulted);
  EXPECT_EQ(grove::select(grove::on_send(a, 1), grove::on_default()), 1) << "no receiver: send not ready";
}

TEST(Select, TimeoutFiresExactly) {
  grove::Channel<int> a;
  auto t0 = Clock::now();
  bool timed_out = false;
  EXPECT_EQ(grove::select(grove::on_recv(a), grove::on_timeout(40ms, [&] { timed_out = true; })), 1);
  double ms = elapsed_ms(t0);
  EXPECT_TRUE(timed_out);
  EXPECT_GE(ms, 39.0);
  EXPECT_LT(ms, 500.0);
  EXPECT_THROW(grove::select(grove::on_recv(a), grove::on_timeout(-1ms)), std::invalid_argument);
  EXPECT_FALSE(a.try_send(1)) << "the timed-out select must not be left waiting";
}

TEST(Select, WaitsForTheFirstReadyCase) {
  grove::Channel<int> a, b;
  auto f = grove::spawn([&] {
    grove::sleep(20ms);
    b.send(5);
  });
  std::optional<int> from_a, from_b;
  EXPECT_EQ(grove::select(grove::on_recv(a, from_a), grove::on_recv(b, from_b)), 1);
  EXPECT_EQ(from_b, 5);
  EXPECT_EQ(from_a, std::nullopt);
  f.join();
  EXPECT_FALSE(a.try_send(1)) << "the select's waiter on `a` must be gone";
}

TEST(Select, SendCaseRendezvous) {
  grove::Channel<int> a, b;
  auto receiver = grove::spawn([&] { return b.recv(); });
  bool sent = false;
  EXPECT_EQ(grove::select(grove::on_send(a, 1), grove::on_send(b, 2, [&] { sent = true; })), 1);
  EXPECT_TRUE(sent);
  EXPECT_EQ(receiver.get(), 2);
  EXPECT_EQ(a.try_recv(), std::nullopt) << "the case that did not fire sent nothing";
}

TEST(Select, ChoosesUniformlyAmongReadyCases) {
  grove::Channel<int> a(10000), b(10000);
  constexpr int kRounds = 4000;
  for (int i = 0; i < kRounds; ++i) {
    a.send(i);
    b.send(i);
  }
  int chose_a = 0;
  for (int i = 0; i < kRounds; ++i) {
    if (grove::select(grove::on_recv(a), grove::on_recv(b)) == 0) ++chose_a;
  }
  // Binomial(4000, 0.5): sd ~32; 45%..55% is > 6 sd.
  EXPECT_GT(chose_a, kRounds * 45 / 100);
  EXPECT_LT(chose_a, kRounds * 55 / 100);
}

TEST(Select, ClosedRecvFiresWithNulloptAndClosedSendThrows) {
  grove::Channel<int> a, b;
  a.close();
  std::optional<int> got = 99;
  EXPECT_EQ(grove::select(grove::on_recv(b), grove::on_recv(a, got)), 1);
  EXPECT_EQ(got, std::nullopt);
  EXPECT_THROW(grove::select(grove::on_send(a, 1), grove::on_recv(b)), grove::ChannelClosed);
  grove::Queue<int> q;
  q.close();
  EXPECT_THROW(grove::select(grove::on_send(q, 1), grove::on_default()), grove::QueueClosed);
}

TEST(Select, CloseWakesAWaitingSelect) {
  grove::Channel<int> a, b;
  auto f = grove::spawn([&] {
    std::optional<int> got = 1;
    int which = grove::select(grove::on_recv(a), grove::on_recv(b, got));
    return which == 1 && !got;
  });
  grove::sleep(20ms);
  b.close();
  EXPECT_TRUE(f.get());
}

TEST(Select, QueuesAndChannelsMix) {
  grove::Queue<int> q;
  grove::PriorityQueue<int> pq;
  grove::Channel<int> ch;
  auto f = grove::spawn([&] {
    grove::sleep(10ms);
    pq.put(3);
  });
  std::optional<int> got;
  EXPECT_EQ(grove::select(grove::on_recv(q), grove::on_recv(ch), grove::on_recv(pq, got)), 2);
  EXPECT_EQ(got, 3);
  f.join();
  grove::Queue<int> bounded(1);
  EXPECT_EQ(grove::select(grove::on_send(bounded, 4), grove::on_recv(ch)), 0);
  EXPECT_EQ(bounded.get(), 4);
}

TEST(Select, SameChannelInTwoCases) {
  grove::Channel<int> ch;
  auto f = grove::spawn([&] {
    grove::sleep(10ms);
    ch.send(1);
  });
  int which = grove::select(grove::on_recv(ch), grove::on_recv(ch));
  EXPECT_TRUE(which == 0 || which == 1);
  f.join();
  EXPECT_FALSE(ch.try_send(2)) << "neither waiter may remain";
}

TEST(Select, KilledSelectLeavesNoWaiters) {
  grove::Channel<int> a, b;
  auto f = grove::spawn([&] { grove::select(grove::on_recv(a), grove::on_send(b, 1)); });
  grove::sleep(10ms);
  f.kill();
  EXPECT_TRUE(f.killed());
  EXPECT_FALSE(a.try_send(1));
  EXPECT_EQ(b.try_recv(), std::nullopt);
}

TEST(Select, FromAPlainThread) {
  grove::Channel<int> a, b;
  std::atomic<int> which{-1};
  std::optional<int> got;
  std::thread t([&] { which = grove::select(grove::on_recv(a), grove::on_recv(b, got)); });
  grove::sleep(20ms);
  b.send(8);  // waits (fiber-friendly) until the thread's select took it
  t.join();
  EXPECT_EQ(which.load(), 1);
  EXPECT_EQ(got, 8);
}
