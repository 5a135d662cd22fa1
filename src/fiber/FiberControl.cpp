#include "fiber/FiberControl.hpp"

#include <cstdlib>

#include "fiber/BlockCache.hpp"
#include "fiber/FiberLocals.hpp"
#include "sched/Park.hpp"
#include "sched/Worker.hpp"

namespace grove::detail {

FiberControl::FiberControl(FiberKind k) : kind(k) {}

FiberControl::~FiberControl() {
  destroy_fiber_locals(this);  // a plain thread's stand-in keeps its locals until the thread exits
  san.destroy();
}

void FiberControl::post_interrupt(std::exception_ptr e, bool is_kill) {
  {
    std::lock_guard lock(interrupt_mu);
    if (interrupt && interrupt_is_kill && !is_kill) return;
    interrupt = std::move(e);
    interrupt_is_kill = is_kill;
  }
  interrupt_pending.store(true, std::memory_order_seq_cst);
  unpark_any(this, WakeReason::interrupted);
}

std::exception_ptr FiberControl::take_interrupt() {
  if (!interrupt_pending.load(std::memory_order_acquire)) return nullptr;
  std::lock_guard lock(interrupt_mu);
  interrupt_pending.store(false, std::memory_order_relaxed);
  interrupt_is_kill = false;
  return std::exchange(interrupt, nullptr);
}

// reset_for_reuse must cover every field of FiberControl: a new field means a look at it.
static_assert(sizeof(FiberControl) == 296 || !kBlockCaching, "FiberControl changed: update reset_for_reuse()");

void FiberControl::reset_for_reuse() noexcept {
  // Not reset: fctx, stack, id, block_size, refs, pinned (written by every spawn), park_epoch
  // (keeps growing, so a stale token never matches again), kind, on_cpu and retire_on_resume
  // (false once switched away for good), locals and links (emptied as it finished), timeouts,
  // thread_alarm and on_thread_alarm (plain threads' stand-ins only), the unlocked interrupt_mu
  // and the empty joiners queue.
  if (interrupt_pending.load(std::memory_order_relaxed)) [[unlikely]] take_interrupt();  // a kill that came too late
  saved_errno = 0;
  home = nullptr;
  tls = nullptr;
  tls_worker_slot = nullptr;
  park_token.store(0, std::memory_order_relaxed);
  wake_reason = WakeReason::none;
  thread_wake.store(0, std::memory_order_relaxed);
  if (!name.empty()) [[unlikely]] name.clear();
  join_word.store(0, std::memory_order_relaxed);
  finish_order = 0;
  killed = false;
  ref_to_joiner = false;
  error_observed = false;
  task = nullptr;
  if (error) [[unlikely]] error = nullptr;
}

void retain(FiberControl* f) { f->refs.fetch_add(1, std::memory_order_relaxed); }

void release(FiberControl* f, int n) {
  // A count of n is ours alone: nobody can add a reference without holding one.
  if (f->refs.load(std::memory_order_acquire) != n && f->refs.fetch_sub(n, std::memory_order_acq_rel) != n) return;
  if (f->task) f->task->~TaskBase();
  // The last reference: the fiber is off every CPU, so its TLS (and with it the pthread_t that
  // named it) can go.
  if (f->tls) FiberTls::destroy(f->tls);
  const std::size_t size = f->block_size;
  Worker* w = Worker::current();  // its cache, if this is a worker's thread
  if (w && f->kind == FiberKind::task && w->block_cache.has_room(size)) [[likely]] {
    f->reset_for_reuse();
    w->block_cache.keep(f, size);
    return;
  }
  f->~FiberControl();
  std::free(f);
}

}  // namespace grove::detail
