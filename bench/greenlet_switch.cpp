// grove::greenlet switch_to round trip next to the raw fcontext round trip it is built on, in
// one binary and one run. Target: greenlet round trip <= 1.5x raw (gevent's greenlet: 206 ns).
// By default every benchmark runs 5 times, interleaved, and the program ends with each greenlet
// benchmark's median as a multiple of the raw round trip's median.
#include <benchmark/benchmark.h>

#include <boost/context/detail/fcontext.hpp>

#include <cstddef>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// Prints as usual and keeps each benchmark's median (or single run) for the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  struct Times {
    double real_ns;
    double cpu_ns;
  };
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || !(r.aggregate_name == "median" || (r.run_type == Run::RT_Iteration && r.repetitions <= 1))) {
        continue;
      }
      const double to_ns = 1e9 / benchmark::GetTimeUnitMultiplier(r.time_unit);
      medians_[r.run_name.function_name] = Times{r.GetAdjustedRealTime() * to_ns, r.GetAdjustedCPUTime() * to_ns};
    }
  }
  void print_ratios(const std::string& baseline) const {
    auto base = medians_.find(baseline);
    if (base == medians_.end()) return;
    std::printf("\nmedians relative to %s (%.1f ns real, %.1f ns CPU):\n", baseline.c_str(), base->second.real_ns,
                base->second.cpu_ns);
    for (const auto& [name, t] : medians_) {
      if (name == baseline || name.find("roundtrip") == std::string::npos) continue;
      std::printf("  %-40s %6.2fx real  %6.2fx CPU\n", name.c_str(), t.real_ns / base->second.real_ns,
                  t.cpu_ns / base->second.cpu_ns);
    }
  }

 private:
  std::map<std::string, Times> medians_;
};

bool has_flag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with(flag)) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=5", aggregates = "--benchmark_report_aggregates_only=true",
              interleave = "--benchmark_enable_random_interleaving=true";
  if (!has_flag(argc, argv, "--benchmark_repetitions")) {
    args.push_back(reps.data());
    if (!has_flag(argc, argv, "--benchmark_report_aggregates_only")) args.push_back(aggregates.data());
    if (!has_flag(argc, argv, "--benchmark_enable_random_interleaving")) args.push_back(interleave.data());
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios("BM_raw_fcontext_roundtrip");
  benchmark::Shutdown();
  return 0;
}
