#pragma once
// The boundary between the templated public API and the runtime (libgrove). Users never call these.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

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

bool fiber_join(FiberControl* f, TimePoint deadline);  // false on timeout
bool fiber_done(const FiberControl* f) noexcept;
bool fiber_killed(const FiberControl* f) noexcept;
std::exception_ptr fiber_exception(const FiberControl* f) noexcept;
TaskBase* fiber_task(FiberControl* f) noexcept;
void fiber_kill(FiberControl* f, bool block, TimePoint deadline);
std::uint64_t fiber_id(const FiberControl* f) noexcept;
std::string fiber_name(const FiberControl* f);

TimePoint deadline_after(Clock::duration timeout);  // validates: negative timeouts throw std::invalid_argument

}  // namespace grove::detail
