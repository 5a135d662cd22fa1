#pragma once
// c-ares's socket I/O, pointed at raw system calls: under the LD_PRELOAD shim libc's socket(),
// connect(), recvfrom() and writev() are grove's hooks, and the resolver must not go through them
// (a hooked call would park on the very fd the resolver drives, or recurse into DNS).
#include <ares.h>

namespace grove::dns::detail {

// Non-blocking, close-on-exec sockets; closing forgets the fd in the poller first.
const ares_socket_functions& raw_socket_functions();

}  // namespace grove::dns::detail
