#pragma once
// Where fiber control blocks (control block + task, one allocation) come from: malloc, behind a
// small per-worker cache of freed blocks (owned by one worker, like StackCache: not a thread_local,
// so LeakSanitizer sees the blocks through the worker and a thread-fiber's TLS has none of its own).
#include <cstddef>

namespace grove::detail {

class BlockCache {
 public:
  static constexpr std::size_t kClassBytes = 64;
  static constexpr std::size_t kClasses = 16;  // blocks up to 1 KiB are cached
  static constexpr unsigned kPerClass = 64;

  BlockCache() = default;
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache();

  void* take(std::size_t size) noexcept;               // nullptr if none cached
  bool keep(void* block, std::size_t size) noexcept;   // false if full (or not cacheable)
  // The size to allocate so any block of the class can be reused.
  static std::size_t class_size(std::size_t size) noexcept;

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  FreeBlock* heads_[kClasses] = {};
  unsigned counts_[kClasses] = {};
};

// `cache`: the calling worker's (null elsewhere). The block may be freed on another thread.
void* allocate_block(std::size_t size, BlockCache* cache);  // throws std::bad_alloc
void free_block(void* block, std::size_t size, BlockCache* cache);  // `size` as passed to allocate_block

}  // namespace grove::detail
