#pragma once
// grove::WaitGroup (Go's sync.WaitGroup): wait until a counter of outstanding tasks drops to 0.
#include <atomic>
#include <cstdint>

#include "grove/detail/sync_core.hpp"
#include "grove/waitable.hpp"

namespace grove {

class WaitGroup : public Waitable {
 public:
  WaitGroup() = default;
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  // Adds `delta` (may be negative); reaching 0 wakes every waiter. A counter that would go
  // negative throws UsageError and is left unchanged (Go panics).
  void add(std::int64_t delta = 1);
  void done() { add(-1); }
  std::int64_t count() const;
  // Blocks until the counter is 0; false if `timeout` passed first.
  bool wait(OptionalTimeout timeout = std::nullopt) const;

  bool ready() const override { return count() == 0; }
  detail::WaitQueue& wait_queue() const override { return q_.get(); }

 private:
  detail::WaitQueueBox q_;
  std::atomic<std::int64_t> count_{0};  // written under the queue lock; read without it
};

}  // namespace grove
