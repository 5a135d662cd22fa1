#pragma once
// The fiber control block. It lives off the fiber's stack so a finished fiber's stack can be
// reused at once while handles still read its result.
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>

#include "context/FiberTls.hpp"
#include "context/Sanitizers.hpp"
#include "context/Stack.hpp"
#include "context/Switch.hpp"
#include "grove/detail/fiber_core.hpp"
#include "sched/TimerHeap.hpp"
#include "sync/WaitQueue.hpp"
#include "sys/FutexLock.hpp"

namespace grove::detail {

class Worker;
struct LinkNode;

enum class FiberKind : std::uint8_t {
  task,       // a spawned fiber with its own stack
  main,       // the adopted thread's own stack (greenlet's implicit main greenlet)
  scheduler,  // a worker's scheduling loop
  thread,     // stands for a plain OS thread that blocks in a grove primitive
};

enum class WakeReason : std::uint8_t { none, notified, timed_out, interrupted, closed };

// FiberControl::join_word: one atomic word, so that the common spawn+join (one joiner, no
// timeout) needs no lock: the joiner registers with one CAS, the finishing fiber publishes kDone
// and learns who to wake with one exchange. Anything else (a second joiner, iwait, links) sets
// kWatched and uses the `joiners` WaitQueue, which the finishing fiber then also locks.
namespace join_word {
inline constexpr std::uintptr_t kDone = 1;       // finished; the result and error are published
inline constexpr std::uintptr_t kUnclaimed = 2;  // its spawn entry is queued and its first run unclaimed
inline constexpr std::uintptr_t kWatched = 4;    // `joiners` has (or had) waiters or links
// After kDone only (kUnclaimed is clear by then): the finishing fiber is done touching the lone
// joiner it took from the word (it failed to claim its park: a timeout or interrupt had).
inline constexpr std::uintptr_t kLetGo = 2;
inline constexpr std::uintptr_t kFlags = 7;
inline FiberControl* joiner(std::uintptr_t word) { return reinterpret_cast<FiberControl*>(word & ~kFlags); }
}  // namespace join_word

class FiberControl {
 public:
  explicit FiberControl(FiberKind kind);
  ~FiberControl();
  FiberControl(const FiberControl&) = delete;
  FiberControl& operator=(const FiberControl&) = delete;

  // --- switching (touched on every switch; kept together)
  Fcontext fctx = nullptr;
  std::atomic<bool> on_cpu{false};  // set while some thread runs it; a resumer waits for false
  FiberKind kind;
  // What a resumed fiber must look at, at a fixed offset: grove::yield, inline in user code,
  // reads both bytes at once (kResumeFlagsOffset).
  // A kill or Timeout to raise at the next interruptible suspension point (post_interrupt).
  std::atomic<bool> interrupt_pending{false};
  // Set by the switch that resumed it: the fiber it left finished, and its stack is freed here,
  // on this fiber's side of the switch (Worker::retire_pending).
  bool retire_on_resume = false;
  bool pinned = false;
  int saved_errno = 0;
  Worker* home = nullptr;  // the worker a pinned fiber runs on
  FiberControl* next_in_queue = nullptr;
  Stack stack;
  SanitizerState san;
  // Threads-as-fibers only: the fiber's own TCB + static TLS, made current while it runs, and
  // the address of Worker::t_current inside it (the scheduler writes it at every switch in).
  FiberTls* tls = nullptr;
  void* tls_worker_slot = nullptr;

  // --- parking: a park publishes a nonzero token; exactly one waker claims it by CAS to 0.
  std::atomic<std::uint64_t> park_token{0};
  std::uint64_t park_epoch = 0;
  WakeReason wake_reason = WakeReason::none;
  std::atomic<std::uint32_t> thread_wake{0};  // futex word for FiberKind::thread

  // --- interruption (kill, Timeout): an exception thrown at the next suspension point
  sys::FutexLock interrupt_mu;
  std::exception_ptr interrupt;
  bool interrupt_is_kill = false;
  // grove::Timeout: the armed Timeouts of this fiber, innermost first (api layer; interrupt_mu).
  void* timeouts = nullptr;
  // Plain threads have no timer heap: park_thread() wakes at `thread_alarm` and calls
  // on_thread_alarm, which expires their Timeouts. Touched only by the owning thread.
  TimePoint thread_alarm = kNoDeadline;
  void (*on_thread_alarm)(FiberControl*) = nullptr;

  // --- identity and lifecycle
  std::uint64_t id = 0;
  std::string name;
  std::atomic<int> refs{1};
  // The join handshake (kDone, kUnclaimed, kWatched, and the lone registered joiner): see join_word.
  std::atomic<std::uintptr_t> join_word{0};
  // Position in the process-wide finish order, stamped only while some iwait/joinall watches
  // (0: not stamped); written before kDone is published.
  std::uint64_t finish_order = 0;
  bool killed = false;
  // Set by the finishing fiber when it switches straight to its lone joiner: the scheduler's
  // reference goes to that joiner (fiber_join's took_ref) instead of being dropped at retire.
  bool ref_to_joiner = false;
  bool error_observed = false;  // a link that receives failures exists (guarded by joiners' lock)
  LinkNode* links = nullptr;     // run when the fiber dies (guarded by joiners' lock; sets kWatched)
  TaskBase* task = nullptr;
  std::size_t block_size = 0;  // the allocation holding this block and its task (BlockCache)
  std::exception_ptr error;
  WaitQueue joiners;
  void* locals = nullptr;  // fiber-local storage, owned by the api layer

  // A finished task fiber's block, its task destroyed, back to the state a fresh one starts in
  // (BlockCache keeps it): only the fields a fiber's life can leave changed.
  void reset_for_reuse() noexcept;

  // Requests that `e` be thrown in this fiber at its next suspension point, waking it if it is
  // parked interruptibly. A kill replaces any other pending interrupt.
  void post_interrupt(std::exception_ptr e, bool is_kill);
  // Takes the pending interrupt (nullptr if none).
  std::exception_ptr take_interrupt();
};

// The fiber (or thread stand-in) running on this thread right now; never null once the runtime
// runs. Outside grove workers it returns a per-thread FiberKind::thread control block.
FiberControl* current_fiber();

void retain(FiberControl* f);
// Drops `n` references (a handle may hold two: fiber_join's took_ref); frees the fiber at zero.
void release(FiberControl* f, int n = 1);

}  // namespace grove::detail
