#pragma once
// grove::Generator<Y, S>: a stackful generator with Python's semantics, on grove::greenlet.
//
//   grove::Generator<std::string, int> consumer([](auto& yield) {
//     std::string r;
//     for (;;) {
//       int n = yield(r);        // Python: n = yield r
//       if (!n) return;
//       r = "200 OK";
//     }
//   });
//   consumer.next();             // starts it (Python: c.send(None))
//   std::string r = consumer.send(1);
//   consumer.close();            // raises GeneratorExit at the paused yield
//
// next()/send() throw grove::StopIteration once the body has returned; an exception thrown by the
// body propagates to the caller of next()/send(). `for (auto& v : gen)` iterates. A generator is
// driven from the thread (or grove fiber) that created it, like every greenlet.
#include <exception>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include "grove/greenlet.hpp"

namespace grove {

// Raised inside a generator by close(). Not a std::exception (a BaseException, as in Python).
struct GeneratorExit {};

// next()/send() on a generator whose body has returned.
struct StopIteration : std::exception {
  const char* what() const noexcept override { return "grove: the generator has finished (StopIteration)"; }
};

template <typename Y, typename S = void>
class Generator {
  static_assert(!std::is_void_v<Y>, "grove::Generator<Y, S>: Y (the yielded type) cannot be void");

 public:
  // What the body calls to yield: `S received = yield(value)` (S = void: `yield(value)`).
  class Yielder {
   public:
    auto operator()(Y v) const {
      value sent = detail::greenlet_send(detail::greenlet_parent(self_), std::move(v));
      if constexpr (!std::is_void_v<S>) {
        if (sent.empty()) return S{};  // resumed by next(): Python's None
        return std::move(sent).template as<S>();
      }
    }
    auto yield(Y v) const { return (*this)(std::move(v)); }

   private:
    friend class Generator;
    explicit Yielder(detail::GreenletCore* self) : self_(self) {}
    detail::GreenletCore* self_;
  };

  Generator() = default;
  template <typename Body>
    requires std::is_invocable_v<Body&, Yielder&>
  explicit Generator(Body&& body, GreenletOptions options = {})
      : g_([b = std::forward<Body>(body)]() mutable {
          Yielder y(detail::greenlet_current());
          b(y);
        }, options) {}

  Generator(Generator&&) noexcept = default;
  Generator& operator=(Generator&& o) noexcept {
    if (this != &o) {
      close_quietly();
      g_ = std::move(o.g_);
    }
    return *this;
  }
  // Python closes a generator when it is collected: GeneratorExit at the paused yield.
  ~Generator() { close_quietly(); }

  // Runs the body to its next yield and returns the value (the first call starts it).
  Y next() { return resume(value{}); }
  // Resumes the body, which receives `s` from its paused yield. The first resume must be next().
  template <typename T = S>
    requires(!std::is_void_v<T>)
  Y send(T s) {
    if (!checked().started()) {
      throw UsageError("grove::Generator::send: cannot send a value to a just-started generator; call next() first");
    }
    return resume(value(std::move(s)));
  }
  // The next value, or nothing once the body has returned.
  std::optional<Y> try_next() {
    if (finished()) return std::nullopt;
    value r = switch_in(value{});
    if (g_.dead()) return std::nullopt;
    return std::move(r).template as<Y>();
  }

  // Raises GeneratorExit at the paused yield and waits for the body to end. A body that yields
  // again instead gets std::runtime_error, as Python's RuntimeError("generator ignored GeneratorExit").
  void close() {
    if (finished() || !g_.started()) {
      if (g_ && !g_.started()) discard_unstarted();
      return;
    }
    g_.parent(greenlet::current());
    try {
      g_.throw_(GeneratorExit{});
    } catch (const GeneratorExit&) {
      return;
    }
    if (!g_.dead()) throw std::runtime_error("grove::Generator::close: the generator ignored GeneratorExit");
  }

  bool started() const { return g_ && g_.started(); }
  bool finished() const { return !g_ || g_.dead(); }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Y;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    Y& operator*() const { return const_cast<Y&>(*current_); }
    Y* operator->() const { return &**this; }
    iterator& operator++() {
      current_ = gen_->try_next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return !current_; }

   private:
    friend class Generator;
    explicit iterator(Generator* g) : gen_(g), current_(g->try_next()) {}
    Generator* gen_ = nullptr;
    std::optional<Y> current_;
  };
  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  const greenlet& checked() const {
    if (!g_) throw UsageError("grove: operation on an empty Generator");
    return g_;
  }
  // The caller of next()/send() is where the body's yields and its end go.
  value switch_in(value&& v) {
    const greenlet& g = checked();
    detail::GreenletCore* caller = detail::greenlet_current();
    if (detail::greenlet_parent(g.control()) != caller) detail::greenlet_set_parent(g.control(), caller);
    return detail::greenlet_switch_inline(g.control(), std::move(v));
  }
  Y resume(value&& v) {
    if (finished()) {
      checked();
      throw StopIteration{};
    }
    value r = switch_in(std::move(v));
    if (g_.dead()) throw StopIteration{};
    return std::move(r).template as<Y>();
  }
  void discard_unstarted() {
    try {
      g_.parent(greenlet::current());
      g_.throw_(GeneratorExit{});
    } catch (...) {
    }
  }
  void close_quietly() noexcept {
    if (!g_ || g_.dead()) return;
    try {
      close();
    } catch (...) {
      // Another thread's generator, or one that refused to close: dropping the handle unwinds it.
    }
  }

  greenlet g_;
};

}  // namespace grove
