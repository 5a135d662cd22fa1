#pragma once
// Greenlet internals. A greenlet runs inside a host: the grove fiber (or plain thread) whose
// implicit main greenlet is the root of its parent tree. Switching between greenlets changes
// the stack under the host's FiberControl without involving the scheduler; the host keeps the
// active greenlet's stack and sanitizer state in its own fields, so when a greenlet parks, the
// scheduler saves and later resumes exactly that greenlet.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "context/Sanitizers.hpp"
#include "context/Stack.hpp"
#include "context/Switch.hpp"
#include "fiber/FiberControl.hpp"
#include "grove/greenlet.hpp"
#include "sync/SpinLock.hpp"

namespace grove::detail {

struct GreenletHost;
class Worker;

enum class GreenletState : std::uint8_t { unstarted, live, dead };

class GreenletControl {
 public:
  Fcontext fctx = nullptr;  // saved context while suspended
  GreenletHost* host = nullptr;
  GreenletState state = GreenletState::unstarted;
  bool is_main = false;
  bool ever_started = false;
  bool orphaned = false;  // its last handle went while it was running: reap it once it switches away
  std::atomic<int> refs{1};
  GreenletControl* parent = nullptr;  // counted reference; null only for a main greenlet
  std::unique_ptr<GreenletRun> run;
  std::size_t stack_size = 0;
  // The C++ runtime's per-thread exception state (exceptions being handled), saved while
  // suspended: a greenlet may switch away inside a catch block and `throw;` after it resumes.
  void* eh_caught = nullptr;
  unsigned eh_uncaught = 0;
  // The stack's address range: running code whose stack pointer lies here is this greenlet, so
  // a switch made from it needs no thread-local lookup to prove it runs on the host's thread.
  const char* sp_low = nullptr;
  const char* sp_high = nullptr;
  Stack stack;  // for a main greenlet: the host fiber's own stack (not owned)
  SanitizerState san;
};

// The layout of libstdc++/libc++abi's __cxa_eh_globals (its first two fields, the same in both).
struct EhGlobals {
  void* caught;
  unsigned uncaught;
};

struct GreenletHost {
  // What every switch reads comes first (one cache line).
  std::atomic<FiberControl*> fiber;       // null once the host fiber (or thread) has finished
  GreenletControl* current = nullptr;     // the greenlet running in this host (borrowed)
  EhGlobals* eh = nullptr;  // of the thread the host runs on (pinned there while greenlets live)
  Worker* eh_worker = nullptr;  // the worker whose thread `eh` belongs to (null: a plain thread)
  // Greenlets whose last handle was dropped on another thread: unwound here at the next switch.
  std::atomic<bool> has_pending{false};
  std::atomic<int> refs{1};               // the fiber-local slot, plus one per greenlet and per main handle
  GreenletControl main;
  std::atomic<unsigned> live{0};          // started, not yet dead greenlets: the host stays pinned meanwhile
  bool was_pinned = false;
  SpinLock pending_mu;
  std::vector<GreenletControl*> pending;
};

}  // namespace grove::detail
