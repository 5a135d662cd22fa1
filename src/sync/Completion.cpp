#include "grove/detail/completion.hpp"

#include <atomic>

#include "fiber/FiberControl.hpp"
#include "sync/ChanCore.hpp"
#include "sync/WaitQueue.hpp"

namespace grove::detail {

struct Completion::State {
  std::atomic<bool> done{false};
  WaitQueue waiters;
};

Completion::Completion() : state_(std::make_unique<State>()) {}
Completion::~Completion() = default;

void Completion::complete() {
  WaitQueue::Lock lock(state_->waiters.mutex());
  state_->done.store(true, std::memory_order_release);
  state_->waiters.notify_all();
}

bool Completion::done() const noexcept { return state_->done.load(std::memory_order_acquire); }

bool Completion::wait(TimePoint deadline) {
  if (done()) return true;
  WaitQueue::Lock lock(state_->waiters.mutex());
  while (!state_->done.load(std::memory_order_acquire)) {
    switch (state_->waiters.wait(lock, deadline)) {
      case WakeReason::interrupted:
        throw_current_interrupt();
      case WakeReason::timed_out:
        return done();
      default:
        lock.lock();
    }
  }
  return true;
}

}  // namespace grove::detail
