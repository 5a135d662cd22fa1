// See FiberTls.hpp.  Facts used here were checked against glibc 2.36 sources
// (nptl/descr.h, nptl/allocatestack.c, nptl/pthread_create.c, elf/dl-tls.c,
// sysdeps/x86_64/nptl/tls.h) and are re-verified at run time by probe().
#include "context/FiberTls.hpp"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "sys/OsThread.hpp"

namespace grove::detail {

GlibcTlsLayout g_tls_layout;
bool g_fs_use_wrfsbase = false;

namespace {

// tcbhead_t (sysdeps/x86_64/nptl/tls.h).  0x28/0x30 are also GCC's ABI for the canary and
// setjmp's pointer mangling; the rest is stable since glibc 2.26 (feature_1 since 2.28).
constexpr std::size_t kTcb = 0x00, kDtv = 0x08, kSelf = 0x10, kMultipleThreads = 0x18,
                      kSysinfo = 0x20, kStackGuard = 0x28, kPointerGuard = 0x30,
                      kFeature1 = 0x48;
constexpr std::size_t kHeaderBytes = 0x2c0;  // sizeof the tcbhead_t union; `list` follows
constexpr unsigned long kHwcap2Fsgsbase = 1ul << 1;
constexpr int kKeys2ndLevel = 32;            // PTHREAD_KEY_2NDLEVEL_SIZE
constexpr std::size_t kKeyDataSize = 16;     // struct pthread_key_data {uintptr_t seq; void*}

using AllocateTls = void* (*)(void*);
using DeallocateTls = void (*)(void*, bool);
using GetStaticInfo = void (*)(std::size_t*, std::size_t*);
using VoidFn = void (*)();
struct KeyStruct {  // struct pthread_key_struct: seq odd = key in use
    std::uintptr_t seq;
    void (*destr)(void*);
};

AllocateTls g_allocate_tls;
DeallocateTls g_deallocate_tls;
VoidFn g_ctype_init;
VoidFn g_call_tls_dtors;
const KeyStruct* g_pthread_keys;

template <class T>
T& at(std::uintptr_t tp, std::size_t off) {
    return *reinterpret_cast<T*>(tp + off);
}

void* priv(const char* name) { return dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE"); }

// thread_db descriptor: {bits, count, offset} (nptl_db/structs.def).
bool db_offset(const char* name, std::size_t& off) {
    auto* d = static_cast<const std::uint32_t*>(priv(name));
    if (!d) return false;
    off = d[2];
    return true;
}

struct ProbeResult {
    std::uintptr_t tp = 0, stack_lo = 0, stack_size = 0, robust_head = 0, resp = 0;
    std::uintptr_t resp_value = 0;
    int tid = 0;
    int ready = 0, release = 0;  // the thread must stay alive while its TCB is inspected
};

// A glibc-made thread with a known user stack shows where stackblock, res, etc. live.
void* probe_thread(void* arg) {
    auto* r = static_cast<ProbeResult*>(arg);
    r->tp = FiberTls::current_thread_pointer();
    r->tid = static_cast<int>(syscall(SYS_gettid));
    void* head = nullptr;
    std::size_t len = 0;
    if (syscall(SYS_get_robust_list, 0, &head, &len) == 0) r->robust_head = (std::uintptr_t)head;
    if (void* resp = priv("__resp")) {  // TLS symbol: dlvsym returns this thread's address
        r->resp = (std::uintptr_t)resp;
        r->resp_value = *static_cast<std::uintptr_t*>(resp);
    }
    __atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&r->release, __ATOMIC_ACQUIRE)) sched_yield();
    return nullptr;
}

bool fail(const char* why) {
    g_tls_layout.why = why;
    return false;
}

bool probe() {
    GlibcTlsLayout& L = g_tls_layout;
    g_allocate_tls = reinterpret_cast<AllocateTls>(priv("_dl_allocate_tls"));
    g_deallocate_tls = reinterpret_cast<DeallocateTls>(priv("_dl_deallocate_tls"));
    auto static_info = reinterpret_cast<GetStaticInfo>(priv("_dl_get_tls_static_info"));
    g_ctype_init = reinterpret_cast<VoidFn>(priv("__ctype_init"));
    g_call_tls_dtors = reinterpret_cast<VoidFn>(priv("__call_tls_dtors"));
    g_pthread_keys = static_cast<const KeyStruct*>(priv("__pthread_keys"));
    auto* sizeof_pthread = static_cast<const std::uint32_t*>(priv("_thread_db_sizeof_pthread"));
    if (!g_allocate_tls || !g_deallocate_tls || !static_info || !g_ctype_init || !sizeof_pthread)
        return fail("glibc private TLS entry points not found");
    static_info(&L.static_size, &L.static_align);
    L.tcb_size = *sizeof_pthread;
    if (L.tcb_size <= kHeaderBytes || L.static_size <= L.tcb_size || L.static_align < 64 ||
        (L.static_align & (L.static_align - 1)))
        return fail("implausible static TLS size/alignment");

    std::size_t report_events = 0;
    if (!db_offset("_thread_db_pthread_list", L.off_list) ||
        !db_offset("_thread_db_pthread_tid", L.off_tid) ||
        !db_offset("_thread_db_pthread_specific", L.off_specific) ||
        !db_offset("_thread_db_pthread_report_events", report_events))
        return fail("thread_db descriptors missing");
    // descr.h: specific_1stblock[32] precedes specific[]; bool specific_used, report_events,
    // user_stack are consecutive; robust_prev and robust_head follow tid and pid_ununsed.
    L.off_specific_1st = L.off_specific - kKeys2ndLevel * kKeyDataSize;
    L.off_specific_used = report_events - 1;
    L.off_user_stack = report_events + 1;
    L.off_robust_prev = L.off_tid + 8;
    L.off_robust_head = L.off_tid + 16;
    if (auto* ro = static_cast<const long*>(dlvsym(RTLD_DEFAULT, "__rseq_offset", "GLIBC_2.35")))
        if (*ro > 0 && std::size_t(*ro) + 8 <= L.tcb_size) L.off_rseq = *ro;

    // Cross-check with a real glibc thread whose stack we chose.
    constexpr std::size_t kProbeStack = 256 * 1024;
    void* stack = mmap(nullptr, kProbeStack, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return fail("mmap for probe thread failed");
    ProbeResult r;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stack, kProbeStack);
    pthread_t th;
    bool ran = grove::sys::os_thread_create(&th, &attr, probe_thread, &r) == 0;
    pthread_attr_destroy(&attr);
    if (ran)  // alive until released: on exit the kernel clears tid (CLONE_CHILD_CLEARTID)
        while (!__atomic_load_n(&r.ready, __ATOMIC_ACQUIRE)) sched_yield();
    bool ok = ran;
    std::uintptr_t tp = r.tp;
    if (ok) {
        // Scan for stackblock/stackblock_size = (lo, size), set by allocate_stack.
        std::size_t found = 0, hits = 0;
        for (std::size_t off = kHeaderBytes; off + 16 <= L.tcb_size; off += 8)
            if (at<std::uintptr_t>(tp, off) == (std::uintptr_t)stack &&
                at<std::size_t>(tp, off + 8) == kProbeStack) {
                found = off;
                ++hits;
            }
        L.off_stackblock = found;
        ok = hits == 1 && at<std::uintptr_t>(tp, kSelf) == tp && at<std::uintptr_t>(tp, kTcb) == tp &&
             at<int>(tp, L.off_tid) == r.tid &&
             r.robust_head == tp + L.off_robust_head &&
             at<std::uintptr_t>(tp, L.off_robust_prev) == tp + L.off_robust_head &&
             at<std::uintptr_t>(tp, L.off_specific) == tp + L.off_specific_1st &&
             at<unsigned char>(tp, L.off_user_stack) == 1 &&
             at<std::uintptr_t>(tp, kStackGuard) == at<std::uintptr_t>(FiberTls::current_thread_pointer(), kStackGuard);
        // start_thread sets __resp = &pd->res; that yields both the TLS slot and `res`.
        if (ok && r.resp && r.resp_value > tp && r.resp_value < tp + L.tcb_size) {
            L.off_res = r.resp_value - tp;
            L.off_resp_tls = static_cast<long>(r.resp - tp);
            L.has_resp = L.off_resp_tls < 0 && std::size_t(-L.off_resp_tls) <= L.static_size;
        }
    }
    if (ran) {
        __atomic_store_n(&r.release, 1, __ATOMIC_RELEASE);
        grove::sys::os_thread_join(th, nullptr);
    }
    munmap(stack, kProbeStack);
    if (!ok) return fail("struct pthread layout did not match the probe thread");

    g_fs_use_wrfsbase = (getauxval(AT_HWCAP2) & kHwcap2Fsgsbase) != 0;
    L.why = nullptr;
    return true;
}

}  // namespace

bool FiberTls::supported() noexcept {
#if defined(GROVE_TSAN)
    // ThreadSanitizer keeps each thread's own state in static TLS (libtsan's unexported
    // cur_thread_placeholder): on a thread-fiber's TLS block it would find a zeroed copy and crash.
    (void)&probe;
    static const bool ok = g_tls_layout.ok =
        fail("ThreadSanitizer keeps its per-thread state in the static TLS a thread-fiber replaces");
#else
    static const bool ok = [] { return g_tls_layout.ok = probe(); }();
#endif
    return ok;
}

const char* FiberTls::unsupported_reason() noexcept {
    return supported() ? nullptr : g_tls_layout.why;
}

void FiberTls::force_syscall_fs_switch(bool on) noexcept {
    supported();
    g_fs_use_wrfsbase = !on && (getauxval(AT_HWCAP2) & kHwcap2Fsgsbase) != 0;
}

std::size_t FiberTls::block_bytes() noexcept {
    const GlibcTlsLayout& L = g_tls_layout;
    std::size_t hdr = (sizeof(FiberTls) + 15) & ~std::size_t(15);
    return hdr + L.static_size + L.static_align;
}

FiberTls* FiberTls::create(Stack stack) noexcept {
    if (!supported()) return nullptr;
    const GlibcTlsLayout& L = g_tls_layout;
    // One zeroed allocation: [FiberTls][slack][static TLS blocks + surplus][struct pthread].
    // Zeroing matters: the TCB must start like allocate_stack's fresh mmap, and the surplus
    // of a later dlopen'd initial-exec module then reads as zero rather than garbage.
    const std::size_t total = block_bytes();
    void* mem = std::calloc(1, total);
    if (!mem) return nullptr;
    auto* self = new (mem) FiberTls();
    const std::uintptr_t end = (std::uintptr_t)mem + total;
    const std::uintptr_t tp = (end - L.tcb_size) & ~(L.static_align - 1);
    if (tp - (L.static_size - L.tcb_size) < (std::uintptr_t)mem + sizeof(FiberTls)) {
        std::free(mem);
        return nullptr;
    }
    self->tp_ = tp;

    // DTV + copy of every static TLS init image, .tbss zeroed (like a new thread).
    if (!g_allocate_tls(reinterpret_cast<void*>(tp))) {
        std::free(mem);
        return nullptr;
    }
    const std::uintptr_t cur = current_thread_pointer();
    at<std::uintptr_t>(tp, kTcb) = tp;   // %fs:0, read by TLS address computations
    at<std::uintptr_t>(tp, kSelf) = tp;  // THREAD_SELF, i.e. pthread_self()
    // SINGLE_THREAD_P (2.36) reads this; malloc skips arena locks when it is 0.
    at<int>(tp, kMultipleThreads) = 1;
    at<std::uintptr_t>(tp, kSysinfo) = at<std::uintptr_t>(cur, kSysinfo);
    // Same canary and pointer guard as every thread: frames and jmp_bufs cross TCBs.
    at<std::uintptr_t>(tp, kStackGuard) = at<std::uintptr_t>(cur, kStackGuard);
    at<std::uintptr_t>(tp, kPointerGuard) = at<std::uintptr_t>(cur, kPointerGuard);
    at<unsigned>(tp, kFeature1) = at<unsigned>(cur, kFeature1);  // CET state is per process
    (void)kDtv;  // set by _dl_allocate_tls
    // Self-linked: fork()'s child does list_del(&THREAD_SELF->list) then re-adds it.
    at<std::uintptr_t>(tp, L.off_list) = tp + L.off_list;
    at<std::uintptr_t>(tp, L.off_list + 8) = tp + L.off_list;
    at<int>(tp, L.off_tid) = at<int>(cur, L.off_tid);  // refreshed by every activate()
    // Robust mutex list: empty circular list as allocate_stack makes it.  The kernel only
    // knows the worker's list (set_robust_list), so robust-on-death is not per fiber.
    at<std::uintptr_t>(tp, L.off_robust_prev) = tp + L.off_robust_head;
    at<std::uintptr_t>(tp, L.off_robust_head) = tp + L.off_robust_head;
    at<long>(tp, L.off_robust_head + 8) = at<long>(cur, L.off_robust_head + 8);  // futex_offset
    at<std::uintptr_t>(tp, L.off_specific) = tp + L.off_specific_1st;  // first TSD block
    // Not nptl's memory: nothing may cache or unmap it as a thread stack.
    at<unsigned char>(tp, L.off_user_stack) = 1;
    if (stack.lo) {  // pthread_getattr_np(pthread_self()) reports the fiber's stack
        at<void*>(tp, L.off_stackblock) = stack.lo;
        at<std::size_t>(tp, L.off_stackblock + 8) = stack.size;
    }
    // The kernel updates only the worker's registered rseq area; mark ours "registration
    // failed" so sched_getcpu() and rseq users fall back instead of reading a stale 0.
    if (L.off_rseq > 0) {
        at<std::uint32_t>(tp, L.off_rseq) = 0;
        at<std::int32_t>(tp, L.off_rseq + 4) = -2;  // RSEQ_CPU_ID_REGISTRATION_FAILED
    }
    // start_thread: __resp = &pd->res (per-thread resolver state).
    if (L.has_resp) at<std::uintptr_t>(tp, L.off_resp_tls) = tp + L.off_res;

    // start_thread also runs __ctype_init(), which fills libc's TLS ctype table pointers for
    // the current locale (isalpha() would dereference NULL otherwise).  It must run on the new
    // TLS; nothing between the two switches may use thread_local.
    set_thread_pointer(tp);
    g_ctype_init();
    set_thread_pointer(cur);
    return self;
}

void FiberTls::destroy(FiberTls* t) noexcept {
    if (!t) return;
    const GlibcTlsLayout& L = g_tls_layout;
    const std::uintptr_t tp = t->tp_;
    if (current_thread_pointer() == tp) std::abort();  // destroying the live TLS
    // Level-2 TSD arrays (keys >= 32) are calloc'd by pthread_setspecific.
    for (int i = 1; i < PTHREAD_KEYS_MAX / kKeys2ndLevel; ++i)
        std::free(at<void*>(tp, L.off_specific + i * sizeof(void*)));
    g_deallocate_tls(reinterpret_cast<void*>(tp), false);  // DTV + dynamic TLS blocks
    t->~FiberTls();
    std::free(t);
}

void FiberTls::run_exit_hooks() noexcept {
    const GlibcTlsLayout& L = g_tls_layout;
    if (g_call_tls_dtors) g_call_tls_dtors();  // thread_local destructors, this fiber's list
    if (!g_pthread_keys || !at<unsigned char>(tp_, L.off_specific_used)) return;
    // __nptl_deallocate_tsd is not exported; same semantics via the public get/set calls.
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; ++round) {
        bool again = false;
        for (unsigned k = 0; k < PTHREAD_KEYS_MAX; ++k) {
            const KeyStruct ks = g_pthread_keys[k];
            if ((ks.seq & 1) == 0 || ks.destr == nullptr) continue;
            void* v = pthread_getspecific(k);
            if (!v) continue;
            pthread_setspecific(k, nullptr);
            ks.destr(v);
            again = true;
        }
        if (!again) break;
    }
    at<unsigned char>(tp_, L.off_specific_used) = 0;
}

}  // namespace grove::detail
