// Tests for FiberTls: fibers (Boost.Context) with their own TLS, run by a tiny 2-worker
// scheduler that hands every yielded fiber to the *other* worker, so each yield migrates.
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <locale.h>
#include <malloc.h>
#include <pthread.h>
#include <resolv.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "context/FiberTls.hpp"
#include "FiberTlsTestSupport.hpp"

using grove::detail::FiberTls;
namespace ctx = boost::context;

__thread int g_tv = 7;  // .tdata
__thread long g_tbss;   // .tbss

namespace {

std::mutex g_log_mu;
std::vector<int> g_dtor_owners;  // owner ids seen by ~Counted, in order
std::atomic<int> g_ctor_count{0};

struct Counted {
    int owner = -1;
    std::string s = "fresh";
    Counted() { ++g_ctor_count; }
    ~Counted() {
        std::lock_guard<std::mutex> lk(g_log_mu);
        g_dtor_owners.push_back(owner);
    }
};
thread_local Counted g_obj;  // constructor runs on first use in each thread(-fiber)

pthread_key_t g_key_small;  // index < 32: lives in specific_1stblock inside the TCB
pthread_key_t g_key_big;    // index >= 32: second-level array calloc'd per thread
std::map<std::string, std::vector<long>> g_key_dtor_values;

void key_dtor_small(void* v) {
    std::lock_guard<std::mutex> lk(g_log_mu);
    g_key_dtor_values["small"].push_back(reinterpret_cast<long>(v));
}
void key_dtor_big(void* v) {
    std::lock_guard<std::mutex> lk(g_log_mu);
    g_key_dtor_values["big"].push_back(reinterpret_cast<long>(v));
}

void make_keys() {
    static bool done = false;
    if (done) return;
    done = true;
    ASSERT_EQ(pthread_key_create(&g_key_small, key_dtor_small), 0);
    ASSERT_LT(g_key_small, 32u);
    pthread_key_t k = 0;
    while (k < 31) ASSERT_EQ(pthread_key_create(&k, nullptr), 0);  // fillers, kept
    ASSERT_EQ(pthread_key_create(&g_key_big, key_dtor_big), 0);
    ASSERT_GE(g_key_big, 32u);
}

int kernel_tid() { return static_cast<int>(syscall(SYS_gettid)); }

struct Task {
    int id = 0;
    FiberTls* tls = nullptr;
    FiberTls::Stack stack;
    ctx::fiber fib, sink;
    std::function<void(Task&)> body;
    bool done = false;
    std::vector<std::string> errors;
    std::set<int> tids;  // OS threads this fiber ran on
    int migrations = 0;
};

#define FCHECK(t, cond)                                                                   \
    do {                                                                                  \
        if (!(cond)) (t).errors.push_back("line " + std::to_string(__LINE__) + ": " #cond); \
    } while (0)

// Records the stack bounds so the TCB can report them via pthread_getattr_np.
struct RecordingStack {
    ctx::protected_fixedsize_stack inner{256 * 1024};
    FiberTls::Stack* out;
    explicit RecordingStack(FiberTls::Stack* o) : out(o) {}
    ctx::stack_context allocate() {
        ctx::stack_context s = inner.allocate();
        out->lo = static_cast<char*>(s.sp) - s.size;
        out->size = s.size;
        return s;
    }
    void deallocate(ctx::stack_context& s) noexcept { inner.deallocate(s); }
};

std::unique_ptr<Task> make_task(int id, std::function<void(Task&)> body, bool with_tls = true) {
    auto t = std::make_unique<Task>();
    Task* raw = t.get();
    raw->id = id;
    raw->body = std::move(body);
    raw->fib = ctx::fiber(std::allocator_arg, RecordingStack(&raw->stack), [raw](ctx::fiber&& sink) {
        raw->sink = std::move(sink);
        raw->tids.insert(kernel_tid());
        raw->body(*raw);
        if (raw->tls) raw->tls->run_exit_hooks();  // what start_thread does after the routine
        raw->done = true;
        return std::move(raw->sink);
    });
    if (with_tls) {
        raw->tls = FiberTls::create(raw->stack);
        EXPECT_NE(raw->tls, nullptr);
    }
    return t;
}

// The scheduler-side switch.  It must not touch thread_local itself: between activate() and
// the return to `home` the FS base belongs to the fiber (see NOTES.md).
__attribute__((noinline)) void run_slice(Task* t, std::uintptr_t home) {
    if (t->tls) t->tls->activate();
    t->fib = std::move(t->fib).resume();
    if (t->tls) FiberTls::set_thread_pointer(home);
}

class Sched {
public:
    Sched(int workers, bool migrate) : workers_(workers), migrate_(migrate), q_(workers) {}
    void add(Task* t) {
        q_[next_++ % workers_].push_back(t);
        ++live_;
    }
    void run() {
        std::vector<std::thread> th;
        for (int w = 0; w < workers_; ++w) th.emplace_back([this, w] { worker(w); });
        for (auto& x : th) x.join();
    }
    bool home_tls_clobbered() const { return home_clobbered_; }

private:
    Task* pop(int w) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return !q_[w].empty() || live_ == 0; });
        if (q_[w].empty()) return nullptr;
        Task* t = q_[w].front();
        q_[w].pop_front();
        return t;
    }
    void worker(int w) {
        errno = 1000 + w;  // the worker's own TLS must survive all the fiber switching
        g_tv = -100 - w;
        const std::uintptr_t home = FiberTls::current_thread_pointer();
        while (Task* t = pop(w)) {
            run_slice(t, home);
            if (errno != 1000 + w || g_tv != -100 - w || FiberTls::current_thread_pointer() != home)
                home_clobbered_ = true;
            std::lock_guard<std::mutex> lk(mu_);
            if (t->done) {
                if (--live_ == 0) cv_.notify_all();
            } else {
                q_[migrate_ ? (w + 1) % workers_ : w].push_back(t);
                cv_.notify_all();
            }
        }
    }
    int workers_;
    bool migrate_;
    std::vector<std::deque<Task*>> q_;
    std::mutex mu_;
    std::condition_variable cv_;
    int live_ = 0, next_ = 0;
    std::atomic<bool> home_clobbered_{false};
};

void run_tasks(std::vector<std::unique_ptr<Task>>& tasks, int workers = 2, bool migrate = true,
               bool expect_home_intact = true) {
    Sched s(workers, migrate);
    for (auto& t : tasks) s.add(t.get());
    s.run();
    if (expect_home_intact) {
        EXPECT_FALSE(s.home_tls_clobbered()) << "a worker's own TLS changed";
    }
    for (auto& t : tasks) {
        EXPECT_TRUE(t->done);
        for (auto& e : t->errors) ADD_FAILURE() << "fiber " << t->id << ": " << e;
        FiberTls::destroy(t->tls);
        t->tls = nullptr;
    }
}

std::uintptr_t read_fs(std::size_t off) {
    std::uintptr_t v;
    asm volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off));
    return v;
}

__thread int g_signal_seen_tv;
void on_usr1(int) { g_signal_seen_tv = g_tv; }  // a handler runs on the interrupted TLS

}  // namespace

void test_yield(void* task) {
    Task* t = static_cast<Task*>(task);
    const int before = kernel_tid();
    t->sink = std::move(t->sink).resume();
    const int after = kernel_tid();
    t->tids.insert(after);
    if (after != before) ++t->migrations;
}

TEST(FiberTls, ProbeFindsGlibcLayout) {
    ASSERT_TRUE(FiberTls::supported()) << FiberTls::unsupported_reason();
    const auto& L = grove::detail::g_tls_layout;
    std::printf("glibc %s: static TLS %zu B align %zu, struct pthread %zu B, tid@%#zx "
                "robust_head@%#zx specific@%#zx stackblock@%#zx res@%#zx rseq@%#lx "
                "__resp@tp%+ld; fs switch: %s; block %zu B\n",
                gnu_get_libc_version(), L.static_size, L.static_align, L.tcb_size, L.off_tid,
                L.off_robust_head, L.off_specific, L.off_stackblock, L.off_res, L.off_rseq,
                L.off_resp_tls, FiberTls::fast_fs_switch() ? "wrfsbase" : "arch_prctl",
                FiberTls::block_bytes());
    if (std::string(gnu_get_libc_version()) == "2.36") {  // values read from 2.36 descr.h
        EXPECT_EQ(L.tcb_size, 2368u);
        EXPECT_EQ(L.off_list, 0x2c0u);
        EXPECT_EQ(L.off_tid, 0x2d0u);
        EXPECT_EQ(L.off_robust_head, 0x2e0u);
        EXPECT_EQ(L.off_specific_1st, 0x310u);
        EXPECT_EQ(L.off_specific, 0x510u);
        EXPECT_EQ(L.off_user_stack, 0x612u);
        EXPECT_EQ(L.off_rseq, 0x920);
        EXPECT_TRUE(L.has_resp);
    }
}

TEST(FiberTls, FreshFiberLooksLikeANewThread) {
    make_keys();
    g_tv = 99;
    g_tbss = 98;
    errno = 5;
    g_obj.s = "main";
    pthread_setspecific(g_key_small, reinterpret_cast<void*>(0x5a));
    pthread_setspecific(g_key_big, reinterpret_cast<void*>(0x5b));
    const std::uintptr_t main_guard = read_fs(0x28), main_ptr_guard = read_fs(0x30);
    const int ctors_before = g_ctor_count;
    signal(SIGUSR1, on_usr1);
    struct __res_state* main_res = __res_state();
    const int last_cpu = int(sysconf(_SC_NPROCESSORS_ONLN)) - 1;

    std::vector<std::unique_ptr<Task>> tasks;
    tasks.push_back(make_task(0, [&](Task& t) {
        FCHECK(t, g_tv == 7);
        FCHECK(t, g_tbss == 0);
        FCHECK(t, errno == 0);
        FCHECK(t, pthread_getspecific(g_key_small) == nullptr);
        FCHECK(t, pthread_getspecific(g_key_big) == nullptr);
        FCHECK(t, g_obj.s == "fresh");  // first use constructs a new object for this fiber
        FCHECK(t, g_ctor_count == ctors_before + 1);
        FCHECK(t, reinterpret_cast<std::uintptr_t>(pthread_self()) == t.tls->thread_pointer());
        FCHECK(t, read_fs(0x28) == main_guard);
        FCHECK(t, read_fs(0x30) == main_ptr_guard);
        FCHECK(t, std::isalpha('a') && std::toupper('q') == 'Q' && !std::isdigit('x'));
        FCHECK(t, uselocale(nullptr) == LC_GLOBAL_LOCALE);
        const int cpu = sched_getcpu();
        FCHECK(t, cpu >= 0 && cpu < CPU_SETSIZE);
        if (last_cpu > 0) {  // the rseq cpu_id glibc reads must not be a stale 0 in our TCB
            cpu_set_t one, old;
            sched_getaffinity(0, sizeof old, &old);
            CPU_ZERO(&one);
            CPU_SET(last_cpu, &one);
            FCHECK(t, sched_setaffinity(0, sizeof one, &one) == 0);  // pins the worker
            FCHECK(t, sched_getcpu() == last_cpu);
            // pthread_*_np(pthread_self()) address the kernel thread through our tid field.
            cpu_set_t seen;
            FCHECK(t, pthread_getaffinity_np(pthread_self(), sizeof seen, &seen) == 0);
            FCHECK(t, CPU_EQUAL(&seen, &one));
            sched_setaffinity(0, sizeof old, &old);
        }
        // Resolver state is per thread: start_thread points __resp at pd->res.
        FCHECK(t, __res_state() != main_res);
        FCHECK(t, reinterpret_cast<std::uintptr_t>(__res_state()) ==
                      t.tls->thread_pointer() + grove::detail::g_tls_layout.off_res);
        // glibc mutex kinds that use THREAD_SELF->tid and the robust list.
        pthread_mutexattr_t ma;
        pthread_mutex_t robust, check, rec;
        pthread_mutexattr_init(&ma);
        pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(&robust, &ma);
        pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_STALLED);
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
        pthread_mutex_init(&check, &ma);
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&rec, &ma);
        pthread_mutexattr_destroy(&ma);
        FCHECK(t, pthread_mutex_lock(&robust) == 0 && pthread_mutex_unlock(&robust) == 0);
        FCHECK(t, pthread_mutex_lock(&check) == 0 && pthread_mutex_lock(&check) == EDEADLK);
        FCHECK(t, pthread_mutex_unlock(&check) == 0);
        FCHECK(t, pthread_mutex_lock(&rec) == 0 && pthread_mutex_lock(&rec) == 0);
        FCHECK(t, pthread_mutex_unlock(&rec) == 0 && pthread_mutex_unlock(&rec) == 0);
        pthread_attr_t a;
        void* lo = nullptr;
        size_t sz = 0;
        FCHECK(t, pthread_getattr_np(pthread_self(), &a) == 0);
        pthread_attr_getstack(&a, &lo, &sz);
        pthread_attr_destroy(&a);
        FCHECK(t, lo == t.stack.lo && sz == t.stack.size);
        g_tv = 1234;  // signal handlers see the fiber's TLS; raise() needs the right tid
        FCHECK(t, raise(SIGUSR1) == 0 && g_signal_seen_tv == 1234);
        g_tv = 4321;
        FCHECK(t, pthread_kill(pthread_self(), SIGUSR1) == 0 && g_signal_seen_tv == 4321);
    }));
    run_tasks(tasks, 1, false);
    EXPECT_EQ(g_tv, 99);
    EXPECT_EQ(g_tbss, 98);
    EXPECT_EQ(errno, 5);
    EXPECT_EQ(g_obj.s, "main");
    EXPECT_EQ(pthread_getspecific(g_key_small), reinterpret_cast<void*>(0x5a));
    EXPECT_EQ(pthread_getspecific(g_key_big), reinterpret_cast<void*>(0x5b));
    signal(SIGUSR1, SIG_DFL);
}

void migration_test(bool force_syscall) {
    make_keys();
    FiberTls::force_syscall_fs_switch(force_syscall);
    constexpr int kFibers = 6, kRounds = 40;
    static long markers[kFibers][2];
    std::vector<std::unique_ptr<Task>> tasks;
    for (int i = 0; i < kFibers; ++i)
        tasks.push_back(make_task(i, [](Task& t) {
            const int id = t.id + 1;
            g_tv = id * 1000;
            g_tbss = id;
            errno = 100 + id;
            g_obj.s = "fiber-" + std::to_string(id);
            pthread_setspecific(g_key_small, &markers[t.id][0]);
            pthread_setspecific(g_key_big, &markers[t.id][1]);
            const void* errno_addr = &errno;
            for (int r = 0; r < kRounds; ++r) {
                test_yield(&t);
                FCHECK(t, g_tv == id * 1000 + r);
                FCHECK(t, g_tbss == id + r);
                FCHECK(t, errno == 100 + id + r);
                FCHECK(t, &errno == errno_addr);
                FCHECK(t, g_obj.s == "fiber-" + std::to_string(id + r));
                FCHECK(t, pthread_getspecific(g_key_small) == &markers[t.id][0]);
                FCHECK(t, pthread_getspecific(g_key_big) == &markers[t.id][1]);
                ++g_tv;
                ++g_tbss;
                ++errno;
                g_obj.s = "fiber-" + std::to_string(id + r + 1);
                // -O2 code holding TLS addresses across a migrating call.
                const int saved_tv = g_tv, saved_errno = errno;
                CachedTlsResult c = o2_cached_tls_roundtrip(&t, id * 7 + r);
                FCHECK(t, c.tid_before != c.tid_after);  // it really migrated
                FCHECK(t, c.errno_after == id * 7 + r);
                FCHECK(t, c.tv_after == id * 7 + r);
                FCHECK(t, c.errno_addr_before == c.errno_addr_after);
                g_tv = saved_tv;
                errno = saved_errno;
            }
        }));
    run_tasks(tasks);
    for (auto& t : tasks) {
        EXPECT_EQ(t->tids.size(), 2u) << "fiber " << t->id << " should have run on both workers";
        EXPECT_EQ(t->migrations, 2 * kRounds) << "every yield hands over to the other worker";
    }
    FiberTls::force_syscall_fs_switch(false);
}

TEST(FiberTls, PerFiberValuesSurviveMigration_wrfsbase) {
    if (!FiberTls::fast_fs_switch()) GTEST_SKIP() << "kernel does not expose FSGSBASE";
    migration_test(false);
}

TEST(FiberTls, PerFiberValuesSurviveMigration_arch_prctl) { migration_test(true); }

// Negative control: without FiberTls the same -O2 code keeps using the first worker's errno.
TEST(FiberTls, ControlWithoutFiberTlsCachedErrnoGoesStale) {
    std::vector<std::unique_ptr<Task>> tasks;
    std::vector<CachedTlsResult> res(4);
    for (int i = 0; i < 4; ++i)
        tasks.push_back(make_task(
            i, [&res](Task& t) { res[t.id] = o2_cached_tls_roundtrip(&t, 77); }, false));
    run_tasks(tasks, 2, true, /*expect_home_intact=*/false);  // fibers write the workers' errno
    for (auto& c : res) {
        EXPECT_NE(c.tid_before, c.tid_after);
        EXPECT_NE(c.errno_addr_before, c.errno_addr_after) << "errno address should have moved";
    }
}

TEST(FiberTls, LibcAndCxxRuntimeInsideMigratingFibers) {
    constexpr int kFibers = 4;
    std::vector<void*> from_main;
    for (int i = 0; i < kFibers; ++i) from_main.push_back(std::malloc(1000 + i));
    locale_t own = newlocale(LC_ALL_MASK, "C", nullptr);
    ASSERT_NE(own, nullptr);
    std::vector<std::unique_ptr<Task>> tasks;
    for (int i = 0; i < kFibers; ++i)
        tasks.push_back(make_task(i, [&, i](Task& t) {
            // malloc/free: this fiber's tcache and arena, frees across workers and fibers.
            std::vector<void*> blocks;
            for (int k = 0; k < 200; ++k) blocks.push_back(std::malloc(16 + (k * 37) % 5000));
            test_yield(&t);
            for (size_t k = 0; k < blocks.size(); k += 2) std::free(blocks[k]);
            std::free(from_main[i]);
            test_yield(&t);
            for (size_t k = 1; k < blocks.size(); k += 2) std::free(blocks[k]);

            // stdio and strings
            char buf[128];
            std::snprintf(buf, sizeof buf, "%d|%s|%.3f|%lx", i, "str", 2.5, 0xbeefUL);
            FCHECK(t, std::string(buf) == std::to_string(i) + "|str|2.500|beef");
            std::printf("  [fiber %d on tid %d] printf works\n", i, kernel_tid());
            std::string big(10000, 'x');
            big += std::to_string(i);
            test_yield(&t);
            FCHECK(t, big.size() == 10001 && big.back() == char('0' + i));
            std::ostringstream os;
            os << "v=" << 1.5 << ' ' << i;
            FCHECK(t, os.str() == "v=1.5 " + std::to_string(i));
            FCHECK(t, std::string(strerror(EINVAL)) == "Invalid argument");

            // Exceptions: __cxa_eh_globals is thread_local, so an exception being handled
            // must survive a migration while other fibers throw on the same workers.
            try {
                throw std::runtime_error("boom-" + std::to_string(i));
            } catch (const std::runtime_error& e) {
                test_yield(&t);
                FCHECK(t, std::string(e.what()) == "boom-" + std::to_string(i));
                FCHECK(t, std::uncaught_exceptions() == 0);
                std::exception_ptr cur = std::current_exception();
                test_yield(&t);
                try {
                    throw;  // rethrow the exception this fiber is handling
                } catch (const std::runtime_error& e2) {
                    FCHECK(t, &e2 == &e);
                    FCHECK(t, std::current_exception() == cur);
                }
            }
            bool caught = false;
            try {
                test_yield(&t);
                throw i;
            } catch (int v) {
                caught = v == i;
            }
            FCHECK(t, caught);

            // setjmp/longjmp across a migration (pointer guard mangling).
            jmp_buf jb;
            volatile int stage = 0;
            if (setjmp(jb) == 0) {
                stage = 1;
                test_yield(&t);
                longjmp(jb, 42);
            } else {
                FCHECK(t, stage == 1);
            }
            sigjmp_buf sjb;
            volatile int sstage = 0;
            if (sigsetjmp(sjb, 1) == 0) {
                sstage = 1;
                test_yield(&t);
                siglongjmp(sjb, 1);
            }
            FCHECK(t, sstage == 1);

            // Per-thread locale: only fiber 0 switches; the others must not see it.
            if (i == 0) uselocale(own);
            test_yield(&t);
            FCHECK(t, uselocale(nullptr) == (i == 0 ? own : LC_GLOBAL_LOCALE));
            if (i == 0) uselocale(LC_GLOBAL_LOCALE);
        }));
    run_tasks(tasks);
    freelocale(own);
}

TEST(FiberTls, ExitHooksRunDestructorsWithEachFibersValues) {
    make_keys();
    {
        std::lock_guard<std::mutex> lk(g_log_mu);
        g_dtor_owners.clear();
        g_key_dtor_values.clear();
    }
    std::vector<std::unique_ptr<Task>> tasks;
    for (int i = 0; i < 3; ++i)
        tasks.push_back(make_task(i, [](Task& t) {
            g_obj.owner = 10 + t.id;
            pthread_setspecific(g_key_small, reinterpret_cast<void*>(long(20 + t.id)));
            test_yield(&t);
            pthread_setspecific(g_key_big, reinterpret_cast<void*>(long(30 + t.id)));
            test_yield(&t);
        }));
    run_tasks(tasks);
    std::lock_guard<std::mutex> lk(g_log_mu);
    std::multiset<int> owners(g_dtor_owners.begin(), g_dtor_owners.end());
    EXPECT_EQ(owners, (std::multiset<int>{10, 11, 12}));
    std::multiset<long> small(g_key_dtor_values["small"].begin(), g_key_dtor_values["small"].end());
    std::multiset<long> big(g_key_dtor_values["big"].begin(), g_key_dtor_values["big"].end());
    EXPECT_EQ(small, (std::multiset<long>{20, 21, 22}));
    EXPECT_EQ(big, (std::multiset<long>{30, 31, 32}));
}

std::string dso_path() {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    std::string dir(exe);
    return dir.substr(0, dir.rfind('/')) + "/libgrove_late_tls_dso.so";
}

TEST(FiberTls, DlopenAfterFibersExistUsesDynamicTlsPerFiber) {
    using RoundTrip = int (*)(void (*)(void*), void*, int, bool);
    const size_t in_use_before = mallinfo2().uordblks;
    std::vector<std::unique_ptr<Task>> tasks;
    RoundTrip fn = nullptr;
    for (int i = 0; i < 4; ++i)
        tasks.push_back(make_task(i, [&fn](Task& t) {
            for (int r = 0; r < 5; ++r) {
                int rc = fn(test_yield, &t, 500 + t.id * 10 + r, r == 0);
                FCHECK(t, rc == 0);
            }
        }));
    // Loaded after the fibers' DTVs were built: each fiber's first access must bring its
    // DTV up to the new generation and allocate its own block.
    void* h = dlopen(dso_path().c_str(), RTLD_NOW);
    ASSERT_NE(h, nullptr) << dlerror();
    fn = reinterpret_cast<RoundTrip>(dlsym(h, "dso_roundtrip"));
    ASSERT_NE(fn, nullptr);
    run_tasks(tasks);  // destroys the FiberTls blocks, which frees their dynamic TLS
    tasks.clear();
    const long grown = long(mallinfo2().uordblks) - long(in_use_before);
    std::printf("  heap growth after create/dlopen/run/destroy of 4 fibers: %ld B\n", grown);
    EXPECT_LT(grown, 64 * 1024);
    dlclose(h);
}

TEST(FiberTls, ForkInsideFiber) {
    std::vector<std::unique_ptr<Task>> tasks;
    tasks.push_back(make_task(0, [](Task& t) {
        g_tv = 31337;
        test_yield(&t);
        std::fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%d", g_tv);
            void* p = std::malloc(777);
            std::free(p);
            _exit(std::string(buf) == "31337" && errno == 0 ? 0 : 3);
        }
        int st = -1;
        FCHECK(t, pid > 0 && waitpid(pid, &st, 0) == pid);
        FCHECK(t, WIFEXITED(st) && WEXITSTATUS(st) == 0);
        FCHECK(t, g_tv == 31337);
    }));
    run_tasks(tasks);
}

// The canary is read at function entry and checked at exit; a frame that spans an FS switch
// compares two different TCBs' guards, which are equal only because create() copies them.
__attribute__((noinline, optimize("stack-protector-all"))) void switch_in_protected_frame(
    std::uintptr_t to) {
    volatile char buf[64];
    buf[0] = 1;
    FiberTls::set_thread_pointer(to);
    buf[63] = buf[0];
}

TEST(FiberTls, StackProtectorFrameSpanningFsSwitch) {
    FiberTls* f = FiberTls::create();
    ASSERT_NE(f, nullptr);
    const std::uintptr_t home = FiberTls::current_thread_pointer();
    switch_in_protected_frame(f->thread_pointer());
    EXPECT_EQ(FiberTls::current_thread_pointer(), f->thread_pointer());
    switch_in_protected_frame(home);
    EXPECT_EQ(FiberTls::current_thread_pointer(), home);
    FiberTls::destroy(f);
}

TEST(FiberTls, CreateDestroyDoesNotLeak) {
    for (int i = 0; i < 100; ++i) FiberTls::destroy(FiberTls::create());  // warm up
    const size_t before = mallinfo2().uordblks;
    const auto t0 = std::chrono::steady_clock::now();
    constexpr int kN = 20000;
    for (int i = 0; i < kN; ++i) FiberTls::destroy(FiberTls::create());
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    const long grown = long(mallinfo2().uordblks) - long(before);
    std::printf("  create+destroy: %.0f ns each; heap growth after %d: %ld B\n", ns / kN, kN, grown);
    EXPECT_LT(grown, 16 * 1024);
}

// Known limit, measured: libc's per-thread state that only __libc_thread_freeres releases
// (malloc tcache above all) is not released by destroy().
TEST(FiberTls, PerFiberLibcStateThatIsNotFreed) {
    auto cycle = [](int n) {
        std::vector<std::unique_ptr<Task>> tasks;
        for (int i = 0; i < n; ++i)
            tasks.push_back(make_task(i, [](Task&) {
                void* p[8];
                for (auto& x : p) x = std::malloc(64);
                for (auto& x : p) std::free(x);  // lands in this fiber's tcache
            }));
        run_tasks(tasks, 1, false);
    };
    cycle(50);
    const size_t before = mallinfo2().uordblks;
    constexpr int kN = 1000;
    cycle(kN);
    const long per = (long(mallinfo2().uordblks) - long(before)) / kN;
    std::printf("  heap kept per finished fiber that used malloc: %ld B (tcache)\n", per);
    EXPECT_LT(per, 2048);
}

// Known limit, measured: glibc's setxid broadcast (setuid & co.) signals every worker and
// waits until the handler clears a flag in the worker's *own* TCB; while the worker runs a
// fiber the handler sees the fiber's TCB, so the caller keeps re-signalling until the fiber
// yields.  Run in a child process with an alarm so a hang cannot wedge the suite.
TEST(FiberTls, SetxidWaitsUntilFiberLeavesItsTls) {
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        std::atomic<int> phase{0};
        std::thread worker([&] {
            FiberTls* f = FiberTls::create();
            const std::uintptr_t home = FiberTls::current_thread_pointer();
            f->activate();
            phase = 1;
            const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
            while (std::chrono::steady_clock::now() < end) {
            }  // a fiber that does not yield for 1.5 s
            FiberTls::set_thread_pointer(home);
            FiberTls::destroy(f);
        });
        while (phase == 0) {
        }
        const auto t0 = std::chrono::steady_clock::now();
        int rc = setresuid(-1, -1, -1);  // a no-op, but still broadcast to all threads
        const double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        worker.join();
        std::printf("  setresuid() while a worker ran fiber TLS took %.0f ms (rc=%d)\n", ms, rc);
        std::fflush(stdout);
        _exit(rc == 0 ? 0 : 1);
    }
    int st = -1;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
}
