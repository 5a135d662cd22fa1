// Thread-fibers (threads-as-fibers mode, called directly): own TLS per thread across migration,
// join/detach/exit semantics with POSIX error codes.
#include <pthread.h>
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "grove/grove.hpp"
#include "context/Stack.hpp"
#include "threads/ThreadFiber.hpp"

using namespace std::chrono_literals;
namespace d = grove::detail;

namespace {

__thread int t_counter = 5;           // .tdata
__thread char t_name[32];             // .tbss
thread_local std::string t_string = "initial";
pthread_key_t g_key;
std::atomic<int> g_migrations{0};
std::atomic<int> g_failures{0};

struct Args {
  int id;
  int rounds;
};

void* tls_worker(void* p) {
  auto* a = static_cast<Args*>(p);
  if (t_counter != 5 || t_name[0] != 0 || t_string != "initial" || pthread_getspecific(g_key) != nullptr) ++g_failures;
  t_counter = a->id * 1000;
  snprintf(t_name, sizeof t_name, "thread %d", a->id);
  t_string = "s" + std::to_string(a->id);
  pthread_setspecific(g_key, a);
  int* cached_errno = &errno;  // kept across the suspensions: must stay this thread's errno
  int last_worker = grove::current_worker_index();
  for (int i = 0; i < a->rounds; ++i) {
    *cached_errno = a->id + i;
    if (i % 3 == 0) {
      grove::sleep(100us);
    } else {
      grove::yield();
    }
    if (grove::current_worker_index() != last_worker) {
      ++g_migrations;
      last_worker = grove::current_worker_index();
    }
    if (*cached_errno != a->id + i || errno != a->id + i || t_counter != a->id * 1000 + i ||
        t_name != "thread " + std::to_string(a->id) || t_string != "s" + std::to_string(a->id) ||
        pthread_getspecific(g_key) != a) {
      ++g_failures;
    }
    ++t_counter;
  }
  return reinterpret_cast<void*>(static_cast<intptr_t>(a->id + 7));
}

TEST(ThreadFiber, TlsStaysPerThreadAcrossMigration) {
  ASSERT_TRUE(d::FiberTls::supported()) << d::FiberTls::unsupported_reason();
  static const bool made = [] { return pthread_key_create(&g_key, nullptr) == 0; }();
  ASSERT_TRUE(made);
  t_counter = -1;  // the main fiber's (worker 0's) own copy must not be touched
  errno = 0;
  const int n = 16;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::vector<Args> args(n);
    std::vector<std::uintptr_t> ids(n);
    for (int i = 0; i < n; ++i) {
      args[i] = Args{i + 1, 60};
      ASSERT_EQ(d::thread_fiber_create(&ids[i], tls_worker, &args[i], 0, false), 0);
    }
    for (int i = 0; i < n; ++i) {
      void* result = nullptr;
      ASSERT_EQ(d::thread_fiber_join(ids[i], &result), 0);
      EXPECT_EQ(reinterpret_cast<intptr_t>(result), i + 8);
    }
    if (grove::worker_count() == 1 || g_migrations > 0) break;
  }
  EXPECT_EQ(g_failures.load(), 0);
  EXPECT_EQ(t_counter, -1);
  EXPECT_EQ(t_string, "initial");
  if (grove::worker_count() > 1) {
    EXPECT_GT(g_migrations.load(), 0);
  }
}

void* self_id(void*) { return reinterpret_cast<void*>(pthread_self()); }

TEST(ThreadFiber, PthreadSelfIsTheIdCreateReturned) {
  std::uintptr_t id = 0;
  ASSERT_EQ(d::thread_fiber_create(&id, self_id, nullptr, 0, false), 0);
  EXPECT_TRUE(d::is_thread_fiber(id));
  void* r = nullptr;
  ASSERT_EQ(d::thread_fiber_join(id, &r), 0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r), id);
  EXPECT_FALSE(d::is_thread_fiber(id));
  EXPECT_EQ(d::thread_fiber_join(id, nullptr), ESRCH);
}

std::atomic<int> g_dtor_runs{0};
struct Guard {
  ~Guard() { ++g_dtor_runs; }
};
thread_local int t_exit_marker = 0;
void key_dtor(void* v) { g_dtor_runs += *static_cast<int*>(v); }
pthread_key_t g_dtor_key;

void* exits_midway(void*) {
  Guard g;  // destroyed by the unwinding pthread_exit
  static int ten = 10;
  pthread_setspecific(g_dtor_key, &ten);  // destructor runs at thread exit
  t_exit_marker = 1;
  d::thread_fiber_exit(reinterpret_cast<void*>(42));
}

TEST(ThreadFiber, ExitUnwindsAndRunsKeyDestructors) {
  ASSERT_EQ(pthread_key_create(&g_dtor_key, key_dtor), 0);
  g_dtor_runs = 0;
  std::uintptr_t id = 0;
  ASSERT_EQ(d::thread_fiber_create(&id, exits_midway, nullptr, 0, false), 0);
  void* r = nullptr;
  ASSERT_EQ(d::thread_fiber_join(id, &r), 0);
  EXPECT_EQ(reinterpret_cast<intptr_t>(r), 42);
  EXPECT_EQ(g_dtor_runs.load(), 11);
  EXPECT_EQ(t_exit_marker, 0);
  pthread_key_delete(g_dtor_key);
}

std::atomic<int> g_detached_done{0};
void* detached_body(void*) {
  grove::sleep(1ms);
  ++g_detached_done;
  return nullptr;
}
void* join_self(void*) { return reinterpret_cast<void*>(static_cast<intptr_t>(d::thread_fiber_join(pthread_self(), nullptr))); }

TEST(ThreadFiber, DetachAndJoinErrors) {
  std::uintptr_t id = 0;
  ASSERT_EQ(d::thread_fiber_create(&id, detached_body, nullptr, 0, true), 0);
  EXPECT_EQ(d::thread_fiber_join(id, nullptr), EINVAL);  // detached at creation
  EXPECT_EQ(d::thread_fiber_detach(id), EINVAL);
  std::uintptr_t id2 = 0;
  ASSERT_EQ(d::thread_fiber_create(&id2, detached_body, nullptr, 0, false), 0);
  EXPECT_EQ(d::thread_fiber_detach(id2), 0);
  for (int i = 0; i < 2000 && g_detached_done < 2; ++i) grove::sleep(1ms);
  EXPECT_EQ(g_detached_done.load(), 2);
  std::uintptr_t id3 = 0;
  ASSERT_EQ(d::thread_fiber_create(&id3, join_self, nullptr, 0, false), 0);
  void* r = nullptr;
  ASSERT_EQ(d::thread_fiber_join(id3, &r), 0);
  EXPECT_EQ(reinterpret_cast<intptr_t>(r), EDEADLK);
}

// Resident pages (mincore) in [lo, hi).
std::size_t resident_pages(std::uintptr_t lo, std::uintptr_t hi) {
  const std::size_t page = d::page_size();
  std::vector<unsigned char> vec((hi - lo) / page);
  if (mincore(reinterpret_cast<void*>(lo), hi - lo, vec.data()) != 0) return ~std::size_t{0};
  std::size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

struct DeepStack {
  std::uintptr_t lo = 0, hi = 0;  // the thread-fiber's stack, less its top 64 KiB (live frames)
  std::size_t touched = 0;        // resident pages in [lo, hi) while it ran
};

__attribute__((noinline)) void* touch_deep_stack(void* p) {
  auto* r = static_cast<DeepStack*>(p);
  const d::Stack& stack = d::current_fiber()->stack;
  r->lo = reinterpret_cast<std::uintptr_t>(stack.base);
  r->hi = r->lo + stack.size - 64 * 1024;
  volatile char buffer[512 * 1024];  // half of the 1 MiB stack
  for (std::size_t i = 0; i < sizeof buffer; i += 1024) buffer[i] = 1;
  r->touched = resident_pages(r->lo, r->hi);
  return nullptr;
}

// As glibc's exiting threads, a finished thread-fiber gives back the stack pages it touched, so
// a stack waiting in the pool for reuse costs no RSS.
TEST(ThreadFiber, FinishedThreadGivesBackItsStackPages) {
  DeepStack r;
  std::uintptr_t id = 0;
  ASSERT_EQ(d::thread_fiber_create(&id, touch_deep_stack, &r, 1 << 20, false), 0);
  ASSERT_EQ(d::thread_fiber_join(id, nullptr), 0);
  ASSERT_NE(r.lo, 0u);
  EXPECT_GT(r.touched, 64u) << "the thread-fiber did not touch its stack";
  // Still mapped (pooled for the next fiber), no longer resident.
  EXPECT_EQ(resident_pages(r.lo, r.hi), 0u);
}

TEST(ThreadFiber, StackSizeIsHonouredOrMapped) {
  EXPECT_EQ(d::thread_fiber_stack_size(1 << 20), std::size_t{1} << 20);
  EXPECT_EQ(d::thread_fiber_stack_size(1), d::kMinStackSize);
  // No attribute and a default attribute mean the same stack, as for OS threads.
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  std::size_t default_size = 0;
  ASSERT_EQ(pthread_attr_getstacksize(&attr, &default_size), 0);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(d::thread_fiber_stack_size(0), d::thread_fiber_stack_size(default_size));
  EXPECT_GE(d::thread_fiber_stack_size(0), std::size_t{256} * 1024);
}

}  // namespace
