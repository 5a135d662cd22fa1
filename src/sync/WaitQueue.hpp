#pragma once
// The one wait primitive every blocking thing is built on: a FIFO of parked fibers (or threads)
// guarded by a spin lock that the owning primitive also uses to protect its own state.
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "grove/detail/fiber_core.hpp"
#include "sync/SpinLock.hpp"

namespace grove::detail {

class FiberControl;
enum class WakeReason : std::uint8_t;

struct Waiter {
  FiberControl* fiber = nullptr;
  std::uint64_t token = 0;
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
  bool linked = false;
  void* data = nullptr;  // free for the primitive (e.g. the item a Channel hands over)
};

class WaitQueue {
 public:
  using Lock = std::unique_lock<SpinLock>;

  SpinLock& mutex() { return mu_; }

  // With `lock` held: parks the caller until notified, `deadline`, or (if interruptible) an
  // interrupt. Returns with `lock` released. `waiter` lets the caller attach data.
  // `next`: a runnable fiber the caller claimed, to switch to directly (a directed join).
  WakeReason wait(Lock& lock, TimePoint deadline, bool interruptible = true, Waiter* waiter = nullptr,
                  FiberControl* next = nullptr);

  // With the lock held. Claims the first waiter that can still be woken and unlinks it, without
  // running it: the caller may hand it data, then must call resume(). nullptr if none.
  Waiter* claim_one();
  // Same, for the first waiter whose Waiter::data is `data` (queues shared by many keys).
  Waiter* claim_matching(const void* data);
  static void resume(Waiter* w);
  bool notify_one();
  std::size_t notify_all(WakeReason reason);
  std::size_t notify_all();
  // For waits on several queues at once (grove::wait, select): with the lock held, queue a waiter
  // whose fiber/token come from one prepare_park() shared by every queue; after park() returns,
  // remove() it (lock held) from every queue that did not wake it.
  void enqueue(Waiter* w) { push_back(w); }
  void remove(Waiter* w) {
    if (w->linked) unlink(w);
  }
  bool empty() const { return head_ == nullptr; }
  std::size_t size() const { return size_; }

 private:
  void push_back(Waiter* w);
  void unlink(Waiter* w);

  SpinLock mu_;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace grove::detail
