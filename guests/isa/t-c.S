/* t-c.S: the C extension for RV32 (unprivileged spec chapter 16): every
 * RV32C instruction, each assembled as a 16-bit encoding (checked at
 * assembly time), with immediate sign extension at the range ends, link
 * values of pc + 2, HINT encodings that must act as no-ops, and the
 * reserved encodings that must raise illegal instruction with the 16-bit
 * instruction in mtval. */
#include "macros.h"

    .option rvc
    .option norelax             /* keeps label differences constant for C16 */

    /* Assemble one instruction and refuse anything but a 16-bit form.
     * (Branches and jumps cannot be measured this way, since their frags
     * stay variable until link time; the explicit c.* mnemonics still
     * select the 16-bit encodings.) */
    .macro C16 insn:vararg
.Lc\@:
    \insn
    .if . - .Lc\@ != 2
    .error "not a 16-bit encoding"
    .endif
    .endm

    .section .bss.rvc, "aw", @nobits
    .balign 16
buffer:
    .space  1024

    TEST_BEGIN
    mv      s11, sp             /* sp is borrowed for the sp-based forms */

    /* CI: c.li / c.lui / c.addi / c.addi16sp / c.slli, c.nop */
    C16     c.li a0, 31
    CHECK   "c.li 31", a0, 31
    C16     c.li a0, -32
    CHECK   "c.li -32", a0, -32
    C16     c.lui a1, 1
    CHECK   "c.lui 1", a1, 0x1000
    C16     c.lui a1, 0x1f
    CHECK   "c.lui 0x1f", a1, 0x1f000
    C16     c.lui a1, 0xfffe0   /* nzimm[17] set: sign-extends */
    CHECK   "c.lui 0xfffe0", a1, 0xfffe0000
    C16     c.lui a1, 0xfffff
    CHECK   "c.lui 0xfffff", a1, 0xfffff000
    li      a0, 100
    C16     c.addi a0, 31
    CHECK   "c.addi 31", a0, 131
    C16     c.addi a0, -32
    CHECK   "c.addi -32", a0, 99
    C16     c.nop
    CHECK   "c.nop", a0, 99
    li      a0, 0x00010001
    C16     c.slli a0, 31
    CHECK   "c.slli 31", a0, 0x80000000
    li      a0, 0x00010001
    C16     c.slli a0, 1
    CHECK   "c.slli 1", a0, 0x00020002
    li      sp, 0x1000
    C16     c.addi16sp sp, 496
    CHECK   "c.addi16sp 496", sp, 0x11f0
    C16     c.addi16sp sp, -512
    CHECK   "c.addi16sp -512", sp, 0x0ff0
    C16     c.addi16sp sp, 16
    CHECK   "c.addi16sp 16", sp, 0x1000

    /* CIW: c.addi4spn, zero-extended scaled immediate */
    li      sp, 0x2000
    C16     c.addi4spn a2, sp, 4
    CHECK   "c.addi4spn 4", a2, 0x2004
    C16     c.addi4spn a2, sp, 1020
    CHECK   "c.addi4spn 1020", a2, 0x23fc

    /* CB: c.srli / c.srai / c.andi */
    li      a3, 0x80000010
    C16     c.srli a3, 4
    CHECK   "c.srli 4", a3, 0x08000001
    li      a3, 0x80000010
    C16     c.srli a3, 31
    CHECK   "c.srli 31", a3, 1
    li      a3, 0x80000010
    C16     c.srai a3, 4
    CHECK   "c.srai 4", a3, 0xf8000001
    li      a3, 0x80000010
    C16     c.srai a3, 31
    CHECK   "c.srai 31", a3, 0xffffffff
    li      a4, 0x12345678
    C16     c.andi a4, -8
    CHECK   "c.andi -8", a4, 0x12345678 & ~7
    li      a4, 0x12345678
    C16     c.andi a4, 31
    CHECK   "c.andi 31", a4, 0x18
    li      a4, 0x12345678
    C16     c.andi a4, -32
    CHECK   "c.andi -32", a4, 0x12345660

    /* CA: c.sub / c.xor / c.or / c.and (registers x8-x15 only) */
    li      s0, 10
    li      s1, 25
    C16     c.sub s0, s1
    CHECK   "c.sub", s0, -15
    li      a5, 0xff00ff00
    li      a4, 0x0ff00ff0
    C16     c.xor a5, a4
    CHECK   "c.xor", a5, 0xf0f0f0f0
    li      a5, 0xff00ff00
    C16     c.or a5, a4
    CHECK   "c.or", a5, 0xfff0fff0
    li      a5, 0xff00ff00
    C16     c.and a5, a4
    CHECK   "c.and", a5, 0x0f000f00

    /* CR: c.mv / c.add, any register */
    li      t0, 0x5a5a5a5a
    C16     c.mv t2, t0
    CHECK   "c.mv", t2, 0x5a5a5a5a
    li      s6, 0x7fffffff
    C16     c.add s6, t0
    CHECK   "c.add", s6, 0x7fffffff + 0x5a5a5a5a
    li      a7, 3
    C16     c.mv s10, a7
    CHECK   "c.mv s10", s10, 3

    /* CL / CS: c.lw / c.sw, offsets 0..124 */
    la      s1, buffer
    li      a0, 0x11111111
    C16     c.sw a0, 0(s1)
    li      a0, 0x22222222
    C16     c.sw a0, 124(s1)
    lw      a1, 0(s1)
    CHECK   "c.sw 0", a1, 0x11111111
    lw      a1, 124(s1)
    CHECK   "c.sw 124", a1, 0x22222222
    C16     c.lw a2, 124(s1)
    CHECK   "c.lw 124", a2, 0x22222222
    C16     c.lw s1, 0(s1)       /* rd = rs1 */
    CHECK   "c.lw rd=rs1", s1, 0x11111111

    /* CI / CSS: c.lwsp / c.swsp, offsets 0..252 */
    la      sp, buffer
    li      t1, 0x33333333
    C16     c.swsp t1, 252(sp)
    li      t1, 0x44444444
    C16     c.swsp t1, 4(sp)
    la      s1, buffer
    lw      a1, 252(s1)
    CHECK   "c.swsp 252", a1, 0x33333333
    C16     c.lwsp t2, 4(sp)
    CHECK   "c.lwsp 4", t2, 0x44444444
    C16     c.lwsp s10, 252(sp)
    CHECK   "c.lwsp 252 into s10", s10, 0x33333333
    mv      sp, s11

    /* CB: c.beqz / c.bnez, taken and not taken */
    li      s0, 0
    li      a0, 0
            c.beqz s0, 1f
    li      a0, 1
1:  CHECK   "c.beqz taken", a0, 0
    li      s0, -1
            c.beqz s0, 2f
    li      a0, 2
2:  CHECK   "c.beqz not taken", a0, 2
    li      a0, 0
            c.bnez s0, 3f
    li      a0, 3
3:  CHECK   "c.bnez taken", a0, 0
    li      s0, 0
            c.bnez s0, 4f
    li      a0, 4
4:  CHECK   "c.bnez not taken", a0, 4
    /* backward c.bnez loop */
    li      s0, 5
    li      a0, 0
5:  addi    a0, a0, 2
    addi    s0, s0, -1
            c.bnez s0, 5b
    CHECK   "c.bnez backward loop", a0, 10

    /* CJ: c.j / c.jal (link = pc + 2) */
    li      a0, 0
            c.j 6f
    li      a0, 1
6:  CHECK   "c.j", a0, 0
            c.jal 7f
8:  j       9f
7:  la      a1, 8b
    CHECK_REG "c.jal link", ra, a1
    ret
9:
    /* CR: c.jr / c.jalr (link = pc + 2) */
    la      t0, 10f
    C16     c.jr t0
    CHECK   "c.jr fell through", x0, 1
10: la      t0, 11f
    C16     c.jalr t0
12: j       13f
11: la      a1, 12b
    CHECK_REG "c.jalr link", ra, a1
    ret
13:
    /* c.jalr with rs1 = ra: the target is read before the link is written */
    la      ra, 14f
    C16     c.jalr ra
15: j       16f
14: la      a1, 15b
    CHECK_REG "c.jalr ra link", ra, a1
    ret
16:
    /* a compressed instruction followed by a 32-bit one at a 2-mod-4
     * address: the 32-bit instruction straddles a word boundary */
    .balign 4
    C16     c.li a0, 1
    li      a1, 0x12345000      /* lui, at pc % 4 == 2 */
    addi    a1, a1, 0x678
    CHECK   "32-bit instruction at pc%4==2", a1, 0x12345678

    /* c.ebreak: breakpoint, mepc at the 16-bit instruction, mtval 0
     * (QEMU 7.2 writes 0; the spec also allows the pc) */
    TRAP_EXPECT
17:
    C16     c.ebreak
    CHECK_TRAP "c.ebreak", CAUSE_BREAKPOINT, 17b, 0

    /* HINTs (spec 16.7): legal encodings that must change nothing */
    li      a0, 0x1234
    .half   0x0015              /* c.addi x0, 5 (c.nop with nzimm) */
    .half   0x4005              /* c.li x0, 1 */
    .half   0x6005              /* c.lui x0, 1 */
    .half   0x802a              /* c.mv x0, a0 */
    .half   0x902a              /* c.add x0, a0 */
    .half   0x0006              /* c.slli x0, 1 */
    .half   0x0502              /* c.slli a0, 0 (c.slli64) */
    CHECK   "compressed HINTs", a0, 0x1234
    CHECK_NO_TRAP "compressed HINTs"

    /* Reserved encodings: illegal instruction, mtval = the 16 bits */
    .macro TEST_C_ILLEGAL desc, bits
    TRAP_EXPECT
.Lill\@:
    .half   \bits
    CHECK_TRAP "\desc", CAUSE_ILLEGAL, .Lill\@, \bits
    .endm
    TEST_C_ILLEGAL "c.unimp (0x0000)", 0x0000
    TEST_C_ILLEGAL "c.addi4spn nzuimm=0", 0x0004
    TEST_C_ILLEGAL "c.lwsp rd=0", 0x4002
    TEST_C_ILLEGAL "c.jr rs1=0", 0x8002
    TEST_C_ILLEGAL "c.lui nzimm=0", 0x6081
    TEST_C_ILLEGAL "c.addi16sp nzimm=0", 0x6101
    TEST_C_ILLEGAL "c.slli shamt=32 on RV32", 0x1502
    TEST_C_ILLEGAL "c.flw (no F)", 0x6188
    TEST_C_ILLEGAL "c.fsd (no D)", 0xa188

    mv      sp, s11
    TEST_PASS "c"
