#pragma once
// Per-fiber storage behind grove::local<T> (and the greenlet layer's per-fiber state): a small
// table in FiberControl::locals, keyed by never-reused ids, destroyed when the fiber finishes
// (for a plain thread's stand-in: when the thread exits).
#include <cstdint>

#include "fiber/FiberControl.hpp"

namespace grove::detail {

using LocalKey = std::uint64_t;
using LocalCreate = void* (*)();
using LocalDestroy = void (*)(void*) noexcept;

// A fresh key (never reused, so a destroyed local can never see another one's values).
LocalKey new_local_key() noexcept;

// The fiber's value for `key`, created with `create` on first access (nullptr if `create` is null).
void* local_slot(FiberControl* f, LocalKey key, LocalCreate create, LocalDestroy destroy);

// Destroys every value of the fiber (values created by destructors meanwhile too).
void destroy_fiber_local_table(FiberControl* f) noexcept;
inline void destroy_fiber_locals(FiberControl* f) noexcept {
  if (f->locals) destroy_fiber_local_table(f);  // most fibers have none: no call
}

}  // namespace grove::detail
