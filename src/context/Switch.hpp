#pragma once
// The raw switch: Boost.Context's fcontext, the cheapest portable stack switch (a few ns).
#include <boost/context/detail/fcontext.hpp>

namespace grove::detail {

namespace fctx = boost::context::detail;
using Fcontext = fctx::fcontext_t;
using Transfer = fctx::transfer_t;

inline Transfer jump(Fcontext to, void* data) { return fctx::jump_fcontext(to, data); }

inline Fcontext make_context(void* stack_top, std::size_t size, void (*entry)(Transfer)) {
  return fctx::make_fcontext(stack_top, size, entry);
}

inline void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace grove::detail
