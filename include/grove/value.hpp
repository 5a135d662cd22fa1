#pragma once
// grove::value: what greenlets (and generators) pass to each other. It holds nothing, one C++
// value of any copyable or move-only type, or several values (`value::pack(a, b)`), much like
// the arguments of Python's greenlet.switch(*args). Values of up to four pointers' size (numbers,
// pointers, std::string, std::vector, std::function ...) live inline: passing them allocates nothing.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "grove/errors.hpp"

namespace grove {

class value;

namespace detail {

struct ValueSlot;

[[noreturn]] void throw_value_type_error(const std::type_info& wanted, const value& v);
[[noreturn]] void throw_value_not_copyable(const value& v);
[[noreturn]] void throw_value_index_error(std::size_t index, std::size_t size);
[[noreturn]] void throw_value_arity_error(std::size_t wanted, std::size_t size);
std::string demangled_name(const std::type_info& t);

inline constexpr std::size_t kValueInlineSize = 4 * sizeof(void*);

template <typename T>
inline constexpr bool kValueInline = sizeof(T) <= kValueInlineSize && alignof(T) <= alignof(std::max_align_t) &&
                                     std::is_nothrow_move_constructible_v<T>;

}  // namespace detail

class value {
 public:
  // User-provided, so `value{}` sets only ops_ (a defaulted one would zero all 48 bytes).
  value() noexcept {}

  // Any copyable or movable value (not a value itself: that is copied or moved as usual).
  template <typename T, typename D = std::decay_t<T>>
    requires(!std::is_same_v<D, value> && (std::is_copy_constructible_v<D> || std::is_move_constructible_v<D>))
  value(T&& v) {  // NOLINT(google-explicit-constructor): `switch_to(1)` and `return 42;` must just work
    emplace<D>(std::forward<T>(v));
  }

  // Several values, received as a pack: size() == sizeof...(Ts), read with get<Ts...>() or [i].
  template <typename... Ts>
  static value pack(Ts&&... vs) {
    std::vector<value> items;
    items.reserve(sizeof...(Ts));
    (items.emplace_back(std::forward<Ts>(vs)), ...);
    value v;
    v.emplace<Pack>(Pack{std::move(items)});
    return v;
  }

  value(const value& o) {
    if (!o.ops_) return;
    if (!o.ops_->copy) detail::throw_value_not_copyable(o);
    o.ops_->copy(*this, o);
    ops_ = o.ops_;
  }
  [[gnu::always_inline]] value(value&& o) noexcept { steal(o); }
  value& operator=(const value& o) {
    if (this != &o) *this = value(o);
    return *this;
  }
  value& operator=(value&& o) noexcept {
    if (this != &o) {
      reset();
      steal(o);
    }
    return *this;
  }
  ~value() { reset(); }

  [[gnu::always_inline]] void reset() noexcept {
    if (const Ops* ops = ops_) {
      if (ops->destroy) [[unlikely]] ops->destroy(*this);
      ops_ = nullptr;
    }
  }

  // Nothing at all (a switch with no arguments, a run that returned void).
  bool empty() const noexcept { return ops_ == nullptr; }
  bool has_value() const noexcept { return ops_ != nullptr; }
  // 0 when empty, the number of values for a pack, else 1.
  std::size_t size() const noexcept {
    if (!ops_) return 0;
    return ops_->is_pack ? items().size() : 1;
  }
  bool is_pack() const noexcept { return ops_ && ops_->is_pack; }
  // The held type (typeid(void) when empty; the pack's own type for a pack).
  const std::type_info& type() const noexcept { return ops_ ? ops_->type : typeid(void); }

  template <typename T>
  bool is() const noexcept {
    // The pointer test first: it answers for every value made in this binary. Another binary
    // (a library built with hidden visibility) may have its own kOps<T>: then typeid decides.
    if (ops_ == &kOps<T>) [[likely]] return true;
    return ops_ && ops_->type == typeid(T);
  }

  // The held value as T; a grove::UsageError naming both types if it holds something else.
  template <typename T>
  T& as() & {
    if (!is<T>()) detail::throw_value_type_error(typeid(T), *this);
    return *ptr<T>();
  }
  template <typename T>
  const T& as() const& {
    if (!is<T>()) detail::throw_value_type_error(typeid(T), *this);
    return *ptr<T>();
  }
  template <typename T>
  T as() && {
    if (!is<T>()) detail::throw_value_type_error(typeid(T), *this);
    return std::move(*ptr<T>());
  }

  // The i-th value of a pack; for a single value, [0] is the value itself.
  const value& operator[](std::size_t i) const {
    if (is_pack()) {
      if (i >= items().size()) detail::throw_value_index_error(i, items().size());
      return items()[i];
    }
    if (i != 0 || !ops_) detail::throw_value_index_error(i, size());
    return *this;
  }
  value& operator[](std::size_t i) { return const_cast<value&>(std::as_const(*this)[i]); }

  // Unpacks several values: `auto [a, b] = v.get<int, std::string>();` (one type: a 1-tuple).
  template <typename... Ts>
  std::tuple<Ts...> get() const& {
    check_arity(sizeof...(Ts));
    return get_impl<Ts...>(std::index_sequence_for<Ts...>{});
  }
  template <typename... Ts>
  std::tuple<Ts...> get() && {
    check_arity(sizeof...(Ts));
    return std::move(*this).template take_impl<Ts...>(std::index_sequence_for<Ts...>{});
  }

 private:
  friend struct detail::ValueSlot;

  struct Pack {
    std::vector<value> items;
  };
  struct Ops {
    const std::type_info& type;
    void (*destroy)(value&) noexcept;  // null: trivially destructible inline value
    void (*copy)(value& dst, const value& src);  // null: move-only
    void (*move)(value& dst, value& src) noexcept;  // null: relocate by copying the bytes
    bool is_pack;
  };

  template <typename T>
  static constexpr bool kInline = detail::kValueInline<T>;

  template <typename T>
  static void destroy_fn(value& v) noexcept {
    if constexpr (kInline<T>) {
      v.ptr<T>()->~T();
    } else {
      delete v.ptr<T>();
    }
  }
  template <typename T>
  static void copy_fn(value& dst, const value& src) {
    if constexpr (kInline<T>) {
      ::new (static_cast<void*>(dst.buf_)) T(*src.ptr<T>());
    } else {
      dst.heap_ = new T(*src.ptr<T>());
    }
  }
  template <typename T>
  static void move_fn(value& dst, value& src) noexcept {
    ::new (static_cast<void*>(dst.buf_)) T(std::move(*src.ptr<T>()));
    src.ptr<T>()->~T();
  }

  template <typename T>
  static constexpr auto copy_of() -> void (*)(value&, const value&) {
    if constexpr (std::is_copy_constructible_v<T>) {
      return &copy_fn<T>;
    } else {
      return nullptr;
    }
  }

  template <typename T>
  static constexpr Ops kOps{
      typeid(T),
      (kInline<T> && std::is_trivially_destructible_v<T>) ? nullptr : &destroy_fn<T>,
      copy_of<T>(),
      // Heap values and trivially copyable inline ones move by copying the bytes.
      (kInline<T> && !std::is_trivially_copyable_v<T>) ? &move_fn<T> : nullptr,
      std::is_same_v<T, Pack>,
  };

  template <typename T, typename... A>
  void emplace(A&&... a) {
    if constexpr (kInline<T>) {
      ::new (static_cast<void*>(buf_)) T(std::forward<A>(a)...);
    } else {
      heap_ = new T(std::forward<A>(a)...);
    }
    ops_ = &kOps<T>;
  }

  template <typename T>
  T* ptr() noexcept {
    if constexpr (kInline<T>) {
      return std::launder(reinterpret_cast<T*>(buf_));
    } else {
      return static_cast<T*>(heap_);
    }
  }
  template <typename T>
  const T* ptr() const noexcept {
    return const_cast<value*>(this)->ptr<T>();
  }

  // Inlined: every greenlet switch moves a value or two, mostly numbers and pointers.
  // Takes what `o` holds into this (empty) value; `o` becomes empty.
  [[gnu::always_inline]] void steal(value& o) noexcept {
    const Ops* ops = o.ops_;
    ops_ = ops;
    if (!ops) return;
    if (ops->move) [[unlikely]] {
      ops->move(*this, o);
    } else {
      __builtin_memcpy(static_cast<void*>(buf_), static_cast<const void*>(o.buf_), sizeof buf_);
    }
    o.ops_ = nullptr;
  }

  const std::vector<value>& items() const { return ptr<Pack>()->items; }
  std::vector<value>& items() { return ptr<Pack>()->items; }

  void check_arity(std::size_t n) const {
    if (size() != n) detail::throw_value_arity_error(n, size());
  }
  template <typename... Ts, std::size_t... I>
  std::tuple<Ts...> get_impl(std::index_sequence<I...>) const {
    return std::tuple<Ts...>((*this)[I].template as<Ts>()...);
  }
  template <typename... Ts, std::size_t... I>
  std::tuple<Ts...> take_impl(std::index_sequence<I...>) && {
    return std::tuple<Ts...>(std::move((*this)[I]).template as<Ts>()...);
  }

  union {
    alignas(std::max_align_t) unsigned char buf_[detail::kValueInlineSize];
    void* heap_;
  };
  const Ops* ops_ = nullptr;
};

namespace detail {

// How a greenlet switch fills the receiver's empty value in place (see greenlet_switch_inline).
struct ValueSlot {
  // Moves what `src` holds into the empty `dst`; `src` becomes empty.
  [[gnu::always_inline]] static void steal(value& dst, value& src) noexcept { dst.steal(src); }

  // A T made from an A that is a plain copy of bytes: no user code runs, nothing can throw.
  template <typename T, typename A>
  static constexpr bool kPlainCopy = std::is_same_v<std::decay_t<A>, T> && value::kInline<T> &&
                                     std::is_trivially_copyable_v<T> && std::is_nothrow_constructible_v<T, A>;
  // Writes T's bytes zero-padded to 16 (or 32) in 16-byte stores when T's size allows: the
  // receiver moves them on with 16-byte loads, which a narrower store still in flight (an int's)
  // would stall (store-to-load forwarding fails on a load wider than the store).
  template <typename T, typename A>
    requires kPlainCopy<T, A>
  [[gnu::always_inline]] static void emplace(value& dst, A&& a) noexcept {
    using Half = unsigned long long __attribute__((vector_size(16)));
    static_assert(sizeof dst.buf_ == 2 * sizeof(Half));
    const T t(std::forward<A>(a));
    Half lo{}, hi{};
    // bit_cast needs every bit of T to be part of its value (no padding: long double has some).
    constexpr bool kNoPadding = std::has_unique_object_representations_v<T> || (std::is_scalar_v<T> && sizeof(T) <= 8);
    if constexpr (!kNoPadding) {
      dst.emplace<T>(t);
      return;
    } else if constexpr (sizeof(T) == 1) {
      lo[0] = std::bit_cast<std::uint8_t>(t);
    } else if constexpr (sizeof(T) == 2) {
      lo[0] = std::bit_cast<std::uint16_t>(t);
    } else if constexpr (sizeof(T) == 4) {
      lo[0] = std::bit_cast<std::uint32_t>(t);
    } else if constexpr (sizeof(T) == 8) {
      lo[0] = std::bit_cast<std::uint64_t>(t);
    } else if constexpr (sizeof(T) == 16) {
      lo = std::bit_cast<Half>(t);
    } else if constexpr (sizeof(T) == 32) {
      struct Halves {
        Half lo, hi;
      };
      const Halves h = std::bit_cast<Halves>(t);
      lo = h.lo;
      hi = h.hi;
    } else {
      dst.emplace<T>(t);  // an odd size: as usual
      return;
    }
    __builtin_memcpy(dst.buf_, &lo, sizeof lo);
    // The rest is never read as T: left as it is when T fits in the first half.
    if constexpr (sizeof(T) > sizeof(Half)) __builtin_memcpy(dst.buf_ + sizeof lo, &hi, sizeof hi);
    dst.ops_ = &value::kOps<T>;
  }
};

}  // namespace detail
}  // namespace grove
