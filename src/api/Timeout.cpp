// grove::Timeout. A fiber's Timeout is a TimerNode on its worker's heap whose callback posts the
// exception with FiberControl's interrupt machinery; a plain thread's expires from its own park
// (FiberControl::thread_alarm). Each fiber keeps its armed Timeouts innermost-first so that,
// of several expired ones, the innermost is thrown and outer ones follow when its scope ends.
#include <atomic>
#include <cstdio>

#include "api/Bootstrap.hpp"
#include "grove/timeout.hpp"
#include "sched/Park.hpp"
#include "sched/Worker.hpp"

namespace grove::detail {

struct TimeoutState : TimerNode {
  enum class Status : std::uint8_t { armed, expired, posted, delivered };
  FiberControl* fiber = nullptr;
  std::exception_ptr error;
  TimeoutState* outer = nullptr;
  Status status = Status::armed;
  bool on_heap = false;
};

namespace {

std::atomic<std::uint64_t> g_next_timeout_id{1};

TimeoutState*& chain(FiberControl* f) { return reinterpret_cast<TimeoutState*&>(f->timeouts); }

// With f->interrupt_mu held: brings statuses up to date and returns the exception to post, if
// an expired Timeout should now be pending (the innermost expired one wins).
std::exception_ptr choose_interrupt(FiberControl* f) {
  using S = TimeoutState::Status;
  for (TimeoutState* t = chain(f); t; t = t->outer) {
    if (t->status == S::posted && f->interrupt != t->error) t->status = S::delivered;
  }
  for (TimeoutState* t = chain(f); t; t = t->outer) {
    if (t->status == S::posted) return nullptr;  // an inner-or-equal one is pending already
    if (t->status == S::expired) {
      if (f->interrupt && f->interrupt_is_kill) return nullptr;
      // Anything further out that was pending goes back to waiting its turn.
      for (TimeoutState* o = t->outer; o; o = o->outer) {
        if (o->status == S::posted) o->status = S::expired;
      }
      t->status = S::posted;
      f->interrupt = t->error;
      f->interrupt_is_kill = false;
      return t->error;
    }
  }
  return nullptr;
}

void deliver(FiberControl* f, const std::exception_ptr& posted) {
  if (!posted) return;
  f->interrupt_pending.store(true, std::memory_order_seq_cst);
  unpark_any(f, WakeReason::interrupted);
}

// Runs under the timer heap's lock, so the Timeout's destructor (which cancels first) waits for it.
void fire_fiber_timeout(TimerNode* node) {
  auto* t = static_cast<TimeoutState*>(node);
  FiberControl* f = t->fiber;
  std::exception_ptr posted;
  {
    std::lock_guard lock(f->interrupt_mu);
    t->status = TimeoutState::Status::expired;
    posted = choose_interrupt(f);
  }
  deliver(f, posted);
}

void update_thread_alarm(FiberControl* f) {
  TimePoint next = kNoDeadline;
  for (TimeoutState* t = chain(f); t; t = t->outer) {
    if (t->status == TimeoutState::Status::armed) next = std::min(next, t->deadline);
  }
  f->thread_alarm = next;
}

void fire_thread_timeouts(FiberControl* f) {
  std::exception_ptr posted;
  {
    std::lock_guard lock(f->interrupt_mu);
    const TimePoint now = Clock::now();
    for (TimeoutState* t = chain(f); t; t = t->outer) {
      if (t->status == TimeoutState::Status::armed && t->deadline <= now) t->status = TimeoutState::Status::expired;
    }
    posted = choose_interrupt(f);
    update_thread_alarm(f);
  }
  deliver(f, posted);
}

}  // namespace
}  // namespace grove::detail

namespace grove {

using namespace detail;

Timeout::Timeout(std::chrono::nanoseconds duration, std::exception_ptr exception)
    : id_(g_next_timeout_id.fetch_add(1, std::memory_order_relaxed)), duration_(duration) {
  const TimePoint deadline = deadline_after(std::chrono::duration_cast<Clock::duration>(duration));
  std::snprintf(message_, sizeof message_, "grove: timeout after %.3f ms", static_cast<double>(duration.count()) / 1e6);
  runtime();
  auto* t = new TimeoutState;
  t->deadline = deadline;
  t->fire = &fire_fiber_timeout;
  t->error = exception ? std::move(exception) : std::make_exception_ptr(Timeout(*this));
  FiberControl* self = current_fiber();
  t->fiber = self;
  state_ = t;
  Worker* w = Worker::current();
  const bool on_thread = self->kind == FiberKind::thread || !w;
  {
    std::lock_guard lock(self->interrupt_mu);
    t->outer = chain(self);
    chain(self) = t;
    if (on_thread) {
      self->on_thread_alarm = &fire_thread_timeouts;
      update_thread_alarm(self);
    }
  }
  if (deadline == kNoDeadline || on_thread) return;
  t->on_heap = true;
  w->timers.add(t);
}

Timeout::Timeout(const Timeout& other) noexcept : id_(other.id_), duration_(other.duration_) {
  std::copy(std::begin(other.message_), std::end(other.message_), message_);
}

Timeout::Timeout(UnarmedTag, std::chrono::nanoseconds duration) noexcept
    : id_(g_next_timeout_id.fetch_add(1, std::memory_order_relaxed)), duration_(duration) {
  std::snprintf(message_, sizeof message_, "grove: timeout after %.3f ms", static_cast<double>(duration.count()) / 1e6);
}

Timeout Timeout::unarmed(std::chrono::nanoseconds duration) { return Timeout(UnarmedTag{}, duration); }

Timeout::~Timeout() { cancel(); }

void Timeout::cancel() noexcept {
  TimeoutState* t = std::exchange(state_, nullptr);
  if (!t) return;
  if (t->on_heap) TimerHeap::cancel(t);
  FiberControl* f = t->fiber;
  std::exception_ptr posted;
  {
    std::lock_guard lock(f->interrupt_mu);
    TimeoutState** link = &chain(f);
    while (*link && *link != t) link = &(*link)->outer;
    if (*link) *link = t->outer;
    // Expired but not yet thrown: the block is over, so it must not fire later.
    if (f->interrupt == t->error) {
      f->interrupt = nullptr;
      f->interrupt_pending.store(false, std::memory_order_relaxed);
    }
    // An outer Timeout that expired while this one was pending fires at the next suspension.
    posted = choose_interrupt(f);
    if (f->kind == FiberKind::thread) update_thread_alarm(f);
  }
  deliver(f, posted);
  delete t;
}

bool Timeout::pending() const noexcept {
  if (!state_) return false;
  std::lock_guard lock(state_->fiber->interrupt_mu);
  return state_->status == TimeoutState::Status::armed;
}

}  // namespace grove
