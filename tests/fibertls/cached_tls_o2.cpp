// Always compiled with -O2: the function below caches TLS addresses across a migrating call.
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "FiberTlsTestSupport.hpp"

namespace {
// Called through a volatile pointer so the compiler cannot reuse the earlier result.
int* fresh_errno_location() { return __errno_location(); }
int* (*volatile g_fresh_errno)() = fresh_errno_location;
}  // namespace

CachedTlsResult o2_cached_tls_roundtrip(void* task, int id) {
    CachedTlsResult r{};
    r.tid_before = static_cast<int>(syscall(SYS_gettid));
    errno = id;
    int* ptv = &g_tv;
    asm("" : "+r"(ptv));  // forget that ptv is %fs-relative: keep the absolute address
    *ptv = id;
    r.errno_addr_before = &errno;
    test_yield(task);  // the fiber continues on another OS thread
    r.errno_after = errno;  // same (CSE'd) __errno_location() result as above
    r.tv_after = *ptv;
    r.errno_addr_after = g_fresh_errno();
    r.tid_after = static_cast<int>(syscall(SYS_gettid));
    return r;
}
