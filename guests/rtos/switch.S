/* rtos/switch.S: the RTOS demo's trap entry. Every trap (timer tick,
 * ECALL system call) saves the interrupted task's registers in a frame on
 * its own stack, calls rtos_trap(frame, mcause) on the kernel stack, and
 * resumes whichever task's frame that returns: the context switch.
 * Frame: 32 words, word 0 = mepc, word n = xn (x2 is the frame's address
 * plus the frame's size, so it is not stored). */
#define FRAME 128

    .section .text.rtos_trap_entry, "ax"
    .balign 4                   /* mtvec.BASE */
    .globl rtos_trap_entry
rtos_trap_entry:
    addi    sp, sp, -FRAME
    sw      x1, 1*4(sp)
    sw      x3, 3*4(sp)
    sw      x4, 4*4(sp)
    sw      x5, 5*4(sp)
    sw      x6, 6*4(sp)
    sw      x7, 7*4(sp)
    sw      x8, 8*4(sp)
    sw      x9, 9*4(sp)
    sw      x10, 10*4(sp)
    sw      x11, 11*4(sp)
    sw      x12, 12*4(sp)
    sw      x13, 13*4(sp)
    sw      x14, 14*4(sp)
    sw      x15, 15*4(sp)
    sw      x16, 16*4(sp)
    sw      x17, 17*4(sp)
    sw      x18, 18*4(sp)
    sw      x19, 19*4(sp)
    sw      x20, 20*4(sp)
    sw      x21, 21*4(sp)
    sw      x22, 22*4(sp)
    sw      x23, 23*4(sp)
    sw      x24, 24*4(sp)
    sw      x25, 25*4(sp)
    sw      x26, 26*4(sp)
    sw      x27, 27*4(sp)
    sw      x28, 28*4(sp)
    sw      x29, 29*4(sp)
    sw      x30, 30*4(sp)
    sw      x31, 31*4(sp)
    csrr    t0, mepc
    sw      t0, 0(sp)
    mv      a0, sp
    csrr    a1, mcause
    la      sp, rtos_kernel_stack + 2048
    call    rtos_trap
    mv      sp, a0
    lw      t0, 0(sp)
    csrw    mepc, t0
    /* Tasks run with interrupts on: mret takes MIE from MPIE. */
    li      t0, 0x80
    csrs    mstatus, t0
    lw      x1, 1*4(sp)
    lw      x3, 3*4(sp)
    lw      x4, 4*4(sp)
    lw      x5, 5*4(sp)
    lw      x6, 6*4(sp)
    lw      x7, 7*4(sp)
    lw      x8, 8*4(sp)
    lw      x9, 9*4(sp)
    lw      x10, 10*4(sp)
    lw      x11, 11*4(sp)
    lw      x12, 12*4(sp)
    lw      x13, 13*4(sp)
    lw      x14, 14*4(sp)
    lw      x15, 15*4(sp)
    lw      x16, 16*4(sp)
    lw      x17, 17*4(sp)
    lw      x18, 18*4(sp)
    lw      x19, 19*4(sp)
    lw      x20, 20*4(sp)
    lw      x21, 21*4(sp)
    lw      x22, 22*4(sp)
    lw      x23, 23*4(sp)
    lw      x24, 24*4(sp)
    lw      x25, 25*4(sp)
    lw      x26, 26*4(sp)
    lw      x27, 27*4(sp)
    lw      x28, 28*4(sp)
    lw      x29, 29*4(sp)
    lw      x30, 30*4(sp)
    lw      x31, 31*4(sp)
    addi    sp, sp, FRAME
    mret
