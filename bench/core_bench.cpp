// grove's core switch and spawn costs, in the same binary (and run) as the baselines of
// baseline_switch.cpp: compare BM_grove_yield's per_switch with BM_raw_fcontext_switch's.
// The runtime uses GROVE_WORKERS workers (default here: 1, the "same worker" figures).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>

#include <grove/grove.hpp>

namespace {

void report_per_switch(benchmark::State& state, double switches_per_iter) {
  state.counters["per_switch"] = benchmark::Counter(
      switches_per_iter, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Two fibers on one worker: each iteration, main yields to the partner, which yields back.
void BM_grove_yield(benchmark::State& state) {
  std::atomic<bool> stop{false};
  auto partner = grove::spawn(grove::SpawnOptions{.pinned = true}, [&] {
    while (!stop.load(std::memory_order_relaxed)) grove::yield();
  });
  grove::yield();  // let it start
  for (auto _ : state) grove::yield();
  stop = true;
  partner.join();
  report_per_switch(state, 2);
}
BENCHMARK(BM_grove_yield);

// Spawn an empty fiber and join it (from the main fiber).
void BM_grove_spawn_join(benchmark::State& state) {
  for (auto _ : state) grove::spawn([] {}).join();
}
BENCHMARK(BM_grove_spawn_join);

// A burst: spawn 1000 fibers, then join them all (amortises wake-ups; stealing on 2 workers).
void BM_grove_spawn_join_batch(benchmark::State& state) {
  std::vector<grove::Fiber<void>> fs(1000);
  for (auto _ : state) {
    for (auto& f : fs) f = grove::spawn([] {});
    for (auto& f : fs) f.join();
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_grove_spawn_join_batch);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  grove::Config config;
  config.workers = getenv("GROVE_WORKERS") ? 0 : 1;  // 0: the environment decides
  grove::init(config);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
