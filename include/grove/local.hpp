#pragma once
// grove::local<T>: one T per fiber (gevent.local, folly::fibers::local): each fiber sees its own,
// default-constructed on first access and destroyed when the fiber finishes. Outside fibers
// (plain threads) it is per thread, destroyed when the thread exits. Values follow their fiber
// when it migrates between workers. Greenlets share their host fiber's values.
#include <cstdint>

namespace grove {
namespace detail {

std::uint64_t local_new_key() noexcept;
void* local_get(std::uint64_t key, void* (*create)(), void (*destroy)(void*) noexcept);

}  // namespace detail

template <typename T>
class local {
 public:
  local() : key_(detail::local_new_key()) {}
  local(const local&) = delete;
  local& operator=(const local&) = delete;

  T& get() const { return *static_cast<T*>(detail::local_get(key_, &create, &destroy)); }
  T& operator*() const { return get(); }
  T* operator->() const { return &get(); }

 private:
  static void* create() { return new T(); }
  static void destroy(void* p) noexcept { delete static_cast<T*>(p); }

  std::uint64_t key_;
};

}  // namespace grove
