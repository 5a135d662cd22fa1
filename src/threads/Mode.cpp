#include "threads/Mode.hpp"

#include <stdlib.h>

#include <atomic>
#include <cstring>

#include "context/FiberTls.hpp"
#include "sys/Sys.hpp"

namespace grove::threads {
namespace {

std::atomic<int> g_mode{-1};  // -1 not read yet, 0 os, 1 fibers

int read_mode() noexcept {
  const char* s = secure_getenv("GROVE_THREADS");
  int mode = s && std::strcmp(s, "fibers") == 0 ? 1 : 0;
  if (mode == 1 && !detail::FiberTls::supported()) {
    static const char msg[] =
        "grove: GROVE_THREADS=fibers needs per-fiber TLS, which this platform (or sanitizer build) does not "
        "support; threads stay OS threads\n";
    sys::write(2, msg, sizeof msg - 1);
    mode = 0;
  }
  int expected = -1;
  g_mode.compare_exchange_strong(expected, mode);
  return g_mode.load();
}

__attribute__((constructor(102))) void read_mode_at_load() { fibers_mode(); }

}  // namespace

bool fibers_mode() noexcept {
  const int m = g_mode.load(std::memory_order_relaxed);
  return (m < 0 ? read_mode() : m) == 1;
}

}  // namespace grove::threads
