// Uncontended lock + unlock: the runtime's FutexLock (src/sys/FutexLock.hpp, what replaced
// std::mutex inside libgrove), std::mutex, glibc's pthread_mutex, and grove::threads'
// pthread_mutex (what GROVE_THREADS=fibers programs get), each on one thread of a process that
// has more than one.
#include <benchmark/benchmark.h>
#include <pthread.h>

#include <unistd.h>

#include <mutex>
#include <thread>

#include "sys/FutexLock.hpp"
#include "threads/Sync.hpp"

namespace {

// glibc drops the lock prefix while a process has one thread (__libc_single_threaded): the
// runtime never runs that way, so neither do these numbers.
const bool g_multi_threaded = [] {
  std::thread([] {
    for (;;) pause();
  }).detach();
  return true;
}();

void BM_futex_lock(benchmark::State& state) {
  grove::sys::FutexLock lock;
  for (auto _ : state) {
    lock.lock();
    benchmark::ClobberMemory();
    lock.unlock();
  }
}
BENCHMARK(BM_futex_lock);

void BM_std_mutex(benchmark::State& state) {
  std::mutex lock;
  for (auto _ : state) {
    lock.lock();
    benchmark::ClobberMemory();
    lock.unlock();
  }
}
BENCHMARK(BM_std_mutex);

void BM_glibc_pthread_mutex(benchmark::State& state) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  for (auto _ : state) {
    pthread_mutex_lock(&m);
    benchmark::ClobberMemory();
    pthread_mutex_unlock(&m);
  }
}
BENCHMARK(BM_glibc_pthread_mutex);

void BM_grove_pthread_mutex(benchmark::State& state) {
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  for (auto _ : state) {
    grove::threads::pthread_mutex_lock(&m);
    benchmark::ClobberMemory();
    grove::threads::pthread_mutex_unlock(&m);
  }
}
BENCHMARK(BM_grove_pthread_mutex);

void BM_grove_pthread_mutex_recursive(benchmark::State& state) {
  pthread_mutex_t m = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
  for (auto _ : state) {
    grove::threads::pthread_mutex_lock(&m);
    benchmark::ClobberMemory();
    grove::threads::pthread_mutex_unlock(&m);
  }
}
BENCHMARK(BM_grove_pthread_mutex_recursive);

}  // namespace

BENCHMARK_MAIN();
