// grove::yield, grove::sleep and questions about the running fiber.
#include "api/Bootstrap.hpp"
#include "grove/scheduler.hpp"
#include "sched/Park.hpp"
#include "sched/WorkerSwitch.hpp"
#include "sys/Sys.hpp"

namespace grove {

using namespace detail;

namespace {
Worker* fiber_worker() {
  Worker* w = Worker::current();
  return w && w->running_fiber()->kind != FiberKind::scheduler ? w : nullptr;
}
}  // namespace

namespace detail {

namespace {
[[gnu::noinline]] YieldStep yield_thread() {
  sys::sched_yield();
  return YieldStep{nullptr, nullptr};
}
}  // namespace

YieldStep yield_begin() {
  Worker* w = Worker::current();
  if (!w) [[unlikely]] return yield_thread();
  FiberControl* self = w->running_fiber();
  if (self->kind == FiberKind::scheduler) [[unlikely]] return yield_thread();
  return w->yield_step(self);
}

void yield_end() {
  Worker* w = Worker::current();
  if (!w) return;
  FiberControl* self = w->running_fiber();
  if (self->retire_on_resume) w->retire_pending();
  if (self->interrupt_pending.load(std::memory_order_acquire)) [[unlikely]] throw_interrupt(self);
}

}  // namespace detail

void sleep_until(TimePoint deadline) {
  // Plain threads (even before the runtime exists) park on their futex inside park().
  FiberControl* self = current_fiber();
  if (deadline <= Clock::now()) {
    yield();
    return;
  }
  ParkTicket ticket = prepare_park(true);
  if (park(ticket, deadline, true) == WakeReason::interrupted) throw_interrupt(self);
}

bool in_fiber() { return fiber_worker() != nullptr; }

std::uint64_t current_fiber_id() {
  Worker* w = fiber_worker();
  return w ? w->running_fiber()->id : 0;
}

int current_worker_index() {
  Worker* w = Worker::current();
  return w ? static_cast<int>(w->logical_index()) : -1;
}

unsigned worker_count() { return static_cast<unsigned>(runtime().workers.size()); }

}  // namespace grove
