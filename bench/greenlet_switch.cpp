// grove::greenlet switch_to round trip next to the raw fcontext round trip it is built on, in
// one binary and one run. Target: greenlet round trip <= 1.5x raw (gevent's greenlet: 206 ns).
#include <benchmark/benchmark.h>

#include <boost/context/detail/fcontext.hpp>

#include <cstddef>
#include <memory>

#include <grove/grove.hpp>

namespace {

namespace fctx = boost::context::detail;

void fcontext_echo(fctx::transfer_t t) {
  for (;;) t = fctx::jump_fcontext(t.fctx, t.data);
}

void BM_raw_fcontext_roundtrip(benchmark::State& state) {
  constexpr std::size_t kStack = 64 * 1024;
  auto stack = std::make_unique<std::byte[]>(kStack);
  fctx::fcontext_t other = fctx::make_fcontext(stack.get() + kStack, kStack, fcontext_echo);
  other = fctx::jump_fcontext(other, nullptr).fctx;
  for (auto _ : state) other = fctx::jump_fcontext(other, nullptr).fctx;
}
BENCHMARK(BM_raw_fcontext_roundtrip);

// g.switch_to(i) there, main.switch_to(n) back: two switches carrying an int each way.
void BM_greenlet_switch_roundtrip(benchmark::State& state) {
  grove::greenlet main = grove::greenlet::current();
  grove::greenlet g([main](grove::value v) {
    for (;;) v = main.switch_to(std::move(v));
  });
  int n = 0;
  g.switch_to(0);
  for (auto _ : state) n = g.switch_to(n + 1).as<int>();
  benchmark::DoNotOptimize(n);
}
BENCHMARK(BM_greenlet_switch_roundtrip);

// The same with no value either way (switch_to()).
void BM_greenlet_switch_roundtrip_empty(benchmark::State& state) {
  grove::greenlet main = grove::greenlet::current();
  grove::greenlet g([main] {
    for (;;) main.switch_to();
  });
  g.switch_to();
  for (auto _ : state) g.switch_to();
}
BENCHMARK(BM_greenlet_switch_roundtrip_empty);

// Generator next() round trip (re-parenting to the caller included).
void BM_generator_next(benchmark::State& state) {
  grove::Generator<int> gen([](auto& yield) {
    for (int i = 0;; ++i) yield(i);
  });
  int n = 0;
  for (auto _ : state) n = gen.next();
  benchmark::DoNotOptimize(n);
}
BENCHMARK(BM_generator_next);

grove::local<int> g_local;
void BM_local_access(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(++*g_local);
}
BENCHMARK(BM_local_access);

}  // namespace

BENCHMARK_MAIN();
