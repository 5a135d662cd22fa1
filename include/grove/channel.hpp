#pragma once
// Go channels for fibers and threads. Channel<T>(0) is a rendezvous: send() returns only once a
// receiver has taken the item. Channel<T>(n) buffers up to n items.
//
//   send:  waits for room (or a receiver); throws ChannelClosed on a closed channel.
//   recv:  waits for an item; std::nullopt once the channel is closed and drained (Go's ok == false).
//   With a timeout, send throws QueueFull and recv throws QueueEmpty when it runs out (as gevent's
//   Channel); try_send / try_recv never wait. A failed send leaves an rvalue item untouched.
//   close(): wakes every waiter; closing twice throws ChannelClosed. `for (T& v : ch)` drains.
// Use grove::select (select.hpp) to wait on several channels and queues at once.
#include <chrono>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "grove/detail/chan_core.hpp"
#include "grove/detail/item_buffers.hpp"
#include "grove/detail/queue_support.hpp"
#include "grove/queue_errors.hpp"

namespace grove {

template <typename T>
class Channel {
  static_assert(std::is_move_constructible_v<T>, "channel items must be move-constructible");

 public:
  using value_type = T;

  explicit Channel(std::size_t capacity = 0) : core_(detail::chan_create(&buffer_, capacity)) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  void send(T&& item) { send_until(item, detail::kNoDeadline); }
  void send(const T& item) { send(T(item)); }
  template <typename Rep, typename Period>
  void send(T&& item, std::chrono::duration<Rep, Period> timeout) {
    send_until(item, detail::deadline_in(timeout));
  }
  template <typename Rep, typename Period>
  void send(const T& item, std::chrono::duration<Rep, Period> timeout) {
    send(T(item), timeout);
  }
  // False (item untouched) when no receiver is waiting and the buffer is full.
  bool try_send(T&& item) { return settle_send(detail::chan_send(core(), &item, detail::kNoDeadline, false)); }
  bool try_send(const T& item) {
    T copy(item);
    return try_send(std::move(copy));
  }

  std::optional<T> recv() { return recv_until(detail::kNoDeadline); }
  template <typename Rep, typename Period>
  std::optional<T> recv(std::chrono::duration<Rep, Period> timeout) {
    return recv_until(detail::deadline_in(timeout));
  }
  // nullopt when nothing can be received right now (closed or not: see closed()).
  std::optional<T> try_recv() {
    std::optional<T> slot;
    detail::chan_recv(core(), &slot, detail::kNoDeadline, false);
    return slot;
  }

  void close() {
    if (!detail::chan_close(core())) throw ChannelClosed("grove: close of a closed channel");
  }
  bool closed() const noexcept { return detail::chan_closed(core_.get()); }
  std::size_t size() const noexcept { return detail::chan_size(core_.get()); }  // buffered items
  std::size_t capacity() const noexcept { return detail::chan_capacity(core_.get()); }
  bool empty() const noexcept { return size() == 0; }

  detail::DrainIterator<Channel> begin() { return detail::DrainIterator<Channel>(this); }
  std::default_sentinel_t end() { return {}; }
  std::optional<T> next() { return recv(); }  // for DrainIterator

 private:
  friend struct detail::SelectAccess;
  [[noreturn]] static void throw_closed_put() { throw ChannelClosed(); }

  detail::ChanCore* core() const noexcept { return core_.get(); }
  void send_until(T& item, detail::TimePoint deadline) {
    if (settle_send(detail::chan_send(core(), &item, deadline, true))) return;
    throw QueueFull();
  }
  bool settle_send(detail::ChanStatus status) {
    if (status == detail::ChanStatus::closed) throw_closed_put();
    return status == detail::ChanStatus::ok;
  }
  std::optional<T> recv_until(detail::TimePoint deadline) {
    std::optional<T> slot;
    if (detail::chan_recv(core(), &slot, deadline, true) == detail::ChanStatus::timed_out) throw QueueEmpty();
    return slot;
  }

  detail::FifoBuffer<T> buffer_;
  detail::ChanHandle core_;  // after buffer_: it points into it
};

}  // namespace grove
