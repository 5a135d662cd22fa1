#pragma once
// gevent.queue for fibers and threads: Queue (FIFO), LifoQueue, PriorityQueue, JoinableQueue.
//
// One rule for every blocking call: without a timeout it waits as long as needed; with a timeout it
// throws QueueEmpty (get/peek) or QueueFull (put) when the time runs out, as gevent does; the try_
// forms never wait and return std::optional / bool. A failed put leaves an rvalue item untouched.
// close(): later puts throw QueueClosed; gets drain what is left, then throw QueueClosed (Python
// 3.13's queue.shutdown()); waiting putters are woken with QueueClosed. Range-for drains until closed.
// Waiters are served first come, first served; a getter that times out never loses an item.
#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "grove/detail/chan_core.hpp"
#include "grove/detail/item_buffers.hpp"
#include "grove/detail/queue_support.hpp"
#include "grove/queue_errors.hpp"

namespace grove {

template <typename T, typename Buffer>
class BasicQueue {
  static_assert(std::is_move_constructible_v<T>, "queue items must be move-constructible");

 public:
  using value_type = T;

  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  // --- put: waits while the queue is full
  void put(T&& item) { put_until(item, detail::kNoDeadline); }
  void put(const T& item) { put(T(item)); }
  template <typename Rep, typename Period>
  void put(T&& item, std::chrono::duration<Rep, Period> timeout) {
    put_until(item, detail::deadline_in(timeout));
  }
  template <typename Rep, typename Period>
  void put(const T& item, std::chrono::duration<Rep, Period> timeout) {
    put(T(item), timeout);
  }
  // False (item untouched) when full; QueueClosed when closed.
  bool try_put(T&& item) { return settle_put(detail::chan_send(core(), &item, detail::kNoDeadline, false)); }
  bool try_put(const T& item) {
    T copy(item);
    return try_put(std::move(copy));
  }

  // --- get: waits while the queue is empty; QueueClosed once closed and drained
  T get() { return get_until(detail::kNoDeadline); }
  template <typename Rep, typename Period>
  T get(std::chrono::duration<Rep, Period> timeout) {
    return get_until(detail::deadline_in(timeout));
  }
  // nullopt when no item is there right now (closed or not: see closed()).
  std::optional<T> try_get() {
    std::optional<T> slot;
    detail::chan_recv(core(), &slot, detail::kNoDeadline, false);
    return slot;
  }

  // --- peek: the item get() would return next, left in the queue (waits like get)
  T peek()
    requires std::copy_constructible<T>
  {
    return peek_until(detail::kNoDeadline);
  }
  template <typename Rep, typename Period>
  T peek(std::chrono::duration<Rep, Period> timeout)
    requires std::copy_constructible<T>
  {
    return peek_until(detail::deadline_in(timeout));
  }
  std::optional<T> try_peek()
    requires std::copy_constructible<T>
  {
    std::optional<T> slot;
    detail::chan_peek(core(), &slot, detail::kNoDeadline, false);
    return slot;
  }

  std::size_t qsize() const noexcept { return detail::chan_size(core_.get()); }
  std::size_t size() const noexcept { return qsize(); }
  bool empty() const noexcept { return qsize() == 0; }
  bool full() const noexcept { return maxsize_ != 0 && qsize() >= maxsize_; }
  std::size_t maxsize() const noexcept { return maxsize_; }  // 0: unbounded

  // Idempotent. Items already queued can still be taken.
  void close() { detail::chan_close(core()); }
  bool closed() const noexcept { return detail::chan_closed(core_.get()); }

  // `for (T& item : queue)` takes items until the queue is closed and drained.
  detail::DrainIterator<BasicQueue> begin() { return detail::DrainIterator<BasicQueue>(this); }
  std::default_sentinel_t end() { return {}; }
  // get() that returns std::nullopt instead of throwing once the queue is closed and drained.
  std::optional<T> next() {
    std::optional<T> slot;
    detail::chan_recv(core(), &slot, detail::kNoDeadline, true);
    return slot;
  }

 protected:
  template <typename... BufferArgs>
  explicit BasicQueue(std::size_t maxsize, BufferArgs&&... buffer_args)
      : maxsize_(maxsize),
        buffer_(std::forward<BufferArgs>(buffer_args)...),
        core_(detail::chan_create(&buffer_, maxsize == 0 ? detail::kUnbounded : maxsize)) {}
  ~BasicQueue() = default;

  detail::ChanCore* core() const noexcept { return core_.get(); }

 private:
  friend struct detail::SelectAccess;
  [[noreturn]] static void throw_closed_put() { throw QueueClosed("grove: put on a closed queue"); }

  void put_until(T& item, detail::TimePoint deadline) {
    if (settle_put(detail::chan_send(core(), &item, deadline, true))) return;
    throw QueueFull();
  }
  bool settle_put(detail::ChanStatus status) {
    if (status == detail::ChanStatus::closed) throw_closed_put();
    return status == detail::ChanStatus::ok;
  }
  T get_until(detail::TimePoint deadline) { return take(deadline, false); }
  T peek_until(detail::TimePoint deadline) { return take(deadline, true); }
  T take(detail::TimePoint deadline, bool peek) {
    std::optional<T> slot;
    detail::ChanStatus status = peek ? detail::chan_peek(core(), &slot, deadline, true)
                                     : detail::chan_recv(core(), &slot, deadline, true);
    if (status == detail::ChanStatus::timed_out) throw QueueEmpty();
    if (status == detail::ChanStatus::closed) throw QueueClosed("grove: get from a closed and drained queue");
    return std::move(*slot);
  }

  std::size_t maxsize_;
  Buffer buffer_;
  detail::ChanHandle core_;  // after buffer_: it points into it
};

// FIFO queue; maxsize 0 means unbounded.
template <typename T>
class Queue : public BasicQueue<T, detail::FifoBuffer<T>> {
 public:
  explicit Queue(std::size_t maxsize = 0) : BasicQueue<T, detail::FifoBuffer<T>>(maxsize) {}
};

// Last in, first out.
template <typename T>
class LifoQueue : public BasicQueue<T, detail::LifoBuffer<T>> {
 public:
  explicit LifoQueue(std::size_t maxsize = 0) : BasicQueue<T, detail::LifoBuffer<T>>(maxsize) {}
};

// Smallest item first under `Compare` (like Python's PriorityQueue, and unlike std::priority_queue,
// which pops the greatest); equal items come out in the order they were put.
template <typename T, typename Compare = std::less<T>>
class PriorityQueue : public BasicQueue<T, detail::PriorityBuffer<T, Compare>> {
 public:
  explicit PriorityQueue(std::size_t maxsize = 0, Compare compare = Compare())
      : BasicQueue<T, detail::PriorityBuffer<T, Compare>>(maxsize, std::move(compare)) {}
};

// A FIFO queue that counts unfinished tasks: each put adds one, each task_done() removes one,
// join() waits until none is left.
template <typename T>
class JoinableQueue : public Queue<T> {
 public:
  explicit JoinableQueue(std::size_t maxsize = 0) : Queue<T>(maxsize) {}

  // UsageError when called more times than items were put.
  void task_done() { detail::chan_task_done(this->core()); }
  void join() { detail::chan_join(this->core(), detail::kNoDeadline, true); }
  // False if tasks were still unfinished when `timeout` ran out.
  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return detail::chan_join(this->core(), detail::deadline_in(timeout), true);
  }
  std::size_t unfinished_tasks() const noexcept { return detail::chan_unfinished(this->core()); }
};

}  // namespace grove
