#include "context/GuardHandler.hpp"

#include <signal.h>
#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "fiber/FiberControl.hpp"
#include "sys/Sys.hpp"

namespace grove::detail {
namespace {

struct sigaction g_previous;

void write_overflow_message(const FiberControl* f) {
  static const char prefix[] = "grove: stack overflow in fiber ";
  sys::write(2, prefix, sizeof(prefix) - 1);
  const char* name = f && !f->name.empty() ? f->name.c_str() : "?";
  sys::write(2, name, std::strlen(name));
  sys::write(2, "\n", 1);
}

void on_segv(int sig, siginfo_t* info, void* uctx) {
  // current_fiber() only reads thread-locals set long before; safe enough in a fatal handler.
  const FiberControl* f = current_fiber();
  if (f && f->stack && in_guard_page(f->stack, info->si_addr)) {
    write_overflow_message(f);
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  // Not ours: hand over to whoever was installed before, or die the default way.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, uctx);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    return g_previous.sa_handler(sig);
  }
  signal(SIGSEGV, SIG_DFL);  // returning re-executes the access and dumps core normally
}

}  // namespace

void install_guard_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = &on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_previous);
}

void install_alt_signal_stack() {
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // ASan may have one
  const std::size_t size = 64 * 1024;
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = size;
  sigaltstack(&ss, nullptr);
}

void report_stack_overflow(const FiberControl* f) {
  write_overflow_message(f);
  abort();
}

}  // namespace grove::detail
