// Hooked libc calls inside fibers: same results as libc, but the fiber waits, not the worker.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../core/TestUtil.hpp"
#include "grove/grove.hpp"
#include "sched/Runtime.hpp"

using namespace std::chrono_literals;
using grove::test::Clock;
using grove::test::elapsed_ms;

namespace {

int kernel_flags(int fd) { return static_cast<int>(syscall(SYS_fcntl, fd, F_GETFL)); }

// Runs `body` in a fiber and waits for it.
template <typename F>
void in_fiber(F body) {
  auto f = grove::spawn(body);
  f.join();
  if (auto e = f.exception()) std::rethrow_exception(e);
}

int listen_loopback(int* port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 128) != 0) return -1;
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return s;
}

int connect_loopback(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    int e = errno;
    close(s);
    errno = e;
    return -1;
  }
  return s;
}

// A fiber that counts while others wait: proves the worker was not blocked.
struct Ticker {
  std::atomic<bool> stop{false};
  std::atomic<int> ticks{0};
  grove::Fiber<void> fiber = grove::spawn([this] {
    while (!stop.load()) {
      ticks.fetch_add(1);
      usleep(1000);
    }
  });
  int finish() {
    stop = true;
    fiber.join();
    return ticks.load();
  }
};

}  // namespace

TEST(Hooks, SleepsInManyFibersTakeTheTimeOfOne) {
  auto start = Clock::now();
  std::vector<grove::Fiber<void>> fibers;
  for (int i = 0; i < 50; ++i) {
    fibers.push_back(grove::spawn([i] {
      if (i % 3 == 0) usleep(200000);
      else if (i % 3 == 1) {
        timespec ts{0, 200000000};
        EXPECT_EQ(nanosleep(&ts, nullptr), 0);
      } else {
        EXPECT_EQ(poll(nullptr, 0, 200), 0);
      }
    }));
  }
  for (auto& f : fibers) f.join();
  EXPECT_GE(elapsed_ms(start), 190);
  EXPECT_LT(elapsed_ms(start), 2000);  // 50 sequential sleeps would take 10 s
}

TEST(Hooks, NanosleepRejectsBadInputLikeLibc) {
  in_fiber([] {
    timespec bad{0, 1000000000};
    errno = 0;
    EXPECT_EQ(nanosleep(&bad, nullptr), -1);
    EXPECT_EQ(errno, EINVAL);
    timespec neg{-1, 0};
    EXPECT_EQ(nanosleep(&neg, nullptr), -1);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, nullptr), EINVAL);
    timespec past{0, 0};
    EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, nullptr), 0);
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 50000000;
    if (now.tv_nsec >= 1000000000) now.tv_nsec -= 1000000000, ++now.tv_sec;
    auto t0 = Clock::now();
    EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, nullptr), 0);
    EXPECT_GE(elapsed_ms(t0), 40);
    EXPECT_EQ(sleep(0), 0u);
    EXPECT_EQ(sched_yield(), 0);
  });
}

TEST(Hooks, ReadOnSocketpairParksOnlyTheFiber) {
  in_fiber([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    // The kernel descriptor is non-blocking; the user still sees a blocking socket.
    EXPECT_TRUE(kernel_flags(sv[0]) & O_NONBLOCK);
    EXPECT_FALSE(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    Ticker ticker;
    auto writer = grove::spawn([&] {
      usleep(100000);
      EXPECT_EQ(write(sv[1], "hello", 5), 5);
    });
    char buf[16];
    auto t0 = Clock::now();
    EXPECT_EQ(read(sv[0], buf, sizeof buf), 5);
    EXPECT_GE(elapsed_ms(t0), 80);
    EXPECT_EQ(std::string(buf, 5), "hello");
    writer.join();
    EXPECT_GT(ticker.finish(), 10);
    close(sv[0]);
    close(sv[1]);
  });
}

TEST(Hooks, UserNonBlockingSocketStillGetsEagain) {
  in_fiber([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ASSERT_EQ(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK), 0);
    EXPECT_TRUE(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    char c;
    errno = 0;
    EXPECT_EQ(read(sv[0], &c, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_EQ(recv(sv[0], &c, 1, 0), -1);
    EXPECT_EQ(errno, EAGAIN);
    // Back to blocking with ioctl(FIONBIO): the kernel flag stays, the user's goes.
    int off = 0;
    ASSERT_EQ(ioctl(sv[0], FIONBIO, &off), 0);
    EXPECT_FALSE(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(kernel_flags(sv[0]) & O_NONBLOCK);
    // MSG_DONTWAIT on a blocking socket: one try.
    EXPECT_EQ(recv(sv[0], &c, 1, MSG_DONTWAIT), -1);
    EXPECT_EQ(errno, EAGAIN);
    // SOCK_NONBLOCK at creation is the user's flag too.
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    EXPECT_TRUE(fcntl(s, F_GETFL) & O_NONBLOCK);
    close(s);
    close(sv[0]);
    close(sv[1]);
  });
}

TEST(Hooks, ReceiveTimeoutGivesEagain) {
  in_fiber([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    timeval tv{0, 100000};
    ASSERT_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    timeval back{};
    socklen_t len = sizeof back;
    ASSERT_EQ(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
    EXPECT_EQ(back.tv_usec, 100000);
    char c;
    auto t0 = Clock::now();
    errno = 0;
    EXPECT_EQ(read(sv[0], &c, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
    EXPECT_GE(elapsed_ms(t0), 90);
    EXPECT_LT(elapsed_ms(t0), 3000);
    close(sv[0]);
    close(sv[1]);
  });
}

TEST(Hooks, CloseWhileAnotherFiberWaitsGivesItEbadf) {
  in_fiber([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    auto reader = grove::spawn([&] {
      char c;
      errno = 0;
      ssize_t r = read(sv[0], &c, 1);
      return std::make_pair(r, errno);
    });
    usleep(50000);
    ASSERT_EQ(close(sv[0]), 0);
    auto [r, err] = reader.get();
    EXPECT_EQ(r, -1);
    EXPECT_EQ(err, EBADF);
    // The number is reused at once by a new socket: nothing of the old one sticks to it.
    int fresh = socket(AF_UNIX, SOCK_STREAM, 0);
    EXPECT_EQ(fresh, sv[0]);
    EXPECT_FALSE(fcntl(fresh, F_GETFL) & O_NONBLOCK);
    close(fresh);
    close(sv[1]);
  });
}

TEST(Hooks, Dup2OntoAWaitedDescriptorGivesTheWaiterEbadf) {
  in_fiber([] {
    int a[2], b[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    auto reader = grove::spawn([&] {
      char c;
      errno = 0;
      ssize_t r = read(a[0], &c, 1);
      return std::make_pair(r, errno);
    });
    usleep(50000);
    ASSERT_EQ(dup2(b[0], a[0]), a[0]);
    auto [r, err] = reader.get();
    EXPECT_EQ(r, -1);
    EXPECT_EQ(err, EBADF);
    // a[0] is now b[0]'s socket.
    EXPECT_EQ(write(b[1], "x", 1), 1);
    char c = 0;
    EXPECT_EQ(read(a[0], &c, 1), 1);
    EXPECT_EQ(c, 'x');
    for (int fd : {a[0], a[1], b[0], b[1]}) close(fd);
  });
}

TEST(Hooks, BlockingSendWritesEverythingAndEpipeAfterPeerCloses) {
  in_fiber([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    std::string big(4 << 20, 'z');
    auto reader = grove::spawn([&] {
      std::size_t got = 0;
      char buf[65536];
      for (;;) {
        ssize_t r = read(sv[1], buf, sizeof buf);
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
        if (got == big.size()) break;
      }
      return got;
    });
    EXPECT_EQ(write(sv[0], big.data(), big.size()), static_cast<ssize_t>(big.size()));
    EXPECT_EQ(reader.get(), big.size());
    close(sv[1]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    EXPECT_EQ(send(sv[0], "x", 1, 0), -1);
    EXPECT_EQ(errno, EPIPE);
    close(sv[0]);
  });
}

TEST(Hooks, ManyFibersConnectReadWriteConcurrently) {
  in_fiber([] {
    int port = 0;
    int ls = listen_loopback(&port);
    ASSERT_GE(ls, 0);
    constexpr int kClients = 40;
    auto server = grove::spawn([&] {
      std::vector<grove::Fiber<void>> conns;
      for (int i = 0; i < kClients; ++i) {
        int c = accept(ls, nullptr, nullptr);
        if (c < 0) break;
        conns.push_back(grove::spawn([c] {
          char buf[64];
          ssize_t n = read(c, buf, sizeof buf);
          usleep(200000);  // every connection is slow: served in parallel, not in turn
          if (n > 0) write(c, buf, static_cast<size_t>(n));
          close(c);
        }));
      }
      for (auto& f : conns) f.join();
    });
    auto t0 = Clock::now();
    std::vector<grove::Fiber<bool>> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(grove::spawn([port, i] {
        int s = connect_loopback(port);
        if (s < 0) return false;
        std::string msg = "ping " + std::to_string(i);
        write(s, msg.data(), msg.size());
        char buf[64];
        ssize_t n = read(s, buf, sizeof buf);
        close(s);
        return n == static_cast<ssize_t>(msg.size()) && std::string(buf, static_cast<size_t>(n)) == msg;
      }));
    }
    for (auto& c : clients) EXPECT_TRUE(c.get());
    server.join();
    EXPECT_LT(elapsed_ms(t0), 4000);  // 40 × 200 ms in turn would be 8 s
    close(ls);
  });
}

TEST(Hooks, ConnectRefusedReportsLikeLibc) {
  in_fiber([] {
    int port = 0;
    int ls = listen_loopback(&port);
    close(ls);  // nobody listens there now
    errno = 0;
    EXPECT_EQ(connect_loopback(port), -1);
    EXPECT_EQ(errno, ECONNREFUSED);
  });
}

TEST(Hooks, PipesStayBlockingInTheKernelAndWaitCooperatively) {
  in_fiber([] {
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    EXPECT_FALSE(kernel_flags(p[0]) & O_NONBLOCK);
    EXPECT_FALSE(kernel_flags(p[1]) & O_NONBLOCK);
    Ticker ticker;
    auto writer = grove::spawn([&] {
      usleep(100000);
      // Larger than the pipe buffer: the reader drains while we write.
      std::string big(256 * 1024, 'p');
      return write(p[1], big.data(), big.size());
    });
    std::size_t got = 0;
    char buf[8192];
    while (got < 256 * 1024) {
      ssize_t r = read(p[0], buf, sizeof buf);
      ASSERT_GT(r, 0);
      got += static_cast<std::size_t>(r);
    }
    EXPECT_EQ(writer.get(), 256 * 1024);
    EXPECT_GT(ticker.finish(), 10);
    close(p[0]);
    close(p[1]);
  });
}

TEST(Hooks, PollSelectAndEpollWaitCooperatively) {
  in_fiber([] {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Ticker ticker;
    // Timeouts.
    pollfd pf{sv[0], POLLIN, 0};
    auto t0 = Clock::now();
    EXPECT_EQ(poll(&pf, 1, 100), 0);
    EXPECT_GE(elapsed_ms(t0), 90);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    timeval tv{0, 100000};
    EXPECT_EQ(select(sv[0] + 1, &rd, nullptr, nullptr, &tv), 0);
    EXPECT_FALSE(FD_ISSET(sv[0], &rd));
    int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = sv[0];
    ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
    epoll_event out[4];
    EXPECT_EQ(epoll_wait(ep, out, 4, 100), 0);
    // Readiness arriving while parked.
    auto writer = grove::spawn([&] {
      usleep(50000);
      write(sv[1], "a", 1);
    });
    pollfd two[2] = {{sv[0], POLLIN, 0}, {sv[1], POLLIN, 0}};
    EXPECT_EQ(poll(two, 2, 5000), 1);
    EXPECT_TRUE(two[0].revents & POLLIN);
    EXPECT_EQ(epoll_wait(ep, out, 4, 5000), 1);
    EXPECT_EQ(out[0].data.fd, sv[0]);
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    EXPECT_EQ(select(sv[0] + 1, &rd, nullptr, nullptr, nullptr), 1);
    EXPECT_TRUE(FD_ISSET(sv[0], &rd));
    writer.join();
    // A closed descriptor: POLLNVAL from poll, EBADF from select, as libc.
    int dead = dup(sv[0]);
    close(dead);
    pollfd nv{dead, POLLIN, 0};
    EXPECT_EQ(poll(&nv, 1, 100), 1);
    EXPECT_TRUE(nv.revents & POLLNVAL);
    FD_ZERO(&rd);
    FD_SET(dead, &rd);
    tv = timeval{0, 100000};
    errno = 0;
    EXPECT_EQ(select(dead + 1, &rd, nullptr, nullptr, &tv), -1);
    EXPECT_EQ(errno, EBADF);
    EXPECT_GT(ticker.finish(), 10);
    close(ep);
    close(sv[0]);
    close(sv[1]);
  });
}

TEST(Hooks, WaitpidParksTheFiberWhileOthersRun) {
  in_fiber([] {
    Ticker ticker;
    pid_t pid = fork();
    if (pid == 0) {
      usleep(200000);
      _exit(7);
    }
    ASSERT_GT(pid, 0);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 7);
    EXPECT_GT(ticker.finish(), 20);
    // Errors as libc: no such child.
    errno = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), -1);
    EXPECT_EQ(errno, ECHILD);
  });
}

TEST(Hooks, SystemAndPopenRunThroughTheShell) {
  in_fiber([] {
    Ticker ticker;
    int st = system("sleep 0.2; exit 3");
    EXPECT_TRUE(WIFEXITED(st));
    EXPECT_EQ(WEXITSTATUS(st), 3);
    FILE* p = popen("echo grove; sleep 0.1", "r");
    ASSERT_NE(p, nullptr);
    char line[64] = {};
    ASSERT_NE(fgets(line, sizeof line, p), nullptr);
    EXPECT_STREQ(line, "grove\n");
    EXPECT_EQ(pclose(p), 0);
    errno = 0;
    EXPECT_EQ(popen("true", "x"), nullptr);
    EXPECT_EQ(errno, EINVAL);
    EXPECT_GT(ticker.finish(), 20);
  });
}

TEST(Hooks, ForkedChildHasAWorkingRuntime) {
  in_fiber([] {
    pid_t pid = fork();
    if (pid == 0) {
      // Only this fiber survived; new fibers, sleeps and I/O work in the child.
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) _exit(10);
      auto w = grove::spawn([&] {
        usleep(20000);
        write(sv[1], "k", 1);
      });
      char c = 0;
      if (read(sv[0], &c, 1) != 1 || c != 'k') _exit(11);
      w.join();
      _exit(0);
    }
    int status = -1;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  });
}

TEST(Hooks, PlainThreadsPassThroughButStillBlockOnGroveSockets) {
  int sv[2];
  in_fiber([&] { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0); });
  // A plain OS thread reading a socket grove made non-blocking still blocks, as libc would.
  std::thread t([&] {
    usleep(50000);
    write(sv[1], "t", 1);
  });
  char c = 0;
  auto t0 = Clock::now();
  std::thread reader([&] { EXPECT_EQ(read(sv[0], &c, 1), 1); });
  reader.join();
  t.join();
  EXPECT_EQ(c, 't');
  EXPECT_GE(elapsed_ms(t0), 40);
  close(sv[0]);
  close(sv[1]);
}

// Every worker blocks in a raw read() (unhooked), so fibers queued behind them run on spare
// threads; a hooked call there pins them to the spare's thread. They must still run when they
// wake after the loan ended (they were once stranded in the released spare's inbox).
TEST(Hooks, FibersPinnedToASpareStillRunAfterTheLoanEnds) {
  const unsigned n = grove::worker_count();
  std::vector<int> fds(2 * n);
  for (unsigned i = 0; i < n; ++i) ASSERT_EQ(pipe(&fds[2 * i]), 0);
  std::atomic<unsigned> blocked{0};
  std::atomic<int> asleep{0};
  const auto handoffs_before = grove::detail::Runtime::get()->handoffs.load();
  std::vector<grove::Fiber<long>> blockers;
  for (unsigned i = 0; i < n; ++i) {
    blockers.push_back(grove::spawn([&, i] {
      char c = 0;
      ++blocked;
      return static_cast<long>(syscall(SYS_read, fds[2 * i], &c, 1));
    }));
  }
  constexpr int kSleepers = 8;
  std::vector<grove::Fiber<void>> sleepers;
  for (int i = 0; i < kSleepers; ++i) {
    sleepers.push_back(grove::spawn([&] {
      while (blocked.load() < n) grove::sleep(1ms);
      ++asleep;
      usleep(300000);  // outlasts the loan: the blockers are released as soon as all sleep
    }));
  }
  std::thread releaser([&] {
    const auto start = Clock::now();
    while (asleep.load() < kSleepers && elapsed_ms(start) < 5000) std::this_thread::sleep_for(1ms);
    for (unsigned i = 0; i < n; ++i) EXPECT_EQ(syscall(SYS_write, fds[2 * i + 1], "x", 1), 1);
  });
  for (auto& b : blockers) EXPECT_EQ(b.get(), 1);
  releaser.join();
  EXPECT_EQ(asleep.load(), kSleepers);
  for (auto& s : sleepers) EXPECT_TRUE(s.join(10s)) << "a fiber pinned to a spare never ran again";
  EXPECT_GT(grove::detail::Runtime::get()->handoffs.load(), handoffs_before);
  for (int fd : fds) close(fd);
}
