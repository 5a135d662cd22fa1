// The greenlet switch: a direct fcontext jump between two stacks of one host, no scheduler.
#include <cxxabi.h>
#include <pthread.h>
#if defined(GROVE_ASAN)
#include <sanitizer/asan_interface.h>
#endif

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

#include "api/Bootstrap.hpp"
#include "api/GreenletControl.hpp"
#include "context/GuardHandler.hpp"
#include "fiber/FiberLocals.hpp"
#include "sched/Worker.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {
namespace {

// A general-path switch's message; it lies on the switching greenlet's stack while the target
// reads it, and travels with the low bit of its address set (see greenlet_message_is_value).
struct SwitchMessage {
  GreenletControl* from;
  value* args;                // what the target's switch returns (unless `error`)
  std::exception_ptr* error;  // raised in the target instead
  bool from_finished;         // `from` died: the target frees its stack
};
void* tagged(SwitchMessage* m) { return reinterpret_cast<char*>(m) + 1; }
SwitchMessage* untagged(void* data) { return reinterpret_cast<SwitchMessage*>(static_cast<char*>(data) - 1); }

const LocalKey kHostKey = new_local_key();

void say(const std::string& line) { sys::write(2, line.data(), line.size()); }

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

void retain_host(GreenletHost* h) noexcept { h->refs.fetch_add(1, std::memory_order_relaxed); }
void release_host(GreenletHost* h) noexcept {
  if (h->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete h;
}

bool on_host_thread(const GreenletHost* h) { return h->fiber.load(std::memory_order_relaxed) == current_fiber(); }

void check_thread(const GreenletHost* h, const char* what) {
  if (on_host_thread(h)) return;
  if (!h->fiber.load(std::memory_order_relaxed)) {
    throw UsageError(std::string("grove: cannot ") + what + " a greenlet whose thread (grove fiber) has finished");
  }
  throw UsageError(std::string("grove: cannot ") + what +
                   " a greenlet of another thread (greenlets belong to the thread or grove fiber that created them)");
}

EhGlobals* thread_eh_globals() { return reinterpret_cast<EhGlobals*>(abi::__cxa_get_globals()); }

// The running thread's exception globals, fetched again only when the thread pointer changed:
// a fiber with live greenlets stays on its worker, but a spare thread may stand in for it (see
// note_started), and a thread-fiber has a thread pointer (and exception globals) of its own.
EhGlobals* host_eh(GreenletHost* h) {
#if GROVE_GREENLET_FAST_JUMP
  const void* tp = greenlet_thread_pointer();
  if (__builtin_expect(tp != h->eh_thread, 0)) {
    h->eh = thread_eh_globals();
    h->eh_thread = tp;
  }
  return h->eh;
#else
  (void)h;
  return thread_eh_globals();
#endif
}

void note_started(GreenletHost* h) {
  if (h->live.fetch_add(1, std::memory_order_relaxed) != 0) return;
  FiberControl* f = h->fiber.load(std::memory_order_relaxed);
  Worker* w = Worker::current();
  if (f->kind != FiberKind::task || !w) return;  // the main fiber is pinned; plain threads never migrate
  h->was_pinned = f->pinned;
  // A spare thread serving a stuck worker's queue retires once that worker moves again, and
  // the fibers pinned to it would never run again: pin to the worker it stands in for, where
  // the host continues (on that worker's thread) at its next suspension.
  if (w->is_spare) {
    if (Worker* stuck = w->victim.load(std::memory_order_acquire)) w = stuck;
  }
  // Atomic: a joiner on another worker may read them meanwhile (fiber_join's directed join,
  // which then finds the fiber already started and ignores what it read).
  std::atomic_ref<Worker*>(f->home).store(w, std::memory_order_relaxed);
  std::atomic_ref<bool>(f->pinned).store(true, std::memory_order_relaxed);
}

void note_died(GreenletHost* h) {
  if (h->live.fetch_sub(1, std::memory_order_relaxed) != 1) return;
  FiberControl* f = h->fiber.load(std::memory_order_relaxed);
  if (f && f->kind == FiberKind::task && f == current_fiber()) {
    std::atomic_ref<bool>(f->pinned).store(h->was_pinned, std::memory_order_relaxed);
  }
}

void release_greenlet_stack(GreenletControl* g) noexcept {
  if (!g->stack) return;
#if defined(GROVE_ASAN)
  // Its last frames never returned: clear their redzones before the stack is reused.
  __asan_unpoison_memory_region(g->stack.base, g->stack.size);
#endif
  release_stack(g->stack);
  g->stack = Stack{};
  g->san.destroy();
}

bool take_greenlet_exit(const std::exception_ptr& e, value& out) {
  try {
    std::rethrow_exception(e);
  } catch (GreenletExit& x) {
    out = std::move(x.result);
    return true;
  } catch (...) {
    return false;
  }
}

void destroy_unreferenced(GreenletControl* g) noexcept;
void process_pending(GreenletHost* h) noexcept;
[[noreturn]] void greenlet_entry(Transfer t);

void start(GreenletControl* g) {
  g->stack = allocate_stack(g->stack_size);
  g->san.init_for_stack(g->stack.base, g->stack.size);
  g->fctx = make_context(g->stack.top(), g->stack.size, &greenlet_entry);
  g->stack_low = g->stack.base;
  g->stack_high = g->stack.top();
  g->slab_stack = !g->stack.guarded;
  g->update_leave_path();
  g->set_state(GreenletState::live);
  g->ever_started = true;
  note_started(g->host_of());
}

// Frees what a greenlet that switched away left behind: a dead one's stack, or an orphan.
void reap(GreenletControl* g) noexcept {
  if (g->state == GreenletState::dead) {
    release_greenlet_stack(g);
    if (g->orphaned) destroy_unreferenced(g);
    return;
  }
  g->orphaned = false;
  g->update_leave_path();
  destroy_unreferenced(g);
}

// What a resumed switch returns when the message is not plain: an exception, or a sender that
// died or was orphaned (`in` may lie on the stack about to be freed).
[[gnu::noinline]] value take_unusual_message(SwitchMessage* in) {
  GreenletControl* from = in->from;
  if (in->from_finished || from->orphaned) {
    value v = in->args ? std::move(*in->args) : value{};
    std::exception_ptr e = in->error ? std::move(*in->error) : nullptr;
    reap(from);
    if (e) std::rethrow_exception(e);
    return v;
  }
  if (in->error) {
    std::exception_ptr e = std::move(*in->error);
    std::rethrow_exception(e);
  }
  return std::move(*in->args);
}

// What a resumed switch returns when a general switch resumed it: the message's contents.
[[gnu::always_inline]] inline value take_message(void* data) {
  SwitchMessage* in = untagged(data);
  if (!in->error && !in->from_finished && !in->from->orphaned) return std::move(*in->args);
  return take_unusual_message(in);
}

// First thing after `me` is switched to: record where the sender stopped.
// Fast senders (never in sanitizer builds, never without GROVE_GREENLET_FAST_JUMP) send null: their
// value is in me->inbox already.
[[gnu::always_inline]] inline void* finish_jump(Transfer t, FiberControl* f, GreenletControl* me) {
#if !GROVE_GREENLET_FAST_JUMP
  untagged(t.data)->from->fctx = t.fctx;  // (grove_greenlet_jump stores it itself)
#endif
#if defined(GROVE_ASAN) || defined(GROVE_TSAN)
  sanitizer_after_switch(me->san, &untagged(t.data)->from->san);
  f->san = me->san;
#else
  (void)f;
  (void)me;
#endif
  return t.data;
}

// Everything a switch from the running greenlet `self` to the live `target` does before the jump.
[[gnu::always_inline]] inline void prepare_jump(GreenletHost* h, GreenletControl* self, GreenletControl* target) {
  FiberControl* f = h->fiber.load(std::memory_order_relaxed);
  if (__builtin_expect(self->stack.base && !self->stack.guarded, 0) && !canary_intact(self->stack)) {
    report_stack_overflow(f);
  }
  // The host fiber's fields describe the running stack, so a park inside a greenlet saves it.
  self->san = f->san;
  *h->fiber_stack = target->stack;
  EhGlobals* eh = host_eh(h);
  self->eh_caught = eh->caught;
  self->eh_uncaught = eh->uncaught;
  self->update_entry_path();
  eh->caught = std::exchange(target->eh_caught, nullptr);  // a running greenlet's saved state is zero
  eh->uncaught = std::exchange(target->eh_uncaught, 0);
  target->update_entry_path();
  h->current = target;
}

// The switch made inside libgrove (the general path, and every switch in sanitizer builds).
[[gnu::always_inline]] inline void* switch_stacks(GreenletHost* h, GreenletControl* self, GreenletControl* target,
                                                  SwitchMessage& msg) {
  prepare_jump(h, self, target);
  sanitizer_before_switch(self->san, target->san, msg.from_finished);
#if GROVE_GREENLET_FAST_JUMP
  // Every greenlet context is left through this jump, which records it: a receiver resumed in
  // the header's fast path does not.
  const GreenletTransfer t = grove_greenlet_jump(target->fctx, tagged(&msg), &self->fctx);
  return finish_jump(Transfer{t.fctx, t.data}, h->fiber.load(std::memory_order_relaxed), self);
#else
  return finish_jump(jump(target->fctx, tagged(&msg)), h->fiber.load(std::memory_order_relaxed), self);
#endif
}

// Switches and returns what `self` receives when it is resumed: a fast switch (inline in the
// sender, see greenlet_switch_inline) builds its value in `self->inbox`, a general one sends a message.
[[gnu::always_inline]] inline value switch_and_receive(GreenletHost* h, GreenletControl* self, GreenletControl* target,
                                                       SwitchMessage& msg) {
  value received;
  self->inbox = &received;
  void* in = switch_stacks(h, self, target, msg);
  if (!greenlet_message_is_value(in)) received = take_message(in);
  return received;
}

value jump_to(GreenletHost* h, GreenletControl* target, value* args, std::exception_ptr* error, bool from_finished) {
  GreenletControl* self = h->running();
  if (target->state == GreenletState::unstarted) start(target);
  SwitchMessage msg{self, args, error, from_finished};
  return switch_and_receive(h, self, target, msg);
}

// Sends values or an exception to `target`, or to its first live ancestor if it is dead. An
// exception aimed at a greenlet that never started kills it unrun and moves on to its parent.
value deliver(GreenletHost* h, GreenletControl* target, value* args, std::exception_ptr error, bool from_finished) {
  value converted;
  for (;;) {
    while (target->state == GreenletState::dead) target = target->parent;
    if (!error || target->state != GreenletState::unstarted) break;
    target->set_state(GreenletState::dead);
    target->run.reset();
    if (take_greenlet_exit(error, converted)) {
      error = nullptr;
      args = &converted;
    }
    target = target->parent;
  }
  if (target == h->current) {
    if (error) std::rethrow_exception(error);
    return std::move(*args);
  }
  return jump_to(h, target, args, error ? &error : nullptr, from_finished);
}

[[noreturn]] void greenlet_entry(Transfer t) {
  GreenletHost* h = untagged(t.data)->from->host_of();  // the first switch is a general one
  GreenletControl* self = h->running();
  value result;
  std::exception_ptr error;
  try {
    value args = take_message(finish_jump(t, h->fiber.load(std::memory_order_relaxed), self));
    result = self->run->invoke(std::move(args));
  } catch (GreenletExit& e) {
    result = std::move(e.result);
  } catch (...) {
    error = std::current_exception();
  }
  self->run.reset();
  self->set_state(GreenletState::dead);
  note_died(h);
  // Never returns: the receiver moves `result`/`error` out, then frees this stack.
  deliver(h, self->parent, &result, std::move(error), true);
  __builtin_unreachable();
}

// Raises GreenletExit in a suspended greenlet of this thread until it dies. False if it was
// resurrected (a handle to it was made while it unwound).
bool unwind(GreenletHost* h, GreenletControl* g) noexcept {
  g->refs.store(1, std::memory_order_relaxed);  // a reference of our own while it runs
  GreenletControl* cur = h->running();
  greenlet_retain(cur);
  GreenletControl* old_parent = std::exchange(g->parent, cur);  // as Python: it dies into us
  try {
    deliver(h, g, nullptr, std::make_exception_ptr(GreenletExit{}), false);
  } catch (...) {
    say("grove: exception ignored while unwinding a dropped greenlet: " + describe(std::current_exception()) + "\n");
  }
  greenlet_release(old_parent);
  if (g->state != GreenletState::dead) {
    say("grove: a dropped greenlet ignored GreenletExit; its stack is freed without unwinding\n");
    release_greenlet_stack(g);
    g->set_state(GreenletState::dead);
    note_died(h);
  }
  return g->refs.fetch_sub(1, std::memory_order_acq_rel) == 1;
}

void free_greenlet(GreenletControl* g) noexcept {
  GreenletHost* h = g->host_of();
  release_greenlet_stack(g);  // only a greenlet that could not be unwound still has one
  GreenletControl* parent = g->parent;
  g->run.reset();
  delete g;
  if (parent) greenlet_release(parent);
  release_host(h);
}

void destroy_unreferenced(GreenletControl* g) noexcept {
  GreenletHost* h = g->host_of();
  if (g->state == GreenletState::live) {
    if (!on_host_thread(h)) {
      std::unique_lock lock(h->pending_mu);
      if (h->fiber.load(std::memory_order_relaxed)) {  // alive: its own thread unwinds it later
        h->pending.push_back(g);
        h->has_pending.store(true, std::memory_order_release);
        return;
      }
      // Its thread has finished: nothing can run it any more; free it as it is.
    } else if (g == h->current) {
      g->orphaned = true;  // still running: reaped when it switches away or dies
      g->update_leave_path();
      return;
    } else if (!unwind(h, g)) {
      return;
    }
  }
  free_greenlet(g);
}

void process_pending(GreenletHost* h) noexcept {
  std::vector<GreenletControl*> batch;
  {
    std::lock_guard lock(h->pending_mu);
    batch.swap(h->pending);
    h->has_pending.store(false, std::memory_order_relaxed);
  }
  for (GreenletControl* g : batch) destroy_unreferenced(g);
}

void* create_host() {
  FiberControl* f = current_fiber();
  // A plain thread's stand-in control block never switched before: its first greenlet switch
  // saves the thread's own sanitizer state (TSan's fiber) into the main greenlet from here.
  if (f->kind == FiberKind::thread) f->san.init_for_current_thread();
  auto* h = new GreenletHost;
  h->fiber.store(f, std::memory_order_relaxed);
  h->main.host = h;
  h->main.is_main = true;
  h->main.set_state(GreenletState::live);
  h->main.ever_started = true;
  h->main.stack = f->stack;
  h->main.slab_stack = f->stack && !f->stack.guarded;
  h->fiber_stack = &f->stack;
  if (f->stack) {
    h->main.stack_low = f->stack.base;
    h->main.stack_high = f->stack.top();
  } else {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* addr = nullptr;
      std::size_t size = 0;
      if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        h->main.stack_low = static_cast<const char*>(addr);
        h->main.stack_high = h->main.stack_low + size;
      }
      pthread_attr_destroy(&attr);
    }
  }
  h->main.update_leave_path();
  h->eh = thread_eh_globals();
#if GROVE_GREENLET_FAST_JUMP
  h->eh_thread = greenlet_thread_pointer();
#endif
  h->current = &h->main;
  return h;
}

// The host fiber (or thread) finished: its greenlets can never run again.
void destroy_host(void* p) noexcept {
  auto* h = static_cast<GreenletHost*>(p);
  if (h->has_pending.load(std::memory_order_acquire)) process_pending(h);
  std::vector<GreenletControl*> late;
  {
    std::lock_guard lock(h->pending_mu);
    h->fiber.store(nullptr, std::memory_order_relaxed);
    late.swap(h->pending);
  }
  h->main.set_state(GreenletState::dead);
  // Its stack may be reused by another fiber (or thread), whose switches to this host's
  // greenlets must not pass for the running greenlet's: they get UsageError (check_thread).
  GreenletControl* last = h->running();
  last->stack_low = last->stack_high = nullptr;
  last->update_leave_path();
  for (GreenletControl* g : late) free_greenlet(g);
  release_host(h);
}

GreenletHost* current_host() {
  if (void* p = local_slot(current_fiber(), kHostKey, nullptr, nullptr)) return static_cast<GreenletHost*>(p);
  runtime();  // adopts the main thread first, so its main greenlet is the main fiber's
  return static_cast<GreenletHost*>(local_slot(current_fiber(), kHostKey, &create_host, &destroy_host));
}

GreenletHost* host_for_switch(GreenletControl* target, const char* what) {
  GreenletHost* h = target->host_of();
#if defined(GROVE_TSAN)
  check_thread(h, what);  // the fast path reads `current` racily from a wrong thread (harmlessly)
#else
  const GreenletCore* cur = h->current;
  const char* sp = static_cast<const char*>(__builtin_frame_address(0));
  if (__builtin_expect(!(sp >= cur->sp_low && sp < cur->sp_high), 0)) check_thread(h, what);
#endif
  if (__builtin_expect(h->has_pending.load(std::memory_order_relaxed), 0)) process_pending(h);
  return h;
}

}  // namespace

GreenletCore* greenlet_create(std::unique_ptr<GreenletRun> run, GreenletCore* parent_core, std::size_t stack_size) {
  GreenletHost* h = current_host();
  GreenletControl* parent = parent_core ? control(parent_core) : nullptr;
  if (parent && parent->host != h) {
    throw UsageError("grove: a greenlet's parent must belong to the same thread (or grove fiber) as the greenlet");
  }
  if (!parent) parent = h->running();
  const std::size_t size = stack_size ? checked_stack_size(stack_size) : runtime().config.stack_size;
  auto* g = new GreenletControl;
  g->host = h;
  retain_host(h);
  g->parent = parent;
  greenlet_retain(parent);
  g->run = std::move(run);
  g->stack_size = size;
  return g;
}

void greenlet_retain(GreenletCore* c) noexcept {
  GreenletControl* g = control(c);
  if (g->is_main) {
    retain_host(g->host_of());
  } else {
    g->refs.fetch_add(1, std::memory_order_relaxed);
  }
}

void greenlet_release(GreenletCore* c) noexcept {
  GreenletControl* g = control(c);
  if (g->is_main) {
    release_host(g->host_of());
  } else if (g->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    destroy_unreferenced(g);
  }
}

namespace {
[[gnu::noinline]] value switch_slow(GreenletControl* target, value&& args) {
  GreenletHost* h = host_for_switch(target, "switch to");
  return deliver(h, target, &args, nullptr, false);
}
}  // namespace

value greenlet_switch(GreenletCore* target_core, value&& args) {
  GreenletControl* target = control(target_core);
  GreenletHost* h = target->host_of();
#if defined(GROVE_TSAN)
  check_thread(h, "switch to");  // the fast path's test reads `current` racily from a wrong thread (harmlessly)
#endif
  GreenletControl* self = h->running();
  const char* sp = static_cast<const char*>(__builtin_frame_address(0));
  // Fast path: a live target, other than the caller, of the thread whose greenlet's stack we run on.
  if (__builtin_expect(target->state == GreenletState::live && target != self && sp >= self->sp_low &&
                           sp < self->sp_high && !h->has_pending.load(std::memory_order_relaxed),
                       1)) {
    SwitchMessage msg{self, &args, nullptr, false};
    return switch_and_receive(h, self, target, msg);
  }
  return switch_slow(target, std::move(args));
}

value greenlet_take_message(void* data) { return take_message(data); }

value greenlet_throw(GreenletCore* target, std::exception_ptr error) {
  if (!error) throw std::invalid_argument("grove: greenlet::throw_ needs an exception (got a null exception_ptr)");
  GreenletHost* h = host_for_switch(control(target), "throw into");
  return deliver(h, control(target), nullptr, std::move(error), false);
}

GreenletCore* greenlet_current() {
  GreenletHost* h = current_host();
  if (h->has_pending.load(std::memory_order_relaxed)) process_pending(h);
  return h->current;
}

GreenletCore* greenlet_parent(const GreenletCore* g) noexcept { return control(g)->parent; }

void greenlet_set_parent(GreenletCore* g_core, GreenletCore* parent_core) {
  GreenletControl* g = control(g_core);
  GreenletControl* parent = control(parent_core);
  if (g->is_main) throw UsageError("grove: a main greenlet has no parent to set");
  if (parent->host != g->host) {
    throw UsageError("grove: a greenlet's parent must belong to the same thread (or grove fiber) as the greenlet");
  }
  check_thread(g->host_of(), "reparent");
  for (const GreenletControl* p = parent; p; p = p->parent) {
    if (p == g) throw UsageError("grove: cyclic parent chain: a greenlet cannot be its own ancestor");
  }
  greenlet_retain(parent);
  greenlet_release(std::exchange(g->parent, parent));
}

bool greenlet_started(const GreenletCore* g) noexcept { return control(g)->ever_started; }
bool greenlet_dead(const GreenletCore* g) noexcept { return g->state == GreenletState::dead; }
bool greenlet_is_main(const GreenletCore* g) noexcept { return control(g)->is_main; }

void throw_run_arity_error(std::size_t wanted, std::size_t got) {
  throw UsageError("grove: greenlet run takes " + std::to_string(wanted) + " argument(s) but the first switch passed " +
                   std::to_string(got));
}

}  // namespace grove::detail
