#include "fiber/BlockCache.hpp"

#include <cstdlib>
#include <new>

namespace grove::detail {
namespace {

// Sanitizer builds use malloc alone, so ASan still catches a use of a freed control block.
#if defined(GROVE_ASAN) || defined(GROVE_TSAN)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif

std::size_t class_of(std::size_t size) { return (size + BlockCache::kClassBytes - 1) / BlockCache::kClassBytes - 1; }

}  // namespace

BlockCache::~BlockCache() {
  for (std::size_t c = 0; c < kClasses; ++c) {
    while (FreeBlock* b = heads_[c]) {
      heads_[c] = b->next;
      std::free(b);
    }
  }
}

std::size_t BlockCache::class_size(std::size_t size) noexcept {
  const std::size_t c = class_of(size);
  return kCaching && c < kClasses ? (c + 1) * kClassBytes : size;
}

void* BlockCache::take(std::size_t size) noexcept {
  const std::size_t c = class_of(size);
  if (!kCaching || c >= kClasses) return nullptr;
  FreeBlock* b = heads_[c];
  if (!b) return nullptr;
  heads_[c] = b->next;
  --counts_[c];
  return b;
}

bool BlockCache::keep(void* block, std::size_t size) noexcept {
  const std::size_t c = class_of(size);
  if (!kCaching || c >= kClasses || counts_[c] >= kPerClass) return false;
  auto* b = static_cast<FreeBlock*>(block);
  b->next = heads_[c];
  heads_[c] = b;
  ++counts_[c];
  return true;
}

void* allocate_block(std::size_t size, BlockCache* cache) {
  if (cache) {
    if (void* p = cache->take(size)) return p;
  }
  void* p = std::malloc(BlockCache::class_size(size));
  if (!p) throw std::bad_alloc();
  return p;
}

void free_block(void* block, std::size_t size, BlockCache* cache) {
  if (cache && cache->keep(block, size)) return;
  std::free(block);
}

}  // namespace grove::detail
