#pragma once
// The interposing definitions: each libc name, with C linkage, forwards to grove::hook::name.
// Adding a hooked function is one line in the family's file: GROVE_SHIM(ret, name, (params), (args)).
#include "hook/Hook.hpp"

#define GROVE_SHIM(ret, name, params, args) \
  extern "C" __attribute__((visibility("default"))) ret name params { return grove::hook::name args; }
