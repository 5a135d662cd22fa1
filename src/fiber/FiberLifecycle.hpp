#pragma once
// What happens inside a fiber from its first instruction to its last, and after.
#include "fiber/FiberControl.hpp"

namespace grove::detail {

// Runs the fiber's task (unless it was killed before starting), records the outcome and wakes
// its joiners. Called on the fiber's own stack. Returns a lone joiner it claimed, to run next
// (null if none): the caller resumes it.
FiberControl* run_fiber_body(FiberControl* self);

// The WaitQueue that is notified when `f` finishes, for waiters outside fiber_join (iwait): from
// now on the finishing fiber locks it (kWatched). Check fiber_done under its lock before waiting.
WaitQueue& fiber_waiters(FiberControl* f);

// After the last switch away from a finished fiber: frees its stack (into `cache`, the worker's)
// and drops the scheduler's reference, unless its lone joiner took that (ref_to_joiner).
void retire_fiber(FiberControl* f, StackCache* cache);

// While at least one watcher is registered, finishing fibers are stamped in finish order. A fiber
// that finishes after observing another's finish (join, ready) gets the larger stamp: it reads the
// watcher count no earlier than the first did.
void watch_finish_order() noexcept;
void unwatch_finish_order() noexcept;

// Creates a fiber context that starts in run_fiber_body (defined by the scheduler).
Fcontext make_fiber_context(FiberControl* f);

}  // namespace grove::detail
