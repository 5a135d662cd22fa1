#pragma once
// The boundary between the templated public API and the runtime (libgrove). Users never call these.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "grove/detail/inline_switch.hpp"
#include "grove/detail/noplt.hpp"

namespace grove {
struct SpawnOptions;
}

namespace grove::detail {

class FiberControl;  // the control block, defined inside libgrove

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
inline constexpr TimePoint kNoDeadline = TimePoint::max();

// The callable and its result live right after the control block, in one allocation.
struct TaskBase {
  virtual void run() = 0;  // exceptions escape to the runtime, which records them
  virtual ~TaskBase() = default;
};

// Allocates a control block with `task_size` bytes for the task; returns where to construct it.
FiberControl* fiber_create(const SpawnOptions& options, std::size_t task_size, std::size_t task_align, void** task_memory);
void fiber_start(FiberControl* f, TaskBase* task);  // makes it runnable; the runtime owns one reference
void fiber_retain(FiberControl* f) noexcept;
void fiber_release(FiberControl* f) noexcept;
// Drops a handle's reference and the scheduler's one, which its join took over (fiber_join).
void fiber_release_joined(FiberControl* f) noexcept;

// False on timeout. With `took_ref`: set when the finishing fiber handed the caller the
// scheduler's reference (a lone joiner it switched to); the caller then drops it
// (fiber_release_joined), so retiring the fiber needs no atomic decrement. Without, the join
// drops it itself.
bool fiber_join(FiberControl* f, TimePoint deadline, bool* took_ref = nullptr);
// Fiber::join() (no deadline) in two halves around a switch made from the caller's frame
// (inline_switch.hpp): join_begin joins as fiber_join does up to the switch to the child it
// claimed to run now, and returns where to jump; {null}: joined already (it took the general path
// itself). After the jump returns, join_end finishes the join (it may throw, as fiber_join does).
GROVE_NOPLT YieldStep join_begin(FiberControl* f, bool* took_ref);
GROVE_NOPLT void join_end(FiberControl* f, bool* took_ref);
bool fiber_done(const FiberControl* f) noexcept;
bool fiber_killed(const FiberControl* f) noexcept;
std::exception_ptr fiber_exception(const FiberControl* f) noexcept;
TaskBase* fiber_task(FiberControl* f) noexcept;
void fiber_kill(FiberControl* f, bool block, TimePoint deadline);
std::uint64_t fiber_id(const FiberControl* f) noexcept;
std::string fiber_name(const FiberControl* f);

TimePoint deadline_after(Clock::duration timeout);  // validates: negative timeouts throw std::invalid_argument

}  // namespace grove::detail
