// Semaphore, BoundedSemaphore, Lock, RLock, Condition.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::test::Clock;
using grove::test::elapsed_ms;

TEST(Semaphore, CountsAndBlocks) {
  grove::Semaphore s(2);
  s.acquire();
  EXPECT_TRUE(s.try_acquire());
  EXPECT_FALSE(s.try_acquire());
  EXPECT_TRUE(s.locked());
  const auto t0 = Clock::now();
  EXPECT_FALSE(s.acquire(20ms));
  EXPECT_GE(elapsed_ms(t0), 19.5);
  s.release();
  EXPECT_EQ(s.value(), 1u);
  s.release();
  s.release();  // unbounded
  EXPECT_EQ(s.value(), 3u);
}

TEST(Semaphore, FifoHandOff) {
  grove::Semaphore s(0);
  std::string order;
  std::vector<grove::Fiber<void>> fs;
  for (char c : {'a', 'b', 'c', 'd'}) {
    fs.push_back(grove::spawn([&, c] {
      s.acquire();
      order += c;  // one permit at a time: serialised
      s.release();
    }));
    while (fs.size() == 1 && false) {
    }
    grove::sleep(2ms);  // make sure each one queues before the next
  }
  s.release();
  grove::joinall(fs);
  EXPECT_EQ(order, "abcd");
}

TEST(Semaphore, TimedOutWaiterDoesNotStealAPermit) {
  grove::Semaphore s(0);
  auto quitter = grove::spawn([&] { return s.acquire(10ms); });
  grove::sleep(1ms);
  auto stayer = grove::spawn([&] { return s.acquire(5s); });
  EXPECT_FALSE(quitter.get());
  s.release();
  EXPECT_TRUE(stayer.get());
  EXPECT_EQ(s.value(), 0u);
}

TEST(BoundedSemaphore, OverReleaseThrows) {
  grove::BoundedSemaphore s(2);
  EXPECT_THROW(s.release(), grove::UsageError);
  s.acquire();
  s.release();
  EXPECT_THROW(s.release(), grove::UsageError);
  EXPECT_EQ(s.value(), 2u);
}

TEST(Lock, MutualExclusionAcrossFibersAndThreads) {
  grove::Lock lock;
  long counter = 0;
  std::atomic<int> inside{0};
  bool overlap = false;
  auto work = [&] {
    for (int i = 0; i < 2000; ++i) {
      std::lock_guard g(lock);
      if (++inside > 1) overlap = true;
      ++counter;
      if (i % 64 == 0) grove::yield();  // hold it across a switch sometimes
      --inside;
    }
  };
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 4; ++i) fs.push_back(grove::spawn(work));
  std::thread t1(work), t2(work);
  grove::joinall(fs);
  t1.join();
  t2.join();
  EXPECT_EQ(counter, 6 * 2000);
  EXPECT_FALSE(overlap);
  EXPECT_FALSE(lock.locked());
}

TEST(Lock, ErrorsAndTimeouts) {
  grove::Lock lock;
  EXPECT_THROW(lock.release(), grove::UsageError);
  lock.acquire();
  EXPECT_THROW(lock.acquire(), grove::UsageError);  // self-deadlock is reported
  EXPECT_FALSE(lock.try_acquire());
  auto f = grove::spawn([&] {
    const auto t0 = Clock::now();
    bool got = lock.acquire(20ms);
    return std::make_pair(got, elapsed_ms(t0));
  });
  auto [got, ms] = f.get();
  EXPECT_FALSE(got);
  EXPECT_GE(ms, 19.5);
  // Python's Lock may be released by another thread.
  std::thread t([&] { lock.release(); });
  t.join();
  EXPECT_FALSE(lock.locked());
  std::unique_lock ul(lock, std::defer_lock);
  EXPECT_TRUE(ul.try_lock_for(10ms));
}

TEST(Lock, FifoOrder) {
  grove::Lock lock;
  lock.acquire();
  std::string order;
  std::vector<grove::Fiber<void>> fs;
  for (char c : {'1', '2', '3'}) {
    fs.push_back(grove::spawn([&, c] {
      std::lock_guard g(lock);
      order += c;
    }));
    grove::sleep(2ms);
  }
  lock.release();
  grove::joinall(fs);
  EXPECT_EQ(order, "123");
}

TEST(RLock, RecursionAndOwnership) {
  grove::RLock r;
  r.acquire();
  r.acquire();
  EXPECT_TRUE(r.owned());
  auto other = grove::spawn([&] {
    EXPECT_THROW(r.release(), grove::UsageError);
    return r.try_acquire();
  });
  EXPECT_FALSE(other.get());
  r.release();
  EXPECT_TRUE(r.locked());
  std::thread t([&] {
    EXPECT_FALSE(r.owned());
    EXPECT_THROW(r.release(), grove::UsageError);
    EXPECT_TRUE(r.acquire(5s));  // waits for the last release below
    r.release();
  });
  grove::sleep(10ms);
  r.release();
  t.join();
  EXPECT_FALSE(r.locked());
  EXPECT_THROW(r.release(), grove::UsageError);
}

TEST(Condition, ProducerConsumerWithLock) {
  grove::Lock mu;
  grove::Condition cv(mu);
  std::vector<int> items;
  int consumed = 0;
  auto consumer = grove::spawn([&] {
    for (int n = 0; n < 100; ++n) {
      std::lock_guard g(mu);
      cv.wait([&] { return !items.empty(); });
      consumed += items.back();
      items.pop_back();
    }
  });
  std::thread producer([&] {
    for (int i = 1; i <= 100; ++i) {
      std::lock_guard g(mu);
      items.push_back(i);
      cv.notify();
    }
  });
  consumer.join();  // before the thread join: a blocked worker 0 could not run the consumer
  producer.join();
  EXPECT_EQ(consumed, 5050);
}

TEST(Condition, RLockDepthIsRestoredAndTimeoutsWork) {
  grove::RLock r;
  grove::Condition cv(r);
  r.acquire();
  r.acquire();
  const auto t0 = Clock::now();
  EXPECT_FALSE(cv.wait_for(20ms));
  EXPECT_GE(elapsed_ms(t0), 19.5);
  // While we wait, another fiber can take the lock (it was released completely).
  auto f = grove::spawn([&] {
    std::lock_guard g(r);
    cv.notify_all();
  });
  EXPECT_TRUE(cv.wait(5s));
  f.join();
  r.release();
  EXPECT_TRUE(r.owned());  // still one level deep
  r.release();
  EXPECT_FALSE(r.locked());
  EXPECT_THROW(cv.wait(), grove::UsageError);
  EXPECT_THROW(cv.notify(), grove::UsageError);
}

TEST(Condition, NotifyNWakesThatMany) {
  grove::Condition cv;  // its own RLock
  std::atomic<int> woke{0};
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 5; ++i) fs.push_back(grove::spawn([&] {
    std::lock_guard g(cv);
    if (cv.wait(2s)) ++woke;
  }));
  grove::sleep(10ms);
  {
    std::lock_guard g(cv);
    cv.notify(2);
  }
  grove::sleep(20ms);
  EXPECT_EQ(woke.load(), 2);
  {
    std::lock_guard g(cv);
    cv.notify_all();
  }
  grove::joinall(fs);
  EXPECT_EQ(woke.load(), 5);
}

TEST(Condition, InterruptedWaiterStillReacquires) {
  grove::Lock mu;
  grove::Condition cv(mu);
  auto f = grove::spawn([&] {
    std::lock_guard g(mu);
    grove::Timeout t(10ms);
    cv.wait();
  });
  EXPECT_THROW(f.get(), grove::Timeout);
  EXPECT_FALSE(mu.locked());  // lock_guard released what wait() reacquired
}

TEST(Stress, SemaphoreNeverExceedsItsPermitsAcrossWorkers) {
  grove::Semaphore s(3);
  std::atomic<int> inside{0}, peak{0};
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 50; ++i) fs.push_back(grove::spawn([&] {
    for (int k = 0; k < 50; ++k) {
      std::lock_guard g(s);
      int now = ++inside;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      if (k % 8 == 0) grove::yield();
      --inside;
    }
  }));
  grove::joinall(fs);
  EXPECT_LE(peak.load(), 3);
  EXPECT_EQ(s.value(), 3u);
}
