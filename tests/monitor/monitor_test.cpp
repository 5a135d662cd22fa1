// The monitor thread: the report of fibers that run too long without suspending, and hand-off
// of stuck workers to spare threads (tests run with GROVE_MAX_BLOCKING_MS=100).
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../core/TestUtil.hpp"
#include "grove/grove.hpp"
#include "sched/Runtime.hpp"

using namespace std::chrono_literals;

namespace {

void spin_for(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(Monitor, ReportsAFiberThatRunsTooLongOnce) {
  ASSERT_EQ(grove::current_config().max_blocking_ms, 100u);
  testing::internal::CaptureStderr();
  auto hog = grove::spawn(grove::SpawnOptions{.name = "hog"}, [] { spin_for(400ms); });
  auto polite = grove::spawn(grove::SpawnOptions{.name = "polite"}, [] {
    for (int i = 0; i < 40; ++i) {
      spin_for(5ms);
      grove::yield();
    }
  });
  hog.join();
  polite.join();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_of(err, "grove: fiber hog has run "), 1) << err;
  EXPECT_NE(err.find("ms without yielding (worker "), std::string::npos) << err;
  EXPECT_EQ(count_of(err, "fiber polite"), 0) << err;
}

TEST(Monitor, ReportedFiberMayFinishWhileTheMonitorLooks) {
  // Many short hogs right at the threshold: the monitor races their exit (no crash, no UAF under ASan).
  testing::internal::CaptureStderr();
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(grove::spawn([] { spin_for(std::chrono::milliseconds(100 + (std::rand() % 3))); }));
  for (auto& f : fs) f.join();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_LE(count_of(err, "without yielding"), 20) << err;
}

// Every worker blocks in a raw read() on a pipe (a call grove does not hook here); a fiber
// queued behind them must still run to completion, served by spare threads.
TEST(Monitor, StuckWorkersAreHandedOffToSpares) {
  const unsigned n = grove::worker_count();
  std::vector<int> fds(2 * n);
  for (unsigned i = 0; i < n; ++i) ASSERT_EQ(pipe(&fds[2 * i]), 0);
  std::atomic<unsigned> entered{0};
  std::atomic<bool> progressed_while_blocked{false};
  const auto handoffs_before = grove::detail::Runtime::get()->handoffs.load();
  std::vector<grove::Fiber<long>> blockers;
  for (unsigned i = 0; i < n; ++i) {
    blockers.push_back(grove::spawn([&, i] {
      char c = 0;
      ++entered;
      return static_cast<long>(read(fds[2 * i], &c, 1));
    }));
  }
  auto worker = grove::spawn([&] {
    while (entered.load() < n) grove::sleep(1ms);
    for (int i = 0; i < 20; ++i) grove::sleep(1ms);  // needs timers and the run queue
    progressed_while_blocked = entered.load() == n;
  });
  // A plain thread releases the blockers once the fiber finished, or after 5 s.
  std::thread releaser([&] {
    const auto start = grove::test::Clock::now();
    while (!progressed_while_blocked.load() && grove::test::elapsed_ms(start) < 5000) std::this_thread::sleep_for(1ms);
    for (unsigned i = 0; i < n; ++i) EXPECT_EQ(write(fds[2 * i + 1], "x", 1), 1);
  });
  worker.join();
  for (auto& b : blockers) EXPECT_EQ(b.get(), 1);
  releaser.join();
  EXPECT_TRUE(progressed_while_blocked.load());
  EXPECT_GT(grove::detail::Runtime::get()->handoffs.load(), handoffs_before);
  for (int fd : fds) close(fd);
}

// While a worker's thread is blocked in the kernel, the fibers pinned to it wait for that thread
// (they are bound to it) and then run there in order; its unpinned fibers run elsewhere meanwhile
// (on a spare at one worker, on the other worker at two).
TEST(Monitor, PinnedFibersOfABlockedWorkerWaitForItsThreadInOrder) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t main_tid = gettid();  // the main fiber is pinned to worker 0, the main thread
  const auto handoffs_before = grove::detail::Runtime::get()->handoffs.load();
  std::atomic<bool> blocked{false}, released{false};
  std::vector<int> order;
  std::atomic<int> off_thread{0};
  std::vector<grove::Fiber<void>> fs;
  fs.push_back(grove::spawn(grove::SpawnOptions{.pinned = true}, [&] {
    blocked = true;
    char c = 0;
    EXPECT_EQ(read(fds[0], &c, 1), 1);  // not hooked here: the worker's thread blocks
    released = true;
  }));
  for (int i = 0; i < 5; ++i) {
    fs.push_back(grove::spawn(grove::SpawnOptions{.pinned = true}, [&, i] {
      if (gettid() != main_tid) ++off_thread;
      order.push_back(i);
    }));
  }
  std::atomic<bool> ran_while_blocked{false};
  std::atomic<pid_t> unpinned_tid{0};
  fs.push_back(grove::spawn([&] {
    unpinned_tid = gettid();
    while (!blocked.load()) grove::yield();
    grove::sleep(20ms);  // its timer is served by the thread that took it
    ran_while_blocked = !released.load() && order.empty();
    EXPECT_EQ(write(fds[1], "x", 1), 1);
  }));
  for (auto& f : fs) ASSERT_TRUE(f.join(10s));
  EXPECT_TRUE(ran_while_blocked.load());
  EXPECT_NE(unpinned_tid.load(), main_tid);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(off_thread.load(), 0);
  if (grove::worker_count() == 1) {
    EXPECT_GT(grove::detail::Runtime::get()->handoffs.load(), handoffs_before);
  }
  close(fds[0]);
  close(fds[1]);
}

// Go's rule for CPU hogs: a worker slot changes threads only while its thread is blocked in the
// kernel; a fiber that computes keeps its worker (grove cannot preempt it). So one worker never
// runs two fibers at once however long one of them computes (gevent semantics), and with more
// workers the hog's queued fibers and timers are taken by the other workers, not by a spare.
TEST(Monitor, CpuHogKeepsItsWorkerAndNoMoreFibersRunThanWorkers) {
  const int workers = static_cast<int>(grove::worker_count());
  const auto handoffs_before = grove::detail::Runtime::get()->handoffs.load();
  std::atomic<int> running_now{0}, most_running{0};
  auto note_running = [&](int n) {
    int seen = most_running.load();
    while (n > seen && !most_running.compare_exchange_weak(seen, n)) {
    }
  };
  std::atomic<bool> hog_running{false}, hog_done{false};
  std::atomic<int> ticks_during_hog{0};
  auto hog = grove::spawn(grove::SpawnOptions{.name = "hog"}, [&] {
    note_running(++running_now);
    hog_running = true;
    const auto until = std::chrono::steady_clock::now() + 300ms;
    while (std::chrono::steady_clock::now() < until) note_running(running_now.load());  // sees anyone else running
    hog_done = true;
    --running_now;
  });
  std::vector<grove::Fiber<void>> others;
  for (int i = 0; i < 4; ++i) {
    others.push_back(grove::spawn([&, i] {
      for (int round = 0; round < 60; ++round) {
        note_running(++running_now);
        if (hog_running && !hog_done) ++ticks_during_hog;
        spin_for(std::chrono::milliseconds(0));
        --running_now;
        if ((i + round) % 2) {
          grove::sleep(1ms);
        } else {
          grove::yield();
        }
      }
    }));
  }
  hog.join();
  for (auto& f : others) f.join();
  EXPECT_LE(most_running.load(), workers);
  EXPECT_EQ(grove::detail::Runtime::get()->handoffs.load(), handoffs_before) << "a CPU hog was handed to a spare";
  if (workers == 1) {
    EXPECT_EQ(ticks_during_hog.load(), 0) << "fibers ran beside the hog on a one-worker runtime";
  } else {
    EXPECT_GT(ticks_during_hog.load(), 10) << "the other worker should have taken the hog's queued fibers";
  }
}

// Issue 6: a fiber blocked in the kernel on a lock (a raw futex) held by a fiber of the same
// worker that parked holding it cannot deadlock the process: the blocked worker is handed to a
// spare (or the other worker takes the holder), which runs the holder to its unlock.
TEST(Monitor, FiberBlockedInTheKernelOnALockHeldByAParkedFiberOfItsWorker) {
  std::atomic<std::uint32_t> word{0};
  std::atomic<bool> locked{false};
  auto holder = grove::spawn([&] {
    word.store(1);
    locked = true;
    grove::sleep(50ms);  // parks holding the lock; its timer is on the worker about to block
    word.store(0);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  });
  auto waiter = grove::spawn([&] {
    while (!locked.load()) grove::yield();
    while (word.load() != 0) syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, nullptr, nullptr, 0);
  });
  EXPECT_TRUE(waiter.join(10s));
  EXPECT_TRUE(holder.join(10s));
}

}  // namespace
