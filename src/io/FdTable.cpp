#include "io/FdTable.hpp"

#include <new>

namespace grove::detail {

FdTable& FdTable::instance() {
  static FdTable* table = new FdTable();  // never destroyed: workers may outlive static destructors
  return *table;
}

FdEntry* FdTable::find(int fd) const {
  if (fd < 0 || (fd >> kChunkBits) >= kMaxChunks) return nullptr;
  FdEntry* chunk = chunks_[fd >> kChunkBits].load(std::memory_order_acquire);
  return chunk ? &chunk[fd & (kChunkSize - 1)] : nullptr;
}

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

FdEntry* FdTable::get(int fd) {
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
