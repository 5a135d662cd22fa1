// grove::greenlet against the behaviours Python greenlet's own test suite checks.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using namespace std::chrono_literals;
using grove::greenlet;
using grove::value;

using grove::test::usage_error_of;

TEST(Greenlet, ValueHoldsOneSeveralOrNothing) {
  value one = 42;
  EXPECT_EQ(one.as<int>(), 42);
  EXPECT_EQ(one.size(), 1u);
  value none;
  EXPECT_TRUE(none.empty());
  value pack = value::pack(1, std::string("two"));
  auto [a, b] = pack.get<int, std::string>();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, "two");
  EXPECT_EQ(pack[1].as<std::string>(), "two");
  value big = std::string(1000, 'x');
  value copy = big;
  EXPECT_EQ(copy.as<std::string>().size(), 1000u);
  value moved = std::move(big);
  EXPECT_EQ(moved.as<std::string>().size(), 1000u);
  value mo = std::make_unique<int>(5);
  EXPECT_THROW(value c = mo, grove::UsageError);
  EXPECT_EQ(*std::move(mo).as<std::unique_ptr<int>>(), 5);
  std::string msg = usage_error_of([&] { (void)one.as<std::string>(); });
  EXPECT_NE(msg.find("holds a int"), std::string::npos) << msg;
  EXPECT_NE(msg.find("std::"), std::string::npos) << msg;
  EXPECT_THROW((void)pack[2], grove::UsageError);
  EXPECT_THROW((void)(pack.get<int>()), grove::UsageError);
}

TEST(Greenlet, SwitchPassesValuesBothWays) {
  std::vector<std::string> log;
  greenlet g([&](value v) {
    log.push_back("start " + std::to_string(v.as<int>()));
    value back = greenlet::current().parent().switch_to(v.as<int>() + 1);
    log.push_back("got " + back.as<std::string>());
    value pair = greenlet::current().parent().switch_to(1, std::string("x"));
    auto [n, s] = pair.get<int, double>();
    return n + s;
  });
  EXPECT_FALSE(g.started());
  EXPECT_EQ(g.switch_to(1).as<int>(), 2);
  EXPECT_TRUE(g.started());
  EXPECT_TRUE(g.active());
  value p = g.switch_to(std::string("hi"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].as<int>(), 1);
  EXPECT_EQ(p[1].as<std::string>(), "x");
  EXPECT_EQ(g.switch_to(3, 0.5).as<double>(), 3.5);
  EXPECT_TRUE(g.dead());
  EXPECT_EQ(log, (std::vector<std::string>{"start 1", "got hi"}));
}

TEST(Greenlet, TypedRunParametersAndArityErrors) {
  greenlet g([](int a, std::string b) { return b + std::to_string(a); });
  EXPECT_EQ(g.switch_to(7, std::string("n")).as<std::string>(), "n7");
  greenlet wrong([](int a) { return a; });
  EXPECT_THROW(wrong.switch_to(1, 2), grove::UsageError);  // the arity error propagates to the parent
  EXPECT_TRUE(wrong.dead());
  greenlet none([] {});
  EXPECT_TRUE(none.switch_to().empty());
}

TEST(Greenlet, SwitchToSelfReturnsArguments) {
  EXPECT_EQ(greenlet::current().switch_to(5).as<int>(), 5);
}

TEST(Greenlet, FinishedGreenletSendsResultToParentNotCaller) {
  std::vector<int> order;
  greenlet parent_g([&](value) {
    order.push_back(1);
    value r = greenlet::current().parent().switch_to();  // back to main
    order.push_back(r.as<int>());
    return 100;
  });
  parent_g.switch_to();
  greenlet child([&] { return 42; }, parent_g);
  // main switches to child; child finishes; its result goes to parent_g, not main.
  EXPECT_EQ(child.switch_to().as<int>(), 100);
  EXPECT_EQ(order, (std::vector<int>{1, 42}));
  EXPECT_TRUE(child.dead());
  EXPECT_TRUE(parent_g.dead());
}

TEST(Greenlet, ExceptionPropagatesToParent) {
  greenlet g([]() -> int { throw std::runtime_error("inner failure"); });
  try {
    g.switch_to();
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "inner failure");
  }
  EXPECT_TRUE(g.dead());
}

TEST(Greenlet, SwitchToDeadGoesToFirstLiveAncestor) {
  greenlet a([](value) { return greenlet::current().parent().switch_to(std::string("a waiting")); });
  EXPECT_EQ(a.switch_to().as<std::string>(), "a waiting");
  greenlet b([] { return 1; }, a);
  greenlet c([] { return 2; }, b);
  b.switch_to();  // b dies into a, a finishes returning 1... to main
  EXPECT_TRUE(b.dead());
  EXPECT_TRUE(a.dead());
  // c's parent chain is dead up to main: the switch lands back here with the values.
  EXPECT_FALSE(c.dead());
  EXPECT_EQ(c.switch_to().as<int>(), 2);  // runs, then its result skips the dead b and a
  greenlet d([] { return 0; });
  d.switch_to();
  EXPECT_EQ(d.switch_to(9).as<int>(), 9);  // dead d: goes to main (ourselves)
}

TEST(Greenlet, ThrowIntoUnstartedKillsItWithoutRunning) {
  bool ran = false;
  greenlet g([&] { ran = true; });
  EXPECT_THROW(g.throw_(std::runtime_error("stop")), std::runtime_error);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(g.dead());
  EXPECT_FALSE(g.started());
  greenlet quiet([&] { ran = true; });
  EXPECT_TRUE(quiet.throw_().empty());  // GreenletExit: silent
  EXPECT_FALSE(ran);
  EXPECT_TRUE(quiet.dead());
  greenlet with_value([&] { ran = true; });
  EXPECT_EQ(with_value.throw_(grove::GreenletExit{7}).as<int>(), 7);
}

TEST(Greenlet, ThrowGoesToOriginalParent) {
  // greenlet's test_throw_goes_to_original_parent, all three cases.
  auto f1 = [] {
    try {
      greenlet::current().parent().switch_to(std::string("f1 ready to catch"));
    } catch (const std::out_of_range&) {
      return std::string("caught");
    }
    return std::string("normal exit");
  };
  auto f2 = [main = greenlet::current()] { main.switch_to(std::string("from f2")); };
  {
    greenlet g1(f1);
    greenlet g2(f2, g1);
    EXPECT_THROW(g2.throw_(std::out_of_range("x")), std::out_of_range);
    EXPECT_TRUE(g2.dead());
    EXPECT_TRUE(g1.dead());
  }
  {
    greenlet g1(f1);
    greenlet g2(f2, g1);
    EXPECT_EQ(g1.switch_to().as<std::string>(), "f1 ready to catch");
    EXPECT_EQ(g2.throw_(std::out_of_range("x")).as<std::string>(), "caught");
    EXPECT_TRUE(g2.dead());
    EXPECT_TRUE(g1.dead());
  }
  {
    greenlet g1(f1);
    greenlet g2(f2, g1);
    EXPECT_EQ(g1.switch_to().as<std::string>(), "f1 ready to catch");
    EXPECT_EQ(g2.switch_to().as<std::string>(), "from f2");
    EXPECT_EQ(g2.throw_(std::out_of_range("x")).as<std::string>(), "caught");
    EXPECT_TRUE(g2.dead());
    EXPECT_TRUE(g1.dead());
  }
}

TEST(Greenlet, ThrowIntoDeadGoesToParent) {
  greenlet g([] { return 1; });
  g.switch_to();
  EXPECT_THROW(g.throw_(std::logic_error("late")), std::logic_error);  // raised in main, its parent
}

TEST(Greenlet, GreenletExitEndsSilentlyWithValue) {
  greenlet g([]() -> int { throw grove::GreenletExit{std::string("bye")}; });
  EXPECT_EQ(g.switch_to().as<std::string>(), "bye");
  EXPECT_TRUE(g.dead());
  int cleaned = 0;
  greenlet h([&] {
    struct Guard {
      int& n;
      ~Guard() { ++n; }
    } guard{cleaned};
    greenlet::current().parent().switch_to();
    return 5;
  });
  h.switch_to();
  EXPECT_TRUE(h.throw_().empty());
  EXPECT_EQ(cleaned, 1);
  EXPECT_TRUE(h.dead());
}

TEST(Greenlet, ParentReassignmentRejectsCycles) {
  greenlet a([] {});
  greenlet b([] {}, a);
  greenlet c([] {}, b);
  std::string msg = usage_error_of([&] { a.parent(c); });
  EXPECT_NE(msg.find("cyclic parent chain"), std::string::npos) << msg;
  EXPECT_NE(usage_error_of([&] { a.parent(a); }).find("cyclic"), std::string::npos);
  EXPECT_NE(usage_error_of([&] { greenlet::current().parent(a); }).find("main greenlet"), std::string::npos);
  c.parent(a);
  EXPECT_EQ(c.parent(), a);
  EXPECT_TRUE(greenlet::current().is_main());
  EXPECT_FALSE(greenlet::current().parent());
}

TEST(Greenlet, OtherThreadIsRejected) {
  greenlet here([] { return 1; });
  greenlet there;
  std::string switch_msg, parent_msg, create_msg;
  std::thread t([&] {
    switch_msg = usage_error_of([&] { here.switch_to(); });
    there = greenlet([] { return 2; });
    parent_msg = usage_error_of([&] { there.parent(here); });
    create_msg = usage_error_of([&] { greenlet x([] {}, here); });
    EXPECT_EQ(there.switch_to().as<int>(), 2);
  });
  t.join();
  EXPECT_NE(switch_msg.find("another thread"), std::string::npos) << switch_msg;
  EXPECT_NE(parent_msg.find("same thread"), std::string::npos) << parent_msg;
  EXPECT_NE(create_msg.find("same thread"), std::string::npos) << create_msg;
  EXPECT_NE(usage_error_of([&] { there.switch_to(); }).find("has finished"), std::string::npos);
  EXPECT_EQ(here.switch_to().as<int>(), 1);
}

TEST(Greenlet, FibersAreSeparateThreads) {
  greenlet mine([] { return 1; });
  auto f = grove::spawn([&] { return usage_error_of([&] { mine.switch_to(); }); });
  EXPECT_NE(f.get().find("another thread"), std::string::npos);
}

TEST(Greenlet, DestroyingUnfinishedGreenletUnwindsIt) {
  int destroyed = 0;
  bool saw_exit = false;
  {
    greenlet g([&] {
      struct Guard {
        int& n;
        ~Guard() { ++n; }
      } guard{destroyed};
      try {
        greenlet::current().parent().switch_to();
      } catch (const grove::GreenletExit&) {
        saw_exit = true;
        throw;
      }
    });
    g.switch_to();
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 1);
  EXPECT_TRUE(saw_exit);
  // An unstarted greenlet just drops its callable.
  auto token = std::make_shared<int>(1);
  { greenlet g([token] {}); }
  EXPECT_EQ(token.use_count(), 1);
}

TEST(Greenlet, DroppedOnAnotherThreadIsUnwoundOnItsOwn) {
  int destroyed = 0;
  auto* g = new greenlet([&] {
    struct Guard {
      int& n;
      ~Guard() { ++n; }
    } guard{destroyed};
    greenlet::current().parent().switch_to();
  });
  g->switch_to();
  std::thread([g] { delete g; }).join();
  EXPECT_EQ(destroyed, 0);
  greenlet::current();  // the next greenlet call on the owning thread unwinds it
  EXPECT_EQ(destroyed, 1);
}

TEST(Greenlet, GreenletDroppingItsOwnLastHandleIsReaped) {
  int destroyed = 0;
  auto holder = std::make_shared<greenlet>();
  *holder = greenlet([&, holder] {
    struct Guard {
      int& n;
      ~Guard() { ++n; }
    } guard{destroyed};
    *holder = greenlet();  // drops the last handle to itself while running
    greenlet::current().parent().switch_to(1);
  });
  greenlet keep = *holder;
  keep.switch_to();
  keep = greenlet();
  EXPECT_EQ(destroyed, 1);
}

int recurse(int n) {
  volatile char pad[256];
  pad[0] = static_cast<char>(n);
  return n == 0 ? pad[0] : recurse(n - 1) + 1;
}

TEST(Greenlet, DeepRecursionInsideGreenlets) {
  greenlet g([] {
    int depth = recurse(2000);  // ~600 KiB of frames
    greenlet::current().parent().switch_to(depth);
    return recurse(1000);
  }, grove::GreenletOptions{.stack_size = 2 << 20});
  EXPECT_EQ(g.switch_to().as<int>(), 2000);
  EXPECT_EQ(g.switch_to().as<int>(), 1000);
  // Greenlets nested in greenlets, each with a frame on the other's stack.
  std::function<int(int)> nest = [&](int n) -> int {
    if (n == 0) return 0;
    greenlet child([&, n] { return nest(n - 1) + 1; });
    return child.switch_to().as<int>();
  };
  EXPECT_EQ(nest(200), 200);
}

TEST(Greenlet, ExceptionsCrossSwitchesAndStayIndependent) {
  greenlet a([](value) {
    try {
      throw std::runtime_error("held by a");
    } catch (const std::exception& e) {
      // Switch away while handling an exception; come back and rethrow it intact.
      greenlet::current().parent().switch_to(std::string(e.what()));
      throw;
    }
  });
  EXPECT_EQ(a.switch_to().as<std::string>(), "held by a");
  try {
    throw std::logic_error("main's own");
  } catch (const std::logic_error&) {
    EXPECT_THROW(a.switch_to(), std::runtime_error);
  }
  EXPECT_TRUE(a.dead());
}

TEST(Greenlet, ManySwitchesPingPong) {
  greenlet g([](int n) {
    auto main = greenlet::current().parent();
    for (;;) n = main.switch_to(n + 1).as<int>();
  });
  // Sized down under sanitizers: a worker that never yields for seconds gets handed off.
  const int n = static_cast<int>(grove::test::scaled(100000));
  int v = 0;
  for (int i = 0; i < n; ++i) v = g.switch_to(v).as<int>();
  EXPECT_EQ(v, n);
}

TEST(Greenlet, SleepingGreenletInsideFiberResumesOnSameThread) {
  auto f = grove::spawn([] {
    std::vector<int> workers;
    greenlet g([&] {
      for (int i = 0; i < 5; ++i) {
        workers.push_back(grove::current_worker_index());
        grove::sleep(2ms);
        workers.push_back(grove::current_worker_index());
      }
      return std::this_thread::get_id();
    });
    auto tid = std::this_thread::get_id();
    auto got = g.switch_to().as<std::thread::id>();
    EXPECT_EQ(got, tid);
    return workers;
  });
  // Keep the other worker busy with hopping fibers meanwhile.
  std::atomic<bool> stop{false};
  auto noise = grove::spawn([&] {
    while (!stop) grove::yield();
  });
  auto workers = f.get();
  stop = true;
  noise.join();
  ASSERT_EQ(workers.size(), 10u);
  for (int w : workers) EXPECT_EQ(w, workers[0]);
}

// With one worker stuck in a call grove does not see, a spare thread serves its queue (see
// src/sched/Spare.cpp) and may be the one that starts a fiber's greenlets. The spare retires
// when the worker moves again, while the greenlet still sleeps; the fiber must still finish.
TEST(Greenlet, HostStartedOnASpareThreadStillFinishes) {
  auto f = grove::spawn([] {
    greenlet g([] {
      grove::sleep(300ms);
      return 7;
    });
    return g.switch_to().as<int>();
  });
  timespec ts{0, 100'000'000};
  syscall(SYS_nanosleep, &ts, nullptr);  // unhooked: this worker is stuck in the kernel meanwhile
  ASSERT_TRUE(f.join(10s)) << "the fiber never finished";
  EXPECT_EQ(f.get(), 7);
}

TEST(Greenlet, GreenletsInManyFibersAtOnce) {
  std::vector<grove::Fiber<int>> fibers;
  for (int i = 0; i < 20; ++i) {
    fibers.push_back(grove::spawn([i] {
      greenlet a([](int n) {
        auto main = greenlet::current().parent();
        for (int k = 0; k < 50; ++k) {
          grove::sleep(100us);
          n = main.switch_to(n + 1).as<int>();
        }
        return -1;
      });
      int n = i;
      for (int k = 0; k < 50; ++k) n = a.switch_to(n).as<int>();
      EXPECT_EQ(a.switch_to(0).as<int>(), -1);
      return n;
    }));
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(fibers[i].get(), i + 50);
}

TEST(Greenlet, KillingTheHostFiberUnwindsThroughTheGreenlet) {
  std::atomic<int> cleaned{0};
  auto f = grove::spawn([&] {
    greenlet g([&] {
      struct Guard {
        std::atomic<int>& n;
        ~Guard() { ++n; }
      } guard{cleaned};
      grove::sleep(10s);
    });
    g.switch_to();
  });
  grove::sleep(20ms);
  f.kill();
  EXPECT_TRUE(f.killed());
  EXPECT_EQ(cleaned.load(), 1);
}
