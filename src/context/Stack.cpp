#include "context/Stack.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <new>
#include <vector>
#include "sys/FutexLock.hpp"

namespace grove::detail {
namespace {

constexpr std::size_t kThreadCacheCap = StackCache::kCapacity;
constexpr std::size_t kTransferBatch = 32;  // stacks moved between a thread cache and the pool per lock
constexpr std::size_t kGlobalPoolCap = 4096;
constexpr std::size_t kSlabStacks = 64;

std::size_t read_map_budget() {
  // Half of vm.max_map_count for guarded stacks (2 maps each) leaves the other half to the program.
  long max_maps = 65530;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    if (std::fscanf(f, "%ld", &max_maps) != 1) max_maps = 65530;
    std::fclose(f);
  }
  return static_cast<std::size_t>(std::max(1024L, max_maps / 4));
}

void* map_region(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Huge pages would turn one touched stack page into 2 MiB of RSS.
  madvise(p, bytes, MADV_NOHUGEPAGE);
  return p;
}

// Pools hold stacks of exactly the default-or-requested size per size class; sizes other than
// the most common one are rare, so the pool is keyed by size with a short linear search.
class StackPool {
 public:
  static StackPool& instance() {
    static StackPool* pool = new StackPool();  // never destroyed: fibers may outlive statics
    return *pool;
  }

  // Moves up to `max` stacks of `size` into `out`; returns how many.
  std::size_t take_batch(std::size_t size, Stack* out, std::size_t max) {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (std::size_t i = free_.size(); i-- > 0 && n < max;) {
      if (free_[i].size != size) continue;
      out[n++] = free_[i];
      free_[i] = free_.back();
      free_.pop_back();
    }
    for (std::size_t i = 0; i < n; ++i) count_out(out[i], 1);
    return n;
  }

  // Keeps stacks for reuse; guarded ones beyond the pool's cap are unmapped.
  void give_batch(const Stack* stacks, std::size_t n) {
    std::size_t kept = 0;
    {
      std::lock_guard lock(mu_);
      for (; kept < n; ++kept) {
        if (stacks[kept].guarded && free_.size() >= kGlobalPoolCap) break;
        free_.push_back(stacks[kept]);
      }
    }
    for (std::size_t i = 0; i < n; ++i) count_out(stacks[i], -1);
    for (std::size_t i = kept; i < n; ++i) {
      if (stacks[i].guarded) {
        munmap(stacks[i].base - page_size(), stacks[i].size + page_size());
      } else {
        std::lock_guard lock(mu_);  // slab stacks are never unmapped
        free_.push_back(stacks[i]);
      }
    }
  }

  Stack carve_from_slab(std::size_t size) {
    std::lock_guard lock(mu_);
    char* region = static_cast<char*>(map_region(size * kSlabStacks));
    slabs_.fetch_add(1, std::memory_order_relaxed);
    const auto size32 = static_cast<std::uint32_t>(size);  // at most kMaxStackSize
    for (std::size_t i = 1; i < kSlabStacks; ++i) free_.push_back(Stack{region + i * size, size32, false});
    return Stack{region, size32, false};
  }

  // Stacks outside the pool: in use, or in a worker's cache (counted when they cross the pool's
  // boundary, never per spawn: no shared counter on the fast path).
  void count_out(const Stack& s, long delta) {
    (s.guarded ? guarded_live : slab_live).fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
  }
  std::atomic<std::size_t> guarded_live{0};
  std::atomic<std::size_t> slab_live{0};
  std::atomic<std::size_t> slabs_{0};
  const std::size_t map_budget = read_map_budget();

 private:
  sys::FutexLock mu_;
  std::vector<Stack> free_;
};


Stack map_guarded(std::size_t size) {
  const std::size_t guard = page_size();
  char* region = static_cast<char*>(map_region(size + guard));
  if (mprotect(region, guard, PROT_NONE) != 0) {
    munmap(region, size + guard);
    throw std::bad_alloc();
  }
  return Stack{region + guard, static_cast<std::uint32_t>(size), true};
}

}  // namespace

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t round_to_pages(std::size_t size) {
  const std::size_t p = page_size();
  return (size + p - 1) / p * p;
}

StackCache::~StackCache() { StackPool::instance().give_batch(stacks.data(), stacks.size()); }

namespace {
// Kept out of line so the fast paths below need no stack frame.
__attribute__((noinline)) Stack allocate_stack_slow(std::size_t size, StackCache* cache);
__attribute__((noinline)) void release_stack_slow(const Stack& s, StackCache* cache);
}  // namespace

Stack allocate_stack(std::size_t size, StackCache* cache) {
  // The usual case: the stack this worker freed last has the (already rounded) size asked for.
  if (cache && !cache->stacks.empty() && cache->stacks.back().size == size) [[likely]] {
    const Stack s = cache->stacks.back();
    cache->stacks.pop_back();
    if (!s.guarded) write_canary(s);
    return s;
  }
  return allocate_stack_slow(size, cache);
}

void release_stack(const Stack& s, StackCache* cache) {
  if (cache && cache->stacks.size() < kThreadCacheCap) [[likely]] {
    cache->stacks.push_back(s);
    return;
  }
  release_stack_slow(s, cache);
}

namespace {
Stack allocate_stack_slow(std::size_t size, StackCache* cache) {
  size = round_to_pages(size);
  auto& pool = StackPool::instance();
  Stack s;
  if (cache) {
    auto& cached = cache->stacks;
    for (std::size_t i = cached.size(); i-- > 0;) {
      if (cached[i].size == size) {
        s = cached[i];
        cached[i] = cached.back();
        cached.pop_back();
        break;
      }
    }
  }
  if (!s) {
    // Refill the worker's cache in one batch: fibers often die on another worker than they began.
    Stack batch[kTransferBatch];
    std::size_t n = pool.take_batch(size, batch, cache ? kTransferBatch : 1);
    if (n > 0) {
      s = batch[--n];
      std::size_t i = 0;
      for (; i < n && cache->stacks.size() < kThreadCacheCap; ++i) cache->stacks.push_back(batch[i]);
      if (i < n) pool.give_batch(batch + i, n - i);  // the cache is full of other sizes
    }
  }
  if (!s) {
    if (pool.guarded_live.load(std::memory_order_relaxed) < pool.map_budget) {
      s = map_guarded(size);
    } else {
      s = pool.carve_from_slab(size);
    }
    pool.count_out(s, 1);
  }
  if (!s.guarded) write_canary(s);
  return s;
}

void release_stack_slow(const Stack& s, StackCache* cache) {
  auto& pool = StackPool::instance();
  if (!cache) {
    pool.give_batch(&s, 1);
    return;
  }
  // Full: hand the oldest batch back to the pool under one lock.
  auto& cached = cache->stacks;
  pool.give_batch(cached.data(), kTransferBatch);
  cached.drop_front(kTransferBatch);
  cached.push_back(s);
}
}  // namespace

// The canary is "the lowest 16 bytes are still zero": fresh mappings are zero, and reading an
// untouched page maps the shared zero page, so checking costs no RSS (writing a pattern would
// commit a second page per parked fiber).
void write_canary(const Stack& s) {
  auto* words = reinterpret_cast<std::uint64_t*>(s.base);
  if (words[0] | words[1]) words[0] = words[1] = 0;
}

bool in_guard_page(const Stack& s, const void* addr) {
  if (!s.guarded) return false;
  auto a = reinterpret_cast<std::uintptr_t>(addr);
  auto lo = reinterpret_cast<std::uintptr_t>(s.base) - page_size();
  return a >= lo && a < reinterpret_cast<std::uintptr_t>(s.base);
}

StackStats stack_stats() {
  auto& pool = StackPool::instance();
  return {pool.guarded_live.load(), pool.slab_live.load(), pool.slabs_.load()};
}

}  // namespace grove::detail
