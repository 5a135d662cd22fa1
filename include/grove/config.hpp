#pragma once
// Runtime configuration. Environment variables (GROVE_WORKERS, GROVE_STACK_SIZE,
// GROVE_MAX_BLOCKING_MS) are read once at load; fields set here take precedence over them.
#include <cstddef>

namespace grove {

struct Config {
  unsigned workers = 0;          // worker threads; 0: GROVE_WORKERS, else the CPU count
  std::size_t stack_size = 0;    // default fiber stack; 0: GROVE_STACK_SIZE, else 128 KiB
  unsigned max_blocking_ms = 0;  // report fibers running this long without suspending; 0: env, else off
};

// Starts the runtime with `config`. Call it before any other grove call (optional: the first
// grove call starts the runtime with the environment's settings). Throws std::invalid_argument
// for out-of-range values and std::logic_error when the runtime already runs.
void init(const Config& config);

// The settings the runtime runs with (after defaults and the environment are applied).
Config current_config();

}  // namespace grove
