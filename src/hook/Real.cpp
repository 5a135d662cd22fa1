#include "hook/Real.hpp"

#include <dlfcn.h>
#include <gnu/lib-names.h>

#include <atomic>
#include <cstdarg>

#include "sys/Sys.hpp"

namespace grove::hook::real {
namespace {

// Stand-ins used until the constructor below has run. GROVE_SYSCALL has libc's contract
// (-1 and errno); GROVE_RESOLVE_FIRST resolves everything, then calls the real function.
#define GROVE_SYSCALL(...) return static_cast<R>(::syscall(__VA_ARGS__))
#define GROVE_RESOLVE_FIRST \
  resolve_real_functions(); \
  return again()
#define GROVE_REAL_STANDIN(ret, name, params, args, standin) \
  ret standin_##name params {                                \
    using R [[maybe_unused]] = ret;                          \
    [[maybe_unused]] auto again = [&] { return name args; }; \
    standin;                                                 \
  }
GROVE_REAL_FUNCTIONS(GROVE_REAL_STANDIN)
#undef GROVE_REAL_STANDIN
#undef GROVE_SYSCALL
#undef GROVE_RESOLVE_FIRST

int standin_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return static_cast<int>(::syscall(SYS_fcntl, fd, cmd, arg));
}
int standin_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return static_cast<int>(::syscall(SYS_ioctl, fd, request, arg));
}

[[noreturn]] void die_unresolved(const char* name) {
  static const char prefix[] = "grove: cannot find the libc function ";
  sys::write(2, prefix, sizeof prefix - 1);
  std::size_t n = 0;
  while (name[n]) ++n;
  sys::write(2, name, n);
  sys::write(2, "\n", 1);
  _exit(127);
}

}  // namespace

#define GROVE_REAL_DEFINE(ret, name, params, args, standin) ret(*name) params = &standin_##name;
GROVE_REAL_FUNCTIONS(GROVE_REAL_DEFINE)
#undef GROVE_REAL_DEFINE
int (*fcntl)(int, int, ...) = &standin_fcntl;
int (*ioctl)(int, unsigned long, ...) = &standin_ioctl;

void* resolve(const char* name, const char* version) noexcept {
  void* p = version ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
  if (p) return p;
  // Under LD_PRELOAD libgrove comes after libc in the search order, so "next" finds nothing:
  // ask libc itself.
  static void* libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
  if (!libc) return nullptr;
  return version ? dlvsym(libc, name, version) : dlsym(libc, name);
}

void resolve_real_functions() noexcept {
  static std::atomic<bool> done{false};
  if (done.load(std::memory_order_acquire)) return;
  // Resolve into locals first, then publish: a concurrent caller keeps using the stand-ins.
#define GROVE_REAL_RESOLVE(ret, name, params, args, standin)                  \
  if (void* p = resolve(#name)) {                                             \
    name = reinterpret_cast<ret(*) params>(p);                                \
  } else {                                                                    \
    die_unresolved(#name);                                                    \
  }
  GROVE_REAL_FUNCTIONS(GROVE_REAL_RESOLVE)
#undef GROVE_REAL_RESOLVE
  if (void* p = resolve("fcntl")) fcntl = reinterpret_cast<int (*)(int, int, ...)>(p);
  if (void* p = resolve("ioctl")) ioctl = reinterpret_cast<int (*)(int, unsigned long, ...)>(p);
  done.store(true, std::memory_order_release);
}

namespace {
// Before any other constructor of libgrove (priority 101 is the first one user code may use).
__attribute__((constructor(101))) void resolve_at_load() { resolve_real_functions(); }
}  // namespace

}  // namespace grove::hook::real
