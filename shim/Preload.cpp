// libgrove_preload.so start-up: the runtime starts before main, adopting the main thread, so
// `main` runs as the main fiber and its blocking calls are cooperative from the first line.
#include "api/Bootstrap.hpp"

namespace {
__attribute__((constructor)) void grove_preload_start() { grove::detail::runtime(); }
}  // namespace
