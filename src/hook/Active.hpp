#pragma once
// Whether a hook may park its caller. Inline: every hooked call asks first (two loads).
#include "sched/Worker.hpp"

namespace grove::hook {

// True when the caller is a grove fiber (hooks may park it); false on plain threads, on a worker's
// scheduler context, and before the runtime starts: then hooks behave exactly like libc.
inline bool active() noexcept {
  const detail::Worker* w = detail::Worker::current();
  return w && w->running_fiber()->kind != detail::FiberKind::scheduler;
}

}  // namespace grove::hook
