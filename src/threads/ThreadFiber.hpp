#pragma once
// POSIX threads run as fibers (threads-as-fibers mode): each thread-fiber has its own TLS
// (FiberTls), so __thread variables, errno and pthread keys stay per thread across migration.
// A thread-fiber's pthread_t is its TCB address, which is also what glibc's pthread_self()
// returns on it. Functions return 0 or an errno value, as the pthread calls they implement.
#include <cstddef>
#include <cstdint>

#include "fiber/FiberControl.hpp"

namespace grove::detail {

// Thrown by thread_fiber_exit(); caught at the bottom of the thread-fiber.
struct ThreadExit {
  void* value;
};

// The stack a thread-fiber gets: `requested` clamped and rounded as the scheduler needs; 0 (no
// attribute) means glibc's default thread stack size, as pthread_attr_getstacksize reports it for a
// default attribute (RLIMIT_STACK, usually 8 MiB). Mapped lazily: the size is a reservation.
std::size_t thread_fiber_stack_size(std::size_t requested);

// EAGAIN when no TLS could be made (FiberTls unsupported here) or memory ran out.
int thread_fiber_create(std::uintptr_t* id, void* (*start)(void*), void* arg, std::size_t stack_size, bool detached);
// ESRCH: not a live thread-fiber; EINVAL: detached or already being joined; EDEADLK: itself.
int thread_fiber_join(std::uintptr_t id, void** result);
int thread_fiber_detach(std::uintptr_t id);
bool is_thread_fiber(std::uintptr_t id);
// Thread-fibers created and not yet finished.
std::size_t running_thread_fibers();
// The thread-fiber running now, or nullptr (a plain fiber or OS thread).
FiberControl* current_thread_fiber() noexcept;
// pthread_exit: unwinds the thread-fiber's stack (running C++ destructors) to its start.
[[noreturn]] void thread_fiber_exit(void* value);

}  // namespace grove::detail
