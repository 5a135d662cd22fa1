// grove::Group and grove::Pool. Members leave the group from a raw link that runs as they die,
// which is also where a Pool frees the slot (so a fiber killed before it started frees it too).
#include <algorithm>

#include "api/Bootstrap.hpp"
#include "fiber/FiberLinks.hpp"
#include "grove/pool.hpp"
#include "sync/Block.hpp"

namespace grove {

using namespace detail;

namespace detail {
namespace {

struct RawLink final : LinkNode {
  std::function<void()> callback;
  explicit RawLink(std::function<void()> cb) : callback(std::move(cb)) {}
  void fire(FiberControl*) noexcept override { callback(); }
};

}  // namespace

void fiber_on_death(FiberControl* f, std::function<void()> callback) { add_link(f, new RawLink(std::move(callback))); }

}  // namespace detail

struct Group::State {
  WaitQueue q;  // its lock guards everything below; notified when members leave or one fails
  std::vector<FiberRef> members;
  std::vector<FiberControl*> slot_holders;  // Pool: members that hold a slot
  std::exception_ptr first_error;
  std::unique_ptr<Semaphore> slots;

  // With q's lock held: removes `f`; returns whether it held a slot.
  bool remove(FiberControl* f) {
    std::erase_if(members, [f](const FiberRef& m) { return m.control() == f; });
    const auto n = std::erase(slot_holders, f);
    return n > 0;
  }
};

Group::Group() : state_(std::make_shared<State>()) {}
Group::~Group() = default;

void Group::track(const FiberRef& f, bool holds_slot) {
  if (!f) throw std::invalid_argument("grove::Group::add: empty Fiber handle");
  {
    WaitQueue::Lock lock(state_->q.mutex());
    const bool known = std::ranges::any_of(state_->members, [&](const FiberRef& m) { return m == f; });
    if (known) {
      lock.unlock();
      if (holds_slot) state_->slots->release();
      return;
    }
    state_->members.push_back(f);
    if (holds_slot) state_->slot_holders.push_back(f.control());
  }
  // The group may be gone by the time the fiber dies: the link keeps the state alive.
  fiber_on_death(f.control(), [state = state_, fc = f.control()] {
    WaitQueue::Lock lock(state->q.mutex());
    const bool held_slot = state->remove(fc);
    if (fc->error && !state->first_error) state->first_error = fc->error;
    state->q.notify_all();
    lock.unlock();
    if (held_slot) state->slots->release();
  });
}

void Group::add(const FiberRef& f) { track(f, false); }

void Group::discard(const FiberRef& f) {
  WaitQueue::Lock lock(state_->q.mutex());
  const bool held_slot = state_->remove(f.control());
  state_->q.notify_all();
  lock.unlock();
  if (held_slot) state_->slots->release();
}

bool Group::contains(const FiberRef& f) const {
  WaitQueue::Lock lock(state_->q.mutex());
  return std::ranges::any_of(state_->members, [&](const FiberRef& m) { return m == f; });
}

std::size_t Group::size() const {
  WaitQueue::Lock lock(state_->q.mutex());
  return state_->members.size();
}

std::vector<FiberRef> Group::fibers() const {
  WaitQueue::Lock lock(state_->q.mutex());
  return state_->members;
}

bool Group::join(OptionalTimeout timeout, bool raise_error) {
  const TimePoint deadline = deadline_from(timeout);
  WaitQueue::Lock lock(state_->q.mutex());
  for (;;) {
    if (raise_error && state_->first_error) std::rethrow_exception(state_->first_error);
    if (state_->members.empty()) return true;
    if (!block_on(state_->q, lock, deadline)) {
      lock.lock();
      return state_->members.empty();
    }
    lock.lock();
  }
}

bool Group::kill(OptionalTimeout timeout, bool block) { return killall(fibers(), timeout, block); }

Pool::Pool(std::size_t size) : capacity_(size) {
  if (size == 0) throw std::invalid_argument("grove::Pool: size must be at least 1");
  state_->slots = std::make_unique<Semaphore>(size);
}

void Pool::before_spawn() { state_->slots->acquire(); }

void Pool::spawn_failed() { state_->slots->release(); }

void Pool::add(const FiberRef& f) {
  if (!f) throw std::invalid_argument("grove::Pool::add: empty Fiber handle");
  if (contains(f) || f.ready()) return;
  state_->slots->acquire();
  track(f, true);
}

std::size_t Pool::free_count() const { return state_->slots->value(); }

bool Pool::wait_available(OptionalTimeout timeout) {
  if (!state_->slots->acquire(timeout.value_or(std::chrono::nanoseconds::max()))) return false;
  state_->slots->release();
  return true;
}

bool Pool::member_running() const {
  FiberControl* self = current_fiber();
  WaitQueue::Lock lock(state_->q.mutex());
  return std::ranges::any_of(state_->members, [self](const FiberRef& m) { return m.control() == self; });
}

}  // namespace grove
