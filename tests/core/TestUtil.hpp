#pragma once
// Small helpers shared by the core tests.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include <grove/errors.hpp>

namespace grove::test {

using Clock = std::chrono::steady_clock;

// Stress sizes shrink under sanitizers: TSan keeps ~0.5 MB of state per fiber and both are slow.
inline long scaled(long n) {
#if defined(GROVE_TSAN)
  return std::max(1L, n / 50);
#elif defined(GROVE_ASAN)
  return std::max(1L, n / 4);
#else
  return n;
#endif
}

inline double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct CommandResult {
  int status = -1;  // exit status, or -1 if it did not exit normally
  std::string output;
};

// Runs a shell command, capturing stdout and stderr together.
inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// What the grove::UsageError thrown by `fn` says ("(no UsageError)" if it throws none).
inline std::string usage_error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const grove::UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

}  // namespace grove::test
