/* trap.S: the default M-mode trap entry installed by crt0. Owns the trap
 * frame layout (struct trap_frame in guest.h): it saves every integer
 * register plus mepc/mcause/mtval/mstatus on the current stack, calls the
 * C hook trap_handler(frame), and resumes at frame->mepc. */
#define FRAME_WORDS 36          /* x0..x31, mepc, mcause, mtval, mstatus */

    .section .text._trap_entry, "ax"
    .balign 4                   /* mtvec.BASE must be 4-byte aligned */
    .globl _trap_entry
_trap_entry:
    addi    sp, sp, -(FRAME_WORDS * 4)
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
    addi    t0, sp, FRAME_WORDS * 4
    sw      t0, 2*4(sp)         /* sp as it was before the trap */
    sw      zero, 0(sp)
    csrr    t0, mepc
    sw      t0, 32*4(sp)
    csrr    t0, mcause
    sw      t0, 33*4(sp)
    csrr    t0, mtval
    sw      t0, 34*4(sp)
    csrr    t0, mstatus
    sw      t0, 35*4(sp)

    mv      a0, sp
    call    trap_handler

    lw      t0, 32*4(sp)
    csrw    mepc, t0
    lw      t0, 35*4(sp)
    csrw    mstatus, t0
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
    lw      sp, 2*4(sp)
    mret
