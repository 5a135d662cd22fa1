#pragma once
// Fibers: grove::spawn(fn, args...) returns a Fiber<R> handle (gevent's Greenlet).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "grove/detail/fiber_core.hpp"
#include "grove/errors.hpp"

namespace grove {

struct SpawnOptions {
  std::string name{};          // shown in reports; default "fiber-<id>"
  std::size_t stack_size = 0;  // 0: the configured default; at least 16 KiB
  bool pinned = false;         // never migrates from the worker it is spawned on
};

template <typename R>
class Fiber;
class FiberRef;

namespace detail {

// The part of a task that a Fiber<R> handle reads, whatever the callable's type.
template <typename R>
struct ResultSlot : TaskBase {
  std::optional<R> value;
};
template <>
struct ResultSlot<void> : TaskBase {};

template <typename R, typename Fn, typename... Args>
struct Task final : ResultSlot<R> {
  Fn fn;
  std::tuple<Args...> args;
  template <typename F, typename... A>
  explicit Task(F&& f, A&&... a) : fn(std::forward<F>(f)), args(std::forward<A>(a)...) {}
  void run() override {
    if constexpr (std::is_void_v<R>) {
      std::apply(fn, std::move(args));
    } else {
      this->value.emplace(std::apply(fn, std::move(args)));
    }
  }
};

template <typename Fn, typename... Args>
using SpawnResult = std::invoke_result_t<std::decay_t<Fn>, std::decay_t<Args>...>;

template <typename Before, typename Fn, typename... Args>
auto spawn_with(const SpawnOptions& options, Before&& before_start, Fn&& fn, Args&&... args)
    -> Fiber<SpawnResult<Fn, Args...>>;

}  // namespace detail

// How a link callback is chosen at the fiber's death (gevent's link / link_exception / link_value).
enum class LinkKind : std::uint8_t { any, exception, value };

namespace detail {
// Runs `callback` in a new fiber once `f` is dead (at once if it already is), if `kind` matches.
void fiber_link(FiberControl* f, std::function<void()> callback, LinkKind kind);
}  // namespace detail

// A counted, type-erased handle to a fiber of any result type: what joinall/killall/wait and
// Group work with. Every Fiber<R> is a FiberRef (they convert implicitly).
class FiberRef {
 public:
  FiberRef() = default;
  FiberRef(const FiberRef& o) noexcept : f_(o.f_) {
    if (f_) detail::fiber_retain(f_);
  }
  FiberRef(FiberRef&& o) noexcept : f_(std::exchange(o.f_, nullptr)), holds_joined_ref_(o.take_joined_ref()) {}
  FiberRef& operator=(FiberRef o) noexcept {
    std::swap(f_, o.f_);
    const bool mine = take_joined_ref();
    holds_joined_ref_.store(o.take_joined_ref(), std::memory_order_relaxed);
    o.holds_joined_ref_.store(mine, std::memory_order_relaxed);
    return *this;
  }
  ~FiberRef() {
    if (!f_) return;
    if (holds_joined_ref_.load(std::memory_order_relaxed)) {
      detail::fiber_release_joined(f_);
    } else {
      detail::fiber_release(f_);
    }
  }

  explicit operator bool() const { return f_ != nullptr; }

  // Waits for the fiber to finish; false if `timeout` passed first.
  void join() const {
#if GROVE_INLINE_YIELD_JUMP
    // Inline: the switch to a child that runs now is made from the caller's frame.
    detail::FiberControl* f = checked();
    bool took_ref = false;
    const detail::YieldStep step = detail::join_begin(f, &took_ref);
    if (step.to) {
      detail::grove_yield_jump(step.to, step.self);
      detail::join_end(f, &took_ref);
    }
    if (took_ref) holds_joined_ref_.store(true, std::memory_order_relaxed);
#else
    join_until(detail::kNoDeadline);
#endif
  }
  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) const {
    return join_until(detail::deadline_after(std::chrono::duration_cast<detail::Clock::duration>(timeout)));
  }

  bool ready() const { return detail::fiber_done(checked()); }
  // Finished without an exception (a killed fiber counts as successful, as in gevent).
  bool successful() const { return ready() && !detail::fiber_exception(f_); }
  bool killed() const { return detail::fiber_killed(checked()); }
  std::exception_ptr exception() const { return ready() ? detail::fiber_exception(f_) : nullptr; }

  // Raises FiberExit in the fiber at its next suspension point (a fiber that has not started
  // never runs). With `block`, waits until it is dead.
  void kill(bool block = true) const { detail::fiber_kill(checked(), block, detail::kNoDeadline); }
  template <typename Rep, typename Period>
  void kill(std::chrono::duration<Rep, Period> timeout) const {
    detail::fiber_kill(checked(), true, detail::deadline_after(std::chrono::duration_cast<detail::Clock::duration>(timeout)));
  }

  // Calls `callback()` in a new fiber once this one is dead, even if it already is (gevent's
  // link). link/link_exception count as observing a failure: it is then not reported on stderr.
  template <typename F>
  void link(F&& callback) const { detail::fiber_link(checked(), std::function<void()>(std::forward<F>(callback)), LinkKind::any); }

  std::uint64_t id() const { return detail::fiber_id(checked()); }
  std::string name() const { return detail::fiber_name(checked()); }

  detail::FiberControl* control() const { return f_; }
  bool operator==(const FiberRef& o) const { return f_ == o.f_; }

 protected:
  explicit FiberRef(detail::FiberControl* f) : f_(f) {}
  detail::FiberControl* checked() const {
    if (!f_) throw UsageError("grove: operation on an empty Fiber handle");
    return f_;
  }
  void rethrow_if_failed() const {
    if (auto e = detail::fiber_exception(f_)) std::rethrow_exception(e);
    if (detail::fiber_killed(f_)) throw FiberExit{};
  }

  detail::FiberControl* f_ = nullptr;

 private:
  bool join_until(detail::TimePoint deadline) const {
    bool took_ref = false;
    const bool done = detail::fiber_join(checked(), deadline, &took_ref);
    if (took_ref) holds_joined_ref_.store(true, std::memory_order_relaxed);
    return done;
  }
  // Moving from a handle is never concurrent with other uses of it: no atomic exchange needed.
  bool take_joined_ref() noexcept {
    const bool held = holds_joined_ref_.load(std::memory_order_relaxed);
    holds_joined_ref_.store(false, std::memory_order_relaxed);
    return held;
  }

  // This handle also owns the scheduler's reference, which a join handed it (fiber_join): set at
  // most once per fiber, by its lone joiner. Atomic only because joins are const: several fibers
  // may join through one handle object.
  mutable std::atomic<bool> holds_joined_ref_{false};
};

// A counted handle to a fiber (copyable). Dropping every handle does not stop the fiber.
template <typename R>
class Fiber : public FiberRef {
 public:
  Fiber() = default;

  using FiberRef::join;

  // Joins, then returns the result or rethrows the fiber's exception (FiberExit if it was killed).
  decltype(auto) get() const {
    join();
    rethrow_if_failed();
    if constexpr (!std::is_void_v<R>) return (*task()->value);
  }
  template <typename Rep, typename Period>
  decltype(auto) get(std::chrono::duration<Rep, Period> timeout) const;

  // The result if the fiber finished successfully with one, else nullptr.
  template <typename T = R>
    requires(!std::is_void_v<T>)
  const T* value() const {
    return successful() && !killed() && task()->value ? &*task()->value : nullptr;
  }

  // Link callbacks receive this handle: link(cb) always, link_exception(cb) if the fiber failed,
  // link_value(cb) if it succeeded (killed counts as success, as in gevent). Each runs in a new
  // fiber after the death, even when linked after it.
  template <typename F>
    requires std::is_invocable_v<F&, const Fiber&>
  void link(F&& callback) const {
    add_link(std::forward<F>(callback), LinkKind::any);
  }
  template <typename F>
    requires(!std::is_invocable_v<F&, const Fiber&> && std::is_invocable_v<F&>)
  void link(F&& callback) const {
    FiberRef::link(std::forward<F>(callback));
  }
  template <typename F>
  void link_exception(F&& callback) const {
    add_link(std::forward<F>(callback), LinkKind::exception);
  }
  template <typename F>
  void link_value(F&& callback) const {
    add_link(std::forward<F>(callback), LinkKind::value);
  }

 private:
  template <typename Before, typename Fn, typename... Args>
  friend auto detail::spawn_with(const SpawnOptions& options, Before&& before_start, Fn&& fn, Args&&... args)
      -> Fiber<SpawnResult<Fn, Args...>>;
  explicit Fiber(detail::FiberControl* f) : FiberRef(f) {}

  auto* task() const { return static_cast<detail::ResultSlot<R>*>(detail::fiber_task(f_)); }
  template <typename F>
  void add_link(F&& callback, LinkKind kind) const {
    detail::fiber_link(
        checked(),
        [self = *this, cb = std::forward<F>(callback)]() mutable {
          if constexpr (std::is_invocable_v<F&, const Fiber&>) {
            cb(self);
          } else {
            cb();
          }
        },
        kind);
  }
};

template <typename R>
template <typename Rep, typename Period>
decltype(auto) Fiber<R>::get(std::chrono::duration<Rep, Period> timeout) const {
  if (!join(timeout)) throw std::runtime_error("grove: Fiber::get timed out");
  return get();
}

namespace detail {
// spawn, with `before_start(handle)` run after the fiber exists and before it can run (Group uses
// it to register members first). If it throws, the fiber is destroyed unstarted.
template <typename Before, typename Fn, typename... Args>
auto spawn_with(const SpawnOptions& options, Before&& before_start, Fn&& fn, Args&&... args) -> Fiber<SpawnResult<Fn, Args...>> {
  using R = SpawnResult<Fn, Args...>;
  using T = Task<R, std::decay_t<Fn>, std::decay_t<Args>...>;
  void* memory = nullptr;
  FiberControl* f = fiber_create(options, sizeof(T), alignof(T), &memory);
  T* task;
  try {
    task = ::new (memory) T(std::forward<Fn>(fn), std::forward<Args>(args)...);
  } catch (...) {
    fiber_release(f);
    throw;
  }
  Fiber<R> handle(f);
  try {
    std::forward<Before>(before_start)(static_cast<const Fiber<R>&>(handle));
  } catch (...) {
    task->~T();
    throw;  // `handle` releases the unstarted fiber and its stack
  }
  fiber_start(f, task);
  return handle;
}
}  // namespace detail

// Starts `fn(args...)` in a new fiber. Arguments are copied/moved into the fiber, like std::thread.
template <typename Fn, typename... Args>
auto spawn(const SpawnOptions& options, Fn&& fn, Args&&... args) -> Fiber<detail::SpawnResult<Fn, Args...>> {
  return detail::spawn_with(options, [](const auto&) {}, std::forward<Fn>(fn), std::forward<Args>(args)...);
}

template <typename Fn, typename... Args>
  requires(!std::is_same_v<std::decay_t<Fn>, SpawnOptions>)
auto spawn(Fn&& fn, Args&&... args) {
  static const SpawnOptions defaults{};
  return spawn(defaults, std::forward<Fn>(fn), std::forward<Args>(args)...);
}

}  // namespace grove
