#pragma once
// Where fiber control blocks (control block + task, one allocation) come from: one place to change
// the allocation strategy.
#include <cstddef>

namespace grove::detail {

void* allocate_block(std::size_t size);          // throws std::bad_alloc
void free_block(void* block, std::size_t size);  // `size` as passed to allocate_block

}  // namespace grove::detail
