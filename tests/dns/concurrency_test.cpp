// 1000 lookups at once from fibers: all answered correctly, on the workers' own threads.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "DnsTestUtil.hpp"
#include "grove/grove.hpp"

namespace grove::test {
namespace {

// TSan runs a background thread of its own.
#if defined(__SANITIZE_THREAD__)
constexpr int kToolThreads = 1;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int kToolThreads = 1;
#else
constexpr int kToolThreads = 0;
#endif
#else
constexpr int kToolThreads = 0;
#endif

TEST(DnsConcurrency, ThousandConcurrentLookupsFromFibers) {
  std::atomic<int> correct{0}, finished{0};
  std::atomic<int> peak_threads{0};
  std::atomic<bool> done{false};
  auto sampler = grove::spawn([&] {
    while (!done.load()) {
      peak_threads = std::max(peak_threads.load(), foreign_thread_count());
      grove::sleep(std::chrono::milliseconds(1));
    }
  });
  std::vector<Fiber<void>> fibers;
  fibers.reserve(kNames);
  const auto start = Clock::now();
  for (int i = 0; i < kNames; ++i) {
    fibers.push_back(grove::spawn([i, &correct, &finished] {
      addrinfo h{};
      h.ai_family = AF_INET;
      h.ai_socktype = SOCK_STREAM;
      dns::AddrInfo list;
      int rc = dns::try_getaddrinfo(name_of(i).c_str(), "80", &h, list, std::chrono::seconds(20));
      if (rc == 0 && addresses(list) == std::vector<std::string>{address_of(i)}) ++correct;
      ++finished;
    }));
  }
  for (auto& f : fibers) f.join();
  done = true;
  sampler.join();
  const double seconds = seconds_since(start);
  EXPECT_EQ(finished.load(), kNames);
  EXPECT_EQ(correct.load(), kNames);
  // Only the main thread (worker 0) is not grove's own: c-ares and the lookups add none.
  EXPECT_LE(peak_threads.load(), 1 + kToolThreads);
  EXPECT_LT(seconds, 30.0);
  std::printf("1000 lookups in %.3f s on %u workers, peak %d threads\n", seconds, grove::worker_count(),
              peak_threads.load());
}

TEST(DnsConcurrency, LookupsLeaveNoDescriptorsBehind) {
  const int before = fd_count();
  std::vector<Fiber<void>> fibers;
  for (int i = 0; i < 200; ++i) {
    fibers.push_back(grove::spawn([i] { dns::getaddrinfo(name_of(i).c_str(), nullptr); }));
  }
  for (auto& f : fibers) f.get();
  EXPECT_EQ(fd_count(), before);
}

}  // namespace
}  // namespace grove::test
