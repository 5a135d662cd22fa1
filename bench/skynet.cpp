// Skynet (github.com/atemerev/skynet): each fiber spawns 10 children down to 1,000,000 leaves,
// which return their ordinal; the sums travel back up. Prints the median of several runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <grove/grove.hpp>

namespace {

long skynet(long num, long size, long div) {
  if (size == 1) return num;
  grove::Fiber<long> children[10];
  for (long i = 0; i < div; ++i) {
    const long sub = size / div;
    children[i] = grove::spawn(grove::SpawnOptions{.stack_size = 16 * 1024}, skynet, num + i * sub, sub, div);
  }
  long sum = 0;
  for (long i = 0; i < div; ++i) sum += children[i].get();
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  std::vector<double> ms;
  long result = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    result = grove::spawn(skynet, 0L, 1000000L, 10L).get();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("skynet 1M: result=%ld workers=%u runs=%d median_ms=%.1f min_ms=%.1f\n", result, grove::worker_count(), runs,
              ms[ms.size() / 2], ms.front());
  return result == 499999500000L ? 0 : 1;
}
