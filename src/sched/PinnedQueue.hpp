#pragma once
// A worker's FIFO of runnable fibers pinned to it: owner-only, so thieves never see them and they
// never leave their thread. Each entry records the run queue's tail when it was queued, so the
// owner can interleave both queues in the order their entries arrived (RunQueue::consumed()).
#include <cstddef>
#include <cstdint>
#include <memory>

namespace grove::detail {

class FiberControl;

class PinnedQueue {
 public:
  struct Entry {
    FiberControl* fiber;
    std::uint32_t ring_mark;  // the run queue's tail when this entry was queued
  };

  PinnedQueue() = default;
  PinnedQueue(const PinnedQueue&) = delete;
  PinnedQueue& operator=(const PinnedQueue&) = delete;

  __attribute__((always_inline)) void push(FiberControl* f, std::uint32_t ring_mark) {
    if (full()) [[unlikely]] grow();
    push_unchecked(f, ring_mark);
  }
  // When !full().
  __attribute__((always_inline)) void push_unchecked(FiberControl* f, std::uint32_t ring_mark) {
    slots_[tail_ & (capacity_ - 1)] = Entry{f, ring_mark};
    ++tail_;
  }
  bool empty() const noexcept { return head_ == tail_; }
  bool full() const noexcept { return tail_ - head_ == capacity_; }
  std::size_t size() const noexcept { return tail_ - head_; }
  const Entry& front() const noexcept { return slots_[head_ & (capacity_ - 1)]; }
  FiberControl* pop() noexcept { return slots_[head_++ & (capacity_ - 1)].fiber; }
  // Removes the entry queued last if it is `f`.
  bool retract_back(FiberControl* f) noexcept {
    if (empty() || slots_[(tail_ - 1) & (capacity_ - 1)].fiber != f) return false;
    --tail_;
    return true;
  }

 private:
  __attribute__((noinline)) void grow() {
    const std::size_t bigger = capacity_ * 2;
    auto fresh = std::make_unique<Entry[]>(bigger);
    for (std::size_t i = 0; i < capacity_; ++i) fresh[i] = slots_[(head_ + i) & (capacity_ - 1)];
    slots_ = std::move(fresh);
    tail_ = capacity_;
    head_ = 0;
    capacity_ = bigger;
  }

  std::size_t capacity_ = 64;
  std::unique_ptr<Entry[]> slots_ = std::make_unique<Entry[]>(64);
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace grove::detail
