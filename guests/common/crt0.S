/* crt0.S: reset entry and exit for the guests that report through the
 * sifive,test0 finisher. Owns: gp/sp/tp set-up, opening PMP for S/U code,
 * clearing .bss, calling main, and turning main's return value into a
 * finisher write (_exit). */
#include "platform.h"

    .section .text.init.enter, "ax"
    .globl _start
_start:
    /* QEMU's reset ROM passes a0 = hart id, a1 = device tree; keep them
     * for main(argc, argv) to inspect, so only t-registers are touched. */
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      tp, __tls_base

    /* Privileged spec 1.12 section 3.7.1: with PMP implemented and no
     * entry matching, S and U accesses fail. QEMU implements PMP, so give
     * S/U the whole 34-bit space with one NAPOT entry. A hart without PMP
     * raises illegal instruction here; the temporary mtvec skips over. */
    la      t0, .Lpmp_done
    csrw    mtvec, t0
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f            /* A=NAPOT (3<<3) | X | W | R */
    csrw    pmpcfg0, t0
    .balign 4
.Lpmp_done:
    la      t0, _trap_entry
    csrw    mtvec, t0

    /* .tbss and .bss are one contiguous zero-filled range (see link.ld). */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:
    mv      s0, a0
    mv      s1, a1
    call    uart_init
    mv      a0, s0
    mv      a1, s1
    call    main
    tail    _exit               /* main's return value is the exit status */

    .section .text._exit, "ax"
    .globl _exit
    .type _exit, @function
_exit:
    li      t0, FINISHER_BASE
    bnez    a0, 1f
    li      t1, FINISHER_PASS
    sw      t1, 0(t0)
    j       3f
1:  /* the finisher carries 16 bits of status and QEMU exits with
     * status & 0xff as any process does; a status whose low 16 bits are
     * zero would read as success, so report it as 1. */
    slli    t1, a0, 16
    bnez    t1, 2f
    li      a0, 1
2:  slli    t1, a0, 16
    li      t2, FINISHER_FAIL
    or      t1, t1, t2
    sw      t1, 0(t0)
3:  wfi
    j       3b
    .size _exit, . - _exit
