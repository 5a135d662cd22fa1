#pragma once
// One c-ares channel per lookup, driven by the calling fiber.
//
// Why per lookup rather than shared: c-ares 1.18 channels are not thread-safe and grove fibers
// migrate between workers, so a shared channel would need a lock and a driver fiber handing
// answers back across workers; and ares_cancel() cancels a whole channel, so a killed or timed-out
// lookup could only be cancelled cleanly if it owns its channel. A private channel makes the
// lookup self-contained: the fiber that asks drives the sockets (parking in the poller), a kill
// or Timeout unwinds through ~Channel (ares_cancel + ares_destroy: no query outlives its caller),
// and lookups on different workers share nothing but the read-only template. The price is one
// ares_dup() and one UDP socket per lookup (see bench/dns_lookups).
#include <ares.h>

#include "grove/detail/fiber_core.hpp"

namespace grove::dns::detail {

class Channel {
 public:
  Channel() = default;
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Duplicates the current template; returns an ARES_* status.
  int open();
  ares_channel get() const { return channel_; }

  // Services the channel's sockets and timers until `done` becomes true (set by a c-ares
  // callback) or `deadline` passes; false on deadline. Interrupts propagate as exceptions.
  bool run_until(const bool& done, grove::detail::TimePoint deadline);

  // Cancels every pending query (their callbacks run with ARES_ECANCELLED).
  void cancel();

 private:
  void wait_many(const ares_socket_t* socks, int bits, grove::detail::TimePoint wake);
  void watch(int fd, unsigned events);

  ares_channel channel_ = nullptr;
  int epfd_ = -1;            // for waiting on several sockets at once; created when needed
  int watched_[ARES_GETSOCK_MAXNUM];
  int nwatched_ = 0;
};

}  // namespace grove::dns::detail
