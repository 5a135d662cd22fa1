#pragma once
// What the scheduler needs from the I/O layer: a way for an idle worker to sleep until I/O,
// a deadline, or an explicit interrupt. The io layer's Poller implements it.
#include "grove/detail/fiber_core.hpp"

namespace grove::detail {

class EventSource {
 public:
  virtual ~EventSource() = default;
  // Only one thread polls at a time; others sleep on their futex.
  virtual bool try_acquire() = 0;
  virtual void release() = 0;
  virtual bool held() const = 0;  // for diagnostics (grove_dump_state)
  // Waits for events until `deadline` (does not block if it has passed) and wakes the fibers
  // they concern. Returns the number of fibers woken. Only the holder calls it.
  virtual int poll(TimePoint deadline) = 0;
  // Makes a blocked poll() return soon. Any thread.
  virtual void interrupt() = 0;
};

}  // namespace grove::detail
