#include "fiber/BlockCache.hpp"

#include <cstdlib>
#include <new>

namespace grove::detail {
namespace {

constexpr std::size_t kClassBytes = 64;
constexpr std::size_t kClasses = 16;  // blocks up to 1 KiB are cached
constexpr unsigned kPerClass = 64;

struct FreeBlock {
  FreeBlock* next;
};

// Trivially constructible (plain %fs-relative access); a separate object with a destructor
// returns the cached blocks to malloc when the thread exits.
struct BlockCache {
  FreeBlock* heads[kClasses];
  unsigned counts[kClasses];
  bool flush_registered;
};
thread_local BlockCache t_blocks __attribute__((tls_model("initial-exec")));

struct BlockCacheFlusher {
  ~BlockCacheFlusher() {
    for (std::size_t c = 0; c < kClasses; ++c) {
      while (FreeBlock* b = t_blocks.heads[c]) {
        t_blocks.heads[c] = b->next;
        std::free(b);
      }
      t_blocks.counts[c] = 0;
    }
  }
};

void register_flush() {
  static thread_local BlockCacheFlusher flusher;
  (void)flusher;
  t_blocks.flush_registered = true;
}

std::size_t class_of(std::size_t size) { return (size + kClassBytes - 1) / kClassBytes - 1; }

}  // namespace

void* allocate_block(std::size_t size) {
  const std::size_t c = class_of(size);
  if (c < kClasses) {
    if (FreeBlock* b = t_blocks.heads[c]) {
      t_blocks.heads[c] = b->next;
      --t_blocks.counts[c];
      return b;
    }
    size = (c + 1) * kClassBytes;  // allocate the full class so any block of it can be reused
  }
  void* p = std::malloc(size);
  if (!p) throw std::bad_alloc();
  return p;
}

void free_block(void* block, std::size_t size) {
  const std::size_t c = class_of(size);
  if (c < kClasses && t_blocks.counts[c] < kPerClass) {
    if (!t_blocks.flush_registered) [[unlikely]] register_flush();
    auto* b = static_cast<FreeBlock*>(block);
    b->next = t_blocks.heads[c];
    t_blocks.heads[c] = b;
    ++t_blocks.counts[c];
    return;
  }
  std::free(block);
}

}  // namespace grove::detail
