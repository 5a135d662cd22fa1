// grove's two stack switches on x86-64. Both use Boost.Context's fcontext layout and calling
// convention (contexts come from Boost's make_fcontext, and each jump resumes what the other saved),
// and both save MXCSR and the x87 control word always but reload them only when they differ
// (ldmxcsr/fldcw are slow and almost every fiber runs with the defaults; fesetround stays per fiber).
//  - grove_switch_fiber, the scheduler's: stores the context it leaves in `*save`, then clears the
//    left fiber's on-CPU flag (`*leaving`): from that store on another thread may resume it, and
//    nothing after it touches the left stack. So the resumed side has no bookkeeping for the
//    fiber it replaced. It returns with `ret`, not `pop; jmp`: a call paired with a ret keeps the
//    CPU's return-stack predictor in step, and yield/park paths resume at the same call sites, so
//    the switched-to fiber's own returns (yield -> caller ...) are predicted.
//  - grove_yield_jump, grove::yield's (inlined into the caller, see scheduler.hpp): the same as
//    grove_switch_fiber but ending in `pop; jmp`, for the reason grove_greenlet_jump gives below. Its
//    second argument is the yielding FiberControl, whose fctx and on_cpu fields it writes.
//  - grove_greenlet_jump, greenlet::switch_to's (called from the user's frame, see greenlet.hpp):
//    stores the context it leaves in `*save` (third argument), so the resumed side records nothing,
//    and ends in `pop; jmp` like Boost's: the two sides of a greenlet switch resume at different call
//    sites, which the indirect-branch predictor learns while a `ret` would always be mispredicted.
//    It compares MXCSR without its exception flags: one inexact double operation on one side sets
//    a sticky flag, and an ldmxcsr that changes MXCSR at every switch costs ~10x the whole switch.
#include "context/Switch.hpp"
#include "grove/greenlet.hpp"
#include "grove/scheduler.hpp"

#if GROVE_OWN_JUMP || GROVE_GREENLET_FAST_JUMP
asm(R"(
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

    # %rsp = the context to resume, %rax = the one left. ignore_mxcsr_status=1: reload MXCSR only
    # when its control bits differ (bits 0-5 are sticky exception flags, caller-saved in the ABI).
    .macro grove_restore_context ignore_mxcsr_status=0
    movl (%rsp), %ecx
    .if \ignore_mxcsr_status
    xorl (%rax), %ecx
    testl $0xffc0, %ecx
    jz 1f
    .else
    cmpl (%rax), %ecx
    je 1f
    .endif
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
    .endm
)");
#endif

#if GROVE_OWN_JUMP
asm(R"(
    .text
    .p2align 4
    .globl grove_switch_fiber
    .hidden grove_switch_fiber
    .type grove_switch_fiber,@function
grove_switch_fiber:
    grove_save_context
    movq %rax, (%rdx)
    movb $0, (%rcx)
    movq %rdi, %rsp
    grove_restore_context
    leaq 0x38(%rsp), %rsp
    movq %rsi, %rdx
    movq %rax, %rdi
    ret
    .size grove_switch_fiber, .-grove_switch_fiber
)");
#endif

#if GROVE_OWN_JUMP
asm(R"(
    .text
    .p2align 4
    .globl grove_yield_jump
    .type grove_yield_jump,@function
grove_yield_jump:
    grove_save_context
    movq %rax, (%rsi)
    movb $0, 8(%rsi)
    movq %rdi, %rsp
    movq 0x38(%rsp), %r8
    grove_restore_context
    leaq 0x40(%rsp), %rsp
    movq %rsi, %rdx
    movq %rax, %rdi
    jmp *%r8
    .size grove_yield_jump, .-grove_yield_jump
)");
#endif

#if GROVE_GREENLET_FAST_JUMP
asm(R"(
    .text
    .p2align 4
    .globl grove_greenlet_jump
    .type grove_greenlet_jump,@function
grove_greenlet_jump:
    grove_save_context
    movq %rax, (%rdx)
    movq %rdi, %rsp
    movq 0x38(%rsp), %r8
    grove_restore_context 1
    leaq 0x40(%rsp), %rsp
    movq %rsi, %rdx
    movq %rax, %rdi
    jmp *%r8
    .size grove_greenlet_jump, .-grove_greenlet_jump
)");
#endif
