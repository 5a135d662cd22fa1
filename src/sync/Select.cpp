// Go's select over queue and channel operations. Like Go's selectgo: lock every involved core (in
// address order, so two selects never deadlock), poll the cases in a random order, and if none can
// proceed, queue one waiter per case, all sharing one park token. The first waker to claim that
// token wins; every other core's waker fails its claim and skips the stale waiter, so exactly one
// case fires and no item is taken twice or lost.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>

#include "grove/detail/chan_core.hpp"
#include "sched/Park.hpp"
#include "sync/ChanCore.hpp"

namespace grove::detail {
namespace {

// Per-call scratch that stays on the stack for the usual handful of cases.
template <typename T, std::size_t Inline = 8>
class Scratch {
 public:
  explicit Scratch(std::size_t n) : data_(n <= Inline ? inline_ : (heap_ = std::make_unique<T[]>(n)).get()) {}
  T& operator[](std::size_t i) { return data_[i]; }
  T* begin() { return data_; }

 private:
  T inline_[Inline]{};
  std::unique_ptr<T[]> heap_;
  T* data_;
};

std::uint64_t next_random() {
  thread_local std::uint64_t state =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
  // xorshift64*: plenty for choosing among ready cases.
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

// Holds the locks of a set of distinct cores, taken in address order.
class CoreLocks {
 public:
  CoreLocks(ChanCore** cores, std::size_t count) : cores_(cores), count_(count) {}
  ~CoreLocks() {
    if (held_) unlock();
  }
  void lock() {
    for (std::size_t i = 0; i < count_; ++i) cores_[i]->mutex().lock();
    held_ = true;
  }
  void unlock() {
    for (std::size_t i = count_; i-- > 0;) cores_[i]->mutex().unlock();
    held_ = false;
  }

 private:
  ChanCore** cores_;
  std::size_t count_;
  bool held_ = false;
};

}  // namespace

SelectOutcome chan_select(SelectOp* ops, std::size_t count, bool has_default, TimePoint deadline) {
  Scratch<ChanCore*> cores(count);
  for (std::size_t i = 0; i < count; ++i) cores[i] = ops[i].core;
  std::sort(cores.begin(), cores.begin() + count);
  const std::size_t distinct = static_cast<std::size_t>(std::unique(cores.begin(), cores.begin() + count) - cores.begin());
  Scratch<std::size_t> order(count);
  Scratch<Handoff> handoffs(count);
  Scratch<Waiter> waiters(count);
  CoreLocks locks(cores.begin(), distinct);

  for (;;) {
    locks.lock();
    // A random permutation, then the first ready case: uniform among the ready ones.
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t j = static_cast<std::size_t>(next_random() % (i + 1));
      order[i] = order[j];
      order[j] = i;
    }
    for (std::size_t k = 0; k < count; ++k) {
      const SelectOp& op = ops[order[k]];
      ChanStatus status = op.is_send ? op.core->try_send_locked(op.item) : op.core->try_recv_locked(op.item);
      if (status != ChanStatus::would_block) return SelectOutcome{static_cast<int>(order[k]), status};
    }
    if (has_default) return SelectOutcome{-1, ChanStatus::would_block};
    if (deadline != kNoDeadline && deadline <= Clock::now()) return SelectOutcome{-1, ChanStatus::timed_out};

    const ParkTicket ticket = prepare_park(true);
    int fired = -1;
    for (std::size_t i = 0; i < count; ++i) {
      handoffs[i] = Handoff{};
      handoffs[i].item = ops[i].item;
      handoffs[i].fired = &fired;
      handoffs[i].index = static_cast<int>(i);
      waiters[i] = Waiter{};
      waiters[i].fiber = ticket.fiber;
      waiters[i].token = ticket.token;
      waiters[i].data = &handoffs[i];
      ops[i].core->waiters(ops[i].is_send).enqueue(&waiters[i]);
    }
    locks.unlock();

    const WakeReason reason = park(ticket, deadline, true);

    // Take our other waiters back out; a waker that unlinked one already did it under that lock.
    for (std::size_t i = 0; i < count; ++i) {
      WaitQueue::Lock guard = ops[i].core->lock();
      ops[i].core->waiters(ops[i].is_send).remove(&waiters[i]);
    }
    switch (reason) {
      case WakeReason::notified: {
        Handoff& won = handoffs[static_cast<std::size_t>(fired)];
        if (won.retry) continue;
        return SelectOutcome{fired, won.status};
      }
      case WakeReason::interrupted:
        throw_current_interrupt();
      default:
        return SelectOutcome{-1, ChanStatus::timed_out};
    }
  }
}

}  // namespace grove::detail
