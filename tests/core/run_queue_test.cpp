#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "fiber/FiberControl.hpp"
#include "sched/RunQueue.hpp"
#include "sched/TimerHeap.hpp"

using namespace grove::detail;

namespace {
FiberControl* fake(std::uintptr_t i) { return reinterpret_cast<FiberControl*>(i * 16); }
}  // namespace

TEST(RunQueue, FifoOrderAndCapacity) {
  RunQueue q;
  for (std::uintptr_t i = 1; i <= RunQueue::kCapacity; ++i) ASSERT_TRUE(q.push(fake(i)));
  EXPECT_FALSE(q.push(fake(999)));
  for (std::uintptr_t i = 1; i <= RunQueue::kCapacity; ++i) ASSERT_EQ(q.pop(), fake(i));
  EXPECT_EQ(q.pop(), nullptr);
}

TEST(RunQueue, TakeHalfAndSteal) {
  RunQueue victim, thief;
  for (std::uintptr_t i = 1; i <= 10; ++i) victim.push(fake(i));
  // A thief takes half (rounded up) from the head: items 1..5; it runs the last and queues 1..4.
  EXPECT_EQ(thief.steal_from(victim), fake(5));
  EXPECT_EQ(thief.size(), 4u);
  EXPECT_EQ(victim.size(), 5u);
  EXPECT_EQ(thief.pop(), fake(1));
  FiberControl* half[RunQueue::kCapacity];
  ASSERT_EQ(victim.take_half(half), 2u);
  EXPECT_EQ(half[0], fake(6));
  EXPECT_EQ(half[1], fake(7));
  EXPECT_EQ(victim.pop(), fake(8));
}

// Owner pushes and pops while thieves steal: every item is taken exactly once.
TEST(RunQueue, ConcurrentStealingLosesNothing) {
  RunQueue owner;
  constexpr std::uintptr_t kItems = 200000;
  std::vector<std::atomic<int>> seen(kItems + 1);
  std::atomic<bool> done{false};
  auto thief_fn = [&] {
    RunQueue mine;
    while (!done.load()) {
      if (FiberControl* f = mine.steal_from(owner)) {
        seen[reinterpret_cast<std::uintptr_t>(f) / 16]++;
        while (FiberControl* g = mine.pop()) seen[reinterpret_cast<std::uintptr_t>(g) / 16]++;
      }
    }
  };
  std::thread t1(thief_fn), t2(thief_fn);
  for (std::uintptr_t i = 1; i <= kItems; ++i) {
    while (!owner.push(fake(i))) {
      if (FiberControl* f = owner.pop()) seen[reinterpret_cast<std::uintptr_t>(f) / 16]++;
    }
    if (i % 3 == 0) {
      if (FiberControl* f = owner.pop()) seen[reinterpret_cast<std::uintptr_t>(f) / 16]++;
    }
  }
  while (FiberControl* f = owner.pop()) seen[reinterpret_cast<std::uintptr_t>(f) / 16]++;
  done = true;
  t1.join();
  t2.join();
  for (std::uintptr_t i = 1; i <= kItems; ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i;
}

// The owner takes back its last push (a directed join) and empties the queue (overflow) while
// thieves steal: every item is still taken exactly once, retracted ones by the owner.
TEST(RunQueue, RetractAndTakeAllRaceThievesWithoutLossOrDuplicates) {
  RunQueue owner;
  constexpr std::uintptr_t kItems = 200000;
  std::vector<std::atomic<int>> seen(kItems + 1);
  auto note = [&](FiberControl* f) { seen[reinterpret_cast<std::uintptr_t>(f) / 16]++; };
  std::atomic<bool> done{false};
  auto thief_fn = [&] {
    RunQueue mine;
    while (!done.load()) {
      if (FiberControl* f = mine.steal_from(owner)) {
        note(f);
        while (FiberControl* g = mine.pop()) note(g);
      }
    }
  };
  std::thread t1(thief_fn), t2(thief_fn);
  FiberControl* all[RunQueue::kCapacity];
  for (std::uintptr_t i = 1; i <= kItems; ++i) {
    while (!owner.push(fake(i))) {
      const std::uint32_t n = owner.take_all(all);
      for (std::uint32_t k = 0; k < n; ++k) note(all[k]);
    }
    if (i % 2 == 0) {
      if (owner.retract_last(fake(i))) note(fake(i));
    } else {
      ASSERT_FALSE(owner.retract_last(fake(i - 1))) << "an entry that is not the last one was taken back";
    }
  }
  while (FiberControl* f = owner.pop()) note(f);
  done = true;
  t1.join();
  t2.join();
  for (std::uintptr_t i = 1; i <= kItems; ++i) ASSERT_EQ(seen[i].load(), 1) << "item " << i;
}

TEST(TimerHeap, FiresInDeadlineOrderAndCancels) {
  static std::vector<int> fired;
  fired.clear();
  struct T : TimerNode {
    int id;
  };
  TimerHeap heap;
  std::vector<T> timers(100);
  const TimePoint base = Clock::now();
  for (int i = 0; i < 100; ++i) {
    timers[i].id = i;
    timers[i].deadline = base + std::chrono::milliseconds((i * 37) % 100);
    timers[i].fire = [](TimerNode* n) { fired.push_back(static_cast<T*>(n)->id); };
    heap.add(&timers[i]);
  }
  for (int i = 0; i < 100; i += 2) TimerHeap::cancel(&timers[i]);
  TimePoint earliest_odd = TimePoint::max();
  for (int i = 1; i < 100; i += 2) earliest_odd = std::min(earliest_odd, timers[i].deadline);
  EXPECT_EQ(heap.earliest(), earliest_odd);
  EXPECT_EQ(heap.fire_due(base + std::chrono::milliseconds(1000)), 50u);
  ASSERT_EQ(fired.size(), 50u);
  for (std::size_t i = 1; i < fired.size(); ++i) {
    EXPECT_LE(timers[fired[i - 1]].deadline, timers[fired[i]].deadline);
    EXPECT_EQ(fired[i] % 2, 1);
  }
  EXPECT_TRUE(heap.empty());
}
