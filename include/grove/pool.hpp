#pragma once
// grove::Group and grove::Pool (gevent.pool): track a set of fibers; a Pool also bounds how many
// run at once (spawn waits while it is full).
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <ranges>
#include <vector>

#include "grove/fiber.hpp"
#include "grove/hub.hpp"
#include "grove/sync/semaphore.hpp"
#include "grove/waitable.hpp"

namespace grove {

namespace detail {
// Runs `callback` on the dying fiber's stack right after it finished (at once if it already
// has). It must not block. Does not count as observing a failure.
void fiber_on_death(FiberControl* f, std::function<void()> callback);
}  // namespace detail

class Group {
 public:
  Group();
  virtual ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  // Starts fn(args...) in a new fiber that belongs to the group until it dies.
  template <typename Fn, typename... Args>
  auto spawn(Fn&& fn, Args&&... args) {
    before_spawn();
    try {
      // Tracked before it can run, so it is a member from its first instruction.
      static const SpawnOptions defaults{};
      return detail::spawn_with(defaults, [this](const FiberRef& f) { track(f, slotted()); }, std::forward<Fn>(fn),
                                std::forward<Args>(args)...);
    } catch (...) {
      spawn_failed();
      throw;
    }
  }
  // Adds a running fiber (a Pool waits for a free slot first). Already dead fibers are not kept.
  virtual void add(const FiberRef& f);
  // Forgets a fiber (it keeps running; a Pool frees its slot).
  void discard(const FiberRef& f);
  bool contains(const FiberRef& f) const;
  std::size_t size() const;
  std::vector<FiberRef> fibers() const;

  // Waits until the group is empty, at most `timeout`; true if it is. With `raise_error`, a member
  // that failed (since the group was created) stops the wait and its exception is rethrown.
  bool join(OptionalTimeout timeout = std::nullopt, bool raise_error = false);
  // Kills every member; with `block`, waits at most `timeout` for them to die. True if all dead.
  bool kill(OptionalTimeout timeout = std::nullopt, bool block = true);

  struct State;

 protected:
  virtual void before_spawn() {}
  virtual void spawn_failed() {}
  virtual bool slotted() const { return false; }
  void track(const FiberRef& f, bool holds_slot);
  std::shared_ptr<State> state_;
};

template <typename R>
class ImapUnordered;

class Pool : public Group {
 public:
  // At most `size` fibers at once (gevent's Pool(size)); 0 is rejected.
  explicit Pool(std::size_t size);

  // spawn (inherited) waits while the pool is full.
  void add(const FiberRef& f) override;
  std::size_t capacity() const { return capacity_; }
  std::size_t free_count() const;
  bool full() const { return free_count() == 0; }
  // Waits until a slot is free (without taking it); false on timeout.
  bool wait_available(OptionalTimeout timeout = std::nullopt);

  // gevent's apply_async: starts fn(args...) in the pool (waiting for a slot) and returns its fiber.
  template <typename Fn, typename... Args>
  auto apply_async(Fn&& fn, Args&&... args) {
    return spawn(std::forward<Fn>(fn), std::forward<Args>(args)...);
  }
  // Runs fn(args...) in the pool and returns its result (rethrows its exception). Called from a
  // fiber of this pool it runs inline, so a full pool cannot deadlock on itself (as gevent).
  template <typename Fn, typename... Args>
  auto apply(Fn&& fn, Args&&... args) -> detail::SpawnResult<Fn, Args...> {
    if (member_running()) return std::invoke(std::forward<Fn>(fn), std::forward<Args>(args)...);
    if constexpr (std::is_void_v<detail::SpawnResult<Fn, Args...>>) {
      apply_async(std::forward<Fn>(fn), std::forward<Args>(args)...).get();
    } else {
      return apply_async(std::forward<Fn>(fn), std::forward<Args>(args)...).get();
    }
  }
  // fn(item) for every item, at most capacity() at a time; results in input order.
  template <typename Fn, std::ranges::input_range Range>
  auto map(Fn fn, const Range& items) {
    using Item = std::ranges::range_value_t<Range>;
    using R = std::invoke_result_t<Fn&, const Item&>;
    std::vector<Fiber<R>> fibers;
    for (const auto& item : items) fibers.push_back(spawn(fn, Item(item)));
    if constexpr (std::is_void_v<R>) {
      for (auto& f : fibers) f.get();
    } else {
      std::vector<R> results;
      results.reserve(fibers.size());
      for (auto& f : fibers) results.push_back(f.get());
      return results;
    }
  }
  // fn(item) for every item, at most capacity() at a time; iterate the results as they finish.
  template <typename Fn, std::ranges::input_range Range>
  auto imap_unordered(Fn fn, const Range& items);

 protected:
  void before_spawn() override;
  void spawn_failed() override;
  bool slotted() const override { return true; }

 private:
  bool member_running() const;
  std::size_t capacity_;
};

// The results of Pool::imap_unordered, in the order the calls finish. Iterating rethrows a
// call's exception at its turn.
template <typename R>
class ImapUnordered {
 public:
  struct Shared {
    std::mutex m;  // held only for a push or pop, never across a suspension
    std::deque<Fiber<R>> finished;
    Semaphore available{0};
    std::size_t total = 0;
    std::size_t taken = 0;
  };
  explicit ImapUnordered(std::shared_ptr<Shared> s) : s_(std::move(s)) {}

  // The next finished call's result; nullopt when all were returned.
  std::optional<R> next() {
    if (s_->taken == s_->total) return std::nullopt;
    s_->available.acquire();
    Fiber<R> f;
    {
      std::lock_guard lock(s_->m);
      f = std::move(s_->finished.front());
      s_->finished.pop_front();
    }
    ++s_->taken;
    return f.get();
  }

  struct Sentinel {};
  class Iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    R& operator*() { return *cur_; }
    Iterator& operator++() {
      cur_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(Sentinel) const { return !cur_; }

   private:
    friend class ImapUnordered;
    ImapUnordered* owner_ = nullptr;
    std::optional<R> cur_;
  };
  Iterator begin() {
    Iterator it;
    it.owner_ = this;
    it.cur_ = next();
    return it;
  }
  Sentinel end() const { return {}; }

 private:
  std::shared_ptr<Shared> s_;
};

template <typename Fn, std::ranges::input_range Range>
auto Pool::imap_unordered(Fn fn, const Range& items) {
  using Item = std::ranges::range_value_t<Range>;
  using R = std::invoke_result_t<Fn&, const Item&>;
  static_assert(!std::is_void_v<R>, "grove::Pool::imap_unordered needs a function that returns a value");
  auto shared = std::make_shared<typename ImapUnordered<R>::Shared>();
  std::vector<Item> copied(std::ranges::begin(items), std::ranges::end(items));
  shared->total = copied.size();
  // A feeder fiber spawns the calls (waiting for slots) so the caller can consume meanwhile.
  grove::spawn([this, fn, shared, copied = std::move(copied)]() mutable {
    for (Item& item : copied) {
      Fiber<R> f = spawn(fn, std::move(item));
      detail::fiber_on_death(f.control(), [shared, f] {
        {
          std::lock_guard lock(shared->m);
          shared->finished.push_back(f);
        }
        shared->available.release();
      });
    }
  });
  return ImapUnordered<R>(std::move(shared));
}

}  // namespace grove
