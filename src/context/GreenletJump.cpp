// grove_greenlet_jump: the jump of greenlet::switch_to's fast path, called from the user's own
// frame (include/grove/greenlet.hpp), and of every greenlet switch libgrove makes on x86-64.
// It is Boost.Context's x86-64 jump_fcontext (same context layout: the scheduler's jump resumes
// what it saved and vice versa), exported by libgrove so programs need not link Boost, with
// two changes:
//  - it stores the context it leaves in `*save` (its third argument), so the resumed side has
//    nothing to record before it returns to its caller;
//  - MXCSR and the x87 control word are saved always but reloaded only when they differ
//    (ldmxcsr/fldcw are slow and almost every context runs with the defaults).
// Like Boost's it ends in `pop; jmp`, not `ret`: the two sides of a greenlet switch resume at
// different call sites, which the indirect-branch predictor learns, while a `ret` would always
// be mispredicted by the return-stack predictor.
#include "grove/greenlet.hpp"

#if GROVE_GREENLET_FAST_JUMP
asm(R"(
    .text
    .p2align 4
    .globl grove_greenlet_jump
    .type grove_greenlet_jump,@function
grove_greenlet_jump:
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
    movq %rax, (%rdx)
    movq %rdi, %rsp
    movq 0x38(%rsp), %r8
    movl (%rsp), %ecx
    cmpl (%rax), %ecx
    jne 3f
1:  movzwl 0x4(%rsp), %ecx
    cmpw 0x4(%rax), %cx
    jne 4f
2:  movq 0x8(%rsp), %r12
    movq 0x10(%rsp), %r13
    movq 0x18(%rsp), %r14
    movq 0x20(%rsp), %r15
    movq 0x28(%rsp), %rbx
    movq 0x30(%rsp), %rbp
    leaq 0x40(%rsp), %rsp
    movq %rsi, %rdx
    movq %rax, %rdi
    jmp *%r8
3:  ldmxcsr (%rsp)
    jmp 1b
4:  fldcw 0x4(%rsp)
    jmp 2b
    .size grove_greenlet_jump, .-grove_greenlet_jump
)");
#endif
