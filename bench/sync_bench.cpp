// grove's synchronisation primitives: Event ping-pong on one worker and across two, and Lock
// under contention from two workers (compare with baseline_switch's BM_std_mutex_lock_unlock and
// BM_os_thread_condvar_pingpong, run in the same sitting; see bench/README.md).
// Run with GROVE_WORKERS=2 (the cross-worker cases skip themselves on one worker).
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>

#include <grove/grove.hpp>

namespace {

using namespace std::chrono_literals;

// Spawns `fn` pinned to worker `index`: a launcher fiber waits until an idle worker steals it
// onto that worker, then spawns the pinned fiber there (pinned fibers stay where spawned).
template <typename Fn>
grove::Fiber<void> spawn_on_worker(int index, Fn fn) {
  auto launcher = grove::spawn([index, fn]() mutable {
    for (int tries = 0; grove::current_worker_index() != index; ++tries) {
      if (tries > 200000) return grove::Fiber<void>();
      grove::yield();
    }
    return grove::spawn(grove::SpawnOptions{.pinned = true}, std::move(fn));
  });
  return launcher.get();
}

void report_round_trip(benchmark::State& state) {
  state.counters["per_switch"] = benchmark::Counter(2, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// Two fibers hand a turn back and forth with two Events; one iteration = a round trip.
void event_pingpong(benchmark::State& state, bool cross_worker) {
  if (cross_worker && grove::worker_count() < 2) {
    state.SkipWithError("needs GROVE_WORKERS>=2");
    return;
  }
  grove::Event ping, pong;
  std::atomic<bool> stop{false};
  auto partner_body = [&] {
    for (;;) {
      ping.wait();
      ping.clear();
      if (stop.load(std::memory_order_relaxed)) return;
      pong.set();
    }
  };
  grove::Fiber<void> partner = cross_worker ? spawn_on_worker(1, partner_body)
                                            : grove::spawn(grove::SpawnOptions{.pinned = true}, partner_body);
  if (!partner) {
    state.SkipWithError("could not place a fiber on worker 1");
    return;
  }
  for (auto _ : state) {
    ping.set();
    pong.wait();
    pong.clear();
  }
  stop = true;
  ping.set();
  partner.join();
  report_round_trip(state);
}

void BM_grove_event_pingpong_same_worker(benchmark::State& state) { event_pingpong(state, false); }
void BM_grove_event_pingpong_cross_worker(benchmark::State& state) { event_pingpong(state, true); }
BENCHMARK(BM_grove_event_pingpong_same_worker)->UseRealTime();
BENCHMARK(BM_grove_event_pingpong_cross_worker)->UseRealTime();

// Uncontended lock/++/unlock from the main fiber.
void BM_grove_lock_uncontended(benchmark::State& state) {
  grove::Lock lock;
  long counter = 0;
  for (auto _ : state) {
    lock.acquire();
    ++counter;
    lock.release();
  }
  benchmark::DoNotOptimize(counter);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_grove_lock_uncontended);

// Two fibers pinned to workers 0 and 1 each do kBatch lock/++/unlock per iteration. Time per item
// is wall time per operation of both together (compare BM_std_mutex_lock_unlock/threads:2).
void BM_grove_lock_contended_2_workers(benchmark::State& state) {
  if (grove::worker_count() < 2) {
    state.SkipWithError("needs GROVE_WORKERS>=2");
    return;
  }
  constexpr int kBatch = 1000;
  grove::Lock lock;
  long counter = 0;
  grove::Semaphore go0(0), go1(0);
  grove::WaitGroup done;
  std::atomic<bool> stop{false};
  auto body = [&](grove::Semaphore& go) {
    return [&] {
      for (;;) {
        go.acquire();
        if (stop.load(std::memory_order_relaxed)) return;
        for (int i = 0; i < kBatch; ++i) {
          lock.acquire();
          ++counter;
          lock.release();
        }
        done.done();
      }
    };
  };
  auto other = spawn_on_worker(1, body(go1));
  if (!other) {
    state.SkipWithError("could not place a fiber on worker 1");
    return;
  }
  auto mine = grove::spawn(grove::SpawnOptions{.pinned = true}, body(go0));  // worker 0, with main
  for (auto _ : state) {
    done.add(2);
    go0.release();
    go1.release();
    done.wait();
  }
  stop = true;
  go0.release();
  go1.release();
  grove::joinall({mine, other});
  benchmark::DoNotOptimize(counter);
  state.SetItemsProcessed(state.iterations() * 2 * kBatch);
}
BENCHMARK(BM_grove_lock_contended_2_workers)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
