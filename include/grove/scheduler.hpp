#pragma once
// Calls about the running fiber (or, outside fibers, the running thread).
#include <chrono>
#include <cstdint>
#include <string>

#include "grove/detail/fiber_core.hpp"

namespace grove {

// Lets every other runnable fiber of this worker run once (gevent.sleep(0)). Outside a fiber: sched_yield.
void yield();

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
