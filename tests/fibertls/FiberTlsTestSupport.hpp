// Shared by the test translation units (tls_proto_test.cpp is built at -O0 and -O2,
// tls_proto_o2.cpp always at -O2 so its TLS-address caching is guaranteed).
#pragma once

extern __thread int g_tv;  // .tdata, initial value 7

// Leaves the running fiber; it resumes later on the *other* worker (forced migration).
void test_yield(void* task);

struct CachedTlsResult {
    int errno_after;        // read through the address computed before the yield
    int tv_after;           // read through &g_tv taken before the yield
    const void* errno_addr_before;
    const void* errno_addr_after;  // recomputed after the yield, bypassing CSE
    int tid_before, tid_after;     // kernel tids: proves the yield migrated
};

// -O2: __errno_location() is __attribute__((const)), so GCC calls it once and keeps the
// address across test_yield(); likewise &g_tv.
CachedTlsResult o2_cached_tls_roundtrip(void* task, int id);
