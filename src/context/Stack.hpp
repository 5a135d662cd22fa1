#pragma once
// Fiber stacks: mmap'd, lazily committed, a guard page below, pooled; slab-carved once the
// map budget nears vm.max_map_count (each guarded stack costs two kernel maps).
#include <cstddef>
#include <cstdint>

#include "grove/detail/greenlet_core.hpp"  // struct Stack (public: greenlet switches copy it inline)

namespace grove::detail {

inline constexpr std::size_t kMinStackSize = 16 * 1024;
inline constexpr std::size_t kMaxStackSize = std::size_t{1} << 30;
inline constexpr std::size_t kDefaultStackSize = 128 * 1024;
static_assert(kMaxStackSize <= UINT32_MAX, "Stack::size is 32 bits");

// A small lock-free cache of free stacks in front of the shared pool, owned by one worker. Not a
// thread_local: a thread-fiber runs on its own TLS, where a thread_local cache would be its own.
struct StackCache {
  static constexpr std::size_t kCapacity = 128;
  // A fixed array, not a vector: taking and returning a stack is a few inlined instructions.
  struct List {
    Stack items[kCapacity];
    std::size_t count = 0;
    std::size_t size() const { return count; }
    bool empty() const { return count == 0; }
    Stack& operator[](std::size_t i) { return items[i]; }
    Stack& back() { return items[count - 1]; }
    void pop_back() { --count; }
    void push_back(const Stack& s) { items[count++] = s; }  // callers keep count < kCapacity
    const Stack* data() const { return items; }
    void drop_front(std::size_t n) {
      for (std::size_t i = n; i < count; ++i) items[i - n] = items[i];
      count -= n;
    }
  } stacks;
  StackCache() = default;
  StackCache(const StackCache&) = delete;
  StackCache& operator=(const StackCache&) = delete;
  ~StackCache();
};

// Returns a stack of at least `size` bytes (rounded up to pages). Throws std::bad_alloc when the
// kernel refuses memory. Thread-safe; `cache` (the calling worker's, or null) is tried first.
Stack allocate_stack(std::size_t size, StackCache* cache = nullptr);
void release_stack(const Stack& stack, StackCache* cache = nullptr);

// Slab stacks carry a canary at their base; a clobbered canary means the fiber overflowed.
void write_canary(const Stack& stack);
inline bool canary_intact(const Stack& stack) {
  const auto* words = reinterpret_cast<const volatile std::uint64_t*>(stack.base);
  return (words[0] | words[1]) == 0;
}

// True when `addr` lies in the guard page of some live guarded stack spanning [base, base+size).
bool in_guard_page(const Stack& stack, const void* addr);

std::size_t page_size();
std::size_t round_to_pages(std::size_t size);

// Counters for tests and the benchmarks' RSS reports.
struct StackStats {
  std::size_t guarded_live;  // in use or in a worker's cache (at most 128 per worker)
  std::size_t slab_live;
  std::size_t slabs;
};
StackStats stack_stats();

}  // namespace grove::detail
