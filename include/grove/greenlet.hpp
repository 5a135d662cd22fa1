#pragma once
// grove::greenlet: explicit switching, as Python's greenlet. Every thread and every grove fiber
// has an implicit main greenlet; greenlets created there belong to it (their "thread") and run
// inside it, so a greenlet that sleeps or blocks in a hooked call parks that whole fiber, which
// resumes on the same OS thread (a fiber with live greenlets is pinned to its worker).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "grove/detail/greenlet_core.hpp"
#include "grove/detail/noplt.hpp"
#include "grove/errors.hpp"
#include "grove/value.hpp"

namespace grove {

// Thrown inside a greenlet to end it quietly: its `result` becomes the value its parent receives.
// throw_() with no argument and destroying an unfinished greenlet raise it. Not a std::exception,
// so `catch (const std::exception&)` does not swallow it (a BaseException, as in Python).
struct GreenletExit {
  value result;
};

class greenlet;

namespace detail {

// The type-erased `run` of a greenlet: called with the values of the first switch.
struct GreenletRun {
  virtual value invoke(value&& args) = 0;
  virtual ~GreenletRun() = default;
};

// The parameter types of a non-generic callable, for `greenlet([](int a, std::string b) {...})`.
template <typename F>
struct CallableArgs : CallableArgs<decltype(&F::operator())> {};
template <typename R, typename... A>
struct CallableArgs<R (*)(A...)> {
  using type = std::tuple<A...>;
};
template <typename R, typename... A>
struct CallableArgs<R(A...)> : CallableArgs<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableArgs<R (C::*)(A...)> : CallableArgs<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableArgs<R (C::*)(A...) const> : CallableArgs<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableArgs<R (C::*)(A...) noexcept> : CallableArgs<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableArgs<R (C::*)(A...) const noexcept> : CallableArgs<R (*)(A...)> {};

[[noreturn]] void throw_run_arity_error(std::size_t wanted, std::size_t got);

template <typename R>
value to_value(R&& r) {
  return value(std::forward<R>(r));
}

template <typename Fn>
struct GreenletRunImpl final : GreenletRun {
  Fn fn;
  template <typename F>
  explicit GreenletRunImpl(F&& f) : fn(std::forward<F>(f)) {}

  value invoke(value&& args) override {
    if constexpr (std::is_invocable_v<Fn&, value>) {
      return call([&]() -> decltype(auto) { return fn(std::move(args)); });
    } else if constexpr (std::is_invocable_v<Fn&>) {
      if (!args.empty()) throw_run_arity_error(0, args.size());
      return call([&]() -> decltype(auto) { return fn(); });
    } else {
      using Args = typename CallableArgs<Fn>::type;
      return invoke_typed(std::move(args), std::make_index_sequence<std::tuple_size_v<Args>>{});
    }
  }

  template <std::size_t... I>
  value invoke_typed(value&& args, std::index_sequence<I...>) {
    using Args = typename CallableArgs<Fn>::type;
    if (args.size() != sizeof...(I)) throw_run_arity_error(sizeof...(I), args.size());
    return call([&]() -> decltype(auto) {
      return fn(std::move(args[I]).template as<std::decay_t<std::tuple_element_t<I, Args>>>()...);
    });
  }

  template <typename Call>
  static value call(Call&& c) {
    using R = decltype(c());
    if constexpr (std::is_void_v<R>) {
      c();
      return value{};
    } else {
      return value(c());
    }
  }
};

// The runtime side (libgrove). Handles own one reference each; the switch path touches none.
GreenletCore* greenlet_create(std::unique_ptr<GreenletRun> run, GreenletCore* parent, std::size_t stack_size);
void greenlet_retain(GreenletCore* g) noexcept;
void greenlet_release(GreenletCore* g) noexcept;
value greenlet_switch(GreenletCore* target, value&& args);
value greenlet_throw(GreenletCore* target, std::exception_ptr error);
GreenletCore* greenlet_current();  // borrowed
GreenletCore* greenlet_parent(const GreenletCore* g) noexcept;  // borrowed, null for a main greenlet
void greenlet_set_parent(GreenletCore* g, GreenletCore* parent);
bool greenlet_started(const GreenletCore* g) noexcept;
bool greenlet_dead(const GreenletCore* g) noexcept;
bool greenlet_is_main(const GreenletCore* g) noexcept;

// What a switch hands the greenlet it resumes (in the jump's data register). A fast switch has
// already built its value in the receiver's `inbox` and sends null; a general one sends the
// address of a message inside libgrove with the low bit set.
[[gnu::always_inline]] inline bool greenlet_message_is_value(void* data) noexcept {
  return !(reinterpret_cast<std::uintptr_t>(data) & 1);
}
// The receiving side of a general-path message (values, an exception, a dead or orphaned sender ...).
value greenlet_take_message(void* data);

// The fast switch. A switch made inside an out-of-line function costs a mispredicted return on
// each side (the CPU's return-stack predictor expects the caller that entered the switch, not
// the one the other stack returns to): several times a raw jump. So the common case is decided
// and booked right here, in the caller's frame, on the fields of GreenletCore, and only the
// fcontext jump is a call (grove_greenlet_jump, which also stores where the caller stopped in
// `save`); the side switched back to needs only to look at the message it receives. Anything
// unusual (an unstarted or dead target, another thread, exception state to carry, an orphaned
// or slab-stacked caller, pending cross-thread releases, sanitizers) takes greenlet_switch().
#if defined(__x86_64__) && defined(__linux__)
#define GROVE_GREENLET_FAST_JUMP 1
struct GreenletTransfer {
  void* fctx;
  void* data;
};
extern "C" GROVE_NOPLT GreenletTransfer grove_greenlet_jump(void* to, void* data, void** save);

// The thread pointer (%fs:0 on x86-64): says which thread's exception globals are current.
// Volatile: the host may resume on another thread between two switches of one loop.
[[gnu::always_inline]] inline const void* greenlet_thread_pointer() noexcept {
  const void* tp;
  asm volatile("movq %%fs:0, %0" : "=r"(tp));
  return tp;
}
#else
#define GROVE_GREENLET_FAST_JUMP 0
#endif

// Sanitized code must tell the sanitizer of each switch, which greenlet_switch() does.
#if GROVE_GREENLET_FAST_JUMP && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define GROVE_GREENLET_INLINE_SWITCH 1
// The caller's stack pointer (fixed within a frame, so the compiler may keep it).
[[gnu::always_inline]] inline const char* greenlet_stack_pointer() noexcept {
  const char* sp;
  asm("movq %%rsp, %0" : "=r"(sp));
  return sp;
}

// True when `self` (running, in `h`) may switch to `target` on the fast path; `sp` is the
// caller's stack pointer.
[[gnu::always_inline]] inline bool greenlet_fast_switch_ok(const GreenletHostCore* h, const GreenletCore* self,
                                                          const GreenletCore* target, const char* sp) noexcept {
  if (target->enters_by_general_path || target == self) [[unlikely]] return false;
  if (sp < self->sp_low || sp >= self->sp_high) [[unlikely]] return false;
  if (h->has_pending.load(std::memory_order_relaxed) || h->eh_thread != greenlet_thread_pointer()) [[unlikely]] {
    return false;
  }
  // No exception state to carry away (one test for both fields).
  return (reinterpret_cast<std::uintptr_t>(h->eh->caught) | h->eh->uncaught) == 0;
}
#else
#define GROVE_GREENLET_INLINE_SWITCH 0
#endif

// What a switch sends, as greenlet_switch_inline needs it: `into` fills the receiver's empty
// inbox (noexcept, once the fast path is certain), `take` gives it to the general path.
struct SendNothing {  // switch_to(): the inbox is empty already
  void into(value&) noexcept {}
  value take() noexcept { return value{}; }
};
struct SendValue {  // an existing value, moved
  value& v;
  [[gnu::always_inline]] void into(value& dst) noexcept { ValueSlot::steal(dst, v); }
  value&& take() noexcept { return std::move(v); }
};
template <typename T, typename A>
struct SendPlain {  // a number, a pointer, a small trivially copyable struct: built in the inbox
  A&& a;
  [[gnu::always_inline]] void into(value& dst) noexcept { ValueSlot::emplace<T>(dst, std::forward<A>(a)); }
  value take() { return value(std::forward<A>(a)); }
};

// Switches to `target` (see greenlet::switch_to); inlined so the jump is made from the caller.
// `received` is the caller's own result (named return value): the other side's fast switch
// builds what it sends right there, and the general path's message is moved into it.
template <typename Send>
[[gnu::always_inline]] inline value greenlet_switch_inline(GreenletCore* target, Send send) {
  value received;
#if GROVE_GREENLET_INLINE_SWITCH
  GreenletHostCore* h = target->host;
  GreenletCore* self = h->current;
  if (greenlet_fast_switch_ok(h, self, target, greenlet_stack_pointer())) [[likely]] {
    send.into(*target->inbox);
    __builtin_memcpy(h->fiber_stack, &target->stack, sizeof(Stack));  // padding too: one 16-byte move
    h->current = target;
    self->inbox = &received;
    void* in = grove_greenlet_jump(target->fctx, nullptr, &self->fctx).data;
    if (!greenlet_message_is_value(in)) [[unlikely]] received = greenlet_take_message(in);
    return received;
  }
#endif
  received = greenlet_switch(target, send.take());
  return received;
}
[[gnu::always_inline]] inline value greenlet_switch_inline(GreenletCore* target, value&& args) {
  return greenlet_switch_inline(target, SendValue{args});
}

// True for switch_to(std::move(v)) with v a grove::value (a forwarding reference's A is `value`).
template <typename... A>
inline constexpr bool kOneRvalueValue = false;
template <>
inline constexpr bool kOneRvalueValue<value> = true;

// switch_to's arguments, sent the cheapest way that fits them.
template <typename... A>
[[gnu::always_inline]] inline value greenlet_send(GreenletCore* target, A&&... args) {
  if constexpr (sizeof...(A) == 0) {
    return greenlet_switch_inline(target, SendNothing{});
  } else if constexpr (kOneRvalueValue<A...>) {
    return greenlet_switch_inline(target, std::move(args)...);  // moved into the receiver's result
  } else if constexpr (sizeof...(A) == 1 && (ValueSlot::kPlainCopy<std::decay_t<A>, A> && ...)) {
    return greenlet_switch_inline(target, SendPlain<std::decay_t<A>..., A...>{std::forward<A>(args)...});
  } else if constexpr (sizeof...(A) == 1) {
    return greenlet_switch_inline(target, value(std::forward<A>(args)...));
  } else {
    return greenlet_switch_inline(target, value::pack(std::forward<A>(args)...));
  }
}

}  // namespace detail

struct GreenletOptions {
  std::size_t stack_size = 0;  // 0: the configured fiber stack size
};

// A counted handle to a greenlet (copyable). When the last handle to a suspended greenlet goes,
// GreenletExit is raised in it so its destructors run (as Python does when it is collected).
class greenlet {
 public:
  greenlet() = default;

  // `run` is called on the first switch with that switch's values: it may take a grove::value
  // (all of them), nothing, or typed parameters (each value converted with as<T>()).
  // Its result is what the parent receives when it returns. The parent is the current greenlet.
  template <typename Fn>
    requires(!std::is_same_v<std::decay_t<Fn>, greenlet>)
  explicit greenlet(Fn&& run, GreenletOptions options = {}) : greenlet(std::forward<Fn>(run), nullptr, options) {}
  template <typename Fn>
  greenlet(Fn&& run, const greenlet& parent, GreenletOptions options = {})
      : greenlet(std::forward<Fn>(run), parent.checked(), options) {}

  greenlet(const greenlet& o) noexcept : g_(o.g_) {
    if (g_) detail::greenlet_retain(g_);
  }
  greenlet(greenlet&& o) noexcept : g_(std::exchange(o.g_, nullptr)) {
    if (g_ && !std::exchange(o.counted_, true)) detail::greenlet_retain(g_);
  }
  greenlet& operator=(greenlet o) noexcept {
    if (o.g_ && !o.counted_) detail::greenlet_retain(o.g_);  // a stored handle always counts
    o.counted_ = true;
    std::swap(g_, o.g_);
    std::swap(counted_, o.counted_);
    return *this;
  }
  ~greenlet() {
    if (g_ && counted_) detail::greenlet_release(g_);
  }

  // Switches to this greenlet (or, if it is dead, its first live ancestor), passing no value,
  // one value, or several (received as a pack). Returns what is passed back when something
  // switches to the caller again.
  template <typename... A>
  [[gnu::always_inline]] value switch_to(A&&... args) const {  // inlined: see greenlet_switch_inline
    return detail::greenlet_send(checked(), std::forward<A>(args)...);
  }

  // Switches to this greenlet and raises an exception there at once (GreenletExit by default).
  // A greenlet that has not started dies without running; the exception goes to its parent.
  value throw_() const { return throw_(std::make_exception_ptr(GreenletExit{})); }
  value throw_(std::exception_ptr error) const { return detail::greenlet_throw(checked(), std::move(error)); }
  template <typename E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  value throw_(E&& error) const {
    return throw_(std::make_exception_ptr(std::forward<E>(error)));
  }

  // The greenlet that receives this one's result; an empty handle for a main greenlet.
  greenlet parent() const { return borrow(detail::greenlet_parent(checked())); }
  // Reassigns the parent; grove::UsageError if that makes a cycle or `p` belongs to another thread.
  void parent(const greenlet& p) const { detail::greenlet_set_parent(checked(), p.checked()); }

  bool started() const { return detail::greenlet_started(checked()); }
  bool dead() const { return detail::greenlet_dead(checked()); }
  // Started and not dead (Python's bool(greenlet)).
  bool active() const { return started() && !dead(); }
  bool is_main() const { return detail::greenlet_is_main(checked()); }

  // The greenlet running now: the thread's (or grove fiber's) main greenlet outside any other.
  // The handle returned (and `auto me = greenlet::current();`) does not keep the greenlet alive,
  // so a greenlet holding it on its own stack can still be unwound when its last other handle
  // goes; a copy of it (or one moved elsewhere) does.
  static greenlet current() { return greenlet(detail::greenlet_current(), Borrowed{}); }

  explicit operator bool() const noexcept { return g_ != nullptr; }
  bool operator==(const greenlet& o) const noexcept { return g_ == o.g_; }
  detail::GreenletCore* control() const noexcept { return g_; }

 private:
  template <typename Fn>
  greenlet(Fn&& run, detail::GreenletCore* parent, GreenletOptions options)
      : g_(detail::greenlet_create(std::make_unique<detail::GreenletRunImpl<std::decay_t<Fn>>>(std::forward<Fn>(run)),
                                   parent, options.stack_size)) {}

  struct Borrowed {};
  greenlet(detail::GreenletCore* g, Borrowed) noexcept : g_(g), counted_(false) {}

  static greenlet borrow(detail::GreenletCore* g) {
    greenlet h;
    if (g) {
      detail::greenlet_retain(g);
      h.g_ = g;
    }
    return h;
  }
  detail::GreenletCore* checked() const {
    if (!g_) throw UsageError("grove: operation on an empty greenlet handle");
    return g_;
  }

  detail::GreenletCore* g_ = nullptr;
  bool counted_ = true;  // false only for the prvalue of current() and what is initialised from it
};

}  // namespace grove
