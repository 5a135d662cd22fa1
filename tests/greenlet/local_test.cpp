// grove::local<T>: per fiber, per thread outside fibers, destroyed with its fiber.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

using namespace std::chrono_literals;

namespace {

std::atomic<int> g_live{0};
struct Counted {
  int value = 0;
  Counted() { ++g_live; }
  ~Counted() { --g_live; }
};

}  // namespace

TEST(Local, EachFiberSeesItsOwnValue) {
  static grove::local<int> slot;
  *slot = -1;  // the main fiber's
  std::vector<grove::Fiber<int>> fibers;
  for (int i = 0; i < 50; ++i) {
    fibers.push_back(grove::spawn([i] {
      EXPECT_EQ(*slot, 0);  // default-constructed on first access
      *slot = i;
      for (int k = 0; k < 10; ++k) {
        grove::sleep(100us);  // migrates between workers when there are two
        EXPECT_EQ(*slot, i);
      }
      return *slot;
    }));
  }
  for (int i = 0; i < 50; ++i) EXPECT_EQ(fibers[i].get(), i);
  EXPECT_EQ(*slot, -1);
}

TEST(Local, ValuesFollowMigratingFibers) {
  grove::local<std::string> name;
  std::set<int> workers_seen;
  auto f = grove::spawn([&] {
    *name = "mine";
    std::set<int> seen;
    for (int k = 0; k < 200; ++k) {
      grove::yield();
      grove::sleep(50us);
      seen.insert(grove::current_worker_index());
      if (*name != "mine") return seen;
    }
    return seen;
  });
  std::atomic<bool> stop{false};
  auto noise = grove::spawn([&] {
    *name = "noise";
    while (!stop) grove::yield();
    EXPECT_EQ(*name, "noise");
  });
  workers_seen = f.get();
  stop = true;
  noise.join();
  EXPECT_FALSE(workers_seen.empty());
}

TEST(Local, DestroyedWhenTheFiberFinishes) {
  grove::local<Counted> counted;
  const int before = g_live.load();
  auto f = grove::spawn([&] {
    counted->value = 3;
    EXPECT_EQ(g_live.load(), before + 1);
  });
  f.join();
  EXPECT_EQ(g_live.load(), before);
  // A fiber that never touches it creates nothing.
  grove::spawn([] {}).join();
  EXPECT_EQ(g_live.load(), before);
}

TEST(Local, PlainThreadsFallBackToThreadLocal) {
  grove::local<int> slot;
  *slot = 1;
  int seen_in_thread = -1;
  const int before = g_live.load();
  grove::local<Counted> counted;
  std::thread t([&] {
    seen_in_thread = *slot;
    *slot = 2;
    counted->value = 1;
    EXPECT_EQ(*slot, 2);
  });
  t.join();
  EXPECT_EQ(seen_in_thread, 0);
  EXPECT_EQ(*slot, 1);
  EXPECT_EQ(g_live.load(), before);  // destroyed at thread exit
}

TEST(Local, GreenletsShareTheirFibersValue) {
  grove::local<int> slot;
  *slot = 9;
  grove::greenlet g([&] { return *slot; });
  EXPECT_EQ(g.switch_to().as<int>(), 9);
}
