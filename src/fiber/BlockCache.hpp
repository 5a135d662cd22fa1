#pragma once
// Where fiber control blocks (control block + task, one allocation) come from: malloc, behind a
// small per-worker cache of finished fibers' blocks (owned by one worker, like StackCache: not a
// thread_local, so LeakSanitizer sees the blocks through the worker and a thread-fiber's TLS has
// none of its own). Cached blocks stay constructed, reset (FiberControl::reset_for_reuse): a
// spawn then skips the constructor and the last release skips the destructor.
#include <cstddef>

#include "fiber/FiberControl.hpp"

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
  ~BlockCache();  // destroys and frees the cached blocks

  // A cached block of `size` bytes (as allocated), constructed and reset; nullptr if none.
  FiberControl* take(std::size_t size) noexcept {
    const std::size_t c = class_of(size);
    if (!kBlockCaching || c >= kClasses) return nullptr;
    FiberControl* f = heads_[c];
    if (!f) return nullptr;
    heads_[c] = f->next_in_queue;
    f->next_in_queue = nullptr;
    --counts_[c];
    return f;
  }
  // Whether keep() would take a block of `size` bytes.
  bool has_room(std::size_t size) const noexcept {
    const std::size_t c = class_of(size);
    return kBlockCaching && c < kClasses && counts_[c] < kPerClass;
  }
  // When has_room(size): caches a reset block (linked through next_in_queue: it is in no queue).
  void keep(FiberControl* f, std::size_t size) noexcept {
    const std::size_t c = class_of(size);
    f->next_in_queue = heads_[c];
    heads_[c] = f;
    ++counts_[c];
  }
  // The size to allocate so any block of the class can be reused.
  static std::size_t class_size(std::size_t size) noexcept {
    const std::size_t c = class_of(size);
    return kBlockCaching && c < kClasses ? (c + 1) * kClassBytes : size;
  }

 private:
  static std::size_t class_of(std::size_t size) noexcept { return (size + kClassBytes - 1) / kClassBytes - 1; }
  FiberControl* heads_[kClasses] = {};
  unsigned counts_[kClasses] = {};
};

void* allocate_block(std::size_t size);  // malloc of class_size(size); throws std::bad_alloc

}  // namespace grove::detail
