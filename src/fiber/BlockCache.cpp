#include "fiber/BlockCache.hpp"

#include <cstdlib>
#include <new>

namespace grove::detail {

// glibc's per-thread cache (tcache) already recycles blocks of these sizes cheaply; a cache of our
// own saved a few dozen instructions per spawn but kept blocks in thread-locals that LeakSanitizer
// could not always see, so the allocation stays malloc's.
void* allocate_block(std::size_t size) {
  void* p = std::malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}

void free_block(void* block, std::size_t /*size*/) { std::free(block); }

}  // namespace grove::detail
