/* t-zicsr.S: Zicsr (unprivileged spec chapter 9) and the machine CSRs a
 * guest kernel touches first (privileged spec 1.12 chapters 2-3): all six
 * CSR instructions with their read/write side rules, read-only CSRs,
 * unknown CSRs, the sstatus/sie views of mstatus/mie, WARL fields of
 * mtvec and mideleg, and the cycle/time/instret counters. */
#include "macros.h"

    /* Expect csr instruction `insn` (as a .word) to raise illegal
     * instruction with the instruction bits in mtval. */
    .macro TEST_CSR_ILLEGAL desc, bits
    TRAP_EXPECT
.Lill\@:
    .word   \bits
    CHECK_TRAP "\desc", CAUSE_ILLEGAL, .Lill\@, \bits
    .endm

    /* Read a 64-bit counter pair without tearing (privileged spec 10.1:
     * read hi, lo, hi again, retry if hi changed). */
    .macro READ64 hi, lo, csr, csrh
.Lretry\@:
    csrr    \hi, \csrh
    csrr    \lo, \csr
    csrr    t3, \csrh
    bne     \hi, t3, .Lretry\@
    .endm

    TEST_BEGIN

    /* csrrw: old value out, new value in; rd = rs1 swaps */
    li      a0, 0x11111111
    csrw    mscratch, a0
    li      a1, 0x22222222
    csrrw   a2, mscratch, a1
    CHECK   "csrrw old", a2, 0x11111111
    csrr    a2, mscratch
    CHECK   "csrrw new", a2, 0x22222222
    li      a0, 0x33333333
    csrrw   a0, mscratch, a0
    CHECK   "csrrw rd=rs1 old", a0, 0x22222222
    csrr    a2, mscratch
    CHECK   "csrrw rd=rs1 new", a2, 0x33333333
    /* csrrs / csrrc set and clear bits */
    li      a0, 0x0f0f0000
    csrw    mscratch, a0
    li      a1, 0x000000ff
    csrrs   a2, mscratch, a1
    CHECK   "csrrs old", a2, 0x0f0f0000
    csrr    a2, mscratch
    CHECK   "csrrs new", a2, 0x0f0f00ff
    li      a1, 0x0f00000f
    csrrc   a2, mscratch, a1
    CHECK   "csrrc old", a2, 0x0f0f00ff
    csrr    a2, mscratch
    CHECK   "csrrc new", a2, 0x000f00f0
    /* immediate forms: uimm is zero-extended 5 bits */
    csrrwi  a2, mscratch, 31
    CHECK   "csrrwi old", a2, 0x000f00f0
    csrr    a2, mscratch
    CHECK   "csrrwi new", a2, 31
    csrrci  a2, mscratch, 0x15
    CHECK   "csrrci old", a2, 31
    csrr    a2, mscratch
    CHECK   "csrrci new", a2, 0x0a
    csrrsi  a2, mscratch, 0x10
    CHECK   "csrrsi old", a2, 0x0a
    csrr    a2, mscratch
    CHECK   "csrrsi new", a2, 0x1a
    csrrwi  x0, mscratch, 5
    csrr    a2, mscratch
    CHECK   "csrrwi rd=x0 still writes", a2, 5
    /* sscratch is a separate register */
    li      a0, 0xabcdef01
    csrw    sscratch, a0
    csrr    a2, mscratch
    CHECK   "sscratch distinct from mscratch", a2, 5
    csrr    a2, sscratch
    CHECK   "sscratch", a2, 0xabcdef01

    /* Read-only CSRs: reading is fine, and so are csrrs/csrrc with rs1 =
     * x0 and csrrsi/csrrci with uimm = 0, which do not write (spec 9.1);
     * anything that writes raises illegal instruction. */
    csrr    a0, mhartid
    CHECK   "mhartid", a0, 0
    csrrs   a0, mhartid, x0
    csrrc   a0, mhartid, x0
    csrrsi  a0, mhartid, 0
    csrrci  a0, mhartid, 0
    csrr    a0, mvendorid
    csrr    a0, marchid
    csrr    a0, mimpid
    CHECK_NO_TRAP "read-only CSR reads"
    TEST_CSR_ILLEGAL "csrw mhartid (csrrw x0, mhartid, a0)", 0xf1451073
    TEST_CSR_ILLEGAL "csrrs a1, mhartid, a0", 0xf14525f3
    TEST_CSR_ILLEGAL "csrrsi a1, mvendorid, 1", 0xf110e5f3
    TEST_CSR_ILLEGAL "csrrw to cycle (read-only)", 0xc0051073
    /* unknown CSR numbers */
    TEST_CSR_ILLEGAL "csrr from CSR 0x8ff", 0x8ff025f3
    TEST_CSR_ILLEGAL "csrr from CSR 0x7c5", 0x7c5025f3

    /* misa: MXL = 1 (32-bit) and at least I, M, A, C, S, U */
    csrr    a0, misa
    srli    a1, a0, 30
    CHECK   "misa.MXL", a1, 1
    li      a2, (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)
    and     a1, a0, a2
    CHECK   "misa has IMACSU", a1, (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)

    /* mstatus via immediates: MIE is bit 3 */
    csrci   mstatus, MSTATUS_MIE
    csrrsi  a0, mstatus, MSTATUS_MIE
    andi    a0, a0, MSTATUS_MIE
    CHECK   "csrrsi mstatus.MIE old", a0, 0
    csrr    a0, mstatus
    andi    a0, a0, MSTATUS_MIE
    CHECK   "csrrsi mstatus.MIE set", a0, MSTATUS_MIE
    csrci   mstatus, MSTATUS_MIE
    csrr    a0, mstatus
    andi    a0, a0, MSTATUS_MIE
    CHECK   "csrci mstatus.MIE", a0, 0

    /* sstatus is a window on mstatus: SIE shows through, MIE does not */
    csrsi   sstatus, MSTATUS_SIE
    csrr    a0, mstatus
    andi    a0, a0, MSTATUS_SIE
    CHECK   "sstatus.SIE visible in mstatus", a0, MSTATUS_SIE
    csrsi   mstatus, MSTATUS_MIE
    csrr    a0, sstatus
    andi    a0, a0, MSTATUS_MIE
    CHECK   "mstatus.MIE hidden from sstatus", a0, 0
    csrci   mstatus, MSTATUS_MIE | MSTATUS_SIE
    csrci   sstatus, MSTATUS_SIE
    csrr    a0, mstatus
    andi    a0, a0, MSTATUS_SIE | MSTATUS_MIE
    CHECK   "mstatus.SIE/MIE cleared", a0, 0

    /* sie: S-level interrupt enables show through only when delegated
     * (privileged spec 1.12 section 4.1.3) */
    csrw    mie, zero
    csrw    mideleg, zero
    li      a0, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrw    sie, a0
    csrr    a1, sie
    CHECK   "sie with nothing delegated", a1, 0
    csrr    a1, mie
    CHECK   "mie untouched by sie write", a1, 0
    /* mideleg: the S-level interrupts are delegable. (Which other bits
     * stick is up to the hart: QEMU 7.2 keeps the VS and LCOF bits too,
     * 0x2666, even without H, so all-ones is not written here.) */
    li      a0, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrw    mideleg, a0
    csrr    a1, mideleg
    CHECK   "mideleg S-level bits", a1, MIP_SSIP | MIP_STIP | MIP_SEIP
    li      a0, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrw    sie, a0
    csrr    a1, mie
    CHECK   "sie write reaches mie when delegated", a1, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrr    a1, sie
    CHECK   "sie read back when delegated", a1, MIP_SSIP | MIP_STIP | MIP_SEIP
    li      a0, MIP_MSIP | MIP_MTIP
    csrs    mie, a0
    csrr    a1, sie
    CHECK   "sie hides M-level enables", a1, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrw    mie, zero
    csrw    mideleg, zero

    /* mtvec: direct (0) and vectored (1) modes are kept; the reserved
     * modes 2 and 3 leave the register unchanged in QEMU (WARL) */
    csrr    s0, mtvec
    la      a0, isa_trap_vector
    ori     a1, a0, 1
    csrw    mtvec, a1
    csrr    a2, mtvec
    CHECK_REG "mtvec vectored mode kept", a2, a1
    ori     a3, a0, 2
    csrw    mtvec, a3
    csrr    a2, mtvec
    CHECK_REG "mtvec reserved mode 2 ignored", a2, a1
    csrw    mtvec, s0
    csrr    a2, mtvec
    CHECK_REG "mtvec restored", a2, s0

    /* Counters. QEMU ties cycle and instret to the host clock unless run
     * with -icount, so only ordering is checked here. */
    READ64  s0, s1, cycle, cycleh
    READ64  s2, s3, instret, instreth
    li      a0, 100
1:  addi    a0, a0, -1
    bnez    a0, 1b
    READ64  s4, s5, cycle, cycleh
    READ64  s6, s7, instret, instreth
    /* 64-bit "new > old": hi greater, or hi equal and lo greater */
    sltu    a0, s0, s4
    xor     a1, s0, s4
    seqz    a1, a1
    sltu    a2, s1, s5
    and     a1, a1, a2
    or      a0, a0, a1
    CHECK   "cycle advances", a0, 1
    sltu    a0, s2, s6
    xor     a1, s2, s6
    seqz    a1, a1
    sltu    a2, s3, s7
    and     a1, a1, a2
    or      a0, a0, a1
    CHECK   "instret advances", a0, 1
    /* the machine-mode aliases read the same counters */
    csrr    a0, mcycleh
    csrr    a1, cycleh
    sub     a0, a1, a0
    sltiu   a0, a0, 2
    CHECK   "mcycleh ~ cycleh", a0, 1

    /* time mirrors the CLINT's mtime (privileged spec 3.2.1 and 10.1) */
    li      s8, CLINT_BASE + CLINT_MTIME
2:  lw      s0, 4(s8)
    lw      s1, 0(s8)
    lw      t0, 4(s8)
    bne     s0, t0, 2b
    READ64  s2, s3, time, timeh
    /* time >= the mtime read before it */
    sltu    a0, s0, s2
    xor     a1, s0, s2
    seqz    a1, a1
    sltu    a2, s3, s1          /* lo(time) < lo(mtime)? */
    xori    a2, a2, 1
    and     a1, a1, a2
    or      a0, a0, a1
    CHECK   "time >= earlier mtime", a0, 1
    /* ...and not far ahead: within 1 s of 10 MHz ticks (a generous bound,
     * as the host may stall QEMU; cycle-based time would be far off) */
    sub     a0, s3, s1
    li      a1, 10000000
    sltu    a0, a0, a1
    CHECK   "time close to mtime", a0, 1

    /* mcycle/minstret are writable; the high half holds a written value
     * until the low half carries into it, 2^32 ticks away */
    csrw    mcycle, zero
    li      a0, 0x12345
    csrw    mcycleh, a0
    csrr    a1, mcycleh
    CHECK   "mcycleh write", a1, 0x12345
    csrw    minstret, zero
    li      a0, 0x54321
    csrw    minstreth, a0
    csrr    a1, minstreth
    CHECK   "minstreth write", a1, 0x54321
    csrr    a1, instreth
    CHECK   "instreth follows minstreth", a1, 0x54321

    TEST_PASS "zicsr"
