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

void retain(FiberControl* f) { f->refs.fetch_add(1, std::memory_order_relaxed); }

void release(FiberControl* f) {
  // A count of 1 is ours alone: nobody can add a reference without holding one.
  if (f->refs.load(std::memory_order_acquire) != 1 && f->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (f->task) f->task->~TaskBase();
  // The last reference: the fiber is off every CPU, so its TLS (and with it the pthread_t that
  // named it) can go.
  if (f->tls) FiberTls::destroy(f->tls);
  const std::size_t size = f->block_size;
  f->~FiberControl();
  Worker* w = Worker::current();  // its cache, if this is a worker's thread
  free_block(f, size, w ? &w->block_cache : nullptr);
}

}  // namespace grove::detail
