// Event, AsyncResult, WaitGroup: from fibers on any worker and from plain OS threads.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::Clock;
using grove::test::elapsed_ms;

TEST(Event, SetWakesAllWaiters) {
  grove::Event ev;
  std::atomic<int> woke{0};
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 10; ++i) fs.push_back(grove::spawn([&] { if (ev.wait()) ++woke; }));
  grove::sleep(5ms);
  EXPECT_EQ(woke.load(), 0);
  ev.set();
  grove::joinall(fs);
  EXPECT_EQ(woke.load(), 10);
  EXPECT_TRUE(ev.is_set());
  EXPECT_TRUE(ev.wait());  // already set: returns at once
  ev.clear();
  EXPECT_FALSE(ev.is_set());
}

TEST(Event, WaitTimesOut) {
  grove::Event ev;
  const auto t0 = Clock::now();
  EXPECT_FALSE(ev.wait(25ms));
  const double ms = elapsed_ms(t0);
  EXPECT_GE(ms, 24.5);
  EXPECT_LT(ms, 300.0);
  EXPECT_THROW(ev.wait(-1ms), std::invalid_argument);
}

TEST(Event, WokenWaiterReturnsTrueEvenIfClearedAgain) {
  grove::Event ev;
  auto f = grove::spawn([&] { return ev.wait(1s); });
  grove::sleep(5ms);
  ev.set();
  ev.clear();
  EXPECT_TRUE(f.get());
}

TEST(Event, PlainThreadsAndFibers) {
  grove::Event to_thread, to_fiber;
  std::atomic<bool> thread_saw{false};
  std::thread t([&] {
    thread_saw = to_thread.wait(5s);
    to_fiber.set();
  });
  auto f = grove::spawn([&] { return to_fiber.wait(5s); });
  to_thread.set();
  EXPECT_TRUE(f.get());
  t.join();
  EXPECT_TRUE(thread_saw);
  std::thread timed([&] {
    grove::Event never;
    const auto t0 = Clock::now();
    EXPECT_FALSE(never.wait(20ms));
    EXPECT_GE(elapsed_ms(t0), 19.5);
  });
  timed.join();
}

TEST(AsyncResult, ValueExceptionAndTimeout) {
  grove::AsyncResult<std::string> r;
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(r.value(), nullptr);
  auto f = grove::spawn([&] { return r.get(); });
  grove::sleep(2ms);
  r.set("hello");
  EXPECT_EQ(f.get(), "hello");
  EXPECT_TRUE(r.successful());
  EXPECT_EQ(*r.value(), "hello");
  EXPECT_THROW(r.set("again"), grove::UsageError);

  grove::AsyncResult<int> e;
  e.set_exception(std::make_exception_ptr(std::out_of_range("nope")));
  EXPECT_TRUE(e.ready());
  EXPECT_FALSE(e.successful());
  EXPECT_THROW(e.get(), std::out_of_range);

  grove::AsyncResult<int> never;
  const auto t0 = Clock::now();
  EXPECT_THROW(never.get(15ms), grove::Timeout);
  EXPECT_GE(elapsed_ms(t0), 14.5);
  EXPECT_FALSE(never.wait(5ms));
  EXPECT_THROW(never.set_exception(nullptr), std::invalid_argument);
}

TEST(AsyncResult, VoidAndMoveOnly) {
  grove::AsyncResult<> done;
  std::thread t([&] { done.set(); });
  EXPECT_TRUE(done.wait(5s));
  t.join();
  done.get();
  grove::AsyncResult<std::unique_ptr<int>> p;
  p.set(std::make_unique<int>(4));
  EXPECT_EQ(*p.get(), 4);
}

TEST(AsyncResult, SetFromThreadGetFromManyFibers) {
  grove::AsyncResult<int> r;
  std::vector<grove::Fiber<int>> fs;
  for (int i = 0; i < 16; ++i) fs.push_back(grove::spawn([&] { return r.get(); }));
  std::thread t([&] { r.set(77); });
  for (auto& f : fs) EXPECT_EQ(f.get(), 77);
  t.join();
}

TEST(WaitGroup, WaitsForEveryDone) {
  grove::WaitGroup wg;
  EXPECT_TRUE(wg.wait(0ms));  // zero: at once
  std::atomic<int> finished{0};
  wg.add(8);
  for (int i = 0; i < 4; ++i) grove::spawn([&, i] {
    grove::sleep(std::chrono::milliseconds(i));
    ++finished;
    wg.done();
  });
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i) ts.emplace_back([&] {
    ++finished;
    wg.done();
  });
  EXPECT_TRUE(wg.wait(5s));
  EXPECT_EQ(finished.load(), 8);
  for (auto& t : ts) t.join();
  EXPECT_THROW(wg.done(), grove::UsageError);
  EXPECT_EQ(wg.count(), 0);
  wg.add(1);
  const auto t0 = Clock::now();
  EXPECT_FALSE(wg.wait(20ms));
  EXPECT_GE(elapsed_ms(t0), 19.5);
  wg.done();
}
