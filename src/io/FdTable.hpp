#pragma once
// One entry per fd number, in a two-level table that grows without moving entries (readers
// need no lock to find an entry). Each entry holds its readiness flags and parked waiters.
#include <atomic>
#include <cstdint>

#include "sync/WaitQueue.hpp"

namespace grove::detail {

enum class IoDirection : std::uint8_t { read = 0, write = 1 };

struct FdEntry {
  // `generation` changes on close so stale epoll events for a reused number are ignored.
  std::uint32_t generation = 0;
  bool registered = false;     // added to the epoll set
  bool pollable = true;        // false: epoll refused it (regular file): always ready
  bool ready[2] = {false, false};  // an edge arrived that no waiter consumed yet
  WaitQueue waiters[2];        // guarded by waiters[0].mutex() (one lock per entry)

  SpinLock& mutex() { return waiters[0].mutex(); }

  // Free for the hooks layer (user-visible O_NONBLOCK, SO_RCVTIMEO/SO_SNDTIMEO, ...).
  std::atomic<std::uint32_t> user_flags{0};
  std::atomic<std::int64_t> recv_timeout_ns{0};
  std::atomic<std::int64_t> send_timeout_ns{0};
  // The number was closed: the next descriptor with it starts with no hook state.
  void reset_user_state() {
    user_flags.store(0, std::memory_order_release);
    recv_timeout_ns.store(0, std::memory_order_relaxed);
    send_timeout_ns.store(0, std::memory_order_relaxed);
  }
};

class FdTable {
 public:
  static constexpr int kChunkBits = 12;
  static constexpr int kChunkSize = 1 << kChunkBits;
  static constexpr int kMaxChunks = 4096;  // 16M descriptors

  // Inline with find/get: every hooked call looks its descriptor up. (libgrove only: the table
  // itself is hidden.)
  static FdTable& instance();

  // The entry for `fd`, created on first use; nullptr if fd is negative or beyond the table.
  FdEntry* get(int fd) {
    if (FdEntry* e = find(fd)) [[likely]] return e;
    return create(fd);
  }
  // The entry if it exists, else nullptr (never allocates).
  FdEntry* find(int fd) const {
    if (fd < 0 || (fd >> kChunkBits) >= kMaxChunks) [[unlikely]] return nullptr;
    FdEntry* chunk = chunks_[fd >> kChunkBits].load(std::memory_order_acquire);
    return chunk ? &chunk[fd & (kChunkSize - 1)] : nullptr;
  }

  // In the child of fork(): no fiber of the parent waits any more and the poller is new, so
  // every entry forgets its waiters and registration (the hooks' flags and timeouts stay).
  void reset_after_fork();

 private:
  FdEntry* create(int fd);  // allocates the chunk holding `fd`

  std::atomic<FdEntry*> chunks_[kMaxChunks] = {};
};

// Constant-initialised (all chunks null) and trivially destructible: usable from the first
// constructor that calls a hook, and still there while static destructors run.
extern FdTable g_fd_table __attribute__((visibility("hidden")));
inline FdTable& FdTable::instance() { return g_fd_table; }

}  // namespace grove::detail
