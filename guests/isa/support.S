/* support.S: the trap handlers shared by the guests/isa tests. Owns
 * isa_trap_record (layout in macros.h). isa_trap_vector (M) and
 * isa_strap_vector (S) record one armed trap and resume either after the
 * trapping instruction (exceptions), where it struck with its source masked
 * in xie (interrupts), or at an armed address, optionally in another mode;
 * an unarmed trap goes to isa_unexpected_trap (report.c). */
#include "macros.h"

    .section .bss.isa_trap_record, "aw", @nobits
    .balign 4
    .globl isa_trap_record
isa_trap_record:
    .space TR_SAVE + 12

    .text
    .globl isa_trap_reset
isa_trap_reset:
    la      t3, isa_trap_record
    sw      zero, TR_ARMED(t3)
    sw      zero, TR_COUNT(t3)
    sw      zero, TR_RESUME(t3)
    li      t4, -1
    sw      t4, TR_NEXT_PP(t3)
    ret

/* Both handlers are written once, for prefix m or s. */
    .macro TRAP_VECTOR x, level, ppshift, ppmask, xret
    csrw    \x\()scratch, t0
    la      t0, isa_trap_record
    sw      t1, TR_SAVE+4(t0)
    sw      t2, TR_SAVE+8(t0)
    csrr    t1, \x\()scratch
    sw      t1, TR_SAVE(t0)
    li      t1, \level
    sw      t1, TR_LEVEL(t0)
    csrr    t1, \x\()cause
    sw      t1, TR_CAUSE(t0)
    csrr    t1, \x\()epc
    sw      t1, TR_EPC(t0)
    csrr    t1, \x\()tval
    sw      t1, TR_TVAL(t0)
    csrr    t1, \x\()status
    sw      t1, TR_STATUS(t0)
    lw      t1, TR_COUNT(t0)
    addi    t1, t1, 1
    sw      t1, TR_COUNT(t0)

    lw      t1, TR_ARMED(t0)
    beqz    t1, 9f
    addi    t1, t1, -1
    sw      t1, TR_ARMED(t0)
    lw      t2, TR_RESUME(t0)
    lw      t1, TR_CAUSE(t0)
    bgez    t1, 4f
    /* Interrupt: mask its source in xie, since it stays pending until the
     * test clears it, and resume where it struck (or at the armed
     * address). */
    slli    t1, t1, 1
    srli    t1, t1, 1
    li      t0, 1
    sll     t1, t0, t1
    csrc    \x\()ie, t1
    la      t0, isa_trap_record
    bnez    t2, 2f
    csrr    t2, \x\()epc
    j       2f
4:  bnez    t2, 2f
    /* Exception without resume address: skip the trapping instruction,
     * whose length is in its low two bits (unprivileged spec 1.5). A
     * fetch fault has no readable instruction, so it must be armed with
     * a resume address. */
    li      t2, CAUSE_FETCH_ACCESS
    beq     t1, t2, 9f
    beqz    t1, 9f
    csrr    t2, \x\()epc
    lhu     t1, 0(t2)
    andi    t1, t1, 3
    addi    t2, t2, 2
    li      t0, 3
    bne     t1, t0, 1f
    addi    t2, t2, 2
1:  la      t0, isa_trap_record
2:  csrw    \x\()epc, t2
    sw      zero, TR_RESUME(t0)

    lw      t1, TR_NEXT_PP(t0)
    bltz    t1, 3f
    li      t2, \ppmask
    csrc    \x\()status, t2
    slli    t1, t1, \ppshift
    csrs    \x\()status, t1
    li      t1, -1
    sw      t1, TR_NEXT_PP(t0)
3:  lw      t1, TR_SAVE+4(t0)
    lw      t2, TR_SAVE+8(t0)
    lw      t0, TR_SAVE(t0)
    \xret
9:  j       isa_unexpected_trap
    .endm

    .balign 4                   /* xtvec.BASE must be 4-byte aligned */
    .globl isa_trap_vector
isa_trap_vector:
    TRAP_VECTOR m, 3, 11, MSTATUS_MPP, mret

    .balign 4
    .globl isa_strap_vector
isa_strap_vector:
    TRAP_VECTOR s, 1, 8, MSTATUS_SPP, sret
