#pragma once
// The raw switch: Boost.Context's fcontext (make_fcontext builds every context). On x86-64 Linux the
// jump itself is grove's variant of jump_fcontext (context/Jump.cpp): same layout and ABI, but it
// keeps the return-stack predictor in step and skips reloading unchanged FP control words.
#include <boost/context/detail/fcontext.hpp>

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
extern "C" Transfer grove_jump_fcontext(Fcontext to, void* data);
inline Transfer jump(Fcontext to, void* data) { return grove_jump_fcontext(to, data); }
#else
inline Transfer jump(Fcontext to, void* data) { return fctx::jump_fcontext(to, data); }
#endif

inline Fcontext make_context(void* stack_top, std::size_t size, void (*entry)(Transfer)) {
  return fctx::make_fcontext(stack_top, size, entry);
}

inline void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace grove::detail
