// Per-thread-fiber TLS for "threads as fibers" mode (glibc x86_64 only).
//
// Each thread-fiber gets its own thread control block (glibc's `struct pthread`) plus static
// TLS block and DTV, initialised like a fresh thread's; running a fiber means pointing the FS
// base at its TCB.  Then `__thread`, `thread_local`, errno, pthread_getspecific and libc's
// own thread-locals stay per fiber, even when -O2 code caches TLS addresses across a call
// that migrates the fiber: the address stays valid because the block moves with the fiber.
//
// Rule for the caller: code that switches FS (the scheduler) must not touch thread_local
// between activate() and the stack switch, nor between the switch back and
// set_thread_pointer(home).  See FiberTls.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace grove::detail {

// Offsets into glibc's struct pthread and entry points, discovered once at start-up (see
// FiberTls.cpp: thread_db descriptors, get_robust_list and a probe thread cross-check them).
struct GlibcTlsLayout {
    bool ok = false;
    const char* why = "not probed";
    std::size_t static_size = 0;   // _dl_get_tls_static_info: TLS blocks + surplus + TCB
    std::size_t static_align = 0;
    std::size_t tcb_size = 0;      // sizeof(struct pthread), from _thread_db_sizeof_pthread
    std::size_t off_list = 0, off_tid = 0, off_robust_prev = 0, off_robust_head = 0;
    std::size_t off_specific_1st = 0, off_specific = 0, off_specific_used = 0;
    std::size_t off_user_stack = 0, off_stackblock = 0, off_res = 0;
    long off_rseq = -1;            // __rseq_offset (GLIBC_2.35), -1 if absent
    long off_resp_tls = 0;         // thread-pointer-relative address of libc's __resp
    bool has_resp = false;
};

extern GlibcTlsLayout g_tls_layout;
extern bool g_fs_use_wrfsbase;     // true when AT_HWCAP2 has HWCAP2_FSGSBASE

class FiberTls {
public:
    struct Stack {                 // optional: reported by pthread_getattr_np in the fiber
        void* lo = nullptr;
        std::size_t size = 0;
    };

    // Probes glibc once (thread-safe); false means the TCB layout could not be verified and
    // threads-as-fibers mode must fall back to OS threads.
    static bool supported() noexcept;
    static const char* unsupported_reason() noexcept;
    static bool fast_fs_switch() noexcept { return g_fs_use_wrfsbase; }
    // Tests/benchmarks only: use arch_prctl even where wrfsbase is available.
    static void force_syscall_fs_switch(bool on) noexcept;

    // New TCB + static TLS, initialised like a new thread's.  nullptr on failure.
    static FiberTls* create(Stack stack) noexcept;
    static FiberTls* create() noexcept { return create(Stack{nullptr, 0}); }
    // Frees TCB, DTV, dynamic TLS blocks and TSD level-2 arrays.  Must not be active anywhere.
    static void destroy(FiberTls* t) noexcept;

    // Make this fiber's TLS current on the calling OS thread (fast path: one wrfsbase).
    void activate() noexcept {
        // Carry the real kernel tid of the OS thread we are on: raise(), pthread_kill(self),
        // sched_*(pthread_self()) and PI futexes use THREAD_SELF->tid.
        const std::uintptr_t cur = current_thread_pointer();
        const std::size_t off = g_tls_layout.off_tid;
        *reinterpret_cast<int*>(tp_ + off) = *reinterpret_cast<const int*>(cur + off);
        set_thread_pointer(tp_);
    }

    std::uintptr_t thread_pointer() const noexcept { return tp_; }

    // Reads header.tcb (%fs:0), the self pointer every glibc TCB and ours holds.
    static std::uintptr_t current_thread_pointer() noexcept {
        std::uintptr_t tp;
        asm volatile("mov %%fs:0, %0" : "=r"(tp));
        return tp;
    }

    // Use with a worker's saved current_thread_pointer() to return to its own TLS.
    static void set_thread_pointer(std::uintptr_t tp) noexcept {
        if (__builtin_expect(g_fs_use_wrfsbase, 1)) {
            asm volatile("wrfsbase %0" : : "r"(tp) : "memory");
        } else {
            // Raw syscall: the libc wrapper could write errno, i.e. touch TLS mid-switch.
            long ret;
            asm volatile("syscall"
                         : "=a"(ret)
                         : "0"(158L /* SYS_arch_prctl */), "D"(0x1002L /* ARCH_SET_FS */), "S"(tp)
                         : "rcx", "r11", "memory");
            (void)ret;
        }
    }

    // What a thread does after its start routine returns: C++ thread_local destructors, then
    // pthread key destructors (up to PTHREAD_DESTRUCTOR_ITERATIONS rounds).  Call on the fiber,
    // with this TLS active, before it finishes.
    void run_exit_hooks() noexcept;

    // Bytes allocated per FiberTls besides the DTV (TCB + static TLS + alignment slack).
    static std::size_t block_bytes() noexcept;

private:
    FiberTls() = default;
    std::uintptr_t tp_ = 0;
};

}  // namespace grove::detail
