// grove::wait / iwait: one park over the wait queues of several waitables.
#include <algorithm>
#include <memory>

#include "api/Bootstrap.hpp"
#include "fiber/FiberControl.hpp"
#include "fiber/FiberLifecycle.hpp"
#include "grove/hub.hpp"
#include "sched/Park.hpp"

namespace grove {

using namespace detail;

bool WaitableRef::ready() const { return waitable_ ? waitable_->ready() : fiber_done(fiber_.control()); }

detail::WaitQueue& WaitableRef::wait_queue() const {
  return waitable_ ? waitable_->wait_queue() : fiber_waiters(fiber_.control());
}

TimePoint detail::deadline_from(const OptionalTimeout& timeout) {
  if (!timeout) return kNoDeadline;
  return deadline_after(std::chrono::duration_cast<Clock::duration>(*timeout));
}

IWait::IWait(std::vector<WaitableRef> objects, OptionalTimeout timeout, std::optional<std::size_t> count)
    : objects_(std::move(objects)), reported_(objects_.size(), false), deadline_(deadline_from(timeout)) {
  for (const WaitableRef& o : objects_) {
    if (!o.waitable() && !o.fiber()) throw std::invalid_argument("grove::wait: an empty Fiber handle is not waitable");
  }
  remaining_ = std::min(count.value_or(objects_.size()), objects_.size());
  watches_fibers_ = std::ranges::any_of(objects_, [](const WaitableRef& o) { return !o.waitable(); });
  if (watches_fibers_) watch_finish_order();
}

IWait::~IWait() {
  if (watches_fibers_) unwatch_finish_order();
}

namespace {
// Among ready objects: other waitables first (in the order given), then fibers by finish order
// (fibers that finished before the wait began are unstamped and come first, in the order given).
std::uint64_t report_rank(const WaitableRef& o) { return o.waitable() ? 0 : o.fiber().control()->finish_order; }
}  // namespace

std::optional<std::size_t> IWait::next() {
  if (remaining_ == 0 || timed_out_) return std::nullopt;
  auto take = [this](std::size_t i) {
    reported_[i] = true;
    --remaining_;
    return i;
  };
  std::vector<std::size_t> pending;
  std::unique_ptr<Waiter[]> waiters;
  for (;;) {
    pending.clear();
    std::optional<std::size_t> first_ready;
    for (std::size_t i = 0; i < objects_.size(); ++i) {
      if (reported_[i]) continue;
      if (!objects_[i].ready()) {
        pending.push_back(i);
      } else if (!first_ready || report_rank(objects_[i]) < report_rank(objects_[*first_ready])) {
        first_ready = i;
      }
    }
    if (first_ready) return take(*first_ready);
    if (pending.empty()) return std::nullopt;
    if (deadline_ != kNoDeadline && Clock::now() >= deadline_) {
      timed_out_ = true;
      return std::nullopt;
    }
    // Queue one waiter per object, all carrying the same park token: the first notifier claims
    // it and wakes us; later ones fail the claim and pass their wake-up on to their next waiter.
    if (!waiters) waiters = std::make_unique<Waiter[]>(objects_.size());
    FiberControl* self = current_fiber();
    const ParkTicket ticket = prepare_park(true);
    std::size_t queued = 0;
    bool became_ready = false;
    for (std::size_t i : pending) {
      WaitQueue& q = objects_[i].wait_queue();
      WaitQueue::Lock lock(q.mutex());
      if (objects_[i].ready()) {
        became_ready = true;
        break;
      }
      Waiter& w = waiters[queued++];
      w = Waiter{};
      w.fiber = ticket.fiber;
      w.token = ticket.token;
      q.enqueue(&w);
    }
    WakeReason reason = WakeReason::notified;
    // Cancel our own park if something is ready already; if a notifier beat us to the claim it
    // will resume us, and we must park to take that resume.
    if (!became_ready || !claim(self, ticket.token, WakeReason::notified)) reason = park(ticket, deadline_, true);
    for (std::size_t k = 0; k < queued; ++k) {
      WaitQueue& q = objects_[pending[k]].wait_queue();
      WaitQueue::Lock lock(q.mutex());
      q.remove(&waiters[k]);
    }
    if (reason == WakeReason::interrupted) throw_interrupt(self);
  }
}

std::vector<std::size_t> wait(std::vector<WaitableRef> objects, OptionalTimeout timeout, std::optional<std::size_t> count) {
  IWait it(std::move(objects), timeout, count);
  std::vector<std::size_t> ready;
  while (auto i = it.next()) ready.push_back(*i);
  return ready;
}

bool killall(std::vector<FiberRef> fibers, OptionalTimeout timeout, bool block) {
  const TimePoint deadline = deadline_from(timeout);
  for (const FiberRef& f : fibers) {
    if (!f) throw std::invalid_argument("grove::killall: empty Fiber handle");
    fiber_kill(f.control(), false, kNoDeadline);
  }
  if (!block) return std::ranges::all_of(fibers, [](const FiberRef& f) { return f.ready(); });
  IWait it(std::vector<WaitableRef>(fibers.begin(), fibers.end()), deadline == kNoDeadline ? OptionalTimeout{} : OptionalTimeout{std::chrono::duration_cast<std::chrono::nanoseconds>(std::max(deadline - Clock::now(), Clock::duration::zero()))});
  while (it.next()) {
  }
  return !it.timed_out();
}

}  // namespace grove
