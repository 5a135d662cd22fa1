// The join handshake: a lone joiner registers in the fiber's join word, the finishing fiber takes
// it from there; extra joiners, links and iwait go through the joiners queue. These tests race
// the two sides (at 2 workers on two threads) and the ways a lone joiner can leave early.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "TestUtil.hpp"

using namespace std::chrono_literals;

namespace {

// A little CPU work, varied per iteration so the two sides meet at different points.
void spin(int units) {
  volatile int sink = 0;
  for (int i = 0; i < units * 50; ++i) sink = sink + i;
}

}  // namespace

TEST(Join, LoneJoinerRacesTheFinishingChild) {
  // The child may be stolen and finish on the other worker while the parent registers.
  const long rounds = grove::test::scaled(20000);
  long sum = 0, expected = 0;
  for (long i = 0; i < rounds; ++i) {
    auto f = grove::spawn([i] {
      spin(static_cast<int>(i % 7));
      if (i % 5 == 0) grove::yield();
      return i;
    });
    spin(static_cast<int>((i * 3) % 11));
    sum += f.get();
    expected += i;
    EXPECT_TRUE(f.ready());
  }
  EXPECT_EQ(sum, expected);
}

TEST(Join, JoinersInManyFibersAndAThreadAllWake) {
  // One lone joiner in the join word, the rest queued, plus a link and a plain thread.
  const long rounds = grove::test::scaled(2000);
  for (long i = 0; i < rounds; ++i) {
    auto child = grove::spawn([i] {
      if (i % 2) grove::yield();
      return 7;
    });
    std::atomic<int> woken{0};
    std::atomic<bool> linked{false};
    child.link([&] { linked = true; });
    std::vector<grove::Fiber<void>> joiners;
    for (int k = 0; k < 3; ++k) joiners.push_back(grove::spawn([&] {
      EXPECT_EQ(child.get(), 7);
      ++woken;
    }));
    std::thread t;
    if (i % 50 == 0) t = std::thread([&] {
      EXPECT_EQ(child.get(), 7);
      ++woken;
    });
    EXPECT_EQ(child.get(), 7);
    for (auto& j : joiners) j.join();
    if (t.joinable()) t.join();
    EXPECT_EQ(woken.load(), i % 50 == 0 ? 4 : 3);
    for (int n = 0; n < 2000 && !linked; ++n) n < 1000 ? grove::yield() : grove::sleep(1ms);
    EXPECT_TRUE(linked);
  }
}

TEST(Join, TimedJoinRacesTheFinish) {
  const long rounds = grove::test::scaled(400);
  int finished_in_time = 0, timed_out = 0;
  for (long i = 0; i < rounds; ++i) {
    auto f = grove::spawn([i] {
      if (i % 3 == 0) {
        spin(static_cast<int>(i % 13));
      } else {
        grove::sleep(std::chrono::microseconds(200 + (i % 5) * 100));
      }
      return 1;
    });
    const bool done = f.join(std::chrono::microseconds(i % 4 == 0 ? 0 : 300 + (i % 7) * 50));
    if (done) {
      ++finished_in_time;
      EXPECT_TRUE(f.ready());
    } else {
      ++timed_out;
    }
    // Either way the fiber finishes and a second join sees it (the first joiner left the word).
    EXPECT_TRUE(f.join(10s));
    EXPECT_EQ(f.get(), 1);
  }
  EXPECT_EQ(finished_in_time + timed_out, rounds);
}

TEST(Join, KilledLoneJoinerLeavesAndTheChildStillFinishes) {
  // The joiner is gone (and freed) long before its child finishes: the child must not touch it.
  std::atomic<bool> child_done{false};
  auto child = grove::spawn([&] {
    grove::sleep(30ms);
    child_done = true;
    return 3;
  });
  {
    auto joiner = grove::spawn([&] { return child.get(); });
    grove::sleep(5ms);
    joiner.kill();
    EXPECT_TRUE(joiner.killed());
  }
  EXPECT_FALSE(child_done);
  EXPECT_EQ(child.get(), 3);  // and the next joiner can register
}

TEST(Join, TimeoutInterruptsALoneJoiner) {
  auto child = grove::spawn([] {
    grove::sleep(30ms);
    return 4;
  });
  bool interrupted = false;
  try {
    grove::Timeout t(5ms);
    child.join();
  } catch (const grove::Timeout&) {
    interrupted = true;
  }
  EXPECT_TRUE(interrupted);
  EXPECT_FALSE(child.ready());
  EXPECT_EQ(child.get(), 4);
}

TEST(Join, KillRacesJoin) {
  // A joiner killed at a random moment around its child's finish: it either returns from the
  // join or unwinds with FiberExit; the child always finishes, exactly once.
  const long rounds = grove::test::scaled(3000);
  std::atomic<long> child_runs{0};
  long joined = 0, killed = 0;
  for (long i = 0; i < rounds; ++i) {
    auto child = grove::spawn([&, i] {
      for (long k = 0; k < i % 4; ++k) grove::yield();
      spin(static_cast<int>(i % 9));
      ++child_runs;
      return i;
    });
    auto joiner = grove::spawn([&] { return child.get(); });
    for (long k = 0; k < (i * 7) % 6; ++k) grove::yield();
    spin(static_cast<int>((i * 3) % 10));
    joiner.kill();
    if (joiner.killed()) {
      ++killed;
    } else {
      EXPECT_EQ(joiner.get(), i);
      ++joined;
    }
    EXPECT_EQ(child.get(), i);
  }
  EXPECT_EQ(child_runs.load(), rounds);
  EXPECT_EQ(joined + killed, rounds);
  // Both outcomes happen, or the race was not exercised.
  EXPECT_GT(joined, 0);
  EXPECT_GT(killed, 0);
}

TEST(Join, KillingTheChildWakesItsLoneJoiner) {
  const long rounds = grove::test::scaled(1000);
  for (long i = 0; i < rounds; ++i) {
    auto child = grove::spawn([] { grove::sleep(10s); });
    auto joiner = grove::spawn([&] { child.join(); });
    if (i % 2) grove::yield();
    child.kill();
    EXPECT_TRUE(child.killed());
    EXPECT_TRUE(joiner.join(10s));
  }
}

TEST(Join, FailureWithALoneJoinerIsNotReported) {
  // The joiner receives the exception, so nothing is printed for it.
  // Pinned to this worker: it cannot finish before the join registers (at 2 workers a stolen
  // fiber could, and an unjoined failure is reported).
  testing::internal::CaptureStderr();
  auto f = grove::spawn(grove::SpawnOptions{.pinned = true}, []() -> int { throw std::runtime_error("seen by the joiner"); });
  EXPECT_THROW(f.get(), std::runtime_error);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("seen by the joiner"), std::string::npos) << err;
}

TEST(Join, HandlesDroppedAroundTheRetireFreeTheFiberOnce) {
  // The last handle may go before, at or after the scheduler retires the fiber, on this thread or
  // another; the block is freed exactly once (ASan/LSan check) and results stay readable.
  const long rounds = grove::test::scaled(2000);
  for (long i = 0; i < rounds; ++i) {
    auto f = grove::spawn([i] { return std::string(static_cast<std::size_t>(i % 40), 'x'); });
    switch (i % 4) {
      case 0:
        EXPECT_EQ(f.get().size(), static_cast<std::size_t>(i % 40));
        break;
      case 1: {
        grove::Fiber<std::string> copy = f;
        f.join();
        f = {};
        EXPECT_EQ(copy.get().size(), static_cast<std::size_t>(i % 40));
        break;
      }
      case 2: {
        f.join();
        std::thread t([g = f, i]() mutable { EXPECT_EQ(g.get().size(), static_cast<std::size_t>(i % 40)); });
        f = {};
        t.join();
        break;
      }
      default:
        f.join();
        grove::yield();  // the retire happens at this switch, before the handle goes
        EXPECT_EQ(f.get().size(), static_cast<std::size_t>(i % 40));
    }
  }
}

// A join through a handle may take over the scheduler's reference (the finishing fiber switched
// straight to it): the fiber, and so its task's captures, must then live exactly as long as the
// last handle, whichever copy joined and whichever goes first.
TEST(Join, TheJoiningHandleKeepsTheFiberUntilTheLastCopyGoes) {
  const long rounds = grove::test::scaled(2000);
  for (long i = 0; i < rounds; ++i) {
    auto witness = std::make_shared<int>(static_cast<int>(i));
    auto f = grove::spawn([witness] { return *witness; });
    switch (i % 5) {
      case 0:  // the common case: join and drop
        EXPECT_EQ(f.get(), i);
        f = {};
        break;
      case 1: {  // the joining handle goes first; the copy still reads the result
        grove::Fiber<int> copy = f;
        f.join();
        f = {};
        EXPECT_EQ(witness.use_count(), 2);
        EXPECT_EQ(copy.get(), i);
        break;
      }
      case 2: {  // the copy goes first
        grove::Fiber<int> copy = f;
        f.join();
        copy = {};
        EXPECT_EQ(witness.use_count(), 2);
        EXPECT_EQ(f.get(), i);
        f = {};
        break;
      }
      case 3: {  // the joined handle is moved on (construction, then assignment over another)
        f.join();
        grove::Fiber<int> moved = std::move(f);
        grove::Fiber<int> other = grove::spawn([] { return -1; });
        EXPECT_EQ(other.get(), -1);
        other = std::move(moved);
        EXPECT_EQ(witness.use_count(), 2);
        EXPECT_EQ(other.get(), i);
        other = {};
        break;
      }
      default: {  // two fibers join through one handle object; a third copy outlives both
        grove::Fiber<int> last = f;
        auto a = grove::spawn([&f] { return f.get(); });
        auto b = grove::spawn([&f] { return f.get(); });
        EXPECT_EQ(a.get() + b.get(), 2 * i);
        f = {};
        EXPECT_EQ(witness.use_count(), 2);
        EXPECT_EQ(last.get(), i);
        last = {};
      }
    }
    // A join that ran a child queued behind others left a stale queue entry holding a reference
    // until the scheduler pops it: give it a few switches.
    for (int k = 0; k < 2000 && witness.use_count() > 1; ++k) k < 100 ? grove::yield() : grove::sleep(1ms);
    ASSERT_EQ(witness.use_count(), 1) << "round " << i << ": the fiber outlived its last handle";
  }
}

TEST(Join, ErrnoStaysWithEachSideOfADirectedJoin) {
  // The child runs on the joiner's time slice; each keeps its own errno, and a fiber reusing a
  // finished one's control block starts with errno 0 as a new thread does.
  for (int i = 0; i < 100; ++i) {
    errno = 1000 + i;
    auto f = grove::spawn([] {
      const int at_start = errno;
      errno = 77;
      return at_start;
    });
    EXPECT_EQ(f.get(), 0);
    EXPECT_EQ(errno, 1000 + i);
  }
}

TEST(Join, TheDirectedChildKillsItsJoiner) {
  // The joiner is suspended in its join while its child runs in its place; the kill wakes it
  // with FiberExit, and the child still finishes and is joined by the next joiner.
  grove::Fiber<int> child;
  grove::Fiber<void> joiner;
  std::atomic<bool> child_done{false};
  joiner = grove::spawn([&] {
    child = grove::spawn([&] {
      joiner.kill(false);
      grove::yield();
      child_done = true;
      return 5;
    });
    child.join();
    ADD_FAILURE() << "the killed joiner returned from its join";
  });
  joiner.join();
  EXPECT_TRUE(joiner.killed());
  EXPECT_EQ(child.get(), 5);
  EXPECT_TRUE(child_done);
}

TEST(Join, AReusedControlBlockStartsClean) {
  // Finished fibers' blocks are reused: a name, a failure, a kill or a link must not leak into
  // the next fiber spawned in the same block.
  for (int i = 0; i < 50; ++i) {
    auto named = grove::spawn(grove::SpawnOptions{.name = "named-fiber-with-a-long-name"}, [] {});
    named.join();
    EXPECT_EQ(named.name(), "named-fiber-with-a-long-name");
    named = {};
    auto plain = grove::spawn([] {});
    EXPECT_EQ(plain.name(), "fiber-" + std::to_string(plain.id()));
    plain.join();
    plain = {};

    testing::internal::CaptureStderr();
    auto failed = grove::spawn([] { throw std::runtime_error("boom"); });
    EXPECT_THROW(failed.get(), std::runtime_error);
    failed = {};
    testing::internal::GetCapturedStderr();
    auto ok = grove::spawn([] { return 1; });
    EXPECT_EQ(ok.get(), 1);
    EXPECT_TRUE(ok.successful());
    EXPECT_EQ(ok.exception(), nullptr);
    ok = {};

    auto killed = grove::spawn([] {});
    killed.kill();
    EXPECT_TRUE(killed.killed());
    killed = {};
    std::atomic<bool> linked{false};
    auto after = grove::spawn([] { return 2; });
    EXPECT_FALSE(after.killed());
    after.link([&] { linked = true; });
    EXPECT_EQ(after.get(), 2);
    EXPECT_FALSE(after.killed());
    after = {};
    while (!linked) grove::yield();
    auto fresh = grove::spawn([] { return 3; });
    EXPECT_FALSE(fresh.ready());
    EXPECT_EQ(fresh.get(), 3);
  }
}
