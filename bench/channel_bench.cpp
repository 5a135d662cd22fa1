// Channel throughput: one producer, one consumer, one item per iteration.
//  - grove Channel, unbuffered (rendezvous) and buffered, with both fibers on one worker and with
//    the producer pinned to worker 1 and the consumer (the main fiber) on worker 0;
//  - the same hand-over between two OS threads through a std::mutex + std::condition_variable
//    queue (bounded buffer, and a rendezvous where put waits until the item is taken).
// Runs the grove runtime with 2 workers. See bench/README.md for commands and numbers.
#include <benchmark/benchmark.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <grove/grove.hpp>

namespace {

// Spawns `fn` as a fiber pinned to worker `worker`. A helper fiber is spawned until one starts on
// that worker (an idle worker steals it while this one is kept busy), and spawns `fn` there.
template <typename Fn>
grove::Fiber<void> spawn_on_worker(int worker, Fn fn) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    grove::Channel<grove::Fiber<void>> placed(1);
    auto helper = grove::spawn([&] {
      if (grove::current_worker_index() != worker) return;
      placed.send(grove::spawn(grove::SpawnOptions{.name = "pinned", .stack_size = 0, .pinned = true}, fn));
    });
    // Keep this worker busy (without suspending) so another worker steals the helper.
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2);
    while (!helper.ready() && std::chrono::steady_clock::now() < until) {
    }
    helper.join();
    if (auto f = placed.try_recv()) return std::move(*f);
  }
  throw std::runtime_error("could not place a fiber on worker " + std::to_string(worker));
}

void grove_channel(benchmark::State& state, std::size_t capacity, bool cross_worker) {
  if (cross_worker && grove::worker_count() < 2) {
    state.SkipWithError("needs 2 workers");
    return;
  }
  grove::Channel<std::int64_t> ch(capacity);
  const std::int64_t n = state.max_iterations;
  std::atomic<int> producer_worker{-1};
  auto produce = [&] {
    producer_worker = grove::current_worker_index();
    for (std::int64_t i = 0; i < n; ++i) ch.send(i);
  };
  grove::Fiber<void> producer =
      cross_worker ? spawn_on_worker(1, produce)
                   : grove::spawn(grove::SpawnOptions{.name = "producer", .stack_size = 0, .pinned = true}, produce);
  std::int64_t sum = 0;
  for (auto _ : state) sum += *ch.recv();
  producer.join();
  benchmark::DoNotOptimize(sum);
  if (cross_worker && producer_worker.load() == grove::current_worker_index()) state.SkipWithError("same worker");
  state.SetItemsProcessed(state.iterations());
}

// The classic OS-thread queue: one mutex, two condition variables.
class CondvarQueue {
 public:
  explicit CondvarQueue(std::size_t capacity) : capacity_(capacity) {}
  void put(std::int64_t v) {
    std::unique_lock lock(mu_);
    if (capacity_ == 0) {  // rendezvous: wait until a getter took it
      not_full_.wait(lock, [&] { return !slot_; });
      slot_ = v;
      not_empty_.notify_one();
      const std::uint64_t ticket = ++puts_;
      taken_.wait(lock, [&] { return takes_ >= ticket; });
      return;
    }
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(v);
    not_empty_.notify_one();
  }
  std::int64_t get() {
    std::unique_lock lock(mu_);
    if (capacity_ == 0) {
      not_empty_.wait(lock, [&] { return slot_.has_value(); });
      std::int64_t v = *slot_;
      slot_.reset();
      ++takes_;
      taken_.notify_all();
      not_full_.notify_one();
      return v;
    }
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    std::int64_t v = items_.front();
    items_.pop_front();
    not_full_.notify_one();
    return v;
  }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_, taken_;
  std::deque<std::int64_t> items_;
  std::size_t capacity_;
  std::optional<std::int64_t> slot_;
  std::uint64_t puts_ = 0, takes_ = 0;
};

void os_threads_condvar(benchmark::State& state, std::size_t capacity) {
  CondvarQueue q(capacity);
  const std::int64_t n = state.max_iterations;
  std::thread producer([&] {
    for (std::int64_t i = 0; i < n; ++i) q.put(i);
  });
  std::int64_t sum = 0;
  for (auto _ : state) sum += q.get();
  producer.join();
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}

void BM_grove_channel_unbuffered_same_worker(benchmark::State& s) { grove_channel(s, 0, false); }
void BM_grove_channel_buffered64_same_worker(benchmark::State& s) { grove_channel(s, 64, false); }
void BM_grove_channel_unbuffered_cross_worker(benchmark::State& s) { grove_channel(s, 0, true); }
void BM_grove_channel_buffered64_cross_worker(benchmark::State& s) { grove_channel(s, 64, true); }
void BM_os_threads_condvar_rendezvous(benchmark::State& s) { os_threads_condvar(s, 0); }
void BM_os_threads_condvar_buffered64(benchmark::State& s) { os_threads_condvar(s, 64); }

BENCHMARK(BM_grove_channel_unbuffered_same_worker)->UseRealTime();
BENCHMARK(BM_grove_channel_buffered64_same_worker)->UseRealTime();
BENCHMARK(BM_grove_channel_unbuffered_cross_worker)->UseRealTime();
BENCHMARK(BM_grove_channel_buffered64_cross_worker)->UseRealTime();
BENCHMARK(BM_os_threads_condvar_rendezvous)->UseRealTime();
BENCHMARK(BM_os_threads_condvar_buffered64)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  grove::init(grove::Config{.workers = 2, .stack_size = 0, .max_blocking_ms = 0});
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
