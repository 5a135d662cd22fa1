#pragma once
// The raw switch: Boost.Context's fcontext (make_fcontext builds every context). On x86-64 Linux the
// jump itself is grove's variant of jump_fcontext (context/Jump.cpp): same layout and ABI, but it
// saves the left context itself, keeps the return-stack predictor in step and skips reloading
// unchanged FP control words.
#include <boost/context/detail/fcontext.hpp>

#include <atomic>

#if defined(__x86_64__) && defined(__linux__)
#define GROVE_OWN_JUMP 1
#else
#define GROVE_OWN_JUMP 0
#endif

namespace grove::detail {

namespace fctx = boost::context::detail;
using Fcontext = fctx::fcontext_t;
using Transfer = fctx::transfer_t;

#if GROVE_OWN_JUMP
// Saves the running context in *save, clears *leaving (the left fiber's on-CPU flag: another
// thread may resume it from then on) and resumes `to` with `data`. Returns what the context that
// resumes us passes. Fresh contexts (make_context) receive the same Transfer as with jump_fcontext.
extern "C" Transfer grove_switch_fiber(Fcontext to, void* data, Fcontext* save, std::atomic<bool>* leaving);
inline constexpr bool kSwitchSavesContext = true;
inline Transfer switch_fiber(Fcontext to, void* data, Fcontext* save, std::atomic<bool>* leaving) {
  return grove_switch_fiber(to, data, save, leaving);
}
#else
// Boost's jump: the resumed side stores the left context and clears its flag (after_switch).
inline constexpr bool kSwitchSavesContext = false;
inline Transfer switch_fiber(Fcontext to, void* data, Fcontext*, std::atomic<bool>*) {
  return fctx::jump_fcontext(to, data);
}
#endif

inline Fcontext make_context(void* stack_top, std::size_t size, void (*entry)(Transfer)) {
  return fctx::make_fcontext(stack_top, size, entry);
}

inline void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace grove::detail
