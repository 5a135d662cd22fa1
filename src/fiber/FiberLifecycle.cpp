#include "fiber/FiberLifecycle.hpp"

#include "fiber/FiberLinks.hpp"

#include <cstdio>
#include <exception>
#include <typeinfo>

#include "fiber/FiberLocals.hpp"
#include "grove/errors.hpp"
#include "grove/timeout.hpp"
#include "sched/Park.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {

namespace {
std::atomic<int> finish_order_watchers{0};
std::atomic<std::uint64_t> finish_order_counter{0};
}  // namespace

void watch_finish_order() noexcept { finish_order_watchers.fetch_add(1, std::memory_order_seq_cst); }
void unwatch_finish_order() noexcept { finish_order_watchers.fetch_sub(1, std::memory_order_release); }
namespace {

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (const Timeout& t) {
    return t.what();
  } catch (...) {
    return "unknown exception";
  }
}

// gevent prints a failed greenlet's traceback; we print the failure unless someone is already
// waiting to receive it.
void report_failure(FiberControl* self) {
  const std::string name = self->name.empty() ? "fiber-" + std::to_string(self->id) : self->name;
  std::string line = "grove: fiber " + name + " failed: " + describe(self->error) + "\n";
  sys::write(2, line.data(), line.size());
}

}  // namespace

// Claims the park of the lone joiner taken from the join word; false if a timeout or interrupt
// claimed it first. The joiner stays parked in its join until it deregisters or sees kLetGo, so
// its token cannot belong to a later park.
bool claim_lone_joiner(FiberControl* joiner) {
  const std::uint64_t token = joiner->park_token.load(std::memory_order_acquire);
  return token != 0 && claim(joiner, token, WakeReason::notified);
}

FiberControl* run_fiber_body(FiberControl* self) {
  bool killed_before_start = false;
  if (self->interrupt_pending.load(std::memory_order_acquire)) {
    std::lock_guard lock(self->interrupt_mu);
    killed_before_start = self->interrupt_is_kill;
  }
  if (killed_before_start) {
    self->killed = true;
  } else {
    try {
      self->task->run();
    } catch (const FiberExit&) {
      self->killed = true;
    } catch (...) {
      self->error = std::current_exception();
    }
  }
  destroy_fiber_locals(self);  // grove::local values die with their fiber, before joiners wake
  // A Timeout or kill that arrived too late has nothing left to stop.
  if (self->interrupt_pending.load(std::memory_order_relaxed)) [[unlikely]] self->take_interrupt();
  if (finish_order_watchers.load(std::memory_order_acquire) > 0) {
    self->finish_order = finish_order_counter.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  const std::uintptr_t word = self->join_word.exchange(join_word::kDone, std::memory_order_acq_rel);
  // A lone joiner runs next on this worker (as a notify_one wake does): fork/join code then goes
  // depth-first through its children instead of queueing every parent behind their siblings.
  FiberControl* next = nullptr;
  FiberControl* lone = join_word::joiner(word);
  if (lone) {
    if (claim_lone_joiner(lone)) {
      next = lone;
      self->ref_to_joiner = true;  // exit_to takes it back unless it switches straight to `next`
    } else {
      self->join_word.fetch_or(join_word::kLetGo, std::memory_order_release);
    }
  }
  bool someone_waits = lone != nullptr;
  LinkNode* links = nullptr;
  if (word & join_word::kWatched) [[unlikely]] {
    WaitQueue::Lock lock(self->joiners.mutex());
    someone_waits = someone_waits || !self->joiners.empty() || self->error_observed;
    links = std::exchange(self->links, nullptr);
    if (!next && self->joiners.size() == 1) {
      if (Waiter* w = self->joiners.claim_one()) next = w->fiber;
    } else {
      self->joiners.notify_all();
    }
  }
  if (self->error && !someone_waits) report_failure(self);
  if (links) fire_links(self, links);
  return next;
}

void add_link(FiberControl* f, LinkNode* node) {
  WaitQueue::Lock lock(f->joiners.mutex());
  if (!(f->join_word.fetch_or(join_word::kWatched, std::memory_order_acq_rel) & join_word::kDone)) {
    if (node->observes_failure) f->error_observed = true;
    node->next = f->links;
    f->links = node;
    return;
  }
  lock.unlock();
  node->next = nullptr;
  fire_links(f, node);
}

WaitQueue& fiber_waiters(FiberControl* f) {
  f->join_word.fetch_or(join_word::kWatched, std::memory_order_acq_rel);
  return f->joiners;
}

void fire_links(FiberControl* dead, LinkNode* list) noexcept {
  // Linked last-first; run them in the order they were linked, as gevent does.
  LinkNode* ordered = nullptr;
  while (list) {
    LinkNode* n = std::exchange(list, list->next);
    n->next = ordered;
    ordered = n;
  }
  while (ordered) {
    LinkNode* n = std::exchange(ordered, ordered->next);
    n->fire(dead);
    delete n;
  }
}

void retire_fiber(FiberControl* f, StackCache* cache) {
  release_stack(f->stack, cache);
  f->stack = Stack{};
  f->san.destroy();
  if (!f->ref_to_joiner) release(f);
}

}  // namespace grove::detail
