#pragma once
// Stack overflow reporting: a guard-page hit (SIGSEGV, handled on an alternate signal stack) or
// a clobbered slab canary prints "grove: stack overflow in fiber <name>" and aborts.
namespace grove::detail {

class FiberControl;

void install_guard_handler();   // once per process; chains to any previous SIGSEGV handler
void install_alt_signal_stack();  // once per thread that runs fibers
[[noreturn]] void report_stack_overflow(const FiberControl* f);

}  // namespace grove::detail
