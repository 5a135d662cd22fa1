#pragma once
// grove::Timeout: a scoped deadline for a block of code (gevent.Timeout), and with_timeout.
#include <chrono>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>

#include "grove/detail/fiber_core.hpp"

namespace grove {

namespace detail {
struct TimeoutState;
}  // namespace detail

// While a Timeout object lives, the fiber (or plain thread) that created it throws a copy of it
// (or the exception given) at its first suspension point after `duration` — a grove::sleep,
// join, lock, event or queue wait, I/O wait. Leaving the scope cancels it. Nested Timeouts work
// as in gevent: when several have expired, the innermost fires; an outer one that expired too
// fires once the inner scope is left.
//
// Like gevent's Timeout (a BaseException) it does not derive from std::exception, so
// `catch (const std::exception&)` does not swallow it. Copies are what gets thrown: they compare
// equal to the armed original (`catch (const grove::Timeout& t) { if (t != mine) throw; }`).
//
// On a plain OS thread it fires in grove's blocking calls only (they park on a futex that wakes
// for it); a thread blocked in a call grove does not know (std::mutex, read on an unhooked fd)
// sees it at its next grove call.
class Timeout {
 public:
  template <typename Rep, typename Period>
  explicit Timeout(std::chrono::duration<Rep, Period> duration) : Timeout(to_ns(duration), std::exception_ptr()) {}
  // Throws `exception` (any copyable type) instead of the Timeout.
  template <typename Rep, typename Period, typename E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  Timeout(std::chrono::duration<Rep, Period> duration, E exception)
      : Timeout(to_ns(duration), std::make_exception_ptr(std::move(exception))) {}

  Timeout(std::chrono::nanoseconds duration, std::exception_ptr exception);
  // A copy (what is thrown and caught) is not armed; it equals the original.
  Timeout(const Timeout& other) noexcept;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout();

  // Disarms it early (no-op on copies or when already cancelled).
  void cancel() noexcept;
  // Armed and not yet expired.
  bool pending() const noexcept;
  std::chrono::nanoseconds duration() const noexcept { return duration_; }
  const char* what() const noexcept { return message_; }
  bool operator==(const Timeout& o) const noexcept { return id_ == o.id_; }

  // A Timeout that is not armed and equals no other: what a call's own timeout form throws
  // (AsyncResult::get(timeout)).
  static Timeout unarmed(std::chrono::nanoseconds duration);

  // gevent's `with Timeout(d, False):` — runs `block`; if this timeout cuts it short, returns
  // false instead of throwing (other exceptions, and other Timeouts, propagate).
  template <typename Rep, typename Period, typename F>
  static bool silent(std::chrono::duration<Rep, Period> duration, F&& block) {
    Timeout t(duration);
    try {
      std::forward<F>(block)();
    } catch (const Timeout& fired) {
      if (fired != t) throw;
      return false;
    }
    return true;
  }

 private:
  template <typename Rep, typename Period>
  static std::chrono::nanoseconds to_ns(std::chrono::duration<Rep, Period> d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d);
  }

  struct UnarmedTag {};
  Timeout(UnarmedTag, std::chrono::nanoseconds duration) noexcept;

  std::uint64_t id_ = 0;
  std::chrono::nanoseconds duration_{};
  detail::TimeoutState* state_ = nullptr;  // only the armed original has one
  char message_[64] = {};
};

// Runs fn(); if it takes longer than `duration` (measured at its suspension points) it is cut
// short and grove::Timeout propagates (gevent.with_timeout).
template <typename Rep, typename Period, typename Fn>
decltype(auto) with_timeout(std::chrono::duration<Rep, Period> duration, Fn&& fn) {
  Timeout t(duration);
  return std::forward<Fn>(fn)();
}

// As above, but returns `fallback` (gevent's timeout_value) when this timeout fires.
template <typename Rep, typename Period, typename Fn, typename Fallback>
auto with_timeout(std::chrono::duration<Rep, Period> duration, Fn&& fn, Fallback&& fallback) -> std::invoke_result_t<Fn&&> {
  using R = std::invoke_result_t<Fn&&>;
  Timeout t(duration);
  try {
    if constexpr (std::is_void_v<R>) {
      std::forward<Fn>(fn)();
      return;
    } else {
      return std::forward<Fn>(fn)();
    }
  } catch (const Timeout& fired) {
    if (fired != t) throw;
  }
  if constexpr (std::is_void_v<R>) {
    static_cast<void>(fallback);
  } else {
    return R(std::forward<Fallback>(fallback));
  }
}

}  // namespace grove
