// grove's stack switch: Boost.Context's fcontext layout and calling convention (contexts come from
// Boost's make_fcontext), with two changes on x86-64 that make a fiber switch about twice as cheap:
//  - it returns with `ret`, not `pop; jmp`: a call paired with a ret keeps the CPU's return-stack
//    predictor in step, so the switched-to fiber's own returns (yield -> caller ...) are predicted;
//  - MXCSR and the x87 control word are reloaded only when they differ (ldmxcsr/fldcw are slow and
//    almost every fiber runs with the defaults). Both are still saved, so fesetround stays per fiber.
#include "context/Switch.hpp"

#if GROVE_OWN_JUMP
asm(R"(
    .text
    .p2align 4
    .globl grove_jump_fcontext
    .hidden grove_jump_fcontext
    .type grove_jump_fcontext,@function
grove_jump_fcontext:
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
    movq %rdi, %rsp
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
    leaq 0x38(%rsp), %rsp
    movq %rsi, %rdx
    movq %rax, %rdi
    ret
3:  ldmxcsr (%rsp)
    jmp 1b
4:  fldcw 0x4(%rsp)
    jmp 2b
    .size grove_jump_fcontext, .-grove_jump_fcontext
)");
#endif
