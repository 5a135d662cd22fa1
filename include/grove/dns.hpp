#pragma once
// Name resolution that never blocks a worker: DNS goes through c-ares, its sockets driven by
// grove's poller (a waiting fiber parks; a plain thread blocks in poll()). Numeric hosts and
// names in /etc/hosts are answered without the network, exactly as glibc answers them.
#include <netdb.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <iterator>
#include <stdexcept>
#include <string>

#include "grove/detail/fiber_core.hpp"

namespace grove::dns {

// Owns a getaddrinfo() result list (glibc's layout: freeaddrinfo() frees it either way).
class AddrInfo {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = addrinfo;
    using difference_type = std::ptrdiff_t;
    using pointer = const addrinfo*;
    using reference = const addrinfo&;
    explicit iterator(const addrinfo* p = nullptr) : p_(p) {}
    reference operator*() const { return *p_; }
    pointer operator->() const { return p_; }
    iterator& operator++() { p_ = p_->ai_next; return *this; }
    iterator operator++(int) { iterator old = *this; p_ = p_->ai_next; return old; }
    bool operator==(const iterator& o) const { return p_ == o.p_; }
   private:
    const addrinfo* p_;
  };

  AddrInfo() = default;
  explicit AddrInfo(addrinfo* list) noexcept : list_(list) {}
  AddrInfo(AddrInfo&& o) noexcept : list_(o.release()) {}
  AddrInfo& operator=(AddrInfo&& o) noexcept;
  AddrInfo(const AddrInfo&) = delete;
  AddrInfo& operator=(const AddrInfo&) = delete;
  ~AddrInfo() { reset(); }

  addrinfo* get() const noexcept { return list_; }
  addrinfo* release() noexcept { addrinfo* p = list_; list_ = nullptr; return p; }
  void reset(addrinfo* list = nullptr) noexcept;
  bool empty() const noexcept { return list_ == nullptr; }
  explicit operator bool() const noexcept { return list_ != nullptr; }
  std::size_t size() const noexcept;
  iterator begin() const { return iterator(list_); }
  iterator end() const { return iterator(); }

 private:
  addrinfo* list_ = nullptr;
};

// A failed lookup: code() is the EAI_* value, what() names the query and gives gai_strerror's text.
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& query);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// gai_strerror's text for an EAI_* code.
const char* strerror(int code) noexcept;

// Forward lookup with getaddrinfo()'s arguments and semantics (hints may be null: glibc's
// defaults). The non-throwing form returns 0 or the EAI_* code; a lookup still unanswered at
// `deadline` gives EAI_AGAIN. Both throw FiberExit (or the pending interrupt, e.g. a timeout)
// if the fiber is interrupted; the queries are cancelled first.
int try_getaddrinfo(const char* host, const char* service, const addrinfo* hints, AddrInfo& out,
                    grove::detail::TimePoint deadline = grove::detail::kNoDeadline);
AddrInfo getaddrinfo(const char* host, const char* service = nullptr, const addrinfo* hints = nullptr,
                     grove::detail::TimePoint deadline = grove::detail::kNoDeadline);

template <typename Rep, typename Period>
int try_getaddrinfo(const char* host, const char* service, const addrinfo* hints, AddrInfo& out,
                    std::chrono::duration<Rep, Period> timeout) {
  return try_getaddrinfo(host, service, hints, out,
                         grove::detail::deadline_after(std::chrono::duration_cast<grove::detail::Clock::duration>(timeout)));
}
template <typename Rep, typename Period>
AddrInfo getaddrinfo(const char* host, const char* service, const addrinfo* hints,
                     std::chrono::duration<Rep, Period> timeout) {
  return getaddrinfo(host, service, hints,
                     grove::detail::deadline_after(std::chrono::duration_cast<grove::detail::Clock::duration>(timeout)));
}

// Reverse lookup with getnameinfo()'s flags (NI_NUMERICHOST, NI_NAMEREQD, NI_NUMERICSERV, ...).
struct NameInfo {
  std::string host;
  std::string service;
};
int try_getnameinfo(const sockaddr* addr, socklen_t addrlen, NameInfo& out, int flags = 0,
                    grove::detail::TimePoint deadline = grove::detail::kNoDeadline);
NameInfo getnameinfo(const sockaddr* addr, socklen_t addrlen, int flags = 0,
                     grove::detail::TimePoint deadline = grove::detail::kNoDeadline);

template <typename Rep, typename Period>
NameInfo getnameinfo(const sockaddr* addr, socklen_t addrlen, int flags, std::chrono::duration<Rep, Period> timeout) {
  return getnameinfo(addr, addrlen, flags,
                     grove::detail::deadline_after(std::chrono::duration_cast<grove::detail::Clock::duration>(timeout)));
}

// Resolver settings, applied to lookups started afterwards. Empty/zero fields keep what
// GROVE_DNS_SERVERS and /etc/resolv.conf say.
struct Settings {
  std::string servers;                       // "ip[:port],..." with IPv6 as [addr]:port
  std::chrono::milliseconds timeout{0};      // per try, as resolv.conf's "options timeout:"
  int attempts = 0;                          // tries per server, as "options attempts:"
  std::string resolv_conf;                   // read this file instead of /etc/resolv.conf
};
// Throws std::invalid_argument naming the bad part (a malformed server list, a negative value).
void configure(const Settings& settings);

}  // namespace grove::dns
