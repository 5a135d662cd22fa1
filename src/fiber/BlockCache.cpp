#include "fiber/BlockCache.hpp"

#include <cstdlib>
#include <new>

namespace grove::detail {

BlockCache::~BlockCache() {
  for (std::size_t c = 0; c < kClasses; ++c) {
    while (FreeBlock* b = heads_[c]) {
      heads_[c] = b->next;
      std::free(b);
    }
  }
}

void* allocate_block_slow(std::size_t size) {
  void* p = std::malloc(BlockCache::class_size(size));
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace grove::detail
