// The flagship demo: thousands of fibers sleeping and talking over sockets at once, on a few threads.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <vector>

#include <grove/grove.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Reads exactly n bytes, parking the fiber (not the thread) while the socket is empty.
bool read_full(int fd, char* buf, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, buf, n);
    if (r > 0) {
      buf += r;
      n -= static_cast<size_t>(r);
    } else if (r < 0 && errno == EAGAIN) {
      grove::wait_readable(fd);
    } else {
      return false;
    }
  }
  return true;
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace

int main() {
  std::printf("grove demo: %u worker threads\n", grove::worker_count());

  // 1. Ten thousand fibers each sleep 200 ms: together they take 200 ms, not 2000 s.
  auto t0 = Clock::now();
  std::vector<grove::Fiber<void>> sleepers;
  for (int i = 0; i < 10000; ++i) sleepers.push_back(grove::spawn([] { grove::sleep(200ms); }));
  for (auto& f : sleepers) f.join();
  std::printf("10000 fibers slept 200 ms each in %.0f ms total\n", ms_since(t0));

  // 2. A thousand echo conversations over socket pairs, each an echo fiber and a client fiber.
  t0 = Clock::now();
  std::atomic<long> echoed{0};
  std::vector<grove::Fiber<bool>> clients;
  for (int c = 0; c < 1000; ++c) {
    clients.push_back(grove::spawn([&echoed, c] {
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return false;
      auto echo = grove::spawn([fd = sv[1]] {
        char buf[64];
        while (read_full(fd, buf, sizeof buf)) {
          if (write(fd, buf, sizeof buf) != static_cast<ssize_t>(sizeof buf)) break;
        }
      });
      bool ok = true;
      for (int round = 0; round < 20 && ok; ++round) {
        char out[64], in[64];
        std::snprintf(out, sizeof out, "client %d round %d", c, round);
        ok = write(sv[0], out, sizeof out) == static_cast<ssize_t>(sizeof out) && read_full(sv[0], in, sizeof in) &&
             std::string(in) == out;
        echoed += ok;
      }
      grove::close(sv[0]);
      echo.join();
      grove::close(sv[1]);
      return ok;
    }));
  }
  int good = 0;
  for (auto& c : clients) good += c.get();
  std::printf("%d of 1000 clients echoed %ld messages correctly in %.0f ms\n", good, echoed.load(), ms_since(t0));

  // 3. Killing a fiber unwinds it at its next suspension point.
  auto victim = grove::spawn(grove::SpawnOptions{.name = "victim"}, [] { grove::sleep(1h); });
  grove::sleep(1ms);
  victim.kill();
  std::printf("fiber %s killed: %s\n", victim.name().c_str(), victim.killed() ? "yes" : "no");
  return good == 1000 ? 0 : 1;
}
