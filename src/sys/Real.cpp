#include "sys/Real.hpp"

#include <dlfcn.h>
#include <gnu/lib-names.h>

#include <link.h>

#include <atomic>
#include <cstdarg>
#include <cstring>
#include <cstdio>
#include <cstdlib>

#include "sys/Sys.hpp"

#if defined(GROVE_TSAN)
extern "C" void __tsan_init();
#endif

namespace grove::real {
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

namespace {
void* lookup(void* handle, const char* name, const char* version) {
  return version ? dlvsym(handle, name, version) : dlsym(handle, name);
}

void* next_definition(const char* name, const char* version) {
  if (void* p = lookup(RTLD_NEXT, name, version)) return p;
  // Under LD_PRELOAD libgrove comes after libc in the search order, so "next" finds nothing:
  // ask libc itself.
  static void* libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
  return libc ? lookup(libc, name, version) : nullptr;
}

#if defined(GROVE_TSAN)
// TSan models threads, locks, fd and resolver synchronisation in its interceptors (its getaddrinfo
// one also hides glibc's internal, to it invisible, locking); a hook that calls libc past them
// hides all that from it (a thread TSan never saw starting crashes on its first instrumented call).
// So the real function is the interceptor whenever that forwards to the very function grove would
// call anyway: false only when the runtime precedes grove's own hooks in the search order (it is
// preloaded ahead of libgrove_preload.so), where it would forward back into the hook.
struct LoadedObjects {
  static constexpr int kMax = 64;
  const char* names[kMax];
  int count = 0;
};

int collect_object(dl_phdr_info* info, std::size_t, void* data) {
  auto* objects = static_cast<LoadedObjects*>(data);
  if (objects->count == LoadedObjects::kMax) return 1;
  objects->names[objects->count++] = info->dlpi_name;
  return 0;
}

bool same_object(const void* symbol, const char* object_name) {
  Dl_info info;
  return dladdr(symbol, &info) != 0 && info.dli_fname && std::strcmp(info.dli_fname, object_name) == 0;
}

void* sanitizer_interceptor(const char* name, const char* version, void* grove_would_call) {
  static Dl_info runtime{};
  static void* runtime_handle = [] {
    void* handle = nullptr;
    if (dladdr(reinterpret_cast<void*>(&__tsan_init), &runtime) && runtime.dli_fname && *runtime.dli_fname) {
      handle = dlopen(runtime.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    }
    return handle;
  }();
  if (!runtime_handle) return nullptr;  // a static runtime: its interceptors are the program's own
  void* interceptor = lookup(runtime_handle, name, version);
  if (!interceptor || !same_object(interceptor, runtime.dli_fname)) return nullptr;
  // The definition the interceptor forwards to: the first one after the runtime, in load order
  // (which is the global search order for everything loaded at start-up).
  LoadedObjects objects;
  dl_iterate_phdr(&collect_object, &objects);
  bool past_runtime = false;
  for (int i = 0; i < objects.count; ++i) {
    const char* object = objects.names[i];
    if (!past_runtime) {
      past_runtime = object && std::strcmp(object, runtime.dli_fname) == 0;
      continue;
    }
    if (!object || !*object) continue;
    void* handle = dlopen(object, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) continue;
    void* definition = lookup(handle, name, version);
    const bool defines = definition && same_object(definition, object);
    dlclose(handle);
    if (defines) return definition == grove_would_call ? interceptor : nullptr;
  }
  return nullptr;
}
#endif

}  // namespace

void* resolve(const char* name, const char* version) noexcept {
  void* p = next_definition(name, version);
#if defined(GROVE_TSAN)
  if (void* interceptor = p ? sanitizer_interceptor(name, version, p) : nullptr) {
    const char* only = getenv("DBG_ONLY");
    if (getenv("DBG_PRINT")) fprintf(stderr, "interceptor %s\n", name);
    if (!only || strstr(name, only)) return interceptor;
  }
#endif
  return p;
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

}  // namespace grove::real
