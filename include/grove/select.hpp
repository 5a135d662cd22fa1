#pragma once
// Go's select over channels and queues (gevent has no equivalent):
//
//   std::optional<int> got;
//   switch (grove::select(grove::on_recv(jobs, got),            // got: nullopt if `jobs` closed
//                         grove::on_send(results, 42),
//                         grove::on_timeout(100ms))) {
//     case 0: ...; case 1: ...; case 2: ...;
//   }
//
// Cases: on_recv(q[, handler or std::optional<T>& out]), on_send(q, item[, handler]),
// on_default([handler]) (never wait), on_timeout(duration[, handler]). Exactly one case fires:
// among the cases that can proceed at once, one chosen uniformly at random; otherwise the first
// to become ready; select returns its index (in argument order) after running its handler.
// A recv case on a closed, drained channel or queue fires with std::nullopt; a send case on a
// closed one throws (ChannelClosed / QueueClosed), as Go panics. Items of send cases that did not
// fire stay with their case (a send case holds its own copy of the item).
#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "grove/detail/chan_core.hpp"
#include "grove/detail/queue_support.hpp"

namespace grove {

namespace detail {

struct NoHandler {
  template <typename... A>
  void operator()(A&&...) const {}
};

template <typename Q, typename Handler>
struct RecvCase {
  Q* queue;
  Handler handler;  // called with std::optional<T>
  std::optional<typename Q::value_type> slot{};
};

template <typename Q, typename Handler>
struct SendCase {
  Q* queue;
  typename Q::value_type item;
  Handler handler;  // called with no arguments
};

template <typename Handler>
struct DefaultCase {
  Handler handler;
};

template <typename Handler>
struct TimeoutCase {
  Clock::duration timeout;
  Handler handler;
};

template <typename C>
struct CaseTraits {
  static constexpr bool is_op = false, is_default = false, is_timeout = false;
};
template <typename Q, typename H>
struct CaseTraits<RecvCase<Q, H>> {
  static constexpr bool is_op = true, is_default = false, is_timeout = false;
};
template <typename Q, typename H>
struct CaseTraits<SendCase<Q, H>> {
  static constexpr bool is_op = true, is_default = false, is_timeout = false;
};
template <typename H>
struct CaseTraits<DefaultCase<H>> {
  static constexpr bool is_op = false, is_default = true, is_timeout = false;
};
template <typename H>
struct CaseTraits<TimeoutCase<H>> {
  static constexpr bool is_op = false, is_default = false, is_timeout = true;
};

template <typename Q, typename H>
SelectOp make_op(RecvCase<Q, H>& c) {
  return SelectOp{SelectAccess::core(*c.queue), false, &c.slot};
}
template <typename Q, typename H>
SelectOp make_op(SendCase<Q, H>& c) {
  return SelectOp{SelectAccess::core(*c.queue), true, &c.item};
}

template <typename Q, typename H>
void run_case(RecvCase<Q, H>& c, ChanStatus) {
  c.handler(std::move(c.slot));
}
template <typename Q, typename H>
void run_case(SendCase<Q, H>& c, ChanStatus status) {
  if (status == ChanStatus::closed) SelectAccess::throw_closed_put<Q>();
  c.handler();
}
template <typename H>
void run_case(DefaultCase<H>& c, ChanStatus) {
  c.handler();
}
template <typename H>
void run_case(TimeoutCase<H>& c, ChanStatus) {
  c.handler();
}

template <typename T>
struct StoreInto {
  std::optional<T>* out;
  void operator()(std::optional<T> v) const { *out = std::move(v); }
};

}  // namespace detail

// Receive from a Channel or any queue. The handler gets std::optional<T> (nullopt: closed and drained).
template <typename Q, typename Handler>
  requires std::is_invocable_v<Handler&, std::optional<typename Q::value_type>>
auto on_recv(Q& queue, Handler handler) {
  return detail::RecvCase<Q, Handler>{&queue, std::move(handler)};
}
// Receive into `out` (nullopt when closed and drained).
template <typename Q>
auto on_recv(Q& queue, std::optional<typename Q::value_type>& out) {
  using T = typename Q::value_type;
  return detail::RecvCase<Q, detail::StoreInto<T>>{&queue, detail::StoreInto<T>{&out}};
}
template <typename Q>
auto on_recv(Q& queue) {
  return detail::RecvCase<Q, detail::NoHandler>{&queue, {}};
}

template <typename Q, typename Handler = detail::NoHandler>
auto on_send(Q& queue, typename Q::value_type item, Handler handler = {}) {
  return detail::SendCase<Q, Handler>{&queue, std::move(item), std::move(handler)};
}

template <typename Handler = detail::NoHandler>
auto on_default(Handler handler = {}) {
  return detail::DefaultCase<Handler>{std::move(handler)};
}

// Fires if no other case could proceed within `timeout` (negative: std::invalid_argument).
template <typename Rep, typename Period, typename Handler = detail::NoHandler>
auto on_timeout(std::chrono::duration<Rep, Period> timeout, Handler handler = {}) {
  return detail::TimeoutCase<Handler>{std::chrono::duration_cast<detail::Clock::duration>(timeout), std::move(handler)};
}

template <typename... Cases>
int select(Cases&&... cases) {
  using detail::CaseTraits;
  constexpr std::size_t kCases = sizeof...(Cases);
  constexpr std::size_t kOps = (std::size_t{CaseTraits<std::decay_t<Cases>>::is_op} + ... + 0);
  constexpr std::size_t kDefaults = (std::size_t{CaseTraits<std::decay_t<Cases>>::is_default} + ... + 0);
  constexpr std::size_t kTimeouts = (std::size_t{CaseTraits<std::decay_t<Cases>>::is_timeout} + ... + 0);
  static_assert(kCases > 0, "grove::select needs at least one case");
  static_assert(kOps + kDefaults + kTimeouts == kCases,
                "grove::select takes only on_recv, on_send, on_default and on_timeout cases");
  static_assert(kDefaults <= 1 && kTimeouts <= 1, "grove::select takes at most one on_default and one on_timeout");
  static_assert(kDefaults == 0 || kTimeouts == 0, "a select with on_default never waits, so on_timeout could never fire");

  // Map operation index -> case index, and find the default/timeout case.
  std::array<detail::SelectOp, kOps + 1> ops{};
  std::array<int, kOps + 1> case_of_op{};
  int special_case = -1;
  detail::TimePoint deadline = detail::kNoDeadline;
  {
    std::size_t op = 0;
    int index = 0;
    auto collect = [&](auto& c) {
      using C = std::decay_t<decltype(c)>;
      if constexpr (CaseTraits<C>::is_op) {
        ops[op] = detail::make_op(c);
        case_of_op[op++] = index;
      } else {
        special_case = index;
        if constexpr (CaseTraits<C>::is_timeout) deadline = detail::deadline_after(c.timeout);
      }
      ++index;
    };
    (collect(cases), ...);
  }

  const detail::SelectOutcome outcome = detail::chan_select(ops.data(), kOps, kDefaults != 0, deadline);
  const int fired = outcome.op >= 0 ? case_of_op[static_cast<std::size_t>(outcome.op)] : special_case;
  {
    int index = 0;
    auto dispatch = [&](auto& c) {
      if (index++ == fired) detail::run_case(c, outcome.status);
    };
    (dispatch(cases), ...);
  }
  return fired;
}

}  // namespace grove
