#pragma once
// A worker's bounded run queue (the Go runtime's design): the owner pushes at the tail without
// atomics read-modify-write; the owner and thieves take from the head with a CAS.
#include <array>
#include <atomic>
#include <cstdint>

namespace grove::detail {

class FiberControl;

class RunQueue {
 public:
  static constexpr std::uint32_t kCapacity = 256;

  // Owner only: whether push() would succeed.
  bool has_room() const noexcept {
    return tail_.load(std::memory_order_relaxed) - head_.load(std::memory_order_acquire) < kCapacity;
  }

  // Owner only. False when full (the caller then moves half of it to the global queue).
  bool push(FiberControl* f) noexcept {
    if (!has_room()) return false;
    push_unchecked(f);
    return true;
  }
  // Owner only, when has_room().
  void push_unchecked(FiberControl* f) noexcept {
    const std::uint32_t t = tail_.load(std::memory_order_relaxed);
    slots_[t % kCapacity].store(f, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
  }

  // Owner or thief.
  FiberControl* pop() noexcept {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      const std::uint32_t t = tail_.load(std::memory_order_acquire);
      if (t == h) return nullptr;
      FiberControl* f = slots_[h % kCapacity].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel)) return f;
    }
  }

  // Owner only, when no other thread can take from this queue (a single worker).
  FiberControl* pop_exclusive() noexcept {
    const std::uint32_t h = head_.load(std::memory_order_relaxed);
    if (tail_.load(std::memory_order_relaxed) == h) return nullptr;
    FiberControl* f = slots_[h % kCapacity].load(std::memory_order_relaxed);
    head_.store(h + 1, std::memory_order_relaxed);
    return f;
  }

  // Owner only: takes back the entry pushed last if it is still queued and is `entry` (the
  // Chase-Lev deque's owner pop). Thieves take from the head, at most half of what they see, so
  // only a lone last entry can be contended: then one CAS on the head decides.
  bool retract_last(FiberControl* entry) noexcept {
    const std::uint32_t t = tail_.load(std::memory_order_relaxed);
    std::uint32_t h = head_.load(std::memory_order_acquire);
    if (t == h || slots_[(t - 1) % kCapacity].load(std::memory_order_relaxed) != entry) return false;
    // The lone entry is also the first: take it from the head as pop() does, one CAS against
    // thieves (instead of lowering the tail, fencing, and then still racing for the head).
    if (h == t - 1) return head_.compare_exchange_strong(h, t, std::memory_order_acq_rel);
    tail_.store(t - 1, std::memory_order_seq_cst);
    h = head_.load(std::memory_order_seq_cst);
    if (static_cast<std::int32_t>(t - 1 - h) > 0) return true;  // others remain before it
    bool won = false;
    if (h == t - 1) won = head_.compare_exchange_strong(h, t, std::memory_order_seq_cst);
    tail_.store(t, std::memory_order_relaxed);  // empty now: head == tail == t
    return won;
  }

  // Owner only: takes up to half the entries (for moving to the global queue when full).
  std::uint32_t take_half(FiberControl** out) noexcept { return take_oldest(out, 2); }
  // Owner only: takes every entry (out: kCapacity slots).
  std::uint32_t take_all(FiberControl** out) noexcept { return take_oldest(out, 1); }

  // Owner only: takes the oldest 1/`divisor` of the entries.
  std::uint32_t take_oldest(FiberControl** out, std::uint32_t divisor) noexcept {
    for (;;) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      const std::uint32_t t = tail_.load(std::memory_order_acquire);
      const std::uint32_t n = (t - h) / divisor;
      if (n == 0) return 0;
      for (std::uint32_t i = 0; i < n; ++i) out[i] = slots_[(h + i) % kCapacity].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + n, std::memory_order_acq_rel)) return n;
    }
  }

  // Thief: moves half of `victim`'s entries into this (empty, owned by the caller) queue and
  // returns one of them to run, or nullptr.
  FiberControl* steal_from(RunQueue& victim) noexcept {
    const std::uint32_t my_tail = tail_.load(std::memory_order_relaxed);
    for (;;) {
      // seq_cst: pairs with retract_last (the owner lowers the tail, then reads the head).
      std::uint32_t h = victim.head_.load(std::memory_order_seq_cst);
      const std::uint32_t t = victim.tail_.load(std::memory_order_seq_cst);
      std::uint32_t n = t - h;
      n -= n / 2;
      if (n == 0) return nullptr;
      if (n > kCapacity / 2) continue;  // inconsistent snapshot
      for (std::uint32_t i = 0; i < n; ++i) {
        slots_[(my_tail + i) % kCapacity].store(victim.slots_[(h + i) % kCapacity].load(std::memory_order_relaxed),
                                                std::memory_order_relaxed);
      }
      if (victim.head_.compare_exchange_weak(h, h + n, std::memory_order_acq_rel)) {
        FiberControl* first = slots_[(my_tail + n - 1) % kCapacity].load(std::memory_order_relaxed);
        if (n > 1) tail_.store(my_tail + n - 1, std::memory_order_release);
        return first;
      }
    }
  }

  // How many entries were ever pushed (owner only) / ever taken, by anyone: a position in the
  // queue's history that PinnedQueue marks are compared with.
  std::uint32_t pushed() const noexcept { return tail_.load(std::memory_order_relaxed); }
  std::uint32_t consumed() const noexcept { return head_.load(std::memory_order_acquire); }

  std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  bool empty() const noexcept { return size() == 0; }

 private:
  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  std::array<std::atomic<FiberControl*>, kCapacity> slots_{};
};

}  // namespace grove::detail
