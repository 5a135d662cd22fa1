#include "fiber/FiberControl.hpp"
#include "sched/Worker.hpp"

namespace grove::detail {
namespace {

// Plain threads get a stand-in control block so every primitive can park them the same way.
struct ThreadFiber {
  FiberControl fiber{FiberKind::thread};
  ThreadFiber() { fiber.name = "thread"; }
};

}  // namespace

FiberControl* current_fiber() {
  if (Worker* w = Worker::current()) return w->running_fiber();
  thread_local ThreadFiber t;
  return &t.fiber;
}

}  // namespace grove::detail
