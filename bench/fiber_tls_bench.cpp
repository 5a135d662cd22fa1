// Cost of switching FS to a fiber's TLS: wrfsbase vs arch_prctl, alone and inside a
// Boost.Context switch.  Best of 5 runs, ns per operation.
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>

#include "context/FiberTls.hpp"

using grove::detail::FiberTls;
namespace ctx = boost::context;

namespace {

double best_ns(long iters, const std::function<void(long)>& body) {
    double best = 1e99;
    for (int rep = 0; rep < 5; ++rep) {
        auto t0 = std::chrono::steady_clock::now();
        body(iters);
        double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        if (ns / iters < best) best = ns / iters;
    }
    return best;
}

// Alternate between the fiber's TLS and home: one iteration = two FS writes.
__attribute__((noinline)) void fs_pingpong(FiberTls* f, std::uintptr_t home, long n) {
    for (long i = 0; i < n; ++i) {
        FiberTls::set_thread_pointer(f->thread_pointer());
        FiberTls::set_thread_pointer(home);
    }
}

__attribute__((noinline)) void activate_pingpong(FiberTls* f, std::uintptr_t home, long n) {
    for (long i = 0; i < n; ++i) {
        f->activate();
        FiberTls::set_thread_pointer(home);
    }
}

// One iteration = resume the fiber and have it yield back: two context switches.
__attribute__((noinline)) void ctx_pingpong(FiberTls* f, std::uintptr_t home, long n) {
    ctx::fiber fib{[](ctx::fiber&& sink) {
        for (;;) sink = std::move(sink).resume();
        return std::move(sink);
    }};
    for (long i = 0; i < n; ++i) {
        if (f) f->activate();
        fib = std::move(fib).resume();
        if (f) FiberTls::set_thread_pointer(home);
    }
}

}  // namespace

int main() {
    if (!FiberTls::supported()) {
        std::printf("unsupported: %s\n", FiberTls::unsupported_reason());
        return 1;
    }
    FiberTls* f = FiberTls::create();
    const std::uintptr_t home = FiberTls::current_thread_pointer();
    const long N = 10'000'000;

    double read_tp = best_ns(N, [](long n) {
        std::uintptr_t acc = 0;
        for (long i = 0; i < n; ++i) acc += FiberTls::current_thread_pointer();
        asm volatile("" : : "r"(acc));
    });
    std::printf("read thread pointer (mov %%fs:0):        %6.2f ns\n", read_tp);
    if (FiberTls::fast_fs_switch()) {
        double w = best_ns(N, [&](long n) { fs_pingpong(f, home, n); }) / 2;
        std::printf("wrfsbase, per FS write:                 %6.2f ns\n", w);
        double a = best_ns(N, [&](long n) { activate_pingpong(f, home, n); }) / 2;
        std::printf("activate()+restore, per FS switch:      %6.2f ns\n", a);
    }
    FiberTls::force_syscall_fs_switch(true);
    double s = best_ns(N / 10, [&](long n) { fs_pingpong(f, home, n); }) / 2;
    std::printf("arch_prctl(ARCH_SET_FS), per FS write:  %6.2f ns\n", s);
    FiberTls::force_syscall_fs_switch(false);

    double c0 = best_ns(N, [&](long n) { ctx_pingpong(nullptr, home, n); }) / 2;
    std::printf("Boost.Context switch, no FS change:     %6.2f ns\n", c0);
    if (FiberTls::fast_fs_switch()) {
        double c1 = best_ns(N, [&](long n) { ctx_pingpong(f, home, n); }) / 2;
        std::printf("Boost.Context switch + FS (wrfsbase):   %6.2f ns\n", c1);
    }
    FiberTls::force_syscall_fs_switch(true);
    double c2 = best_ns(N / 10, [&](long n) { ctx_pingpong(f, home, n); }) / 2;
    std::printf("Boost.Context switch + FS (arch_prctl): %6.2f ns\n", c2);
    FiberTls::force_syscall_fs_switch(false);

    double cd = best_ns(200'000, [](long n) {
        for (long i = 0; i < n; ++i) FiberTls::destroy(FiberTls::create());
    });
    std::printf("create()+destroy():                     %6.0f ns (%zu B block + DTV)\n", cd,
                FiberTls::block_bytes());
    FiberTls::destroy(f);
    return 0;
}
