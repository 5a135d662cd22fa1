#include "io/FdTable.hpp"

#include <new>
#include <type_traits>

namespace grove::detail {

constinit FdTable g_fd_table;
static_assert(std::is_trivially_destructible_v<FdTable>);

void FdTable::reset_after_fork() {
  for (auto& slot : chunks_) {
    FdEntry* chunk = slot.load(std::memory_order_acquire);
    if (!chunk) continue;
    for (int i = 0; i < kChunkSize; ++i) {
      FdEntry& e = chunk[i];
      // A parent thread may have held the lock at fork time: start from fresh queues.
      new (&e.waiters[0]) WaitQueue();
      new (&e.waiters[1]) WaitQueue();
      e.registered = false;
      e.ready[0] = e.ready[1] = false;
      ++e.generation;
    }
  }
}

FdEntry* FdTable::create(int fd) {
  if (fd < 0 || (fd >> kChunkBits) >= kMaxChunks) return nullptr;
  auto& slot = chunks_[fd >> kChunkBits];
  FdEntry* chunk = slot.load(std::memory_order_acquire);
  if (!chunk) {
    auto* fresh = new FdEntry[kChunkSize];
    if (slot.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) {
      chunk = fresh;
    } else {
      delete[] fresh;  // another thread won; `chunk` now holds its array
    }
  }
  return &chunk[fd & (kChunkSize - 1)];
}

}  // namespace grove::detail
