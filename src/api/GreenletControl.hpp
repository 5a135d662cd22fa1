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

// GreenletCore (include/grove/detail/greenlet_core.hpp) holds what the inline fast switch uses.
class GreenletControl : public GreenletCore {
 public:
  bool is_main = false;
  bool ever_started = false;
  bool orphaned = false;  // its last handle went while it was running: reap it once it switches away
  bool slab_stack = false;  // a canary-checked stack: switches away from it take the general path
  // Its stack's address range (sp_low/sp_high unless those are emptied, see GreenletCore).
  const char* stack_low = nullptr;
  const char* stack_high = nullptr;
  std::atomic<int> refs{1};
  GreenletControl* parent = nullptr;  // counted reference; null only for a main greenlet
  std::unique_ptr<GreenletRun> run;
  std::size_t stack_size = 0;
  SanitizerState san;

  GreenletHost* host_of() const;
  void set_state(GreenletState s) {
    state = s;
    update_entry_path();
  }
  // Recomputes enters_by_general_path after state or the saved exception state changed.
  void update_entry_path() { enters_by_general_path = state != GreenletState::live || eh_caught || eh_uncaught; }
  // Recomputes sp_low/sp_high after orphaned, slab_stack or the stack range changed.
  void update_leave_path() {
#if defined(GROVE_ASAN) || defined(GROVE_TSAN)
    const bool general = true;  // the sanitizers must be told of each switch right at the jump
#else
    const bool general = orphaned || slab_stack;
#endif
    sp_low = general ? nullptr : stack_low;
    sp_high = general ? nullptr : stack_high;
  }
};

inline GreenletControl* control(GreenletCore* g) { return static_cast<GreenletControl*>(g); }
inline const GreenletControl* control(const GreenletCore* g) { return static_cast<const GreenletControl*>(g); }

struct GreenletHost : GreenletHostCore {
  std::atomic<FiberControl*> fiber;       // null once the host fiber (or thread) has finished
  std::atomic<int> refs{1};               // the fiber-local slot, plus one per greenlet and per main handle
  GreenletControl main;
  std::atomic<unsigned> live{0};          // started, not yet dead greenlets: the host stays pinned meanwhile
  bool was_pinned = false;
  SpinLock pending_mu;
  std::vector<GreenletControl*> pending;

  GreenletControl* running() const { return control(current); }
};

inline GreenletHost* GreenletControl::host_of() const { return static_cast<GreenletHost*>(host); }

}  // namespace grove::detail
