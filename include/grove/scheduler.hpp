#pragma once
// Calls about the running fiber (or, outside fibers, the running thread).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "grove/detail/fiber_core.hpp"
#include "grove/detail/inline_switch.hpp"
#include "grove/detail/noplt.hpp"

namespace grove {

namespace detail {
// grove::yield is inline so that its stack switch is made from the caller's own frame
// (detail/inline_switch.hpp).
// Everything a yield does before the jump; takes the general path itself when the next fiber
// needs more than a jump (and always in sanitizer builds).
GROVE_NOPLT YieldStep yield_begin();
// After a yield: finishes what the switch left (a finished fiber's stack) and raises a kill or
// Timeout that arrived meanwhile.
void yield_end();
}  // namespace detail

// Lets every other runnable fiber of this worker run once (gevent.sleep(0)). Outside a fiber: sched_yield.
inline void yield() {
  const detail::YieldStep step = detail::yield_begin();
#if GROVE_INLINE_YIELD_JUMP
  if (step.to) [[likely]] {
    detail::grove_yield_jump(step.to, step.self);
    const auto* flags = reinterpret_cast<const std::uint16_t*>(static_cast<const char*>(step.self) + detail::kResumeFlagsOffset);
    if (__atomic_load_n(flags, __ATOMIC_ACQUIRE) != 0) [[unlikely]] detail::yield_end();
    return;
  }
#endif
  detail::yield_end();
}

// Suspends the fiber (outside fibers: the thread). Throws FiberExit if the fiber is killed meanwhile.
void sleep_until(detail::TimePoint deadline);
template <typename Rep, typename Period>
void sleep(std::chrono::duration<Rep, Period> d) {
  sleep_until(detail::deadline_after(std::chrono::duration_cast<detail::Clock::duration>(d)));
}

// True when called from inside a grove fiber (not from the adopted main thread's own stack).
bool in_fiber();
// The id of the running fiber; 0 outside fibers.
std::uint64_t current_fiber_id();
// Worker index running the caller, or -1 on a thread that is not a worker.
int current_worker_index();
// The number of worker threads.
unsigned worker_count();

}  // namespace grove
