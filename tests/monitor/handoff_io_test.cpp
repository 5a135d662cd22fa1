// I/O readiness after a hand-off: a spare thread that served a stuck worker polls in its naps,
// and the workers that went idle meanwhile must not be left deaf to I/O once it retires (the
// echo benchmark's full stall at 5000 connections on a loaded machine).
#include <sys/socket.h>
#include <time.h>
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

// A call grove does not hook here (this test does not link the hooks): the worker blocks in the kernel.
void raw_sleep(std::chrono::milliseconds d) {
  const timespec ts{0, static_cast<long>(std::chrono::nanoseconds(d).count())};
  nanosleep(&ts, nullptr);
}

// Each round: every worker blocks in the kernel while a fiber waits behind it, so spares take
// over and poll while they wait for work; the workers come back, find nothing and go idle. Then a
// plain thread makes a socket readable: the fiber waiting on it must wake promptly, not when some
// unrelated timer happens to fire (the reader's own join deadline, seconds later).
TEST(Handoff, IdleWorkersStillServeIoAfterASpareRetires) {
  const unsigned n = grove::worker_count();
  const auto handoffs_before = grove::detail::Runtime::get()->handoffs.load();
  const int rounds = static_cast<int>(grove::test::scaled(20));
  for (int round = 0; round < rounds; ++round) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    std::atomic<bool> waiting{false};
    std::atomic<bool> woke{false};
    auto reader = grove::spawn([&] {
      waiting = true;
      const grove::IoStatus st = grove::wait_readable(sv[0]);
      woke = true;
      return st;
    });
    while (!waiting.load()) grove::yield();

    std::vector<grove::Fiber<void>> fs;
    for (unsigned i = 0; i < n; ++i) fs.push_back(grove::spawn([] { raw_sleep(40ms); }));
    for (unsigned i = 0; i < 2 * n; ++i) fs.push_back(grove::spawn([] { grove::yield(); }));

    // Writes once the blockers are long done and every worker had time to go idle.
    double wake_ms = -1;
    std::thread writer([&] {
      std::this_thread::sleep_for(80ms);
      const auto wrote_at = grove::test::Clock::now();
      EXPECT_EQ(write(sv[1], "x", 1), 1);
      while (!woke.load() && grove::test::elapsed_ms(wrote_at) < 3000) std::this_thread::sleep_for(1ms);
      wake_ms = woke.load() ? grove::test::elapsed_ms(wrote_at) : 3000;
    });
    for (auto& f : fs) f.join();
    // The join's deadline is a timer, which would end a stall by itself: keep it far away.
    const bool joined = reader.join(10s);
    writer.join();
    EXPECT_TRUE(joined);
    grove::close(sv[0]);
    grove::close(sv[1]);
    // Generous for sanitizer builds; a deaf runtime waits for the 10 s join deadline.
    ASSERT_LT(wake_ms, 1500) << "round " << round << ": the readable socket was not noticed";
  }
  EXPECT_GT(grove::detail::Runtime::get()->handoffs.load(), handoffs_before);
}

}  // namespace

namespace {

std::string dump_state() {
  int p[2];
  EXPECT_EQ(pipe(p), 0);
  grove_dump_state(p[1]);
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  return out;
}

TEST(StateDump, OneLinePerWorkerWithQueuesAndPollerState) {
  const std::string out = dump_state();
  EXPECT_EQ(out.rfind("grove: workers=" + std::to_string(grove::worker_count()) + " ", 0), 0u) << out;
  EXPECT_NE(out.find(" poller="), std::string::npos) << out;
  for (unsigned i = 0; i < grove::worker_count(); ++i) {
    // The caller's own worker is running this fiber.
    const std::string running = static_cast<int>(i) == grove::current_worker_index() ? "running=fiber" : "running=";
    EXPECT_NE(out.find("worker " + std::to_string(i) + ": " + running), std::string::npos) << out;
  }
  EXPECT_NE(out.find(" ring="), std::string::npos) << out;
  EXPECT_NE(out.find(" inbox="), std::string::npos) << out;
}

}  // namespace
