// Baselines for grove's switch/spawn benchmarks: what a context switch, a spawn and a lock cost
// *without* grove — raw Boost.Context (the floor grove's switch sits on) and plain OS threads
// (what grove replaces). Run side by side with grove's own benchmarks; see bench/README.md.
//
// Convention: where one benchmark iteration is a round trip (two one-way switches), the
// "per_switch" counter gives the one-way cost; the Time column is per iteration.

#include <benchmark/benchmark.h>

#include <boost/context/detail/fcontext.hpp>
#include <boost/context/fiber.hpp>
#include <boost/context/pooled_fixedsize_stack.hpp>

#include <pthread.h>
#include <sched.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace {

namespace ctx = boost::context;
namespace fctx = boost::context::detail;

// Two one-way switches per iteration: report the one-way cost as a counter.
void report_per_switch(benchmark::State& state, double switches_per_iter) {
  state.counters["per_switch"] = benchmark::Counter(
      switches_per_iter, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// ---------------------------------------------------------------------------------------------
// Raw fcontext: make_fcontext/jump_fcontext, the assembly switch grove's context layer uses.
// No exceptions, no stack bookkeeping: the lowest possible switch cost on this machine.

void fcontext_echo(fctx::transfer_t t) {
  // Bounce forever; the benchmark abandons this context (its stack holds nothing to destroy).
  for (;;) t = fctx::jump_fcontext(t.fctx, t.data);
}

void BM_raw_fcontext_switch(benchmark::State& state) {
  constexpr std::size_t kStack = 64 * 1024;
  auto stack = std::make_unique<std::byte[]>(kStack);
  fctx::fcontext_t other = fctx::make_fcontext(stack.get() + kStack, kStack, fcontext_echo);
  other = fctx::jump_fcontext(other, nullptr).fctx;  // first entry: not part of the measurement
  for (auto _ : state) {
    other = fctx::jump_fcontext(other, nullptr).fctx;  // there and back: 2 switches
  }
  report_per_switch(state, 2);
}
BENCHMARK(BM_raw_fcontext_switch);

// Create a context on a preallocated stack, enter it, come back: the floor for "spawn" when
// stacks are pooled (grove pools stacks). The context function never returns.
void BM_raw_fcontext_make_and_enter(benchmark::State& state) {
  constexpr std::size_t kStack = 64 * 1024;
  auto stack = std::make_unique<std::byte[]>(kStack);
  for (auto _ : state) {
    fctx::fcontext_t c = fctx::make_fcontext(stack.get() + kStack, kStack, fcontext_echo);
    c = fctx::jump_fcontext(c, nullptr).fctx;
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_raw_fcontext_make_and_enter);

// ---------------------------------------------------------------------------------------------
// boost::context::fiber (call/cc style): resume round trip. Adds the fiber record and the
// move-only handle protocol on top of jump_fcontext.

void BM_context_fiber_resume(benchmark::State& state) {
  bool stop = false;
  ctx::fiber f{[&stop](ctx::fiber&& caller) {
    while (!stop) caller = std::move(caller).resume();
    return std::move(caller);
  }};
  f = std::move(f).resume();  // start it
  for (auto _ : state) {
    f = std::move(f).resume();  // there and back: 2 switches
  }
  stop = true;
  f = std::move(f).resume();  // let it return cleanly
  report_per_switch(state, 2);
}
BENCHMARK(BM_context_fiber_resume);

// Create a fiber on a pooled stack, run it to completion: "spawn + join" with no scheduler.
void BM_context_fiber_spawn_join(benchmark::State& state) {
  ctx::pooled_fixedsize_stack pool(128 * 1024);
  for (auto _ : state) {
    int v = 0;
    ctx::fiber f{std::allocator_arg, pool, [&v](ctx::fiber&& caller) {
                   v = 1;
                   return std::move(caller);
                 }};
    f = std::move(f).resume();
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_context_fiber_spawn_join);

// ---------------------------------------------------------------------------------------------
// OS threads: ping-pong through std::mutex + std::condition_variable. This is what a blocking
// "switch to another thread" costs: futex wake + sleep + the kernel scheduler.

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

// Arg 0: threads float freely (usually on two cores). Arg 1: both pinned to CPU 0, so each
// one-way hand-off is a real context switch on one core (the fair comparison with a fiber switch).
void BM_os_thread_condvar_pingpong(benchmark::State& state) {
  const bool same_core = state.range(0) != 0;
  std::mutex m;
  std::condition_variable cv;
  int turn = 0;  // 0: main's turn, 1: partner's turn, 2: stop
  cpu_set_t saved;
  pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved);
  if (same_core) pin_to_cpu(0);

  std::thread partner([&] {
    if (same_core) pin_to_cpu(0);
    std::unique_lock lk(m);
    for (;;) {
      cv.wait(lk, [&] { return turn != 0; });
      if (turn == 2) return;
      turn = 0;
      cv.notify_one();
    }
  });

  for (auto _ : state) {
    std::unique_lock lk(m);
    turn = 1;
    cv.notify_one();
    cv.wait(lk, [&] { return turn == 0; });  // there and back: 2 one-way hand-offs
  }
  {
    std::lock_guard lk(m);
    turn = 2;
  }
  cv.notify_one();
  partner.join();
  pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
  report_per_switch(state, 2);
}
BENCHMARK(BM_os_thread_condvar_pingpong)->ArgName("same_core")->Arg(0)->Arg(1)->UseRealTime();

// std::thread create + join of an empty function.
void BM_os_thread_spawn_join(benchmark::State& state) {
  for (auto _ : state) {
    std::thread t([] { benchmark::ClobberMemory(); });
    t.join();
  }
}
BENCHMARK(BM_os_thread_spawn_join)->UseRealTime();

// std::mutex lock/unlock around a tiny critical section. threads:1 is uncontended;
// threads:2 contends across the two cores. Time is wall time per lock/unlock pair, all
// threads' operations together (i.e. inverse throughput).
std::mutex g_mutex;
std::uint64_t g_counter = 0;

void BM_std_mutex_lock_unlock(benchmark::State& state) {
  for (auto _ : state) {
    g_mutex.lock();
    ++g_counter;
    g_mutex.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_std_mutex_lock_unlock)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

