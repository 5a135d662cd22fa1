#pragma once
// The epoll backend: one edge-triggered epoll set for the process; each fd is registered once
// for both directions, and readiness wakes the fibers parked on its FdTable entry.
#include <atomic>

#include "io/FdTable.hpp"
#include "sched/EventSource.hpp"

namespace grove::detail {

enum class WaitOutcome : std::uint8_t { ready, timed_out, closed, interrupted, error };

class Poller final : public EventSource {
 public:
  Poller();
  ~Poller() override;

  bool try_acquire() override { return !held_.exchange(true, std::memory_order_acquire); }
  void release() override { held_.store(false, std::memory_order_release); }
  bool held() const override { return held_.load(std::memory_order_relaxed); }
  int poll(TimePoint deadline) override;
  void interrupt() override;

  // Parks the caller until `fd` is ready in `dir`. `error` outcomes leave errno set.
  WaitOutcome wait(int fd, IoDirection dir, TimePoint deadline);
  // Wakes every waiter of `fd` with `closed` and forgets its registration (call before close()).
  void forget(int fd);

  // In the child of fork(): closes this process's copies of the parent's epoll set and wake-up
  // eventfd (shared with the parent: using them would steal its events) without touching them.
  void abandon_after_fork();

  static Poller& instance();  // the runtime's poller
  int epoll_fd() const { return epfd_; }

 private:
  void dispatch(std::uint64_t data, std::uint32_t events);

  int epfd_ = -1;
  int wakefd_ = -1;
  std::atomic<bool> held_{false};
};

}  // namespace grove::detail
