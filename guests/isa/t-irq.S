/* t-irq.S: interrupts (privileged spec 1.12 sections 3.1.9, 3.3.3 and
 * 3.1.7; CLINT layout from the SiFive CLINT / ACLINT specs): the CLINT
 * msip and mtimecmp lines in mip, software and timer interrupts taken in
 * direct and vectored mtvec modes, priority between them, wfi waking
 * without a trap when MIE is clear, M-level interrupts preempting S
 * regardless of MIE, and mideleg delegation of the S software interrupt. */
#include "macros.h"

    .option norvc

    .section .bss.irq, "aw", @nobits
    .balign 4
vec_log:                        /* vector entries hit, in order */
    .space  16 * 4
vec_log_len:
    .space  4

    .text
    /* Vectored mode (spec 3.1.7): exceptions enter at BASE, interrupt
     * cause n at BASE + 4n. Each entry logs n, then joins the shared
     * handler; mscratch carries t0 and t1 across. */
    .balign 64
vec_table:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
    j       vec_entry_\n
    .endr
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
vec_entry_\n:
    csrw    mscratch, t0
    la      t0, vec_tmp
    sw      t1, 0(t0)
    la      t0, vec_log_len
    lw      t1, 0(t0)
    addi    t1, t1, 4
    sw      t1, 0(t0)
    la      t0, vec_log - 4
    add     t0, t0, t1
    li      t1, \n
    sw      t1, 0(t0)
    la      t0, vec_tmp
    lw      t1, 0(t0)
    csrr    t0, mscratch
    j       isa_trap_vector
    .endr

    .section .bss.irq_tmp, "aw", @nobits
    .balign 4
vec_tmp:
    .space  4

    .text
    /* a0 = ticks from now: mtimecmp <- mtime + a0. The high word is set
     * to all-ones first so no intermediate value fires (privileged spec
     * 1.12 section 3.2.1). Clobbers a0-a3, t0. */
timer_arm:
    li      t0, CLINT_BASE
    li      a1, CLINT_MTIME
    add     a1, t0, a1
1:  lw      a2, 4(a1)
    lw      a3, 0(a1)
    lw      t0, 4(a1)
    bne     a2, t0, 1b
    add     a0, a3, a0
    sltu    a3, a0, a3          /* carry */
    add     a2, a2, a3
    li      t0, CLINT_BASE + CLINT_MTIMECMP
    li      a3, -1
    sw      a3, 4(t0)
    sw      a0, 0(t0)
    sw      a2, 4(t0)
    ret

timer_disarm:
    li      t0, CLINT_BASE + CLINT_MTIMECMP
    li      a3, -1
    sw      a3, 4(t0)
    sw      a3, 0(t0)
    ret

    /* Sleep until a trap has been recorded. wfi rather than a spin loop,
     * so that the wait does not depend on how fast the hart runs; a
     * spurious wake-up just goes round again, up to a bound. */
    .macro WAIT_TRAP desc
    li      a5, 1000
.Lwait\@:
    la      t3, isa_trap_record
    lw      t4, TR_COUNT(t3)
    bnez    t4, .Ldone\@
    wfi
    addi    a5, a5, -1
    bnez    a5, .Lwait\@
    CHECK   "\desc: interrupt never arrived", a5, 1
.Ldone\@:
    .endm

    .macro CHECK_MIP desc, bit, want
    csrr    a0, mip
    li      t0, \bit
    and     a0, a0, t0
    CHECK   "\desc", a0, \want
    .endm

    TEST_BEGIN
    csrci   mstatus, MSTATUS_MIE
    csrw    mie, zero
    csrw    mideleg, zero
    csrw    medeleg, zero
    li      s8, CLINT_BASE
    call    timer_disarm

    /* ---- msip drives mip.MSIP ---- */
    CHECK_MIP "mip.MSIP idle", MIP_MSIP, 0
    li      a0, 1
    sw      a0, CLINT_MSIP(s8)
    lw      a1, CLINT_MSIP(s8)
    CHECK   "msip reads back 1", a1, 1
    CHECK_MIP "mip.MSIP after msip=1", MIP_MSIP, MIP_MSIP
    sw      zero, CLINT_MSIP(s8)
    CHECK_MIP "mip.MSIP after msip=0", MIP_MSIP, 0
    /* mip.MTIP is driven by the CLINT only: writes do not set it */
    li      a0, MIP_MTIP
    csrs    mip, a0
    CHECK_MIP "mip.MTIP not writable", MIP_MTIP, 0
    CHECK_NO_TRAP "pending without enables"

    /* ---- software interrupt, direct mode ---- */
    li      a0, 1
    sw      a0, CLINT_MSIP(s8)
    li      a0, MIP_MSIP
    csrs    mie, a0
    CHECK_NO_TRAP "MSIP pending, MIE=0"
    TRAP_EXPECT
    csrsi   mstatus, MSTATUS_MIE
1:  nop                         /* the interrupt strikes before this */
    csrci   mstatus, MSTATUS_MIE
    CHECK_TRAP "machine software interrupt", CAUSE_INTR | 3, 1b, 0
    sw      zero, CLINT_MSIP(s8)
    CHECK_MIP "msip cleared", MIP_MSIP, 0

    /* ---- timer interrupt, direct mode ---- */
    csrw    mie, zero
    li      a0, 10000000        /* 1 s at 10 MHz: far enough not to race */
    call    timer_arm
    CHECK_MIP "MTIP not pending before mtimecmp", MIP_MTIP, 0
    li      a0, 1000            /* 100 us */
    call    timer_arm
    li      a0, MIP_MTIP
    csrs    mie, a0
    TRAP_EXPECT
    csrsi   mstatus, MSTATUS_MIE
    WAIT_TRAP "timer"
    csrci   mstatus, MSTATUS_MIE
    la      t3, isa_trap_record
    lw      t4, TR_CAUSE(t3)
    CHECK   "machine timer interrupt: cause", t4, CAUSE_INTR | 7
    sw      zero, TR_COUNT(t3)
    CHECK_MIP "MTIP pending until mtimecmp moves", MIP_MTIP, MIP_MTIP
    call    timer_disarm
    CHECK_MIP "MTIP cleared by mtimecmp write", MIP_MTIP, 0

    /* ---- wfi with MIE=0 wakes on a pending enabled interrupt and
     * continues without trapping (spec 3.3.3) ---- */
    li      a0, MIP_MTIP
    csrw    mie, a0
    li      a0, 1000
    call    timer_arm
    wfi
    /* wfi may also return early; wait for the line in any case */
    li      a5, 20000000
2:  csrr    a0, mip
    andi    a0, a0, MIP_MTIP
    bnez    a0, 3f
    addi    a5, a5, -1
    bnez    a5, 2b
3:  CHECK_MIP "after wfi: MTIP pending", MIP_MTIP, MIP_MTIP
    CHECK_NO_TRAP "wfi with MIE=0"
    /* enabling MIE now takes it at once */
    TRAP_EXPECT
    csrsi   mstatus, MSTATUS_MIE
4:  nop
    csrci   mstatus, MSTATUS_MIE
    CHECK_TRAP "timer taken when MIE set", CAUSE_INTR | 7, 4b, 0
    call    timer_disarm

    /* ---- vectored mode ---- */
    la      a0, vec_table
    ori     a0, a0, 1
    csrw    mtvec, a0
    la      t0, vec_log_len
    sw      zero, 0(t0)
    /* an exception still enters at BASE */
    TRAP_EXPECT
5:  ecall
    CHECK_TRAP "vectored: ecall", CAUSE_ECALL_M, 5b, 0
    /* MSI and MTI both pending: MSI has priority (spec 3.1.9: MEI, MSI,
     * MTI, SEI, SSI, STI), then MTI follows */
    li      a0, 1
    sw      a0, CLINT_MSIP(s8)
    li      a0, 0
    call    timer_arm           /* mtimecmp <= mtime: pending now */
    li      a0, MIP_MSIP | MIP_MTIP
    csrw    mie, a0
    TRAP_EXPECT 0, -1, 2
    csrsi   mstatus, MSTATUS_MIE
6:  nop
    csrci   mstatus, MSTATUS_MIE
    la      t3, isa_trap_record
    lw      t4, TR_COUNT(t3)
    CHECK   "vectored: two interrupts", t4, 2
    sw      zero, TR_COUNT(t3)
    la      t0, vec_log_len
    lw      a0, 0(t0)
    CHECK   "vectored: log length", a0, 12
    la      t0, vec_log
    lw      a0, 0(t0)
    CHECK   "vectored: ecall entered at BASE", a0, 0
    lw      a0, 4(t0)
    CHECK   "vectored: MSI first, at BASE+12", a0, 3
    lw      a0, 8(t0)
    CHECK   "vectored: MTI second, at BASE+28", a0, 7
    sw      zero, CLINT_MSIP(s8)
    call    timer_disarm
    la      a0, isa_trap_vector
    csrw    mtvec, a0

    /* ---- an M-level interrupt preempts S even with MIE=0 ---- */
    li      a0, MIP_MSIP
    csrw    mie, a0
    li      a0, 1
    sw      a0, CLINT_MSIP(s8)
    li      a0, MSTATUS_MPIE
    csrc    mstatus, a0         /* so MIE stays 0 after the mret */
    TRAP_EXPECT
    ENTER_MODE 1
7:  nop
    CHECK_TRAP "MSI taken in S with MIE=0", CAUSE_INTR | 3, 7b, 0
    sw      zero, CLINT_MSIP(s8)
    BACK_TO_M CAUSE_ECALL_S

    /* ---- S software interrupt delegated with mideleg ---- */
    li      a0, MIP_SSIP
    csrw    mideleg, a0
    csrw    mie, a0             /* sie.SSIE */
    la      a0, isa_strap_vector
    csrw    stvec, a0
    csrsi   mstatus, MSTATUS_MIE
    li      a0, MIP_SSIP
    csrs    mip, a0             /* M raises SSIP */
    nop
    CHECK_NO_TRAP "delegated SSI is never taken in M"
    csrci   mstatus, MSTATUS_MIE
    csrci   sstatus, MSTATUS_SIE
    li      a0, MSTATUS_MPIE
    csrc    mstatus, a0
    ENTER_MODE 1
    nop
    CHECK_NO_TRAP "SSI in S with SIE=0"
    TRAP_EXPECT
    csrsi   sstatus, MSTATUS_SIE
8:  nop
    csrci   sstatus, MSTATUS_SIE

    CHECK_STRAP "SSI taken in S", CAUSE_INTR | 1, 8b, 0
    /* S clears its own pending bit, re-raises it, and drops to U with
     * SIE=0: in U, S-level interrupts are enabled regardless of SIE */
    li      a0, MIP_SSIP
    csrc    sip, a0
    csrr    a1, sip
    andi    a1, a1, MIP_SSIP
    CHECK   "sip.SSIP cleared by S", a1, 0
    csrs    sie, a0
    csrs    sip, a0
    li      a0, MSTATUS_SPIE
    csrc    sstatus, a0
    TRAP_EXPECT
    S_ENTER_U
9:  nop
    CHECK_STRAP "SSI taken from U", CAUSE_INTR | 1, 9b, 0
    BACK_TO_M CAUSE_ECALL_U
    li      a0, MIP_SSIP
    csrc    mip, a0
    csrw    mideleg, zero

    /* ---- the same interrupt, not delegated, goes to M ---- */
    li      a0, MIP_SSIP
    csrw    mie, a0
    csrs    mip, a0
    TRAP_EXPECT
    csrsi   mstatus, MSTATUS_MIE
10: nop
    csrci   mstatus, MSTATUS_MIE
    CHECK_TRAP "SSI not delegated, taken in M", CAUSE_INTR | 1, 10b, 0
    li      a0, MIP_SSIP
    csrc    mip, a0
    csrw    mie, zero

    TEST_PASS "irq"
