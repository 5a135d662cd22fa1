#pragma once
// The ordering policies behind the queue types: FIFO (Queue, Channel), LIFO, and priority.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "grove/detail/chan_core.hpp"

namespace grove::detail {

template <typename T>
class TypedBuffer : public ItemBuffer {
 public:
  void move_into(void* item, void* slot) override { out(slot).emplace(std::move(in(item))); }

 protected:
  static T& in(void* item) { return *static_cast<T*>(item); }
  static std::optional<T>& out(void* slot) { return *static_cast<std::optional<T>*>(slot); }
  static void copy_out(const T& item, void* slot) {
    if constexpr (std::is_copy_constructible_v<T>) {
      out(slot).emplace(item);
    } else {
      (void)item;
      (void)slot;  // peek() on a move-only item type is rejected at compile time by the queue
    }
  }
};

template <typename T>
class FifoBuffer final : public TypedBuffer<T> {
 public:
  std::size_t size() const noexcept override { return items_.size(); }
  void push(void* item) override { items_.push_back(std::move(this->in(item))); }
  void pop_into(void* slot) override {
    this->out(slot).emplace(std::move(items_.front()));
    items_.pop_front();
  }
  void peek_into(void* slot) const override { this->copy_out(items_.front(), slot); }

 private:
  std::deque<T> items_;
};

template <typename T>
class LifoBuffer final : public TypedBuffer<T> {
 public:
  std::size_t size() const noexcept override { return items_.size(); }
  void push(void* item) override { items_.push_back(std::move(this->in(item))); }
  void pop_into(void* slot) override {
    this->out(slot).emplace(std::move(items_.back()));
    items_.pop_back();
  }
  void peek_into(void* slot) const override { this->copy_out(items_.back(), slot); }

 private:
  std::vector<T> items_;
};

// Smallest item (under Compare) first, as Python's heapq-based PriorityQueue; items that compare
// equal come out in the order they were put.
template <typename T, typename Compare>
class PriorityBuffer final : public TypedBuffer<T> {
 public:
  explicit PriorityBuffer(Compare less) : less_(std::move(less)) {}
  std::size_t size() const noexcept override { return heap_.size(); }
  void push(void* item) override {
    heap_.push_back(Entry{std::move(this->in(item)), next_seq_});
    std::push_heap(heap_.begin(), heap_.end(), later());
    ++next_seq_;
  }
  void pop_into(void* slot) override {
    std::pop_heap(heap_.begin(), heap_.end(), later());
    try {
      this->out(slot).emplace(std::move(heap_.back().item));
    } catch (...) {
      std::push_heap(heap_.begin(), heap_.end(), later());  // keep the heap whole
      throw;
    }
    heap_.pop_back();
  }
  void peek_into(void* slot) const override { this->copy_out(heap_.front().item, slot); }

 private:
  struct Entry {
    T item;
    std::uint64_t seq;
  };
  // std heaps keep the greatest element on top, so order by "comes out later".
  auto later() {
    return [this](const Entry& a, const Entry& b) {
      if (less_(a.item, b.item)) return false;
      if (less_(b.item, a.item)) return true;
      return a.seq > b.seq;
    };
  }

  Compare less_;
  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace grove::detail
