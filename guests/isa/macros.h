/* macros.h: the assembly test harness for guests/isa. Each t-GROUP.S is one
 * `main` built from these macros; a failed check prints
 * "FAIL <desc>: got 0x..., want 0x..." and exits 1 (isa_fail in report.c),
 * a trap nobody armed for prints its cause and exits 2, and TEST_PASS
 * prints "PASS <group>" and returns 0 to crt0.
 *
 * Register use: sp, gp, tp belong to the runtime and are never changed by
 * a test body; t3-t6 are scratch for these macros; test bodies compute in
 * a0-a7, t0-t2 and s0-s11 (TEST_BEGIN saves the s-registers). */
#include "platform.h"

/* Offsets into isa_trap_record (support.S). */
#define TR_ARMED    0       /* how many more traps are expected */
#define TR_COUNT    4       /* traps taken since the last check */
#define TR_LEVEL    8       /* 3 = taken in M, 1 = taken in S */
#define TR_CAUSE    12
#define TR_EPC      16
#define TR_TVAL     20
#define TR_STATUS   24      /* mstatus/sstatus as seen by the handler */
#define TR_RESUME   28      /* 0: resume after the trapping instruction */
#define TR_NEXT_PP  32      /* -1: keep xPP; else the mode to return to */
#define TR_SAVE     36      /* handler scratch: t0, t1, t2 */

    .macro TEST_BEGIN
    .text
    .globl main
    .type main, @function
main:
    addi    sp, sp, -64
    sw      ra, 0(sp)
    sw      s0, 4(sp)
    sw      s1, 8(sp)
    sw      s2, 12(sp)
    sw      s3, 16(sp)
    sw      s4, 20(sp)
    sw      s5, 24(sp)
    sw      s6, 28(sp)
    sw      s7, 32(sp)
    sw      s8, 36(sp)
    sw      s9, 40(sp)
    sw      s10, 44(sp)
    sw      s11, 48(sp)
    call    isa_trap_reset
    la      t3, isa_trap_vector
    csrw    mtvec, t3
    .endm

    .macro TEST_PASS group
    la      t3, _trap_entry         /* back to the C runtime's handler */
    csrw    mtvec, t3
    la      a0, .Lgroup\@
    call    isa_pass
    lw      ra, 0(sp)
    lw      s0, 4(sp)
    lw      s1, 8(sp)
    lw      s2, 12(sp)
    lw      s3, 16(sp)
    lw      s4, 20(sp)
    lw      s5, 24(sp)
    lw      s6, 28(sp)
    lw      s7, 32(sp)
    lw      s8, 36(sp)
    lw      s9, 40(sp)
    lw      s10, 44(sp)
    lw      s11, 48(sp)
    addi    sp, sp, 64
    li      a0, 0
    ret
    .pushsection .rodata.isa_text, "a"
.Lgroup\@: .asciz "\group"
    .popsection
    .size main, . - main
    .endm

    /* Fail with desc unless register reg equals the constant want. */
    .macro CHECK desc, reg, want
    li      t6, \want
    CHECK_REG "\desc", \reg, t6
    .endm

    /* Fail with desc unless registers reg and wantreg are equal. */
    .macro CHECK_REG desc, reg, wantreg
    beq     \reg, \wantreg, .Lok\@
    mv      t4, \reg
    mv      t5, \wantreg
    la      a0, .Ldesc\@
    mv      a1, t4
    mv      a2, t5
    j       isa_fail
    .pushsection .rodata.isa_text, "a"
.Ldesc\@: .asciz "\desc"
    .popsection
.Lok\@:
    .endm

    /* rd <- op(a, b) on fresh registers, and again with rd == rs1 and
     * rd == rs2, so the decoder's register plumbing is covered too. */
    .macro TEST_RR desc, op, want, a, b
    li      a3, \a
    li      a4, \b
    \op     a5, a3, a4
    CHECK   "\desc", a5, \want
    \op     a3, a3, a4
    CHECK   "\desc (rd=rs1)", a3, \want
    li      a3, \a
    \op     a4, a3, a4
    CHECK   "\desc (rd=rs2)", a4, \want
    .endm

    .macro TEST_RI desc, op, want, a, imm
    li      a3, \a
    \op     a5, a3, \imm
    CHECK   "\desc", a5, \want
    \op     a3, a3, \imm
    CHECK   "\desc (rd=rs1)", a3, \want
    .endm

    /* Arm the trap handler for exactly one trap (or `count`). resume:
     * where to go after it (0 = after the trapping instruction, or for an
     * interrupt where it struck). pp: the privilege mode to return to
     * (-1 = the one that trapped). */
    .macro TRAP_EXPECT resume=0, pp=-1, count=1
    la      t3, isa_trap_record
    .ifc \resume,0
    sw      zero, TR_RESUME(t3)
    .else
    la      t4, \resume
    sw      t4, TR_RESUME(t3)
    .endif
    li      t4, \pp
    sw      t4, TR_NEXT_PP(t3)
    li      t4, \count
    sw      t4, TR_ARMED(t3)
    .endm

    /* Check that exactly one trap was taken at privilege level `level`
     * (3 = M, 1 = S) with the given cause, at the instruction labelled
     * epc, with xtval equal to tval (a constant). */
    .macro CHECK_TRAP_AT desc, level, cause, epc, tval
    la      t3, isa_trap_record
    lw      t4, TR_COUNT(t3)
    CHECK   "\desc: trap count", t4, 1
    lw      t4, TR_LEVEL(t3)
    CHECK   "\desc: taken in mode", t4, \level
    lw      t4, TR_CAUSE(t3)
    CHECK   "\desc: cause", t4, \cause
    lw      t4, TR_EPC(t3)
    la      t5, \epc
    CHECK_REG "\desc: epc", t4, t5
    lw      t4, TR_TVAL(t3)
    CHECK   "\desc: tval", t4, \tval
    sw      zero, TR_COUNT(t3)
    .endm

    .macro CHECK_TRAP desc, cause, epc, tval
    CHECK_TRAP_AT "\desc", 3, \cause, \epc, \tval
    .endm

    .macro CHECK_STRAP desc, cause, epc, tval
    CHECK_TRAP_AT "\desc", 1, \cause, \epc, \tval
    .endm

    /* Like CHECK_TRAP_AT, with the expected tval in register tvalreg
     * (which must not be t3-t6). */
    .macro CHECK_TRAP_TVAL_REG desc, level, cause, epc, tvalreg
    la      t3, isa_trap_record
    lw      t4, TR_TVAL(t3)
    CHECK_REG "\desc: tval", t4, \tvalreg
    sw      zero, TR_TVAL(t3)
    CHECK_TRAP_AT "\desc", \level, \cause, \epc, 0
    .endm

    /* Treat a recorded cause `from` as `to`, where the spec and QEMU
     * disagree and either answer is accepted. */
    .macro TRAP_CAUSE_ALIAS from, to
    la      t3, isa_trap_record
    lw      t4, TR_CAUSE(t3)
    li      t5, \from
    bne     t4, t5, .Lkeep\@
    li      t5, \to
    sw      t5, TR_CAUSE(t3)
.Lkeep\@:
    .endm

    .macro CHECK_NO_TRAP desc
    la      t3, isa_trap_record
    lw      t4, TR_COUNT(t3)
    CHECK   "\desc: unexpected trap count", t4, 0
    sw      zero, TR_ARMED(t3)
    .endm

    /* From M, continue at the next instruction in mode `mode` (0 U, 1 S),
     * through mret as a kernel would (privileged spec 3.3.2). */
    .macro ENTER_MODE mode
    li      t3, MSTATUS_MPP
    csrc    mstatus, t3
    li      t3, (\mode) << 11
    csrs    mstatus, t3
    la      t3, .Lentered\@
    csrw    mepc, t3
    mret
.Lentered\@:
    .endm

    /* From S, continue at the next instruction in U, through sret. */
    .macro S_ENTER_U
    li      t3, MSTATUS_SPP
    csrc    sstatus, t3
    la      t3, .Lentered\@
    csrw    sepc, t3
    sret
.Lentered\@:
    .endm

    /* From U or S, come back to M through a (non-delegated) ecall. */
    .macro BACK_TO_M cause
    TRAP_EXPECT 0, 3
.Lecall\@:
    ecall
    CHECK_TRAP "ecall back to M", \cause, .Lecall\@, 0
    .endm
