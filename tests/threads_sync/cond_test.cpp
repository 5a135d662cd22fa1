// pthread_cond_*, pthread_rwlock_*, pthread_barrier_*, pthread_once and sem_* as threads-as-fibers
// implements them (grove::threads, called directly), against POSIX's documented results.
#include <pthread.h>
#include <semaphore.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <vector>

#include <gtest/gtest.h>

#include "../core/TestUtil.hpp"
#include "AbsTime.hpp"
#include "grove/grove.hpp"
#include "threads/Sync.hpp"

using namespace std::chrono_literals;
namespace t = grove::threads;

namespace {

using grove::test::clock_in;

TEST(ThreadsCond, ProducerConsumerDeliversEverythingInOrder) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
  std::deque<int> queue;
  constexpr int kItems = 20000, kCapacity = 8;
  auto consumer = grove::spawn([&] {
    long sum = 0;
    int expected = 0;
    bool in_order = true;
    for (int i = 0; i < kItems; ++i) {
      t::pthread_mutex_lock(&m);
      while (queue.empty()) t::pthread_cond_wait(&not_empty, &m);
      const int v = queue.front();
      queue.pop_front();
      t::pthread_cond_signal(&not_full);
      t::pthread_mutex_unlock(&m);
      in_order &= v == expected++;
      sum += v;
    }
    return in_order ? sum : -1;
  });
  auto producer = grove::spawn([&] {
    for (int i = 0; i < kItems; ++i) {
      t::pthread_mutex_lock(&m);
      while (queue.size() >= kCapacity) t::pthread_cond_wait(&not_full, &m);
      queue.push_back(i);
      t::pthread_cond_signal(&not_empty);
      t::pthread_mutex_unlock(&m);
    }
  });
  producer.join();
  EXPECT_EQ(consumer.get(), long{kItems} * (kItems - 1) / 2);
}

TEST(ThreadsCond, BroadcastWakesEveryWaiter) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  bool go = false;
  std::atomic<int> waiting{0}, woken{0};
  std::vector<grove::Fiber<void>> fibers;
  for (int i = 0; i < 20; ++i) {
    fibers.push_back(grove::spawn([&] {
      t::pthread_mutex_lock(&m);
      ++waiting;
      while (!go) t::pthread_cond_wait(&c, &m);
      ++woken;
      t::pthread_mutex_unlock(&m);
    }));
  }
  while (waiting.load() < 20) grove::sleep(1ms);
  grove::sleep(10ms);
  EXPECT_EQ(woken.load(), 0);
  t::pthread_mutex_lock(&m);
  go = true;
  EXPECT_EQ(t::pthread_cond_broadcast(&c), 0);
  t::pthread_mutex_unlock(&m);
  for (auto& f : fibers) f.join();
  EXPECT_EQ(woken.load(), 20);
  EXPECT_EQ(t::pthread_cond_destroy(&c), 0);
}

// Signals with nothing changed look like spurious wake-ups to the waiters: the predicate loop
// must keep them waiting, and the real change must still get through.
TEST(ThreadsCond, PredicateLoopSurvivesSpuriousWakeups) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  int ready = 0;
  std::atomic<int> returns{0};
  std::vector<grove::Fiber<int>> fibers;
  for (int i = 0; i < 4; ++i) {
    fibers.push_back(grove::spawn([&] {
      t::pthread_mutex_lock(&m);
      while (!ready) {
        EXPECT_EQ(t::pthread_cond_wait(&c, &m), 0);
        ++returns;
      }
      const int seen = ready;
      t::pthread_mutex_unlock(&m);
      return seen;
    }));
  }
  for (int i = 0; i < 200; ++i) {
    if (i % 2) {
      t::pthread_cond_broadcast(&c);
    } else {
      t::pthread_cond_signal(&c);
    }
    grove::yield();
  }
  for (auto& f : fibers) EXPECT_FALSE(f.ready());
  t::pthread_mutex_lock(&m);
  ready = 7;
  t::pthread_cond_broadcast(&c);
  t::pthread_mutex_unlock(&m);
  for (auto& f : fibers) EXPECT_EQ(f.get(), 7);
  EXPECT_GT(returns.load(), 4);  // the empty signals did wake them
}

TEST(ThreadsCond, TimedWaitOnEitherClockTimesOutHoldingTheMutex) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  for (clockid_t clock : {CLOCK_REALTIME, CLOCK_MONOTONIC}) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, clock);
    pthread_cond_t c;
    ASSERT_EQ(t::pthread_cond_init(&c, &attr), 0);
    pthread_condattr_destroy(&attr);
    ASSERT_EQ(t::pthread_mutex_lock(&m), 0);
    timespec ts = clock_in(60ms, clock);
    const auto start = grove::test::Clock::now();
    EXPECT_EQ(t::pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
    const double ms = grove::test::elapsed_ms(start);
    EXPECT_GE(ms, 55);
    EXPECT_LT(ms, 5000);
    EXPECT_EQ(t::pthread_mutex_lock(&m), EDEADLK);  // still ours
    ts = clock_in(50ms, clock == CLOCK_REALTIME ? CLOCK_MONOTONIC : CLOCK_REALTIME);
    EXPECT_EQ(t::pthread_cond_clockwait(&c, &m, clock == CLOCK_REALTIME ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts), ETIMEDOUT);
    timespec bad{0, 1000000000};
    EXPECT_EQ(t::pthread_cond_timedwait(&c, &m, &bad), EINVAL);
    EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
    EXPECT_EQ(t::pthread_cond_destroy(&c), 0);
  }
}

TEST(ThreadsCond, TimedWaitWokenBeforeTheDeadline) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  bool flag = false;
  auto waiter = grove::spawn([&] {
    t::pthread_mutex_lock(&m);
    timespec ts = clock_in(10s);
    int rc = 0;
    while (!flag && rc == 0) rc = t::pthread_cond_timedwait(&c, &m, &ts);
    t::pthread_mutex_unlock(&m);
    return rc;
  });
  grove::sleep(20ms);
  t::pthread_mutex_lock(&m);
  flag = true;
  t::pthread_cond_signal(&c);
  t::pthread_mutex_unlock(&m);
  EXPECT_EQ(waiter.get(), 0);
}

TEST(ThreadsCond, WaitWithoutOwningAnErrorCheckingMutexIsEPERM) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  EXPECT_EQ(t::pthread_cond_wait(&c, &m), EPERM);
}

TEST(ThreadsCond, RecursiveMutexIsRetakenToTheSameDepth) {
  pthread_mutex_t m = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
  pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  t::pthread_mutex_lock(&m);
  t::pthread_mutex_lock(&m);
  timespec ts = clock_in(20ms);
  // Released fully while waiting: another fiber can take it.
  auto other = grove::spawn([&] {
    int rc = t::pthread_mutex_lock(&m);
    if (rc == 0) t::pthread_mutex_unlock(&m);
    return rc;
  });
  EXPECT_EQ(t::pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
  EXPECT_EQ(other.get(), 0);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), EPERM);
}

TEST(ThreadsRwLock, ReadersShareWritersExclude) {
  pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
  ASSERT_EQ(t::pthread_rwlock_rdlock(&l), 0);
  EXPECT_EQ(grove::spawn([&] {
              int rc = t::pthread_rwlock_rdlock(&l);  // a second reader gets in at once
              return rc ? rc : t::pthread_rwlock_unlock(&l);
            }).get(),
            0);
  EXPECT_EQ(grove::spawn([&] { return t::pthread_rwlock_trywrlock(&l); }).get(), EBUSY);
  EXPECT_EQ(grove::spawn([&] {
              timespec ts = clock_in(50ms);
              return t::pthread_rwlock_timedwrlock(&l, &ts);
            }).get(),
            ETIMEDOUT);
  EXPECT_EQ(t::pthread_rwlock_destroy(&l), EBUSY);
  EXPECT_EQ(t::pthread_rwlock_unlock(&l), 0);
  EXPECT_EQ(t::pthread_rwlock_unlock(&l), EPERM);  // not held

  ASSERT_EQ(t::pthread_rwlock_wrlock(&l), 0);
  EXPECT_EQ(t::pthread_rwlock_wrlock(&l), EDEADLK);
  EXPECT_EQ(t::pthread_rwlock_rdlock(&l), EDEADLK);
  EXPECT_EQ(grove::spawn([&] { return t::pthread_rwlock_tryrdlock(&l); }).get(), EBUSY);
  EXPECT_EQ(grove::spawn([&] { return t::pthread_rwlock_unlock(&l); }).get(), EPERM);
  EXPECT_EQ(grove::spawn([&] {
              timespec ts = clock_in(50ms, CLOCK_MONOTONIC);
              return t::pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, &ts);
            }).get(),
            ETIMEDOUT);
  auto reader = grove::spawn([&] {
    int rc = t::pthread_rwlock_rdlock(&l);  // waits for the writer
    return rc ? rc : t::pthread_rwlock_unlock(&l);
  });
  grove::sleep(20ms);
  EXPECT_FALSE(reader.ready());
  EXPECT_EQ(t::pthread_rwlock_unlock(&l), 0);
  EXPECT_EQ(reader.get(), 0);
  EXPECT_EQ(t::pthread_rwlock_destroy(&l), 0);
}

TEST(ThreadsRwLock, StressKeepsWritersExclusive) {
  pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
  std::atomic<int> readers{0}, writers{0}, violations{0};
  long value = 0;
  std::vector<grove::Fiber<void>> fibers;
  for (int i = 0; i < 12; ++i) {
    fibers.push_back(grove::spawn([&, i] {
      for (int r = 0; r < 800; ++r) {
        if ((r + i) % 4 == 0) {
          t::pthread_rwlock_wrlock(&l);
          if (writers.fetch_add(1) != 0 || readers.load() != 0) ++violations;
          long v = value;
          if (r % 16 == 0) grove::yield();
          value = v + 1;
          writers.fetch_sub(1);
        } else {
          t::pthread_rwlock_rdlock(&l);
          readers.fetch_add(1);
          if (writers.load() != 0) ++violations;
          if (r % 16 == 1) grove::yield();
          readers.fetch_sub(1);
        }
        t::pthread_rwlock_unlock(&l);
      }
    }));
  }
  for (auto& f : fibers) f.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_EQ(value, 12 * 800 / 4);
}

TEST(ThreadsBarrier, OneSerialThreadPerRound) {
  pthread_barrier_t b;
  EXPECT_EQ(t::pthread_barrier_init(&b, nullptr, 0), EINVAL);
  ASSERT_EQ(t::pthread_barrier_init(&b, nullptr, 5), 0);
  std::atomic<int> serial{0}, before{0}, errors{0};
  std::vector<grove::Fiber<void>> fibers;
  constexpr int kRounds = 50;
  for (int i = 0; i < 5; ++i) {
    fibers.push_back(grove::spawn([&] {
      for (int r = 0; r < kRounds; ++r) {
        before.fetch_add(1);
        int rc = t::pthread_barrier_wait(&b);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
          ++serial;
        } else if (rc != 0) {
          ++errors;
        }
        // Nobody passes round r before all five arrived at it.
        if (before.load() < (r + 1) * 5) ++errors;
      }
    }));
  }
  for (auto& f : fibers) f.join();
  EXPECT_EQ(serial.load(), kRounds);
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(t::pthread_barrier_destroy(&b), 0);
}

std::atomic<int> g_once_runs{0};
void once_init() {
  grove::sleep(20ms);  // the others must wait for it, not skip it
  ++g_once_runs;
}

TEST(ThreadsOnce, RunsOnceAndOthersWaitForIt) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  std::vector<grove::Fiber<int>> fibers;
  for (int i = 0; i < 8; ++i) {
    fibers.push_back(grove::spawn([] {
      int rc = t::pthread_once(&once, &once_init);
      return rc == 0 ? g_once_runs.load() : -1;
    }));
  }
  for (auto& f : fibers) EXPECT_EQ(f.get(), 1);
  EXPECT_EQ(t::pthread_once(&once, &once_init), 0);
  EXPECT_EQ(g_once_runs.load(), 1);
}

TEST(ThreadsSemaphore, ErrorsAndTimeouts) {
  sem_t s;
  errno = 0;
  EXPECT_EQ(t::sem_init(&s, 0, unsigned{SEM_VALUE_MAX} + 1), -1);
  EXPECT_EQ(errno, EINVAL);
  ASSERT_EQ(t::sem_init(&s, 0, 1), 0);
  EXPECT_EQ(t::sem_trywait(&s), 0);
  errno = 0;
  EXPECT_EQ(t::sem_trywait(&s), -1);
  EXPECT_EQ(errno, EAGAIN);
  timespec ts = clock_in(50ms);
  const auto start = grove::test::Clock::now();
  errno = 0;
  EXPECT_EQ(t::sem_timedwait(&s, &ts), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  EXPECT_GE(grove::test::elapsed_ms(start), 45);
  ts = clock_in(30ms, CLOCK_MONOTONIC);
  errno = 0;
  EXPECT_EQ(t::sem_clockwait(&s, CLOCK_MONOTONIC, &ts), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  timespec bad{0, -5};
  errno = 0;
  EXPECT_EQ(t::sem_timedwait(&s, &bad), -1);
  EXPECT_EQ(errno, EINVAL);
  int value = -1;
  EXPECT_EQ(t::sem_getvalue(&s, &value), 0);
  EXPECT_EQ(value, 0);
  EXPECT_EQ(t::sem_destroy(&s), 0);

  ASSERT_EQ(t::sem_init(&s, 0, SEM_VALUE_MAX), 0);
  errno = 0;
  EXPECT_EQ(t::sem_post(&s), -1);
  EXPECT_EQ(errno, EOVERFLOW);
}

TEST(ThreadsSemaphore, PostsWakeWaitersAndCountsMatch) {
  sem_t items, done;
  ASSERT_EQ(t::sem_init(&items, 0, 0), 0);
  ASSERT_EQ(t::sem_init(&done, 0, 0), 0);
  constexpr int kConsumers = 6, kEach = 500;
  std::vector<grove::Fiber<void>> fibers;
  for (int i = 0; i < kConsumers; ++i) {
    fibers.push_back(grove::spawn([&] {
      for (int k = 0; k < kEach; ++k) {
        t::sem_wait(&items);
        t::sem_post(&done);
      }
    }));
  }
  for (int k = 0; k < kConsumers * kEach; ++k) {
    t::sem_post(&items);
    if (k % 32 == 0) grove::yield();
  }
  for (int k = 0; k < kConsumers * kEach; ++k) ASSERT_EQ(t::sem_wait(&done), 0);
  for (auto& f : fibers) f.join();
  int value = -1;
  t::sem_getvalue(&items, &value);
  EXPECT_EQ(value, 0);
}

TEST(ThreadsYield, SchedYieldLetsOthersRun) {
  std::atomic<bool> ran{false};
  auto other = grove::spawn([&] { ran = true; });
  for (int i = 0; i < 1000 && !ran.load(); ++i) EXPECT_EQ(t::sched_yield(), 0);
  EXPECT_TRUE(ran.load());
  other.join();
}

}  // namespace
