#include "grove/scheduler.hpp"
#include "threads/Sync.hpp"

namespace grove::threads {

int sched_yield() {
  grove::yield();  // outside a fiber: the CPU, through the raw syscall
  return 0;
}

}  // namespace grove::threads
