#pragma once
// grove::Event (gevent.event.Event, threading.Event): a flag that waiters block on until set.
#include <atomic>

#include "grove/detail/sync_core.hpp"
#include "grove/waitable.hpp"

namespace grove {

class Event : public Waitable {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Sets the flag and wakes every waiter (in the order they started waiting).
  void set();
  void clear();
  bool is_set() const { return flag_.load(std::memory_order_acquire); }
  // Blocks until the flag is set or `timeout` passes. Returns true if set (a waiter woken by
  // set() returns true even if clear() ran before it did, as in gevent). Throws the fiber's
  // interrupt (FiberExit, grove::Timeout).
  bool wait(OptionalTimeout timeout = std::nullopt) const;

  bool ready() const override { return is_set(); }
  detail::WaitQueue& wait_queue() const override { return q_.get(); }

 private:
  std::atomic<bool> flag_{false};
  detail::WaitQueueBox q_;
};

}  // namespace grove
