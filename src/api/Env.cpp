// GROVE_* environment variables, read once when libgrove loads. A bad value stops the program
// before main with one line naming the variable and the accepted range, and exit status 2.
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "api/Bootstrap.hpp"
#include "context/Stack.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {
namespace {

Config g_env;

bool parse_whole(const char* s, unsigned long long& out) {
  if (!*s) return false;
  for (const char* p = s; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
  }
  errno = 0;
  out = std::strtoull(s, nullptr, 10);
  return errno == 0;
}

// Bytes with an optional K, M or G suffix (powers of 1024).
bool parse_size(const char* s, unsigned long long& out) {
  std::string digits(s);
  unsigned long long scale = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k': case 'K': scale = 1ull << 10; digits.pop_back(); break;
      case 'm': case 'M': scale = 1ull << 20; digits.pop_back(); break;
      case 'g': case 'G': scale = 1ull << 30; digits.pop_back(); break;
      default: break;
    }
  }
  if (!parse_whole(digits.c_str(), out) || out > (~0ull) / scale) return false;
  out *= scale;
  return true;
}

__attribute__((constructor)) void read_environment() {
  unsigned long long v = 0;
  if (const char* s = secure_getenv("GROVE_WORKERS")) {
    if (!parse_whole(s, v) || v < 1 || v > 1024) die_bad_environment("GROVE_WORKERS", s, "expected a whole number from 1 to 1024");
    g_env.workers = static_cast<unsigned>(v);
  }
  if (const char* s = secure_getenv("GROVE_STACK_SIZE")) {
    if (!parse_size(s, v) || v < kMinStackSize || v > kMaxStackSize) {
      die_bad_environment("GROVE_STACK_SIZE", s, "expected a size in bytes (suffix K, M or G allowed) from 16K to 1G");
    }
    g_env.stack_size = static_cast<std::size_t>(v);
  }
  if (const char* s = secure_getenv("GROVE_MAX_BLOCKING_MS")) {
    if (!parse_whole(s, v) || v > 3600000) die_bad_environment("GROVE_MAX_BLOCKING_MS", s, "expected a whole number of milliseconds from 0 to 3600000");
    g_env.max_blocking_ms = static_cast<unsigned>(v);
  }
  if (const char* s = secure_getenv("GROVE_THREADS")) {
    if (std::strcmp(s, "os") != 0 && std::strcmp(s, "fibers") != 0) die_bad_environment("GROVE_THREADS", s, "expected os or fibers");
  }
}

}  // namespace

void die_bad_environment(const char* name, const char* value, const char* expected) {
  std::string line = std::string("grove: ") + name + "=\"" + value + "\": " + expected + "\n";
  sys::write(2, line.data(), line.size());
  _exit(2);
}

const Config& env_config() { return g_env; }

}  // namespace grove::detail
