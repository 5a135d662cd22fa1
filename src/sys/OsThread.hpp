#pragma once
// OS threads for the runtime itself, never thread-fibers: the real pthread_create/join, past the
// shim. Under ASan/TSan the plain names: the sanitizer's interceptors must see every thread, and
// threads-as-fibers mode is off there anyway (FiberTls does not support sanitizers).
#include <pthread.h>

#include "sys/Real.hpp"

namespace grove::sys {

inline int os_thread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
#if defined(GROVE_ASAN) || defined(GROVE_TSAN)
  return ::pthread_create(thread, attr, start, arg);
#else
  return real::pthread_create(thread, attr, start, arg);
#endif
}

inline int os_thread_join(pthread_t thread, void** result) {
#if defined(GROVE_ASAN) || defined(GROVE_TSAN)
  return ::pthread_join(thread, result);
#else
  return real::pthread_join(thread, result);
#endif
}

}  // namespace grove::sys
