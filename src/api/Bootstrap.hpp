#pragma once
// Starting the runtime on first use, with settings from init() or the environment.
#include "grove/config.hpp"
#include "sched/Runtime.hpp"

namespace grove::detail {

// The running runtime, started with the resolved configuration if needed.
Runtime& runtime();

// Settings parsed from GROVE_* variables at load (bad values already stopped the program).
const Config& env_config();

// Stops the program for a malformed GROVE_* variable: `grove: NAME="value": expected ...`, exit 2.
[[noreturn]] void die_bad_environment(const char* name, const char* value, const char* expected);

// Validates a stack size (std::invalid_argument naming the accepted range if wrong).
std::size_t checked_stack_size(std::size_t size);

// Throws the fiber's pending interrupt (FiberExit for kills).
[[noreturn]] void throw_interrupt(FiberControl* self);

}  // namespace grove::detail
