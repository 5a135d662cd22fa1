#pragma once
// Pieces shared by the queue and channel templates: timeouts, range-for draining, select access.
#include <chrono>
#include <iterator>
#include <optional>
#include <utility>

#include "grove/detail/chan_core.hpp"
#include "grove/detail/fiber_core.hpp"

namespace grove::detail {

template <typename Rep, typename Period>
TimePoint deadline_in(std::chrono::duration<Rep, Period> timeout) {
  return deadline_after(std::chrono::duration_cast<Clock::duration>(timeout));
}

// Input iterator for `for (auto& item : source)`: receives until the source is closed and
// drained. `Source::next()` returns std::optional<T> (nullopt at the end).
template <typename Source>
class DrainIterator {
 public:
  using value_type = typename Source::value_type;
  using difference_type = std::ptrdiff_t;
  using iterator_category = std::input_iterator_tag;

  DrainIterator() = default;
  explicit DrainIterator(Source* source) : source_(source) { advance(); }

  value_type& operator*() { return *current_; }
  value_type* operator->() { return &*current_; }
  DrainIterator& operator++() {
    advance();
    return *this;
  }
  void operator++(int) { advance(); }
  friend bool operator==(const DrainIterator& it, std::default_sentinel_t) { return !it.current_; }

 private:
  void advance() { current_ = source_->next(); }

  Source* source_ = nullptr;
  std::optional<value_type> current_;
};

// What select needs from a queue or channel, without making it public API.
struct SelectAccess {
  template <typename Q>
  static ChanCore* core(Q& q) {
    return q.core_.get();
  }
  template <typename Q>
  [[noreturn]] static void throw_closed_put() {
    Q::throw_closed_put();
  }
};

}  // namespace grove::detail
