#pragma once
// A full memory fence for the runtime's Dekker-style handshakes (a pusher publishes work then
// checks for sleepers; a sleeper publishes itself then checks for work). ThreadSanitizer does
// not model std::atomic_thread_fence, so its builds use a seq_cst read-modify-write instead.
#include <atomic>

namespace grove::sys {

inline void full_fence() {
#if defined(GROVE_TSAN)
  static std::atomic<int> fence_word{0};
  fence_word.fetch_add(0, std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace grove::sys
