// pthread_once for threads-as-fibers: 0 new, 1 running, 2 done (glibc's done value), others wait.
#include <cerrno>
#include <climits>

#include "threads/FiberFutex.hpp"
#include "threads/Sync.hpp"

namespace grove::threads {
namespace {
constexpr std::uint32_t kNew = 0, kRunning = 1, kDone = 2;
}

int pthread_once(pthread_once_t* once, void (*init)()) {
  auto* state = reinterpret_cast<std::atomic<std::uint32_t>*>(once);
  static_assert(sizeof(pthread_once_t) == sizeof(std::uint32_t));
  for (;;) {
    std::uint32_t s = state->load(std::memory_order_acquire);
    if (s == kDone) return 0;
    if (s == kNew && state->compare_exchange_strong(s, kRunning, std::memory_order_acquire)) break;
    if (s == kRunning) futex_wait(state, kRunning, detail::kNoDeadline);
  }
  try {
    init();
  } catch (...) {
    // An exception (std::call_once) leaves it not done: the next caller runs it again.
    state->store(kNew, std::memory_order_release);
    futex_wake(state, INT_MAX);
    throw;
  }
  state->store(kDone, std::memory_order_release);
  futex_wake(state, INT_MAX);
  return 0;
}

}  // namespace grove::threads
