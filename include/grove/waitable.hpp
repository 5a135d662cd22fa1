#pragma once
// Things a fiber (or thread) can wait for together: grove::wait / iwait / joinall.
#include <chrono>
#include <cstddef>
#include <optional>

#include "grove/fiber.hpp"

namespace grove {

namespace detail {
class WaitQueue;
}  // namespace detail

// The adoption interface for anything that "becomes ready" (Event, AsyncResult, later queues):
// `ready()` says whether a wait is over, and every change that can make it true is followed by
// notify_all() on `wait_queue()` (the runtime's internal detail::WaitQueue, whose lock guards
// the state `ready()` reads).
class Waitable {
 public:
  virtual bool ready() const = 0;
  virtual detail::WaitQueue& wait_queue() const = 0;

 protected:
  ~Waitable() = default;
};

// A non-owning view of a Waitable, or a counted handle to a fiber (ready once it is dead).
class WaitableRef {
 public:
  WaitableRef(const Waitable& w) : waitable_(&w) {}  // NOLINT: implicit on purpose ({f, event})
  WaitableRef(FiberRef f) : fiber_(std::move(f)) {}  // NOLINT
  bool ready() const;
  detail::WaitQueue& wait_queue() const;
  const FiberRef& fiber() const { return fiber_; }  // empty unless this refers to a fiber
  const Waitable* waitable() const { return waitable_; }

 private:
  const Waitable* waitable_ = nullptr;
  FiberRef fiber_;
};

// An optional relative timeout: `5s`, `100ms`, or std::nullopt (wait forever).
using OptionalTimeout = std::optional<std::chrono::nanoseconds>;

namespace detail {
TimePoint deadline_from(const OptionalTimeout& timeout);
}  // namespace detail

}  // namespace grove
