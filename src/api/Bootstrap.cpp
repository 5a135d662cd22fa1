#include "api/Bootstrap.hpp"

#include <pthread.h>
#include <sched.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "context/Stack.hpp"
#include "grove/errors.hpp"
#include "io/Poller.hpp"
#include "sys/FutexLock.hpp"

namespace grove::detail {
namespace {

unsigned cpu_count() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return static_cast<unsigned>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

Config resolve(const Config& requested) {
  const Config& env = env_config();
  Config c;
  c.workers = requested.workers ? requested.workers : env.workers ? env.workers : std::min(cpu_count(), 1024u);
  c.stack_size = round_to_pages(requested.stack_size ? requested.stack_size : env.stack_size ? env.stack_size : kDefaultStackSize);
  c.max_blocking_ms = requested.max_blocking_ms ? requested.max_blocking_ms : env.max_blocking_ms;
  return c;
}

// The child of a fork() (hooked or not, from a fiber or a plain thread) gets a working runtime.
void restart_after_fork() {
  Runtime* parent = Runtime::get();
  if (!parent) return;
  static_cast<Poller*>(parent->events())->abandon_after_fork();
  FdTable::instance().reset_after_fork();
  Runtime::restart_in_child(std::make_unique<Poller>());
}

Runtime& start(const Config& requested) {
  // Not std::call_once: that is pthread_once, which fibers mode interposes.
  static std::atomic<bool> atfork_registered{false};
  if (!atfork_registered.exchange(true)) pthread_atfork(nullptr, nullptr, &restart_after_fork);
  return Runtime::start(resolve(requested), std::make_unique<Poller>());
}

}  // namespace

Runtime& runtime() {
  if (Runtime* rt = Runtime::get()) return *rt;
  return start(Config{});
}

std::size_t checked_stack_size(std::size_t size) {
  if (size < kMinStackSize || size > kMaxStackSize) {
    throw std::invalid_argument("grove: stack size " + std::to_string(size) + " is out of range: expected " +
                                std::to_string(kMinStackSize) + " to " + std::to_string(kMaxStackSize) + " bytes");
  }
  return round_to_pages(size);
}

void throw_interrupt(FiberControl* self) {
  if (std::exception_ptr e = self->take_interrupt()) std::rethrow_exception(e);
  throw FiberExit{};
}

}  // namespace grove::detail

namespace grove {

void init(const Config& config) {
  if (config.workers > 1024) {
    throw std::invalid_argument("grove: Config::workers=" + std::to_string(config.workers) + ": expected 1 to 1024 (0 for the default)");
  }
  if (config.stack_size) detail::checked_stack_size(config.stack_size);
  if (config.max_blocking_ms > 3600000) {
    throw std::invalid_argument("grove: Config::max_blocking_ms=" + std::to_string(config.max_blocking_ms) + ": expected at most 3600000");
  }
  static sys::FutexLock mu;
  std::lock_guard lock(mu);
  if (detail::Runtime::get()) throw UsageError("grove::init: the runtime is already running");
  detail::start(config);
}

Config current_config() { return detail::runtime().config; }

}  // namespace grove
