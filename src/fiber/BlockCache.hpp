#pragma once
// Per-thread free lists for fiber control blocks (control block + task, one allocation), by
// 64-byte size class: spawn/exit recycle them without malloc's bookkeeping.
#include <cstddef>

namespace grove::detail {

void* allocate_block(std::size_t size);      // throws std::bad_alloc
void free_block(void* block, std::size_t size);  // `size` as passed to allocate_block

}  // namespace grove::detail
