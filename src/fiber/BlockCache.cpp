#include "fiber/BlockCache.hpp"

#include <cstdlib>
#include <new>


namespace grove::detail {

BlockCache::~BlockCache() {
  for (std::size_t c = 0; c < kClasses; ++c) {
    while (FiberControl* f = heads_[c]) {
      heads_[c] = f->next_in_queue;
      f->~FiberControl();
      std::free(f);
    }
  }
}

void* allocate_block(std::size_t size) {
  void* p = std::malloc(BlockCache::class_size(size));
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace grove::detail
