#pragma once
// The part of a greenlet (and of its host) that greenlet::switch_to's inline fast path reads and
// writes, so the common switch makes no call into libgrove but the jump itself. libgrove's
// GreenletControl and GreenletHost derive from these; users never touch them.
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace grove {
class value;
}

namespace grove::detail {

// A fiber's or greenlet's stack (allocated by libgrove: src/context/Stack.hpp).
struct Stack {
  char* base = nullptr;     // lowest usable byte (the guard page or the canary lies just below/at it)
  std::uint32_t size = 0;  // usable bytes (at most kMaxStackSize, 1 GiB); the stack grows down from base + size
  bool guarded = false;    // false: carved from a slab, overflow caught by the canary at `base`
  // 16 bytes: every greenlet switch copies one into the host fiber's with one 16-byte move.

  char* top() const { return base + size; }
  explicit operator bool() const { return base != nullptr; }
};
static_assert(sizeof(Stack) == 16);

enum class GreenletState : std::uint8_t { unstarted, live, dead };

// The layout of libstdc++/libc++abi's __cxa_eh_globals (its first two fields, the same in both).
struct EhGlobals {
  void* caught;
  unsigned uncaught;
};

struct GreenletHostCore;

struct GreenletCore {
  void* fctx = nullptr;  // saved context while suspended
  // While suspended: the (empty) value its switch returns. A fast switch to it builds the value
  // it sends right there, so nothing is copied on the way back (see greenlet_switch_inline).
  value* inbox = nullptr;
  GreenletHostCore* host = nullptr;
  // The stack's address range: running code whose stack pointer lies here is this greenlet, so
  // a switch made from it needs no thread-local lookup to prove it runs on the host's thread.
  // Empty when switches away from it must take the general path: it was orphaned (the receiver
  // reaps it), its slab stack's canary is checked at each switch, libgrove has sanitizers, or
  // its host has finished (another fiber may run on that stack now).
  const char* sp_low = nullptr;
  const char* sp_high = nullptr;
  // The C++ runtime's per-thread exception state (exceptions being handled), saved while
  // suspended: a greenlet may switch away inside a catch block and `throw;` after it resumes.
  // Zero while the greenlet runs (restoring it clears it), so a switch made with no exception
  // state on either side needs to save and restore nothing.
  void* eh_caught = nullptr;
  unsigned eh_uncaught = 0;
  GreenletState state = GreenletState::unstarted;
  // Switches to this greenlet take the general path: it is not live (unstarted: it starts
  // there; dead: its first live ancestor gets the switch) or has exception state to restore.
  bool enters_by_general_path = true;
  Stack stack;  // for a main greenlet: the host fiber's own stack (not owned)
};

struct GreenletHostCore {
  GreenletCore* current = nullptr;  // the greenlet running in this host
  // The host fiber's stack fields, which always describe the running greenlet's stack (so a
  // park inside a greenlet, the canary check and the guard-page handler see the right one).
  Stack* fiber_stack = nullptr;
  // The exception globals of the thread whose thread pointer (%fs:0) is `eh_thread`: the
  // host's thread while greenlets live (the host is pinned to it meanwhile).
  EhGlobals* eh = nullptr;
  const void* eh_thread = nullptr;
  // Greenlets whose last handle was dropped on another thread: unwound here at the next switch.
  std::atomic<bool> has_pending{false};
};

}  // namespace grove::detail
