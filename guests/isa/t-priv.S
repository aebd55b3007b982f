/* t-priv.S: privilege modes and synchronous traps (privileged spec 1.12,
 * chapters 3 and 4): mret/sret into S and U and the status bits they move,
 * ecall from each mode with its mcause, ebreak, illegal instruction with
 * mtval = the instruction bits (privileged instructions from lower modes,
 * M-only CSRs from S, TSR/TW, counter access gated by mcounteren and
 * scounteren), load/store/fetch access faults with mtval = the address,
 * and medeleg delegation of exceptions to S. */
#include "macros.h"

    /* Everything here is 32-bit so that mtval can be compared with the
     * word at the trapping pc. */
    .option norvc

    /* Expect the single instruction `insn` to raise illegal instruction,
     * handled at `level` (3 = M, 1 = S), with its own bits in xtval. */
    .macro EXPECT_ILLEGAL desc, level, insn:vararg
    TRAP_EXPECT
.Li\@:
    \insn
    lw      a7, .Li\@
    CHECK_TRAP_TVAL_REG "\desc", \level, CAUSE_ILLEGAL, .Li\@, a7
    .endm

    /* Check that the last trap's saved status has field mask == value. */
    .macro CHECK_TRAP_STATUS desc, mask, value
    la      t3, isa_trap_record
    lw      a6, TR_STATUS(t3)
    li      t4, \mask
    and     a6, a6, t4
    CHECK   "\desc", a6, \value
    .endm

    TEST_BEGIN
    csrw    medeleg, zero
    csrw    mideleg, zero
    csrw    mie, zero
    csrw    mcounteren, zero
    csrw    scounteren, zero
    la      t0, isa_strap_vector
    csrw    stvec, t0

    /* ---- synchronous traps in M ---- */
    TRAP_EXPECT
1:  ecall
    CHECK_TRAP "ecall from M", CAUSE_ECALL_M, 1b, 0
    /* mtval for ebreak: QEMU 7.2 writes 0 (the spec also allows the pc) */
    TRAP_EXPECT
2:  ebreak
    CHECK_TRAP "ebreak in M", CAUSE_BREAKPOINT, 2b, 0
    /* trap entry: MPIE <- MIE, MIE <- 0, MPP <- M (spec 3.1.6.1) */
    csrsi   mstatus, MSTATUS_MIE
    TRAP_EXPECT
3:  ecall
    CHECK_TRAP_STATUS "trap entry: MPP=M, MPIE=1, MIE=0", MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE, MSTATUS_MPP | MSTATUS_MPIE
    CHECK_TRAP "ecall with MIE set", CAUSE_ECALL_M, 3b, 0
    csrr    a0, mstatus
    andi    a0, a0, MSTATUS_MIE
    CHECK   "mret restores MIE from MPIE", a0, MSTATUS_MIE
    csrci   mstatus, MSTATUS_MIE

    EXPECT_ILLEGAL "reserved OP funct7 0x20/funct3 1", 3, .word 0x40001033
    EXPECT_ILLEGAL "custom-0 opcode", 3, .word 0x0000000b
    EXPECT_ILLEGAL "MISC-MEM funct3 7", 3, .word 0x0000700f
    EXPECT_ILLEGAL "F instruction without F (flw)", 3, .word 0x00052007
    EXPECT_ILLEGAL "OP with funct7 0x02", 3, .word 0x04000033
    /* fences are legal in every mode and do nothing visible here */
    fence
    fence   rw, rw
    fence.i
    CHECK_NO_TRAP "fence / fence.i"

    /* access faults: nothing answers at UNMAPPED_ADDR */
    li      s0, UNMAPPED_ADDR + 0x10
    TRAP_EXPECT
4:  lw      a0, 0(s0)
    CHECK_TRAP "lw unmapped", CAUSE_LOAD_ACCESS, 4b, UNMAPPED_ADDR + 0x10
    TRAP_EXPECT
5:  lbu     a0, 3(s0)
    CHECK_TRAP "lbu unmapped+3", CAUSE_LOAD_ACCESS, 5b, UNMAPPED_ADDR + 0x13
    TRAP_EXPECT
6:  sw      a0, -4(s0)
    CHECK_TRAP "sw unmapped", CAUSE_STORE_ACCESS, 6b, UNMAPPED_ADDR + 0x0c
    TRAP_EXPECT
7:  sh      a0, 2(s0)
    CHECK_TRAP "sh unmapped", CAUSE_STORE_ACCESS, 7b, UNMAPPED_ADDR + 0x12
    /* a fetch fault: mepc = mtval = the target, not the jump */
    TRAP_EXPECT 9f
8:  jalr    ra, 0(s0)
9:  la      t4, 8b + 4
    CHECK_REG "fetch fault: jalr still linked", ra, t4
    la      t3, isa_trap_record
    lw      t4, TR_COUNT(t3)
    CHECK   "fetch fault: trap count", t4, 1
    lw      t4, TR_EPC(t3)
    CHECK   "fetch fault: mepc is the target", t4, UNMAPPED_ADDR + 0x10
    lw      t4, TR_CAUSE(t3)
    CHECK   "fetch fault: cause", t4, CAUSE_FETCH_ACCESS
    lw      t4, TR_TVAL(t3)
    CHECK   "fetch fault: tval", t4, UNMAPPED_ADDR + 0x10
    sw      zero, TR_COUNT(t3)

    /* ---- M -> S ---- */
    /* mret: privilege <- MPP, MIE <- MPIE, MPIE <- 1, MPP <- U */
    li      t0, MSTATUS_MPIE
    csrs    mstatus, t0
    ENTER_MODE 3                /* an mret that stays in M */
    csrr    a0, mstatus
    li      t0, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE
    and     a0, a0, t0
    CHECK   "mret to M: MPP=U, MPIE=1, MIE=1", a0, MSTATUS_MPIE | MSTATUS_MIE
    csrci   mstatus, MSTATUS_MIE

    ENTER_MODE 1
    /* in S: S CSRs work, M CSRs and mret do not */
    csrr    a0, sstatus
    li      a1, 0x5a5a
    csrw    sscratch, a1
    csrr    a2, sscratch
    CHECK   "sscratch from S", a2, 0x5a5a
    EXPECT_ILLEGAL "csrr mstatus from S", 3, csrr a0, mstatus
    EXPECT_ILLEGAL "csrw mscratch from S", 3, csrw mscratch, a0
    EXPECT_ILLEGAL "csrr mhartid from S", 3, csrr a0, mhartid
    EXPECT_ILLEGAL "mret from S", 3, mret
    EXPECT_ILLEGAL "rdcycle from S, mcounteren=0", 3, csrr a0, cycle
    EXPECT_ILLEGAL "rdtime from S, mcounteren=0", 3, csrr a0, time
    TRAP_EXPECT
10: ebreak
    CHECK_TRAP "ebreak in S", CAUSE_BREAKPOINT, 10b, 0
    TRAP_EXPECT 0, 3
11: ecall
    CHECK_TRAP_STATUS "ecall from S: MPP=S", MSTATUS_MPP, MSTATUS_MPP_S
    CHECK_TRAP "ecall from S", CAUSE_ECALL_S, 11b, 0

    /* back in M: TSR and TW make sret and wfi illegal in S */
    li      t0, MSTATUS_TSR | MSTATUS_TW
    csrs    mstatus, t0
    ENTER_MODE 1
    EXPECT_ILLEGAL "sret from S with TSR=1", 3, sret
    EXPECT_ILLEGAL "wfi in S with TW=1", 3, wfi
    BACK_TO_M CAUSE_ECALL_S
    li      t0, MSTATUS_TSR | MSTATUS_TW
    csrc    mstatus, t0

    /* counters from S once mcounteren allows them (CY, TM, IR) */
    csrwi   mcounteren, 7
    ENTER_MODE 1
    csrr    a0, cycle
    csrr    a0, time
    csrr    a0, instret
    csrr    a0, instreth
    CHECK_NO_TRAP "counters from S with mcounteren=7"

    /* ---- S -> U ---- */
    /* sret: privilege <- SPP, SIE <- SPIE, SPIE <- 1, SPP <- U */
    li      t0, MSTATUS_SPIE
    csrs    sstatus, t0
    S_ENTER_U
    EXPECT_ILLEGAL "csrr sstatus from U", 3, csrr a0, sstatus
    EXPECT_ILLEGAL "csrr mstatus from U", 3, csrr a0, mstatus
    EXPECT_ILLEGAL "sret from U", 3, sret
    EXPECT_ILLEGAL "mret from U", 3, mret
    /* QEMU raises illegal instruction at once for wfi in U (the spec
     * allows this, and requires it after a bounded time) */
    EXPECT_ILLEGAL "wfi in U", 3, wfi
    /* cycle in U needs scounteren too, which is still 0 */
    EXPECT_ILLEGAL "rdcycle from U, scounteren=0", 3, csrr a0, cycle
    TRAP_EXPECT
12: ebreak
    CHECK_TRAP "ebreak in U", CAUSE_BREAKPOINT, 12b, 0
    TRAP_EXPECT 0, 3
13: ecall
    CHECK_TRAP_STATUS "ecall from U: MPP=U", MSTATUS_MPP, 0
    CHECK_TRAP "ecall from U", CAUSE_ECALL_U, 13b, 0
    /* the sret above set SIE from SPIE and SPP to U */
    csrr    a0, mstatus
    li      t0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
    and     a0, a0, t0
    CHECK   "sret: SPP=U, SPIE=1, SIE=1", a0, MSTATUS_SPIE | MSTATUS_SIE
    csrci   mstatus, MSTATUS_SIE

    /* with both counter-enable CSRs set, U may read the counters */
    csrwi   scounteren, 7
    ENTER_MODE 0
    csrr    a0, cycle
    csrr    a0, time
    csrr    a0, instret
    CHECK_NO_TRAP "counters from U with m/scounteren=7"
    BACK_TO_M CAUSE_ECALL_U
    csrw    mcounteren, zero
    csrw    scounteren, zero

    /* access faults from U are reported the same way */
    ENTER_MODE 0
    li      s0, UNMAPPED_ADDR + 0x20
    TRAP_EXPECT
14: lw      a0, 0(s0)
    CHECK_TRAP "lw unmapped from U", CAUSE_LOAD_ACCESS, 14b, UNMAPPED_ADDR + 0x20
    BACK_TO_M CAUSE_ECALL_U

    /* ---- delegation to S (medeleg) ---- */
    li      t0, (1 << CAUSE_ECALL_U) | (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_LOAD_ACCESS)
    csrw    medeleg, t0
    csrr    a0, medeleg
    CHECK   "medeleg readback", a0, (1 << CAUSE_ECALL_U) | (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_LOAD_ACCESS)
    /* exceptions raised in M are never delegated */
    EXPECT_ILLEGAL "illegal in M with medeleg[2]=1 stays in M", 3, .word 0x40001033
    TRAP_EXPECT
15: ebreak
    CHECK_TRAP "ebreak in M with medeleg[3]=1 stays in M", CAUSE_BREAKPOINT, 15b, 0

    ENTER_MODE 0
    TRAP_EXPECT
16: ecall
    CHECK_TRAP_STATUS "delegated ecall: SPP=U", MSTATUS_SPP, 0
    CHECK_STRAP "ecall from U delegated to S", CAUSE_ECALL_U, 16b, 0
    EXPECT_ILLEGAL "illegal in U delegated to S", 1, .word 0x40001033
    EXPECT_ILLEGAL "csrr sstatus from U delegated to S", 1, csrr a0, sstatus
    TRAP_EXPECT
17: ebreak
    CHECK_STRAP "ebreak in U delegated to S", CAUSE_BREAKPOINT, 17b, 0
    li      s0, UNMAPPED_ADDR + 0x30
    TRAP_EXPECT
18: lw      a0, 0(s0)
    CHECK_STRAP "load fault in U delegated to S", CAUSE_LOAD_ACCESS, 18b, UNMAPPED_ADDR + 0x30
    /* store faults are not delegated: M sees this one */
    TRAP_EXPECT
19: sw      a0, 0(s0)
    CHECK_TRAP "store fault in U not delegated", CAUSE_STORE_ACCESS, 19b, UNMAPPED_ADDR + 0x30
    /* climb back: U --ecall--> S (resume in S), S --ecall--> M */
    TRAP_EXPECT 20f, 1
21: ecall
20: CHECK_STRAP "ecall from U to S, resuming in S", CAUSE_ECALL_U, 21b, 0
    EXPECT_ILLEGAL "illegal in S delegated to S", 1, .word 0x40001033
    BACK_TO_M CAUSE_ECALL_S
    csrw    medeleg, zero

    TEST_PASS "priv"
