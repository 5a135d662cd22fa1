#pragma once
// gevent's module-level calls: spawn_later, wait, iwait, joinall, killall.
#include <initializer_list>
#include <memory>
#include <ranges>
#include <vector>

#include "grove/fiber.hpp"
#include "grove/scheduler.hpp"
#include "grove/waitable.hpp"

namespace grove {

// Like spawn, but the function starts only after `delay` (killing it before then means it
// never runs). The fiber exists, and ready() is false, from the start.
template <typename Rep, typename Period, typename Fn, typename... Args>
auto spawn_later(std::chrono::duration<Rep, Period> delay, Fn&& fn, Args&&... args) {
  const detail::TimePoint start = detail::deadline_after(std::chrono::duration_cast<detail::Clock::duration>(delay));
  return spawn(
      [start, fn = std::forward<Fn>(fn)](auto&&... a) mutable -> decltype(auto) {
        sleep_until(start);
        return std::invoke(std::move(fn), std::forward<decltype(a)>(a)...);
      },
      std::forward<Args>(args)...);
}

// Yields the indices of `objects` one at a time, in the order they become ready (gevent.iwait).
// Iteration ends after `count` objects (default: all) or when `timeout` (for the whole
// iteration) passes. Objects must outlive the IWait.
class IWait {
 public:
  IWait(std::vector<WaitableRef> objects, OptionalTimeout timeout = std::nullopt, std::optional<std::size_t> count = std::nullopt);
  ~IWait();
  IWait(const IWait&) = delete;
  IWait& operator=(const IWait&) = delete;
  // The next ready object's index, or nullopt when done or timed out. Throws the fiber's
  // interrupt (FiberExit, Timeout) if one arrives while waiting.
  std::optional<std::size_t> next();
  bool timed_out() const { return timed_out_; }
  std::size_t size() const { return objects_.size(); }

  struct Sentinel {};
  class Iterator {
   public:
    using value_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    std::size_t operator*() const { return *current_; }
    Iterator& operator++() {
      current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(Sentinel) const { return !current_; }

   private:
    friend class IWait;
    IWait* owner_ = nullptr;
    std::optional<std::size_t> current_;
  };
  Iterator begin() {
    Iterator it;
    it.owner_ = this;
    it.current_ = next();
    return it;
  }
  Sentinel end() const { return {}; }

 private:
  std::vector<WaitableRef> objects_;
  std::vector<bool> reported_;
  detail::TimePoint deadline_;
  std::size_t remaining_;
  bool timed_out_ = false;
  bool watches_fibers_ = false;  // fibers are reported in the order they finished
};

inline IWait iwait(std::initializer_list<WaitableRef> objects, OptionalTimeout timeout = std::nullopt,
                   std::optional<std::size_t> count = std::nullopt) {
  return IWait(std::vector<WaitableRef>(objects), timeout, count);
}
template <std::ranges::input_range Range>
IWait iwait(const Range& objects, OptionalTimeout timeout = std::nullopt, std::optional<std::size_t> count = std::nullopt) {
  return IWait(std::vector<WaitableRef>(std::ranges::begin(objects), std::ranges::end(objects)), timeout, count);
}

// Waits until `count` (default: all) of `objects` are ready or `timeout` passes; returns the
// indices of the ready ones in the order they became ready (gevent.wait).
std::vector<std::size_t> wait(std::vector<WaitableRef> objects, OptionalTimeout timeout = std::nullopt,
                              std::optional<std::size_t> count = std::nullopt);
inline std::vector<std::size_t> wait(std::initializer_list<WaitableRef> objects, OptionalTimeout timeout = std::nullopt,
                                     std::optional<std::size_t> count = std::nullopt) {
  return wait(std::vector<WaitableRef>(objects), timeout, count);
}
template <std::ranges::input_range Range>
std::vector<std::size_t> wait(const Range& objects, OptionalTimeout timeout = std::nullopt,
                              std::optional<std::size_t> count = std::nullopt) {
  return wait(std::vector<WaitableRef>(std::ranges::begin(objects), std::ranges::end(objects)), timeout, count);
}

// Waits for the fibers (all, or `count` of them) to finish, at most `timeout`; returns the
// finished ones in the order they finished (gevent.joinall; fibers that had finished before the
// wait began come in the order given). With `raise_error`, the first
// fiber found failed stops the wait and its exception is rethrown.
template <std::ranges::input_range Range>
auto joinall(const Range& fibers, OptionalTimeout timeout = std::nullopt, bool raise_error = false,
             std::optional<std::size_t> count = std::nullopt) {
  using Handle = std::remove_cvref_t<std::ranges::range_reference_t<const Range&>>;
  static_assert(std::is_convertible_v<const Handle&, const FiberRef&>, "grove::joinall takes fibers (Fiber<R> or FiberRef)");
  std::vector<Handle> handles(std::ranges::begin(fibers), std::ranges::end(fibers));
  std::vector<Handle> done;
  IWait it(std::vector<WaitableRef>(handles.begin(), handles.end()), timeout, count);
  while (auto i = it.next()) {
    const FiberRef& f = handles[*i];
    if (raise_error && f.exception()) std::rethrow_exception(f.exception());
    done.push_back(handles[*i]);
  }
  return done;
}
inline std::vector<FiberRef> joinall(std::initializer_list<FiberRef> fibers, OptionalTimeout timeout = std::nullopt,
                                     bool raise_error = false, std::optional<std::size_t> count = std::nullopt) {
  return joinall(std::vector<FiberRef>(fibers), timeout, raise_error, count);
}

// Kills every fiber (FiberExit at its next suspension point), then, with `block`, waits at most
// `timeout` for all of them to die. Returns whether all are dead. (gevent.killall raises
// Timeout instead of returning false.)
bool killall(std::vector<FiberRef> fibers, OptionalTimeout timeout = std::nullopt, bool block = true);
inline bool killall(std::initializer_list<FiberRef> fibers, OptionalTimeout timeout = std::nullopt, bool block = true) {
  return killall(std::vector<FiberRef>(fibers), timeout, block);
}
template <std::ranges::input_range Range>
bool killall(const Range& fibers, OptionalTimeout timeout = std::nullopt, bool block = true) {
  return killall(std::vector<FiberRef>(std::ranges::begin(fibers), std::ranges::end(fibers)), timeout, block);
}

}  // namespace grove
