// Pinned fibers (the adopted main fiber, SpawnOptions::pinned, fibers bound by hooked calls) are
// never stolen: they start and wake in FIFO order on their worker at any worker count, while the
// other fibers around them are stolen freely.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "TestUtil.hpp"

using namespace std::chrono_literals;

namespace {

void spin_for(std::chrono::microseconds d) {
  const auto until = grove::test::Clock::now() + d;
  while (grove::test::Clock::now() < until) {
  }
}

std::vector<int> iota_vector(int n) {
  std::vector<int> v(n);
  for (int i = 0; i < n; ++i) v[i] = i;
  return v;
}

constexpr grove::SpawnOptions kPinned{.pinned = true};

TEST(Pinned, SpawnedPinnedFibersStartInSpawnOrderOnTheirWorker) {
  std::vector<int> order;  // pinned fibers of one worker never run in parallel: no lock needed
  std::atomic<int> elsewhere{0};
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < 200; ++i) {
    fs.push_back(grove::spawn(kPinned, [&, i] {
      if (grove::current_worker_index() != 0) ++elsewhere;
      order.push_back(i);
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(order, iota_vector(200));
  EXPECT_EQ(elsewhere.load(), 0);
}

// gevent: sleep(0) lets every other runnable greenlet run once, in order.
TEST(Pinned, YieldRunsEveryOtherPinnedFiberOnceInOrder) {
  constexpr int kFibers = 6, kRounds = 5;
  std::vector<int> order;
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < kFibers; ++i) {
    fs.push_back(grove::spawn(kPinned, [&, i] {
      for (int r = 0; r < kRounds; ++r) {
        order.push_back(r * 100 + i);
        grove::yield();
      }
    }));
  }
  grove::yield();  // the main fiber is pinned too: it runs again after each of them ran once
  EXPECT_EQ(order, iota_vector(kFibers));
  for (auto& f : fs) f.join();
  std::vector<int> expected;
  for (int r = 0; r < kRounds; ++r) {
    for (int i = 0; i < kFibers; ++i) expected.push_back(r * 100 + i);
  }
  EXPECT_EQ(order, expected);
}

// While a busy worker's unpinned fibers are being stolen, its pinned ones keep their order
// (a stolen pinned fiber used to be forwarded home behind later ones).
TEST(Pinned, PinnedFibersKeepSpawnOrderWhileOthersAreStolen) {
  constexpr int kEach = 300;
  std::vector<int> order;
  std::atomic<int> unpinned_ran{0};
  std::vector<grove::Fiber<void>> fs;
  for (int i = 0; i < kEach; ++i) {
    fs.push_back(grove::spawn([&] {
      spin_for(20us);  // long enough that an idle worker comes to steal
      ++unpinned_ran;
    }));
    fs.push_back(grove::spawn(kPinned, [&, i] {
      order.push_back(i);
      grove::yield();
      order.push_back(kEach + i);
    }));
  }
  for (auto& f : fs) f.join();
  EXPECT_EQ(unpinned_ran.load(), kEach);
  EXPECT_EQ(order, iota_vector(2 * kEach));
}

TEST(Pinned, PinnedWaitersWakeInTheOrderTheyWaited) {
  constexpr int kWaiters = 50;
  for (const bool from_thread : {false, true}) {
    grove::Event go;
    std::atomic<int> waiting{0};
    std::vector<int> order;
    std::vector<grove::Fiber<void>> fs;
    for (int i = 0; i < kWaiters; ++i) {
      fs.push_back(grove::spawn(kPinned, [&, i] {
        ++waiting;
        go.wait();
        order.push_back(i);
      }));
    }
    while (waiting.load() < kWaiters) grove::yield();
    if (from_thread) {
      std::thread([&] { go.set(); }).join();  // woken from a foreign thread: through the inbox
    } else {
      // From an unpinned fiber, on whichever worker it lands.
      grove::spawn([&] { go.set(); }).join();
    }
    for (auto& f : fs) f.join();
    EXPECT_EQ(order, iota_vector(kWaiters)) << (from_thread ? "woken by a thread" : "woken by a fiber");
  }
}

// Pinned and unpinned fibers spawned on every worker, waking each other across workers while
// idle workers steal: every fiber runs each of its steps exactly once, none is lost, and no
// pinned fiber ever leaves its worker.
TEST(Pinned, NothingLostOrDuplicatedUnderStealing) {
  const int kSpawners = 4;
  const int kPerSpawner = static_cast<int>(grove::test::scaled(400));
  constexpr int kSteps = 20;
  const int total = kSpawners * kPerSpawner;
  std::vector<std::atomic<int>> steps(total);
  std::vector<std::atomic<int>> inside(total);  // >1: the same fiber runs twice at once
  std::atomic<int> moved{0}, doubled{0}, finished{0};
  std::vector<grove::Event> events(total);
  auto body = [&](int id, bool pinned) {
    const int home = grove::current_worker_index();
    for (int s = 0; s < kSteps; ++s) {
      if (inside[id].fetch_add(1) != 0) ++doubled;
      steps[id].fetch_add(1);
      if (pinned && grove::current_worker_index() != home) ++moved;
      inside[id].fetch_sub(1);
      switch ((id + s) % 4) {
        case 0: grove::yield(); break;
        case 1: grove::sleep(std::chrono::microseconds(20 * (id % 3))); break;
        case 2: events[(id + 1) % total].set(); break;  // wakes a neighbour, maybe on another worker
        default: events[id].wait(1ms); events[id].clear(); break;
      }
    }
    ++finished;
  };
  std::vector<grove::Fiber<void>> spawners;
  for (int sp = 0; sp < kSpawners; ++sp) {
    spawners.push_back(grove::spawn([&, sp] {
      std::vector<grove::Fiber<void>> fs;
      for (int k = 0; k < kPerSpawner; ++k) {
        const int id = sp * kPerSpawner + k;
        const bool pinned = k % 2 == 0;
        fs.push_back(pinned ? grove::spawn(kPinned, body, id, true) : grove::spawn(body, id, false));
      }
      for (auto& f : fs) ASSERT_TRUE(f.join(30s));
    }));
  }
  for (auto& s : spawners) ASSERT_TRUE(s.join(60s));
  EXPECT_EQ(finished.load(), total);
  EXPECT_EQ(moved.load(), 0);
  EXPECT_EQ(doubled.load(), 0);
  int wrong = 0;
  for (auto& s : steps) wrong += s.load() != kSteps;
  EXPECT_EQ(wrong, 0);
}

}  // namespace
