#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>
#include <vector>

#include <grove/grove.hpp>

#include "TestUtil.hpp"

using namespace std::chrono_literals;

namespace {

struct SocketPair {
  int fd[2];
  SocketPair() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fd), 0);
  }
  ~SocketPair() {
    for (int f : fd) {
      if (f >= 0) grove::close(f);
    }
  }
};

}  // namespace

TEST(Io, WaitReadableParksOnlyTheFiber) {
  SocketPair sp;
  std::atomic<bool> other_ran{false};
  auto reader = grove::spawn([&] {
    char c;
    while (read(sp.fd[0], &c, 1) < 0 && errno == EAGAIN) {
      EXPECT_EQ(grove::wait_readable(sp.fd[0]), grove::IoStatus::ready);
    }
    return c;
  });
  auto other = grove::spawn([&] { other_ran = true; });
  other.join();
  EXPECT_TRUE(other_ran);
  grove::sleep(5ms);
  EXPECT_FALSE(reader.ready());
  ASSERT_EQ(write(sp.fd[1], "x", 1), 1);
  EXPECT_EQ(reader.get(), 'x');
}

TEST(Io, WaitReadableTimesOut) {
  SocketPair sp;
  auto t0 = grove::test::Clock::now();
  EXPECT_EQ(grove::wait_readable(sp.fd[0], 20ms), grove::IoStatus::timed_out);
  const double ms = grove::test::elapsed_ms(t0);
  EXPECT_GE(ms, 19.5);
  EXPECT_LT(ms, 200.0);
}

TEST(Io, WaitWritableIsReadyOnAFreshSocket) {
  SocketPair sp;
  EXPECT_EQ(grove::wait_writable(sp.fd[1], 1s), grove::IoStatus::ready);
}

TEST(Io, WaitWritableWakesWhenBufferDrains) {
  SocketPair sp;
  char buf[65536] = {};
  while (write(sp.fd[1], buf, sizeof buf) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  auto writer = grove::spawn([&] { return grove::wait_writable(sp.fd[1], 5s); });
  grove::sleep(5ms);
  EXPECT_FALSE(writer.ready());
  while (read(sp.fd[0], buf, sizeof buf) > 0) {
  }
  EXPECT_EQ(writer.get(), grove::IoStatus::ready);
}

TEST(Io, ManyWaitersAllWake) {
  SocketPair sp;
  std::vector<grove::Fiber<grove::IoStatus>> fs;
  for (int i = 0; i < 50; ++i) fs.push_back(grove::spawn([&] { return grove::wait_readable(sp.fd[0], 5s); }));
  grove::sleep(5ms);
  ASSERT_EQ(write(sp.fd[1], "x", 1), 1);
  for (auto& f : fs) EXPECT_EQ(f.get(), grove::IoStatus::ready);
}

TEST(Io, CloseWakesWaitersWithClosed) {
  SocketPair sp;
  auto waiter = grove::spawn([&] { return grove::wait_readable(sp.fd[0], 5s); });
  grove::sleep(5ms);
  ASSERT_EQ(grove::close(sp.fd[0]), 0);
  sp.fd[0] = -1;
  EXPECT_EQ(waiter.get(), grove::IoStatus::closed);
}

TEST(Io, ReusedDescriptorNumberIsNotConfused) {
  int first[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, first), 0);
  ASSERT_EQ(write(first[1], "a", 1), 1);
  EXPECT_EQ(grove::wait_readable(first[0], 1s), grove::IoStatus::ready);  // registers fd
  const int number = first[0];
  grove::close(first[0]);
  grove::close(first[1]);
  int second[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, second), 0);
  ASSERT_EQ(second[0], number) << "the kernel reuses the lowest free number";
  // The new socket has no data: the old readiness must not leak into it.
  EXPECT_EQ(grove::wait_readable(second[0], 20ms), grove::IoStatus::timed_out);
  ASSERT_EQ(write(second[1], "b", 1), 1);
  EXPECT_EQ(grove::wait_readable(second[0], 1s), grove::IoStatus::ready);
  grove::close(second[0]);
  grove::close(second[1]);
}

TEST(Io, RegularFilesAreAlwaysReady) {
  char path[] = "/tmp/grove_io_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  EXPECT_EQ(grove::wait_readable(fd, 1s), grove::IoStatus::ready);
  EXPECT_EQ(grove::wait_writable(fd, 1s), grove::IoStatus::ready);
  grove::close(fd);
}

TEST(Io, BadDescriptorsAreErrors) {
  EXPECT_THROW(grove::wait_readable(-1), std::invalid_argument);
  EXPECT_THROW(grove::wait_readable(987654, 10ms), std::system_error);
}

TEST(Io, PlainThreadsBlockInPoll) {
  SocketPair sp;
  std::atomic<bool> timed_out_first{false};
  std::thread t([&] {
    EXPECT_EQ(grove::wait_readable(sp.fd[0], 10ms), grove::IoStatus::timed_out);
    timed_out_first = true;
    EXPECT_EQ(grove::wait_readable(sp.fd[0], 5s), grove::IoStatus::ready);
  });
  while (!timed_out_first) grove::sleep(1ms);
  grove::sleep(5ms);
  ASSERT_EQ(write(sp.fd[1], "x", 1), 1);
  t.join();
}

TEST(Io, KillInterruptsAWait) {
  SocketPair sp;
  auto waiter = grove::spawn([&] { grove::wait_readable(sp.fd[0]); });
  grove::sleep(5ms);
  waiter.kill();
  EXPECT_TRUE(waiter.killed());
}

TEST(Io, EchoThroughManyConnectionsConcurrently) {
  const int kConns = static_cast<int>(grove::test::scaled(200));
  std::vector<grove::Fiber<int>> fs;
  for (int c = 0; c < kConns; ++c) {
    fs.push_back(grove::spawn([] {
      SocketPair sp;
      auto echo = grove::spawn([&] {
        char buf[64];
        for (;;) {
          ssize_t n = read(sp.fd[1], buf, sizeof buf);
          if (n == 0) return;
          if (n < 0) {
            if (errno != EAGAIN) return;
            grove::wait_readable(sp.fd[1]);
            continue;
          }
          EXPECT_EQ(write(sp.fd[1], buf, n), n);
        }
      });
      int ok = 0;
      for (int i = 0; i < 50; ++i) {
        char out = static_cast<char>('a' + i % 26), in = 0;
        EXPECT_EQ(write(sp.fd[0], &out, 1), 1);
        while (read(sp.fd[0], &in, 1) < 0 && errno == EAGAIN) grove::wait_readable(sp.fd[0]);
        ok += in == out;
      }
      shutdown(sp.fd[0], SHUT_WR);
      echo.join();
      return ok;
    }));
  }
  for (auto& f : fs) EXPECT_EQ(f.get(), 50);
}
