// pthread_mutex_* as threads-as-fibers implements them (grove::threads, called directly): POSIX
// return codes of each kind, static initializers, timed locks, mutual exclusion under migration.
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <thread>
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

// Runs fn in another fiber and returns its result.
template <class Fn>
int in_other_fiber(Fn fn) {
  return grove::spawn(fn).get();
}

TEST(ThreadsMutex, ErrorCheckingReportsDeadlockAndForeignUnlock) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  EXPECT_EQ(t::pthread_mutex_unlock(&m), EPERM);  // not locked
  ASSERT_EQ(t::pthread_mutex_lock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_lock(&m), EDEADLK);
  EXPECT_EQ(t::pthread_mutex_trylock(&m), EBUSY);
  EXPECT_EQ(in_other_fiber([&] { return t::pthread_mutex_unlock(&m); }), EPERM);
  EXPECT_EQ(in_other_fiber([&] { return t::pthread_mutex_trylock(&m); }), EBUSY);
  EXPECT_EQ(t::pthread_mutex_destroy(&m), EBUSY);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), EPERM);
  EXPECT_EQ(t::pthread_mutex_destroy(&m), 0);
}

TEST(ThreadsMutex, ErrorCheckingFromAttribute) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_t m;
  ASSERT_EQ(t::pthread_mutex_init(&m, &attr), 0);
  pthread_mutexattr_destroy(&attr);
  ASSERT_EQ(t::pthread_mutex_lock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_lock(&m), EDEADLK);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
}

TEST(ThreadsMutex, RecursiveCountsLocks) {
  pthread_mutex_t m = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
  ASSERT_EQ(t::pthread_mutex_lock(&m), 0);
  ASSERT_EQ(t::pthread_mutex_lock(&m), 0);
  ASSERT_EQ(t::pthread_mutex_trylock(&m), 0);
  EXPECT_EQ(in_other_fiber([&] { return t::pthread_mutex_trylock(&m); }), EBUSY);
  EXPECT_EQ(in_other_fiber([&] { return t::pthread_mutex_unlock(&m); }), EPERM);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(in_other_fiber([&] { return t::pthread_mutex_trylock(&m); }), EBUSY);  // one left
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), EPERM);
  EXPECT_EQ(in_other_fiber([&] {
              int rc = t::pthread_mutex_trylock(&m);
              return rc ? rc : t::pthread_mutex_unlock(&m);
            }),
            0);
}

TEST(ThreadsMutex, NormalTrylockAndDestroy) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  ASSERT_EQ(t::pthread_mutex_trylock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_trylock(&m), EBUSY);
  EXPECT_EQ(t::pthread_mutex_destroy(&m), EBUSY);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(t::pthread_mutex_destroy(&m), 0);
}

TEST(ThreadsMutex, TimedLockTimesOutWhileHeldElsewhere) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  ASSERT_EQ(t::pthread_mutex_lock(&m), 0);
  for (clockid_t clock : {CLOCK_REALTIME, CLOCK_MONOTONIC}) {
    const auto start = grove::test::Clock::now();
    const int rc = in_other_fiber([&] {
      timespec ts = clock_in(60ms, clock);
      return clock == CLOCK_REALTIME ? t::pthread_mutex_timedlock(&m, &ts) : t::pthread_mutex_clocklock(&m, clock, &ts);
    });
    const double ms = grove::test::elapsed_ms(start);
    EXPECT_EQ(rc, ETIMEDOUT);
    EXPECT_GE(ms, 55);
    EXPECT_LT(ms, 5000);
  }
  EXPECT_EQ(in_other_fiber([&] {
              timespec past = clock_in(-10ms);
              return t::pthread_mutex_timedlock(&m, &past);
            }),
            ETIMEDOUT);
  EXPECT_EQ(in_other_fiber([&] {
              timespec bad{0, 1000000000};
              return t::pthread_mutex_timedlock(&m, &bad);
            }),
            EINVAL);
  EXPECT_EQ(in_other_fiber([&] {
              timespec ts = clock_in(10ms);
              return t::pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &ts);
            }),
            EINVAL);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  timespec bad{0, -1};  // a free mutex is taken without looking at the timeout (as glibc)
  EXPECT_EQ(t::pthread_mutex_timedlock(&m, &bad), 0);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
}

TEST(ThreadsMutex, TimedLockSucceedsWhenReleasedInTime) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  ASSERT_EQ(t::pthread_mutex_lock(&m), 0);
  auto waiter = grove::spawn([&] {
    timespec ts = clock_in(10s);
    int rc = t::pthread_mutex_timedlock(&m, &ts);
    if (rc == 0) t::pthread_mutex_unlock(&m);
    return rc;
  });
  grove::sleep(20ms);
  EXPECT_EQ(t::pthread_mutex_unlock(&m), 0);
  EXPECT_EQ(waiter.get(), 0);
}

// Fibers (free to migrate at 2 workers) and a plain OS thread contend; the critical section
// yields, so a holder is suspended while others queue up.
TEST(ThreadsMutex, MutualExclusionUnderStress) {
  for (int type : {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_ERRORCHECK}) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, type);
    pthread_mutex_t m;
    ASSERT_EQ(t::pthread_mutex_init(&m, &attr), 0);
    constexpr int kFibers = 16, kRounds = 1500;
    long counter = 0;
    std::atomic<int> inside{0}, overlaps{0}, errors{0}, migrations{0};
    auto body = [&] {
      int last_worker = grove::current_worker_index();
      for (int i = 0; i < kRounds; ++i) {
        if (t::pthread_mutex_lock(&m) != 0) ++errors;
        if (inside.fetch_add(1) != 0) ++overlaps;
        long v = counter;
        if (i % 64 == 0) grove::yield();
        counter = v + 1;
        inside.fetch_sub(1);
        if (t::pthread_mutex_unlock(&m) != 0) ++errors;
        if (grove::current_worker_index() != last_worker) {
          ++migrations;
          last_worker = grove::current_worker_index();
        }
      }
    };
    std::vector<grove::Fiber<void>> fibers;
    for (int i = 0; i < kFibers; ++i) fibers.push_back(grove::spawn(body));
    std::thread os_thread([&] {
      for (int i = 0; i < kRounds; ++i) {
        if (t::pthread_mutex_lock(&m) != 0) ++errors;
        if (inside.fetch_add(1) != 0) ++overlaps;
        ++counter;
        inside.fetch_sub(1);
        if (t::pthread_mutex_unlock(&m) != 0) ++errors;
      }
    });
    for (auto& f : fibers) f.join();
    os_thread.join();
    EXPECT_EQ(counter, long{kFibers + 1} * kRounds) << "type " << type;
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(t::pthread_mutex_destroy(&m), 0);
    if (grove::worker_count() > 1) RecordProperty("migrations", migrations.load());
  }
}

}  // namespace
