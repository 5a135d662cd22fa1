#pragma once
// Tells ASan and TSan that the stack changes on every context switch; without this they report
// false stack-buffer overflows and races across fibers.
#include <cstddef>

#if defined(GROVE_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(GROVE_TSAN)
extern "C" {
void* __tsan_get_current_fiber(void);
void* __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
}
#endif

namespace grove::detail {

// Per-context sanitizer state. For native thread stacks `stack_bottom` stays null until ASan
// tells us the bounds on the first switch away from them.
struct SanitizerState {
#if defined(GROVE_ASAN)
  void* fake_stack = nullptr;
  const void* stack_bottom = nullptr;
  std::size_t stack_size = 0;
#endif
#if defined(GROVE_TSAN)
  void* tsan_fiber = nullptr;
  bool owns_tsan_fiber = false;
#endif

  void init_for_stack([[maybe_unused]] void* bottom, [[maybe_unused]] std::size_t size) {
#if defined(GROVE_ASAN)
    stack_bottom = bottom;
    stack_size = size;
#endif
#if defined(GROVE_TSAN)
    tsan_fiber = __tsan_create_fiber(0);
    owns_tsan_fiber = true;
#endif
  }

  void init_for_current_thread() {
#if defined(GROVE_TSAN)
    tsan_fiber = __tsan_get_current_fiber();
#endif
  }

  void destroy() {
#if defined(GROVE_TSAN)
    if (owns_tsan_fiber && tsan_fiber) __tsan_destroy_fiber(tsan_fiber);
    tsan_fiber = nullptr;
#endif
  }
};

// Call right before jumping from `from` to `to`. `from_ends` is true when `from` never resumes.
inline void sanitizer_before_switch([[maybe_unused]] SanitizerState& from, [[maybe_unused]] SanitizerState& to,
                                    [[maybe_unused]] bool from_ends) {
#if defined(GROVE_ASAN)
  __sanitizer_start_switch_fiber(from_ends ? nullptr : &from.fake_stack, to.stack_bottom, to.stack_size);
#endif
#if defined(GROVE_TSAN)
  __tsan_switch_to_fiber(to.tsan_fiber, 0);
#endif
}

// Call first thing after a context resumes; `prev` is the context that was just left.
inline void sanitizer_after_switch([[maybe_unused]] SanitizerState& self, [[maybe_unused]] SanitizerState* prev) {
#if defined(GROVE_ASAN)
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(self.fake_stack, &bottom, &size);
  if (prev && !prev->stack_bottom) {
    prev->stack_bottom = bottom;
    prev->stack_size = size;
  }
#endif
}

}  // namespace grove::detail
