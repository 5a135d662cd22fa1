// grove's three stack switches on x86-64. All use Boost.Context's fcontext layout and calling
// convention (contexts come from Boost's make_fcontext, and each jump resumes what another saved).
// All save MXCSR and the x87 control word but reload them only when their control bits differ:
// ldmxcsr/fldcw are slow and almost every fiber runs with the defaults (fesetround stays per fiber).
// MXCSR's sticky exception flags (bits 0-5, caller-saved in the ABI) are not compared: one inexact
// double operation on one side would otherwise make every switch reload it (~10x the switch).
//  - grove_switch_fiber, the scheduler's: stores the context it leaves in `*save`, then clears the
//    left fiber's on-CPU flag (`*leaving`): from that store on another thread may resume it, and
//    nothing after it touches the left stack. So the resumed side has no bookkeeping for the
//    fiber it replaced. It returns with `ret`, not `pop; jmp`: a call paired with a ret keeps the
//    CPU's return-stack predictor in step, and park paths resume at the same call sites, so the
//    switched-to fiber's own returns (park -> wait -> ...) are predicted.
//  - grove_yield_jump, grove::yield's (inlined into the caller, see scheduler.hpp): the same save,
//    ending in `pop; jmp` for the reason below. Its second argument is the yielding FiberControl,
//    whose fctx and on_cpu fields it writes.
//  - grove_greenlet_jump, greenlet::switch_to's (called from the user's frame, see greenlet.hpp):
//    stores the context it leaves in `*save` (third argument), so the resumed side records nothing,
//    and ends in `pop; jmp` like Boost's: the two sides of such a switch resume at different call
//    sites, which the indirect-branch predictor learns while a `ret` would always be mispredicted.
#include "context/Switch.hpp"
#include "grove/greenlet.hpp"
#include "grove/scheduler.hpp"

#if GROVE_OWN_JUMP || GROVE_GREENLET_FAST_JUMP
asm(R"(
    .macro grove_function name
    .text
    .p2align 4
    .globl \name
    .type \name,@function
\name:
    .endm

    .macro grove_save_context          # leaves the saved context's address in %rax
    leaq -0x38(%rsp), %rsp
    stmxcsr (%rsp)
    fnstcw 0x4(%rsp)
    movq %r12, 0x8(%rsp)
    movq %r13, 0x10(%rsp)
    movq %r14, 0x18(%rsp)
    movq %r15, 0x20(%rsp)
    movq %rbx, 0x28(%rsp)
    movq %rbp, 0x30(%rsp)
    movq %rsp, %rax
    .endm

    # Resumes the context %rdi (%rax = the one left) with `ret` or with `pop; jmp`, returning
    # {the left context, %rsi} as jump_fcontext does (a fresh context's entry receives them).
    .macro grove_resume_context ending
    movq %rdi, %rsp
    movl (%rsp), %ecx
    xorl (%rax), %ecx
    testl $0xffc0, %ecx
    jz 1f
    ldmxcsr (%rsp)
1:  movzwl 0x4(%rsp), %ecx
    cmpw 0x4(%rax), %cx
    je 2f
    fldcw 0x4(%rsp)
2:  movq 0x8(%rsp), %r12
    movq 0x10(%rsp), %r13
    movq 0x18(%rsp), %r14
    movq 0x20(%rsp), %r15
    movq 0x28(%rsp), %rbx
    movq 0x30(%rsp), %rbp
    movq %rsi, %rdx
    .ifc \ending,ret
    leaq 0x38(%rsp), %rsp
    movq %rax, %rdi
    ret
    .else
    movq 0x38(%rsp), %r8
    leaq 0x40(%rsp), %rsp
    movq %rax, %rdi
    jmp *%r8
    .endif
    .endm
)");
#endif

#if GROVE_OWN_JUMP
asm(R"(
    grove_function grove_switch_fiber
    .hidden grove_switch_fiber
    grove_save_context
    movq %rax, (%rdx)
    movb $0, (%rcx)
    grove_resume_context ret
    .size grove_switch_fiber, .-grove_switch_fiber

    grove_function grove_yield_jump
    grove_save_context
    movq %rax, (%rsi)
    movb $0, 8(%rsi)
    grove_resume_context jmp
    .size grove_yield_jump, .-grove_yield_jump
)");
#endif

#if GROVE_GREENLET_FAST_JUMP
asm(R"(
    grove_function grove_greenlet_jump
    grove_save_context
    movq %rax, (%rdx)
    grove_resume_context jmp
    .size grove_greenlet_jump, .-grove_greenlet_jump
)");
#endif
