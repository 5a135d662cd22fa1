// N fibers parked at once (default 1,000,000), each sleeping: RSS per parked fiber, on default
// kernel settings (vm.max_map_count 65530: past the map budget, stacks come from slabs).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <grove/grove.hpp>

#include "context/Stack.hpp"

namespace {

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

int map_count() {
  std::ifstream maps("/proc/self/maps");
  return static_cast<int>(std::count(std::istreambuf_iterator<char>(maps), std::istreambuf_iterator<char>(), '\n'));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  std::vector<grove::Fiber<void>> fibers;
  fibers.reserve(n);
  grove::sleep(10ms);
  const long before = rss_kib();
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) fibers.push_back(grove::spawn([] { grove::sleep(24h); }));
  grove::sleep(200ms);  // every fiber has run up to its sleep
  const double spawn_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long after = rss_kib();
  auto stats = grove::detail::stack_stats();
  std::printf("parked fibers: n=%ld workers=%u rss_before_kib=%ld rss_after_kib=%ld rss_per_fiber_bytes=%.0f "
              "maps=%d guarded_stacks=%zu slab_stacks=%zu spawn_s=%.2f\n",
              n, grove::worker_count(), before, after, (after - before) * 1024.0 / n, map_count(), stats.guarded_live,
              stats.slab_live, spawn_s);
  std::fflush(stdout);
  _exit(0);  // 1M fibers asleep for a day: leave without unwinding them
}
