// The runtime side of grove::local<T>.
#include "api/Bootstrap.hpp"
#include "fiber/FiberLocals.hpp"
#include "grove/local.hpp"

namespace grove::detail {

std::uint64_t local_new_key() noexcept { return new_local_key(); }

void* local_get(std::uint64_t key, void* (*create)(), void (*destroy)(void*) noexcept) {
  if (void* v = local_slot(current_fiber(), key, nullptr, nullptr)) return v;
  // The main thread becomes the main fiber when the runtime starts: start it first, so values
  // made before that are not lost.
  runtime();
  return local_slot(current_fiber(), key, create, destroy);
}

}  // namespace grove::detail
