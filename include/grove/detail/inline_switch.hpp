#pragma once
// The stack switch that grove::yield and Fiber::join make from the caller's own frame. A switch
// inside an out-of-line function resumes the other fiber, which then returns up its own call chain
// while the CPU's return-stack predictor holds ours: every one of those returns is mispredicted
// (that costs more than the rest of a yield). Jumping from the user's frame leaves none.
#include <cstddef>

#include "grove/detail/noplt.hpp"

namespace grove::detail {

struct YieldStep {
  void* to;    // the context to jump to; null: nothing to jump to (done already, or no fiber)
  void* self;  // the fiber that jumps, where the jump saves its context
};

// Where a fiber's control block (YieldStep::self) keeps two flag bytes: nonzero means a resumed
// yield has work (interrupt pending, work left by the switch).
inline constexpr std::size_t kResumeFlagsOffset = 10;

#if defined(__x86_64__) && defined(__linux__)
#define GROVE_INLINE_YIELD_JUMP 1
// Saves the running context in `self` and resumes `to` (src/context/Jump.cpp).
extern "C" GROVE_NOPLT void grove_yield_jump(void* to, void* self) noexcept;
#else
#define GROVE_INLINE_YIELD_JUMP 0
#endif

}  // namespace grove::detail
