#pragma once
// A mutex-guarded FIFO of fibers, linked through FiberControl::next_in_queue: the global
// injection queue and each worker's inbox for pinned fibers woken elsewhere.
#include <atomic>
#include <cstddef>
#include <mutex>

#include "fiber/FiberControl.hpp"
#include "sys/FutexLock.hpp"

namespace grove::detail {

class FiberList {
 public:
  void push(FiberControl* f) {
    std::lock_guard lock(mu_);
    append(f);
  }
  void push_batch(FiberControl** fs, std::size_t n) {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < n; ++i) append(fs[i]);
  }
  FiberControl* pop() {
    if (empty()) return nullptr;
    std::lock_guard lock(mu_);
    FiberControl* f = head_;
    if (!f) return nullptr;
    head_ = f->next_in_queue;
    if (!head_) tail_ = nullptr;
    f->next_in_queue = nullptr;
    size_.fetch_sub(1, std::memory_order_relaxed);
    return f;
  }
  bool empty() const { return size_.load(std::memory_order_acquire) == 0; }
  std::size_t size() const { return size_.load(std::memory_order_acquire); }

 private:
  void append(FiberControl* f) {
    f->next_in_queue = nullptr;
    if (tail_) {
      tail_->next_in_queue = f;
    } else {
      head_ = f;
    }
    tail_ = f;
    size_.fetch_add(1, std::memory_order_release);
  }

  sys::FutexLock mu_;
  FiberControl* head_ = nullptr;
  FiberControl* tail_ = nullptr;
  std::atomic<std::size_t> size_{0};
};

}  // namespace grove::detail
