#pragma once
// grove::AsyncResult<T> (gevent.event.AsyncResult): a one-shot value or exception that any
// number of fibers or threads wait for.
#include <optional>
#include <type_traits>

#include "grove/detail/sync_core.hpp"
#include "grove/errors.hpp"
#include "grove/timeout.hpp"
#include "grove/waitable.hpp"

namespace grove {

template <typename T = void>
class AsyncResult : public Waitable {
 public:
  AsyncResult() = default;
  AsyncResult(const AsyncResult&) = delete;
  AsyncResult& operator=(const AsyncResult&) = delete;

  // Stores the value and wakes every waiter. A second set/set_exception throws UsageError.
  template <typename... A>
    requires(std::is_void_v<T> ? sizeof...(A) == 0 : std::is_constructible_v<std::conditional_t<std::is_void_v<T>, int, T>, A&&...>)
  void set(A&&... a) {
    if constexpr (std::is_void_v<T>) {
      core_.set(nullptr, nullptr, nullptr);
    } else {
      struct Ctx {
        AsyncResult* self;
        std::tuple<A&&...> args;
      } ctx{this, std::forward_as_tuple(std::forward<A>(a)...)};
      core_.set(
          [](void* p) {
            auto* c = static_cast<Ctx*>(p);
            std::apply([&](auto&&... x) { c->self->value_.emplace(std::forward<decltype(x)>(x)...); }, std::move(c->args));
          },
          &ctx, nullptr);
    }
  }
  void set_exception(std::exception_ptr e) {
    if (!e) throw std::invalid_argument("grove::AsyncResult::set_exception: null exception_ptr");
    core_.set(nullptr, nullptr, std::move(e));
  }

  bool ready() const override { return core_.ready(); }
  bool successful() const { return ready() && !core_.error(); }
  std::exception_ptr exception() const { return core_.error(); }

  // Blocks until set; true if set, false if `timeout` passed first.
  bool wait(OptionalTimeout timeout = std::nullopt) const { return core_.wait(detail::deadline_from(timeout)); }

  // Blocks until set; returns the value or rethrows the exception. With a timeout, throws an
  // (unarmed) grove::Timeout if it passes first, as gevent's get(timeout=) does.
  decltype(auto) get() const {
    core_.wait(detail::kNoDeadline);
    return result();
  }
  decltype(auto) get(std::chrono::nanoseconds timeout) const {
    if (!core_.wait(detail::deadline_from(timeout))) throw Timeout::unarmed(timeout);
    return result();
  }
  // Non-blocking: the value if set successfully, else nullptr.
  template <typename U = T>
    requires(!std::is_void_v<U>)
  const U* value() const {
    return successful() ? &*value_ : nullptr;
  }

  detail::WaitQueue& wait_queue() const override { return core_.wait_queue(); }

 private:
  decltype(auto) result() const {
    if (auto e = core_.error()) std::rethrow_exception(e);
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*value_);
  }
  detail::ResultCore core_;
  std::conditional_t<std::is_void_v<T>, char, std::optional<std::conditional_t<std::is_void_v<T>, char, T>>> value_{};
};

}  // namespace grove
