#include "threads/FiberFutex.hpp"

#include <cerrno>
#include <chrono>
#include <mutex>

#include "fiber/FiberControl.hpp"
#include "sched/Park.hpp"
#include "sched/Worker.hpp"
#include "sync/WaitQueue.hpp"

namespace grove::threads {
namespace {

struct alignas(64) Bucket {
  detail::WaitQueue queue;
};
constexpr std::size_t kBuckets = 512;  // a power of two
constinit Bucket g_buckets[kBuckets];

Bucket& bucket_for(const void* word) {
  auto a = reinterpret_cast<std::uintptr_t>(word);
  a ^= a >> 17;
  a *= 0x9e3779b97f4a7c15ull;
  return g_buckets[(a >> 32) & (kBuckets - 1)];
}

// pthread calls never change errno; a plain thread's park makes futex calls that may.
struct KeepErrno {
  int saved = errno;
  ~KeepErrno() { errno = saved; }
};

int wait_in_bucket(std::atomic<std::uint32_t>* word, std::uint32_t expected, TimePoint deadline) {
  Bucket& b = bucket_for(word);
  detail::WaitQueue::Lock lock(b.queue.mutex());
  // Checked under the bucket lock a waker takes too: a change made before the wake is seen here.
  if (word->load(std::memory_order_seq_cst) != expected) return 0;
  if (deadline != detail::kNoDeadline && deadline <= detail::Clock::now()) return ETIMEDOUT;
  detail::Waiter waiter;
  waiter.data = word;
  const detail::WakeReason reason = b.queue.wait(lock, deadline, false, &waiter);
  return reason == detail::WakeReason::timed_out ? ETIMEDOUT : 0;
}

}  // namespace

int futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, TimePoint deadline) {
  // A fiber's errno is saved and restored by its switches (and, without its own TLS, it may come
  // back on another thread, where an errno address taken before parking is not its own).
  if (detail::Worker::current()) return wait_in_bucket(word, expected, deadline);
  KeepErrno keep;
  return wait_in_bucket(word, expected, deadline);
}

int futex_wake(std::atomic<std::uint32_t>* word, int count) {
  KeepErrno keep;
  Bucket& b = bucket_for(word);
  std::lock_guard lock(b.queue.mutex());
  int woken = 0;
  while (woken < count) {
    detail::Waiter* w = b.queue.claim_matching(word);
    if (!w) break;
    detail::WaitQueue::resume(w);
    ++woken;
  }
  return woken;
}

int deadline_from(clockid_t clock, const timespec* abstime, TimePoint& out) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
  if (!abstime) {
    out = detail::kNoDeadline;
    return 0;
  }
  if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000) return EINVAL;
  timespec now{};
  clock_gettime(clock, &now);
  const std::int64_t sec = abstime->tv_sec - now.tv_sec;
  if (sec > (std::int64_t{1} << 32)) {  // beyond a century: forever (no overflow)
    out = detail::kNoDeadline;
    return 0;
  }
  const auto left = std::chrono::seconds(sec) + std::chrono::nanoseconds(abstime->tv_nsec - now.tv_nsec);
  out = detail::Clock::now() + std::chrono::duration_cast<detail::Clock::duration>(left);
  return 0;
}

}  // namespace grove::threads
