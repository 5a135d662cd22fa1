// Four fibers each make blocking libc calls (usleep, then read on a pipe that another fiber
// fills later); linked with grove::hooks they overlap instead of running one after another.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include <grove/grove.hpp>

int main() {
  using Clock = std::chrono::steady_clock;
  constexpr int kFibers = 4;
  constexpr useconds_t kSleepUs = 200000;
  int p[2];
  if (pipe(p) != 0) return 1;
  const auto t0 = Clock::now();
  std::vector<grove::Fiber<long>> sleepers;
  for (int i = 0; i < kFibers; ++i) {
    sleepers.push_back(grove::spawn([] { return static_cast<long>(usleep(kSleepUs)); }));
  }
  auto reader = grove::spawn([&] {
    char buf[8] = {};
    return static_cast<long>(read(p[0], buf, sizeof buf));  // blocks until the writer runs
  });
  auto writer = grove::spawn([&] {
    usleep(kSleepUs);
    return static_cast<long>(write(p[1], "grove", 5));
  });
  long sum = 0;
  for (auto& s : sleepers) sum += s.get();
  const long got = reader.get();
  const long put = writer.get();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  // One sleep's worth (200 ms), not five: well under 2x even on a slow, loaded machine.
  const bool overlapped = ms < 2.0 * kSleepUs / 1000.0;
  std::printf("usleep=%ld read=%ld write=%ld overlapped=%s\n", sum, got, put, overlapped ? "yes" : "no");
  std::fprintf(stderr, "elapsed %.1f ms\n", ms);
  return sum == 0 && got == 5 && put == 5 && overlapped ? 0 : 1;
}
