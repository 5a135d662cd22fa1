#pragma once
// Where fiber control blocks (control block + task, one allocation) come from: malloc, behind a
// small per-worker cache of freed blocks (owned by one worker, like StackCache: not a thread_local,
// so LeakSanitizer sees the blocks through the worker and a thread-fiber's TLS has none of its own).
#include <cstddef>
#include <cstdlib>

namespace grove::detail {

// Sanitizer builds use malloc alone, so ASan still catches a use of a freed control block.
#if defined(GROVE_ASAN) || defined(GROVE_TSAN)
inline constexpr bool kBlockCaching = false;
#else
inline constexpr bool kBlockCaching = true;
#endif

class BlockCache {
 public:
  static constexpr std::size_t kClassBytes = 64;
  static constexpr std::size_t kClasses = 16;  // blocks up to 1 KiB are cached
  static constexpr unsigned kPerClass = 64;

  BlockCache() = default;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache();

  // nullptr if none cached
  void* take(std::size_t size) noexcept {
    const std::size_t c = class_of(size);
    if (!kBlockCaching || c >= kClasses) return nullptr;
    FreeBlock* b = heads_[c];
    if (!b) return nullptr;
    heads_[c] = b->next;
    --counts_[c];
    return b;
  }
  // false if full (or not cacheable)
  bool keep(void* block, std::size_t size) noexcept {
    const std::size_t c = class_of(size);
    if (!kBlockCaching || c >= kClasses || counts_[c] >= kPerClass) return false;
    auto* b = static_cast<FreeBlock*>(block);
    b->next = heads_[c];
    heads_[c] = b;
    ++counts_[c];
    return true;
  }
  // The size to allocate so any block of the class can be reused.
  static std::size_t class_size(std::size_t size) noexcept {
    const std::size_t c = class_of(size);
    return kBlockCaching && c < kClasses ? (c + 1) * kClassBytes : size;
  }

 private:
  static std::size_t class_of(std::size_t size) noexcept { return (size + kClassBytes - 1) / kClassBytes - 1; }
  struct FreeBlock {
    FreeBlock* next;
  };
  FreeBlock* heads_[kClasses] = {};
  unsigned counts_[kClasses] = {};
};

void* allocate_block_slow(std::size_t size);  // malloc; throws std::bad_alloc

// `cache`: the calling worker's (null elsewhere). The block may be freed on another thread.
inline void* allocate_block(std::size_t size, BlockCache* cache) {  // throws std::bad_alloc
  if (cache) {
    if (void* p = cache->take(size)) return p;
  }
  return allocate_block_slow(size);
}
inline void free_block(void* block, std::size_t size, BlockCache* cache) {  // `size` as passed to allocate_block
  if (cache && cache->keep(block, size)) return;
  std::free(block);
}

}  // namespace grove::detail
