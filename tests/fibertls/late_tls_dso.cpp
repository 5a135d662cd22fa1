// dlopen'd by the test after fibers exist: -fPIC, global-dynamic TLS through __tls_get_addr,
// so each fiber's DTV must catch up with the new module generation.
#include <string>

__thread int dso_tv = 41;
thread_local std::string dso_str = "dso-initial";

extern "C" int dso_roundtrip(void (*yield)(void*), void* task, int id, bool expect_fresh) {
    int* p = &dso_tv;  // one __tls_get_addr, address kept across the yield at -O2
    if (expect_fresh && (*p != 41 || dso_str != "dso-initial")) return 1;
    *p = id;
    dso_str = "fiber-" + std::to_string(id);
    yield(task);
    if (*p != id || &dso_tv != p) return 2;
    if (dso_str != "fiber-" + std::to_string(id)) return 3;
    return 0;
}
