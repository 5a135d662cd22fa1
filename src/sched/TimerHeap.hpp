#pragma once
// Per-worker timers: a binary min-heap of intrusive nodes, O(log n) insert and cancel.
// Guarded by a mutex because a fiber may cancel its timer after migrating to another worker.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include "grove/detail/fiber_core.hpp"
#include "sys/FutexLock.hpp"

namespace grove::detail {

class TimerHeap;

struct TimerNode {
  TimePoint deadline{};
  void (*fire)(TimerNode*) = nullptr;  // runs under the heap's lock; must not touch the heap
  std::size_t index = 0;
  std::atomic<TimerHeap*> heap{nullptr};  // set while scheduled
};

class TimerHeap {
 public:
  void add(TimerNode* node);
  // Removes the node if still scheduled; safe from any thread. After it returns, the node's
  // callback is not running and never will.
  static void cancel(TimerNode* node);
  // Fires every node due at `now`; returns how many fired.
  std::size_t fire_due(TimePoint now);
  TimePoint earliest() const { return TimePoint(Clock::duration(earliest_.load(std::memory_order_acquire))); }
  bool empty() const { return earliest_.load(std::memory_order_relaxed) == kNone; }

 private:
  static constexpr Clock::rep kNone = Clock::duration::max().count();
  void remove_at(std::size_t i);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void publish_earliest();

  sys::FutexLock mu_;
  std::vector<TimerNode*> heap_;
  std::atomic<Clock::rep> earliest_{kNone};
};

}  // namespace grove::detail
