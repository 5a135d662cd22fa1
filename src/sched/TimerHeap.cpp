#include "sched/TimerHeap.hpp"

namespace grove::detail {

void TimerHeap::add(TimerNode* node) {
  std::lock_guard lock(mu_);
  node->index = heap_.size();
  heap_.push_back(node);
  node->heap.store(this, std::memory_order_release);
  sift_up(node->index);
  publish_earliest();
}

void TimerHeap::cancel(TimerNode* node) {
  TimerHeap* h = node->heap.load(std::memory_order_acquire);
  if (!h) return;
  std::lock_guard lock(h->mu_);
  // Fired or cancelled meanwhile: only the owning fiber ever re-adds, so the pointer can only go to null.
  if (node->heap.load(std::memory_order_relaxed) != h) return;
  h->remove_at(node->index);
  node->heap.store(nullptr, std::memory_order_release);
  h->publish_earliest();
}

std::size_t TimerHeap::fire_due(TimePoint now) {
  if (empty() || earliest() > now) return 0;
  std::size_t fired = 0;
  std::lock_guard lock(mu_);
  while (!heap_.empty() && heap_.front()->deadline <= now) {
    TimerNode* n = heap_.front();
    remove_at(0);
    // Null the heap pointer only after the callback: until then cancel() waits on our lock, so the
    // node's owner cannot return (and reuse the node's stack memory) while the callback reads it.
    n->fire(n);
    n->heap.store(nullptr, std::memory_order_release);
    ++fired;
  }
  publish_earliest();
  return fired;
}

void TimerHeap::remove_at(std::size_t i) {
  TimerNode* last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  heap_[i] = last;
  last->index = i;
  sift_down(i);
  sift_up(last->index);
}

void TimerHeap::sift_up(std::size_t i) {
  TimerNode* n = heap_[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline <= n->deadline) break;
    heap_[i] = heap_[parent];
    heap_[i]->index = i;
    i = parent;
  }
  heap_[i] = n;
  n->index = i;
}

void TimerHeap::sift_down(std::size_t i) {
  TimerNode* n = heap_[i];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && heap_[child + 1]->deadline < heap_[child]->deadline) ++child;
    if (n->deadline <= heap_[child]->deadline) break;
    heap_[i] = heap_[child];
    heap_[i]->index = i;
    i = child;
  }
  heap_[i] = n;
  n->index = i;
}

void TimerHeap::publish_earliest() {
  earliest_.store(heap_.empty() ? kNone : heap_.front()->deadline.time_since_epoch().count(), std::memory_order_release);
}

}  // namespace grove::detail
