#pragma once
// The loop behind every hooked data-transfer call: try the real call, and where the user expects
// it to block but the kernel would not (or might block the worker), park until the descriptor is
// ready and try again. SO_RCVTIMEO/SO_SNDTIMEO bound the wait (then EAGAIN, as the kernel).
#include <cerrno>
#include <cstdint>

#include "hook/FdState.hpp"
#include "hook/Hook.hpp"
#include "hook/Wait.hpp"

namespace grove::hook {

struct IoMode {
  bool emulated = false;  // blocking semantics are grove's to provide (partial sends continue)
  bool fiber = false;
};

// `op(dontwait)` makes the real call; with dontwait it must not block (MSG_DONTWAIT), which only
// calls on sockets can promise (`socket_op`). `user_dontwait`: the caller asked for one try.
template <typename Op>
auto io_call(int fd, IoDirection dir, bool user_dontwait, bool socket_op, Op op, IoMode* mode = nullptr) {
  const bool fiber = active();
  detail::FdEntry* e = detail::FdTable::instance().get(fd);
  std::uint32_t s;
  if (fiber) {
    s = fd_state(e, fd);
  } else {
    // Plain threads: only grove's own non-blocking sockets need help.
    s = e ? e->user_flags.load(std::memory_order_acquire) : 0;
    if (!(s & kManaged)) return op(false);
  }
  if (!blocking_for_user(s) || user_dontwait) return op(false);
  if (mode) *mode = IoMode{true, fiber};
  const bool managed = s & kManaged;
  const bool dontwait = !managed && (s & kSocket) && socket_op;
  bool have_deadline = false;
  TimePoint deadline = kNoDeadline;
  for (;;) {
    if (managed || dontwait) {
      auto r = op(dontwait);
      if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return r;
    } else if (ready_now(fd, dir)) {
      return op(false);  // an inherited/shared descriptor: the kernel flag stays as it is
    }
    if (!have_deadline) {
      const auto& slot = dir == IoDirection::read ? e->recv_timeout_ns : e->send_timeout_ns;
      deadline = deadline_in(slot.load(std::memory_order_relaxed));
      have_deadline = true;
    }
    if (wait_fd(fiber, fd, dir, deadline) != 0) return static_cast<decltype(op(false))>(-1);
  }
}

}  // namespace grove::hook
