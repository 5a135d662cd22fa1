#pragma once
// The one implementation behind Queue, LifoQueue, PriorityQueue, JoinableQueue and Channel: a
// type-erased bounded buffer with waiting getters and putters, close, task counting, and select.
// Items cross this boundary as pointers: a `T*` to move from (put) and a `std::optional<T>*` to
// fill (get), so an item is only ever moved by whoever completes the hand-over.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "grove/detail/fiber_core.hpp"

namespace grove::detail {

// Ordering policy of a queue (FIFO, LIFO, priority), implemented per item type by the templates.
// Called with the core's lock held.
class ItemBuffer {
 public:
  virtual ~ItemBuffer() = default;
  virtual std::size_t size() const noexcept = 0;
  virtual void push(void* item) = 0;                // moves from *(T*)item; strong guarantee
  virtual void pop_into(void* slot) = 0;            // moves the next item into *(std::optional<T>*)slot
  virtual void peek_into(void* slot) const = 0;     // copies the next item into *(std::optional<T>*)slot
  virtual void move_into(void* item, void* slot) = 0;  // direct hand-over, bypassing the buffer
};

inline constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

enum class ChanStatus : std::uint8_t {
  ok,
  would_block,  // non-blocking form: nothing could be done now
  timed_out,
  closed,
};

class ChanCore;  // defined in libgrove (src/sync/ChanCore.hpp)

ChanCore* chan_create(ItemBuffer* buffer, std::size_t capacity);
void chan_destroy(ChanCore* core) noexcept;
struct ChanDeleter {
  void operator()(ChanCore* core) const noexcept { chan_destroy(core); }
};
using ChanHandle = std::unique_ptr<ChanCore, ChanDeleter>;

// `block` false: never waits (would_block). Interrupts (kill, Timeout) are thrown from the wait.
ChanStatus chan_send(ChanCore* core, void* item, TimePoint deadline, bool block);
ChanStatus chan_recv(ChanCore* core, void* slot, TimePoint deadline, bool block);
ChanStatus chan_peek(ChanCore* core, void* slot, TimePoint deadline, bool block);
bool chan_close(ChanCore* core);  // false if it was already closed
bool chan_closed(const ChanCore* core) noexcept;
std::size_t chan_size(ChanCore* core) noexcept;
std::size_t chan_capacity(const ChanCore* core) noexcept;

// JoinableQueue: every accepted item counts as unfinished until task_done().
std::size_t chan_unfinished(ChanCore* core) noexcept;
void chan_task_done(ChanCore* core);  // UsageError when called more often than items were put
bool chan_join(ChanCore* core, TimePoint deadline, bool interruptible);  // false on timeout

// One send or receive case of a select.
struct SelectOp {
  ChanCore* core;
  bool is_send;
  void* item;  // send: T* to move from; recv: std::optional<T>* to fill
};
struct SelectOutcome {
  int op;             // index into the ops; -1 when no case fired (default taken, or timed out)
  ChanStatus status;  // ok or closed for a fired case; would_block (default) or timed_out otherwise
};
// Go's select: if some ops can proceed, one chosen uniformly at random does; else with
// `has_default` returns {-1, would_block}; else waits on every op until one proceeds or `deadline`.
SelectOutcome chan_select(SelectOp* ops, std::size_t count, bool has_default, TimePoint deadline);

}  // namespace grove::detail
