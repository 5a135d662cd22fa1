// The edges between greenlet::switch_to's inline fast path and the general one (see
// greenlet_switch_inline in include/grove/greenlet.hpp): exception state, the FP environment,
// plain threads, and a finished host whose stack another fiber reuses.
#include <gtest/gtest.h>

#include <cfenv>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <grove/grove.hpp>

#include "../core/TestUtil.hpp"

using grove::greenlet;
using grove::test::usage_error_of;

// A greenlet that switched away inside a catch block gets its exception back when it resumes;
// once that catch block ends, later switches (fast ones) carry no exception state either way.
TEST(GreenletSwitchPath, ExceptionStateEndsWithItsCatchBlock) {
  std::vector<std::string> bad;
  greenlet g([&] {
    auto main = greenlet::current().parent();
    try {
      throw std::runtime_error("g's");
    } catch (const std::exception&) {
      main.switch_to();
      try {
        throw;
      } catch (const std::runtime_error& e) {
        if (std::string(e.what()) != "g's") bad.push_back("g rethrew " + std::string(e.what()));
      }
    }
    for (int i = 0; i < 3; ++i) {
      main.switch_to();
      if (std::current_exception()) bad.push_back("g sees an exception after switch " + std::to_string(i));
      if (std::uncaught_exceptions() != 0) bad.push_back("g sees an uncaught exception");
    }
    return 7;
  });
  g.switch_to();  // g suspends inside its catch block
  EXPECT_EQ(std::current_exception(), nullptr);
  g.switch_to();  // g rethrows its own, leaves the catch block and switches back
  EXPECT_EQ(std::current_exception(), nullptr);
  try {
    throw std::logic_error("main's");
  } catch (const std::logic_error&) {
    g.switch_to();  // main inside a catch block: g must not see main's exception
    g.switch_to();
    try {
      throw;
    } catch (const std::logic_error& e) {
      EXPECT_STREQ(e.what(), "main's");
    }
  }
  EXPECT_EQ(g.switch_to().as<int>(), 7);
  EXPECT_TRUE(bad.empty()) << bad.front();
}

// A destructor that switches while the stack unwinds: std::uncaught_exceptions() is per greenlet.
TEST(GreenletSwitchPath, SwitchDuringUnwindingKeepsUncaughtCountPerGreenlet) {
  std::vector<int> seen_in_g;
  greenlet g([&] {
    for (;;) {
      seen_in_g.push_back(std::uncaught_exceptions());
      greenlet::current().parent().switch_to();
    }
  });
  g.switch_to();
  int after_switch = -1;
  struct SwitchOnUnwind {
    greenlet& g;
    int& after;
    ~SwitchOnUnwind() {
      g.switch_to();
      after = std::uncaught_exceptions();
    }
  };
  try {
    SwitchOnUnwind s{g, after_switch};
    throw std::runtime_error("unwinding");
  } catch (const std::runtime_error&) {
  }
  g.switch_to();
  EXPECT_EQ(seen_in_g, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(after_switch, 1);
  EXPECT_EQ(std::uncaught_exceptions(), 0);
}

// Greenlets on a thread grove does not run (no worker): values, exceptions and ping-pong.
TEST(GreenletSwitchPath, PlainThreadSwitches) {
  int result = 0;
  std::string caught;
  std::thread([&] {
    greenlet g([](int n) {
      auto main = greenlet::current().parent();
      for (int i = 0; i < 1000; ++i) n = main.switch_to(n + 1).as<int>();
      throw std::runtime_error("from g on a plain thread");
    });
    int n = 0;
    for (int i = 0; i < 1000; ++i) n = g.switch_to(n).as<int>();
    result = n;
    try {
      g.switch_to(0);
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  }).join();
  EXPECT_EQ(result, 1000);
  EXPECT_EQ(caught, "from g on a plain thread");
}

// Rounding mode and denormal handling are callee-saved: each greenlet keeps its own, whatever the
// sticky exception flags on either side (which the switch ignores when it compares MXCSR).
TEST(GreenletSwitchPath, FloatingPointControlIsPerGreenlet) {
  ASSERT_EQ(fegetround(), FE_TONEAREST);
  auto divide = [](double a, double b) {
    volatile double x = a, y = b;
    return x / y;
  };
  const double third = divide(1, 3);
  std::vector<std::string> bad;
  greenlet g([&] {
    auto main = greenlet::current().parent();
    feclearexcept(FE_ALL_EXCEPT);
    fesetround(FE_UPWARD);
    for (int i = 0; i < 100; ++i) {
      main.switch_to();
      if (fegetround() != FE_UPWARD || !(divide(1, 3) > third)) bad.push_back("g lost FE_UPWARD");
      if (i % 2) feclearexcept(FE_ALL_EXCEPT);
    }
    fesetround(FE_TONEAREST);
  });
  for (int i = 0; i < 100; ++i) {
    g.switch_to();
    if (fegetround() != FE_TONEAREST || divide(1, 3) != third) bad.push_back("main got g's rounding");
  }
  g.switch_to();
  EXPECT_TRUE(g.dead());
#if defined(__x86_64__)
  // DAZ is MXCSR's lowest control bit, right above the six exception flags.
  constexpr unsigned kDaz = 0x40;
  const unsigned main_csr = _mm_getcsr();
  greenlet daz([&] {
    auto main = greenlet::current().parent();
    _mm_setcsr(_mm_getcsr() | kDaz);
    for (int i = 0; i < 10; ++i) {
      main.switch_to();
      if (!(_mm_getcsr() & kDaz)) bad.push_back("g lost DAZ");
    }
  });
  for (int i = 0; i < 11; ++i) {
    daz.switch_to();
    if (_mm_getcsr() & kDaz) bad.push_back("main got g's DAZ");
  }
  EXPECT_TRUE(daz.dead());
  EXPECT_EQ(_mm_getcsr() & ~0x3fu, main_csr & ~0x3fu);
#endif
  EXPECT_TRUE(bad.empty()) << bad.size() << " failures, first: " << bad.front();
}

// A finished fiber's greenlets can never run again; a later fiber that runs on the same (pooled)
// stack must not pass for their host: switching gets UsageError, not a jump into them.
TEST(GreenletSwitchPath, FinishedHostsGreenletsRejectAFiberOnItsReusedStack) {
  int reused = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const char* old_stack = nullptr;
    auto owner = grove::spawn(grove::SpawnOptions{.pinned = true}, [&] {
      char here;
      old_stack = &here;
      // Nothing counted on g's stack: it is freed without unwinding once its last handle goes.
      greenlet g([main = greenlet::current()] {
        main.switch_to();
        return 1;
      });
      g.switch_to();  // g stays suspended, live, after its host finishes
      return g;
    });
    greenlet orphan = owner.get();
    auto user = grove::spawn(grove::SpawnOptions{.pinned = true}, [&] {
      char here;
      const bool same_stack = std::abs(&here - old_stack) < 64 * 1024;
      return std::pair{same_stack, usage_error_of([&] { orphan.switch_to(); })};
    });
    auto [same_stack, message] = user.get();
    reused += same_stack;
    EXPECT_NE(message.find("has finished"), std::string::npos) << message;
    EXPECT_FALSE(orphan.dead());
  }
  RecordProperty("stack_reused", reused);
}
