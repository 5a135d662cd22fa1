// grove::Timeout and with_timeout: gevent's Timeout semantics.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::Clock;
using grove::test::elapsed_ms;

TEST(Timeout, FiresAtTheNextSuspensionAfterTheDelay) {
  const auto t0 = Clock::now();
  try {
    grove::Timeout t(20ms);
    grove::sleep(5s);
    FAIL() << "not interrupted";
  } catch (const grove::Timeout& e) {
    const double ms = elapsed_ms(t0);
    EXPECT_GE(ms, 19.5);
    EXPECT_LT(ms, 300.0);
  }
}

TEST(Timeout, IsTheSameObjectThatFired) {
  grove::Timeout mine(10ms);
  try {
    grove::Event().wait();
  } catch (const grove::Timeout& e) {
    EXPECT_TRUE(e == mine);
    EXPECT_FALSE(mine.pending());
    grove::Timeout other(1h);
    EXPECT_FALSE(e == other);
  }
}

TEST(Timeout, CancelledOnScopeExit) {
  {
    grove::Timeout t(10ms);
    grove::sleep(1ms);
  }
  grove::sleep(30ms);  // would throw if the timer were still armed
  {
    // Expired while running without suspending: leaving the scope drops it.
    grove::Timeout t(1ms);
    const auto t0 = Clock::now();
    while (elapsed_ms(t0) < 5) {
    }
  }
  grove::sleep(5ms);
  SUCCEED();
}

TEST(Timeout, CustomException) {
  EXPECT_THROW(
      {
        grove::Timeout t(5ms, std::runtime_error("too slow"));
        grove::sleep(1s);
      },
      std::runtime_error);
}

TEST(Timeout, NestedInnerFiresFirst) {
  grove::Timeout outer(200ms);
  try {
    grove::Timeout inner(10ms);
    grove::sleep(1s);
  } catch (const grove::Timeout& e) {
    EXPECT_FALSE(e == outer);
  }
  EXPECT_TRUE(outer.pending());
}

TEST(Timeout, NestedOuterFiresThroughInner) {
  grove::Timeout outer(10ms);
  try {
    grove::Timeout inner(1s);
    grove::sleep(2s);
    FAIL();
  } catch (const grove::Timeout& e) {
    EXPECT_TRUE(e == outer);
  }
}

TEST(Timeout, BothExpiredInnermostWinsThenOuterFollows) {
  const auto t0 = Clock::now();
  grove::Timeout outer(5ms);
  bool inner_caught = false;
  try {
    grove::Timeout inner(6ms);
    const auto spin = Clock::now();
    while (elapsed_ms(spin) < 30) {  // both expire while we never suspend
    }
    grove::sleep(1s);
  } catch (const grove::Timeout& e) {
    inner_caught = !(e == outer);
  }
  EXPECT_TRUE(inner_caught);
  try {
    grove::sleep(1s);
    FAIL() << "the expired outer timeout did not fire";
  } catch (const grove::Timeout& e) {
    EXPECT_TRUE(e == outer);
  }
  EXPECT_LT(elapsed_ms(t0), 500.0);
}

TEST(Timeout, SilentVariantCancelsTheBlock) {
  const auto t0 = Clock::now();
  bool after = false;
  EXPECT_FALSE(grove::Timeout::silent(15ms, [&] {
    grove::sleep(1s);
    after = true;
  }));
  EXPECT_FALSE(after);
  EXPECT_GE(elapsed_ms(t0), 14.5);
  EXPECT_TRUE(grove::Timeout::silent(1s, [] { grove::sleep(1ms); }));
  // An outer timeout is not swallowed by an inner silent one.
  grove::Timeout outer(5ms);
  EXPECT_THROW(grove::Timeout::silent(1s, [] { grove::sleep(1s); }), grove::Timeout);
}

TEST(Timeout, InterruptsLocksJoinsAndAsyncResults) {
  grove::Lock lock;
  lock.acquire();
  auto f = grove::spawn([&] {
    grove::Timeout t(10ms);
    lock.acquire();
  });
  EXPECT_THROW(f.get(), grove::Timeout);
  lock.release();
  EXPECT_FALSE(lock.locked());  // the timed-out waiter did not take it
  grove::AsyncResult<int> never;
  EXPECT_THROW(grove::with_timeout(10ms, [&] { return never.get(); }), grove::Timeout);
  auto sleeper = grove::spawn([] { grove::sleep(10s); });
  EXPECT_THROW(grove::with_timeout(10ms, [&] { sleeper.join(); }), grove::Timeout);
  sleeper.kill();
}

TEST(Timeout, WithTimeoutFallback) {
  EXPECT_EQ(grove::with_timeout(10ms, [] { grove::sleep(1s); return 1; }, -1), -1);
  EXPECT_EQ(grove::with_timeout(1s, [] { return 2; }, -1), 2);
  EXPECT_EQ(grove::with_timeout(1s, [] { return 3; }), 3);
  EXPECT_THROW(grove::Timeout(-1ms), std::invalid_argument);
}

TEST(Timeout, KillWinsOverAnExpiredTimeout) {
  grove::Event spinning;
  std::atomic<bool> kill_posted{false};
  auto f = grove::spawn([&] {
    grove::Timeout t(1ms);
    spinning.set();
    const auto spin = Clock::now();
    // The timeout expires and the kill arrives meanwhile (waited for, not timed: a loaded
    // machine may run the killer late).
    while (elapsed_ms(spin) < 30 || !kill_posted.load()) {
    }
    grove::sleep(1s);
  });
  std::thread killer([&] {
    spinning.wait();
    std::this_thread::sleep_for(5ms);
    f.kill(false);
    kill_posted = true;
  });
  f.join();
  killer.join();
  EXPECT_TRUE(f.killed());
  EXPECT_EQ(f.exception(), nullptr);
}

TEST(Timeout, OnPlainThreads) {
  std::atomic<int> outcome{0};
  double ms = 0;
  std::thread t([&] {
    const auto t0 = Clock::now();
    try {
      grove::Timeout to(20ms);
      grove::Event().wait();
      outcome = 1;
    } catch (const grove::Timeout&) {
      ms = elapsed_ms(t0);
      outcome = 2;
    }
    // Cancelled: later waits are unaffected.
    grove::Timeout later(1h);
    grove::sleep(30ms);
  });
  t.join();
  EXPECT_EQ(outcome.load(), 2);
  EXPECT_GE(ms, 19.5);
  EXPECT_LT(ms, 300.0);
  std::thread t2([&] { outcome = grove::Timeout::silent(10ms, [] { grove::sleep(1s); }) ? 3 : 4; });
  t2.join();
  EXPECT_EQ(outcome.load(), 4);
}

TEST(Timeout, ExactnessOverManyRuns) {
  // Timers are exact to about a millisecond: the worst overshoot of 20 runs stays small.
  double worst = 0;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = Clock::now();
    EXPECT_FALSE(grove::Timeout::silent(5ms, [] { grove::sleep(1s); }));
    worst = std::max(worst, elapsed_ms(t0) - 5.0);
    EXPECT_GE(elapsed_ms(t0), 4.9);
  }
  EXPECT_LT(worst, 100.0);
  RecordProperty("worst_overshoot_ms", std::to_string(worst));
}
