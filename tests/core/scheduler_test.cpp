#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cfenv>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "TestUtil.hpp"
#include "fiber/FiberControl.hpp"
#include "sched/Park.hpp"
#include "sync/WaitQueue.hpp"

using namespace std::chrono_literals;
using grove::detail::WaitQueue;
using grove::detail::WakeReason;

namespace {

// A minimal auto-reset event on the internal wait queue (the public primitives come later).
class Signal {
 public:
  void set() {
    WaitQueue::Lock lock(q_.mutex());
    if (!q_.notify_one()) ++pending_;
  }
  void wait() {
    WaitQueue::Lock lock(q_.mutex());
    if (pending_ > 0) {
      --pending_;
      return;
    }
    // A set() that finds us queued hands itself over instead of counting.
    ASSERT_EQ(q_.wait(lock, grove::detail::kNoDeadline), WakeReason::notified);
  }

 private:
  WaitQueue q_;
  int pending_ = 0;
};

// errno accessed in frames of their own. GCC declares __errno_location() const and may reuse a
// thread's errno address across a call that migrated the fiber; that compiler hazard is
// documented (pin such fibers, or run under threads-as-fibers mode), and tested separately below.
__attribute__((noinline)) int read_errno() {
  asm volatile("" ::: "memory");
  return errno;
}
__attribute__((noinline)) void write_errno(int v) {
  asm volatile("" ::: "memory");
  errno = v;
}

}  // namespace

TEST(Scheduler, WorkerCountFollowsEnvironment) {
  const char* env = getenv("GROVE_WORKERS");
  ASSERT_NE(env, nullptr);
  EXPECT_EQ(grove::worker_count(), static_cast<unsigned>(atoi(env)));
}

TEST(Scheduler, MainThreadIsAdoptedAsAFiber) {
  EXPECT_TRUE(grove::in_fiber());
  EXPECT_EQ(grove::current_worker_index(), 0);
  EXPECT_NE(grove::current_fiber_id(), 0u);
}

TEST(Scheduler, YieldRunsEveryOtherRunnableFiberOnce) {
  if (grove::worker_count() != 1) GTEST_SKIP() << "ordering is only deterministic on one worker";
  std::vector<int> order;
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 3; ++i) {
    fs.push_back(grove::spawn([&order, i] {
      order.push_back(i);
      grove::yield();
      order.push_back(10 + i);
    }));
  }
  grove::yield();  // runs 0,1,2 up to their yield
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  for (auto& f : fs) f.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 10, 11, 12}));
}

TEST(Scheduler, SpawnedFibersRunInSpawnOrder) {
  if (grove::worker_count() != 1) GTEST_SKIP() << "ordering is only deterministic on one worker";
  std::vector<int> order;
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 100; ++i) fs.push_back(grove::spawn([&order, i] { order.push_back(i); }));
  for (auto& f : fs) f.join();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(Scheduler, SleepIsAccurateToAboutAMillisecond) {
  std::vector<grove::Fiber<double>> fs;
  for (int i = 1; i <= 20; ++i) {
    fs.push_back(grove::spawn([i] {
      auto t0 = grove::test::Clock::now();
      grove::sleep(std::chrono::milliseconds(i));
      return grove::test::elapsed_ms(t0) - i;
    }));
  }
  for (auto& f : fs) {
    double late = f.get();
    EXPECT_GE(late, -0.01);
    EXPECT_LT(late, 15.0);  // generous for sanitizer builds; typical lateness is < 0.2 ms
  }
}

TEST(Scheduler, SleepUntilPastDeadlineReturnsAtOnce) {
  auto t0 = grove::test::Clock::now();
  grove::sleep_until(grove::detail::Clock::now() - 1s);
  grove::sleep(0ms);
  EXPECT_LT(grove::test::elapsed_ms(t0), 50.0);
}

TEST(Scheduler, ManySleepersOverlap) {
  auto t0 = grove::test::Clock::now();
  std::vector<grove::Fiber<void>> fs;
  for (long i = 0; i < grove::test::scaled(10000); ++i) fs.push_back(grove::spawn([] { grove::sleep(50ms); }));
  for (auto& f : fs) f.join();
  EXPECT_LT(grove::test::elapsed_ms(t0), 2000.0);  // 10000 sequential sleeps would take 500 s
}

// Two fibers waking each other (notify_one: the woken one runs next) form a chain that runs
// depth-first, but not forever: after a time slice (10 ms) of such hand-offs the queued fibers
// get their turn. The chain runs until the queued fiber has run, or for at most 5 s (500 slices):
// a fixed hand-off count would say nothing on a machine fast enough to fit it in one slice.
TEST(Scheduler, WakeChainsDoNotStarveQueuedFibers) {
  const grove::SpawnOptions kPinned{.pinned = true};  // all on this worker, at any worker count
  Signal to_a, to_b;
  std::atomic<bool> other_ran{false}, stop{false};
  std::atomic<long> rounds{0};
  const auto give_up = grove::test::Clock::now() + std::chrono::seconds(5);
  auto a = grove::spawn(kPinned, [&] {
    while (!other_ran.load() && grove::test::Clock::now() < give_up) {
      to_b.set();
      to_a.wait();
      rounds.fetch_add(1, std::memory_order_relaxed);
    }
    stop = true;
    to_b.set();
  });
  auto b = grove::spawn(kPinned, [&] {
    for (;;) {
      to_b.wait();
      if (stop.load()) return;
      to_a.set();
    }
  });
  auto other = grove::spawn(kPinned, [&] { other_ran = true; });
  a.join();
  b.join();
  other.join();
  EXPECT_GT(rounds.load(), 0);
  EXPECT_TRUE(other_ran.load());
  EXPECT_LT(grove::test::Clock::now(), give_up) << "the queued fiber waited for the whole chain (5 s)";
}

TEST(Scheduler, ErrnoSurvivesSuspensionAndMigration) {
  constexpr int kFibers = 200;  // enough that some migrate; cheap even under TSan
  std::atomic<int> migrated{0}, bad{0};
  std::vector<grove::Fiber<void>> fs;
  // A fiber woken by a plain thread (the pool's, below) is queued for whichever worker takes it
  // first, so fibers migrate even while both workers stay busy with their own (which alone would
  // never make them steal). Past 20 rounds, keep going until some fiber has moved, for at most 10 s.
  grove::ThreadPool pool(2);
  const auto give_up = grove::test::Clock::now() + std::chrono::seconds(10);
  const bool want_migration = grove::worker_count() > 1;
  for (int i = 0; i < kFibers; ++i) {
    fs.push_back(grove::spawn([&, i] {
      for (int round = 0; round < 20 || (want_migration && migrated == 0 && grove::test::Clock::now() < give_up);
           ++round) {
        const int before_worker = grove::current_worker_index();
        write_errno(1000 + i * 100 + round % 100);
        if (round % 3 == 0) {
          grove::yield();
        } else if (round % 3 == 1) {
          grove::sleep(std::chrono::microseconds(100 * (i % 7)));
        } else {
          pool.apply([] {});
        }
        if (read_errno() != 1000 + i * 100 + round % 100) bad++;
        if (grove::current_worker_index() != before_worker) migrated++;
      }
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(bad, 0);
  if (grove::worker_count() > 1) {
    EXPECT_GT(migrated, 0) << "no fiber ever moved between workers";
  }
}

// The FP environment's control bits are callee-saved (SysV ABI): each fiber keeps its own rounding
// mode (x87 control word and SSE MXCSR) across switches and migration, and never leaks it to others.
TEST(Scheduler, RoundingModeIsPerFiber) {
  ASSERT_EQ(fegetround(), FE_TONEAREST);
  // SSE divisions whose results tell the four modes apart: {1/3 rounded up, 1/10 rounded down, -1/3 rounded down}.
  struct Signature {
    bool up_third, low_tenth, low_minus_third;
    bool operator==(const Signature&) const = default;
  };
  auto divide = [](double a, double b) { volatile double x = a, y = b; return x / y; };
  const double third = divide(1, 3), tenth = divide(1, 10);
  auto observe = [&] {
    return Signature{divide(1, 3) > third, divide(1, 10) < tenth, divide(-1, 3) < -third};
  };
  struct Mode {
    int mode;
    Signature expected;
  };
  const Mode modes[] = {{FE_TONEAREST, {false, false, false}},
                        {FE_UPWARD, {true, false, false}},
                        {FE_DOWNWARD, {false, true, true}},
                        {FE_TOWARDZERO, {false, true, false}}};
  std::atomic<int> bad{0};
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 40; ++i) {
    fs.push_back(grove::spawn([&, m = modes[i % 4]] {
      ASSERT_EQ(fesetround(m.mode), 0);
      for (int round = 0; round < 50; ++round) {
        if (round % 5 == 0) grove::sleep(std::chrono::microseconds(50)); else grove::yield();
        if (fegetround() != m.mode || !(observe() == m.expected)) bad++;  // x87 word and MXCSR
      }
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(fegetround(), FE_TONEAREST);
  EXPECT_TRUE(observe() == (Signature{false, false, false}));
}

TEST(Scheduler, PinnedFibersKeepErrnoEvenWhenTheCompilerCachesItsAddress) {
  std::atomic<int> bad{0};
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 100; ++i) {
    fs.push_back(grove::spawn(grove::SpawnOptions{.pinned = true}, [&, i] {
      for (int round = 0; round < 20; ++round) {
        errno = 7 + i + round;  // the address may be computed once for the whole loop
        if (round % 2) {
          grove::sleep(std::chrono::microseconds(50 * (i % 5)));
        } else {
          grove::yield();
        }
        if (errno != 7 + i + round) bad++;
      }
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(bad, 0);
}

TEST(Scheduler, PinnedFibersNeverMigrate) {
  std::atomic<int> moved{0};
  auto outer = grove::spawn([&] {
    std::vector<grove::Fiber<void>> fs;
    for (int i = 0; i < 50; ++i) {
      fs.push_back(grove::spawn(grove::SpawnOptions{.pinned = true}, [&] {
        const int home = grove::current_worker_index();
        for (int r = 0; r < 50; ++r) {
          if (r % 3) {
            grove::yield();
          } else {
            grove::sleep(100us);
          }
          if (grove::current_worker_index() != home) moved++;
        }
      }));
    }
    for (auto& f : fs) f.join();
  });
  outer.join();
  EXPECT_EQ(moved, 0);
  // The adopted main fiber is pinned to worker 0 too.
  for (int i = 0; i < 20; ++i) {
    grove::sleep(100us);
    EXPECT_EQ(grove::current_worker_index(), 0);
  }
}

TEST(Scheduler, HundredThousandFibersPingPongThroughSignals) {
  const int kPairs = static_cast<int>(grove::test::scaled(50000));  // 100k fibers
  constexpr int kRounds = 4;
  std::vector<Signal> ping(kPairs), pong(kPairs);
  std::atomic<long> total{0};
  std::vector<grove::Fiber<void>> fs;
  fs.reserve(2 * kPairs);
  for (int i = 0; i < kPairs; ++i) {
    fs.push_back(grove::spawn(grove::SpawnOptions{.stack_size = 16 * 1024}, [&, i] {
      for (int r = 0; r < kRounds; ++r) {
        ping[i].set();
        pong[i].wait();
      }
    }));
    fs.push_back(grove::spawn(grove::SpawnOptions{.stack_size = 16 * 1024}, [&, i] {
      for (int r = 0; r < kRounds; ++r) {
        ping[i].wait();
        total++;
        pong[i].set();
      }
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(total.load(), long{kPairs} * kRounds);
}

TEST(Scheduler, MillionCrossWorkerWakeupsNoneLost) {
  // Two fibers bounce a token through signals; with 2 workers they land on different workers,
  // and OS threads join in too. A single lost wake-up hangs the test (ctest's timeout fails it).
  const int kFiberRounds = static_cast<int>(grove::test::scaled(400000));
  Signal a, b;
  auto f1 = grove::spawn([&] {
    for (int i = 0; i < kFiberRounds; ++i) {
      a.set();
      b.wait();
    }
  });
  auto f2 = grove::spawn([&] {
    for (int i = 0; i < kFiberRounds; ++i) {
      a.wait();
      b.set();
    }
  });
  // Foreign threads waking fibers and fibers waking threads.
  const int kThreadRounds = static_cast<int>(grove::test::scaled(100000));
  Signal c, d;
  auto f3 = grove::spawn([&] {
    for (int i = 0; i < kThreadRounds; ++i) {
      c.wait();
      d.set();
    }
  });
  std::thread t([&] {
    for (int i = 0; i < kThreadRounds; ++i) {
      c.set();
      d.wait();
    }
  });
  f1.join();
  f2.join();
  f3.join();
  t.join();
  SUCCEED() << (2 * kFiberRounds + 2 * kThreadRounds) << " wake-ups delivered";
}

TEST(Scheduler, WorkSpreadsAcrossWorkers) {
  if (grove::worker_count() < 2) GTEST_SKIP() << "needs 2 workers";
  std::mutex mu;
  std::set<int> used;
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 64; ++i) {
    fs.push_back(grove::spawn([&] {
      auto until = grove::test::Clock::now() + 2ms;
      while (grove::test::Clock::now() < until) {
      }
      std::lock_guard lock(mu);
      used.insert(grove::current_worker_index());
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(used.size(), 2u);
}

TEST(Scheduler, IdleProcessUsesNoCpu) {
  grove::sleep(50ms);  // let spinning settle
  double before = grove::test::cpu_seconds();
  grove::sleep(300ms);
  double used = grove::test::cpu_seconds() - before;
  EXPECT_LT(used, 0.03) << "idle runtime burned " << used << " s of CPU in 300 ms";
}

TEST(Scheduler, SleepersWakeWhileAnotherFiberHogsAWorker) {
  if (grove::worker_count() < 2) GTEST_SKIP() << "a computing fiber owns the only worker";
  // Run from a plain thread so the pinned main fiber's worker does not matter: whichever worker
  // the hog lands on, the sleeper must wake on time (its timer fired by the idle worker if need be).
  std::atomic<bool> stop{false}, finished{false};
  double late_ms = -1;
  std::thread t([&] {
    auto hog = grove::spawn([&] {
      while (!stop) {
      }
    });
    std::vector<grove::Fiber<double>> sleepers;
    for (int i = 0; i < 4; ++i) {
      sleepers.push_back(grove::spawn([] {
        auto t0 = grove::test::Clock::now();
        grove::sleep(20ms);
        return grove::test::elapsed_ms(t0) - 20;
      }));
    }
    for (auto& s : sleepers) late_ms = std::max(late_ms, s.get(5s));
    stop = true;
    hog.join();
    finished = true;
  });
  while (!finished) grove::sleep(1ms);
  t.join();
  EXPECT_GE(late_ms, 0.0);
  EXPECT_LT(late_ms, 100.0);
}
