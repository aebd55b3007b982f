/* hostile/modes.S: run a C function in S- or U-mode and come back to M.
 * run_lower(mpp, fn): mpp is the MPP field to enter (MSTATUS_MPP_S or 0);
 * fn runs there on the same stack and returns into lower_return, which
 * asks M-mode to come back with `ecall` and a7 = LOWER_RETURN; ecall.c's
 * trap hook then sets MPP = M, and mret resumes after that ecall. */
#include "platform.h"
#define LOWER_RETURN 0x7e7e7e7e

    .section .text.run_lower, "ax"
    .globl run_lower
    .type run_lower, @function
run_lower:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    csrs    mstatus, a0
    csrw    mepc, a1
    la      ra, lower_return
    mret
lower_return:
    li      a7, LOWER_RETURN
    ecall
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret

/* storm(n, a7): n ECALLs in a row with a7 = the given value and a0-a6
 * garbage, from whatever mode calls it. */
    .section .text.storm, "ax"
    .globl storm
    .type storm, @function
storm:
    mv      t2, a0
    mv      a7, a1
1:  beqz    t2, 2f
    li      a0, -1
    li      a1, 0x7fffffff
    li      a2, 0x80000000
    li      a6, -2
    ecall
    addi    t2, t2, -1
    j       1b
2:  ret
