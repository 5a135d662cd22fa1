#include "io/FdTable.hpp"

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
