/* t-branch.S: RV32I control transfer (unprivileged spec 2.5): every
 * conditional branch taken and not taken, forward and backward, with
 * signed/unsigned edge operands; JAL and JALR link values, JALR's
 * cleared low bit, and rd == rs1 for JALR. */
#include "macros.h"

    /* Run `op a, b` and record whether it branched (1) or fell through (0). */
    .macro TEST_BR desc, op, a, b, taken
    li      a3, \a
    li      a4, \b
    li      a5, 0
    \op     a3, a4, .Ltaken\@
    j       .Ldone\@
.Ltaken\@:
    li      a5, 1
.Ldone\@:
    CHECK   "\desc", a5, \taken
    .endm

    TEST_BEGIN

    TEST_BR "beq equal", beq, 5, 5, 1
    TEST_BR "beq differ", beq, 5, 6, 0
    TEST_BR "beq -1,-1", beq, -1, -1, 1
    TEST_BR "bne equal", bne, 5, 5, 0
    TEST_BR "bne differ", bne, 0, 0x80000000, 1
    TEST_BR "blt -1<1", blt, -1, 1, 1
    TEST_BR "blt 1<-1", blt, 1, -1, 0
    TEST_BR "blt equal", blt, 7, 7, 0
    TEST_BR "blt INT_MIN<INT_MAX", blt, 0x80000000, 0x7fffffff, 1
    TEST_BR "bge -1>=1", bge, -1, 1, 0
    TEST_BR "bge 1>=-1", bge, 1, -1, 1
    TEST_BR "bge equal", bge, 7, 7, 1
    TEST_BR "bltu 0xffffffff<1", bltu, 0xffffffff, 1, 0
    TEST_BR "bltu 1<0xffffffff", bltu, 1, 0xffffffff, 1
    TEST_BR "bltu equal", bltu, 3, 3, 0
    TEST_BR "bgeu 0xffffffff>=1", bgeu, 0xffffffff, 1, 1
    TEST_BR "bgeu 0>=1", bgeu, 0, 1, 0
    TEST_BR "bgeu equal", bgeu, 0x80000000, 0x80000000, 1

    /* backward branch: a counted loop */
    li      a0, 0
    li      a1, 10
1:  addi    a0, a0, 3
    addi    a1, a1, -1
    bnez    a1, 1b
    CHECK   "backward bnez loop", a0, 30

    /* comparisons against x0 as either operand */
    li      a5, 0
    li      a3, -3
    blt     x0, a3, 2f
    li      a5, 1
2:  CHECK   "blt x0,-3 not taken", a5, 1
    li      a5, 0
    bgeu    a3, x0, 3f
    li      a5, 1
3:  CHECK   "bgeu -3,x0 taken", a5, 0

    /* jal links the address of the next instruction */
    jal     ra, 4f
5:  j       6f
4:  la      a0, 5b
    CHECK_REG "jal link", ra, a0
    jr      ra
6:
    /* jal with rd=x0 is a plain jump: x0 stays 0 */
    jal     x0, 7f
    CHECK   "jal x0 fell through", x0, 1
7:  CHECK   "jal x0 link", x0, 0

    /* a far jal, backward and forward across a 2 KiB gap */
    j       8f
9:  li      a0, 0x99
    j       10f
8:  jal     x0, 9b
    .skip   2048
10: CHECK   "far jal", a0, 0x99

    /* jalr: target = (rs1 + imm) & ~1 */
    la      a1, 11f
    addi    a1, a1, -7
    jalr    a2, 7(a1)
12: CHECK   "jalr fell through", x0, 1
11: la      a0, 12b
    CHECK_REG "jalr link", a2, a0
    la      a1, 13f
    addi    a1, a1, 1
    jalr    x0, 0(a1)           /* odd target: bit 0 is dropped */
    CHECK   "jalr odd target fell through", x0, 1
13:
    /* rd == rs1: the target is computed from the old value */
    la      a1, 14f
    jalr    a1, 0(a1)
15: CHECK   "jalr rd=rs1 fell through", x0, 1
14: la      a0, 15b
    CHECK_REG "jalr rd=rs1 link", a1, a0
    /* negative offset */
    la      a1, 16f
    addi    a1, a1, 16
    jalr    x0, -16(a1)
    CHECK   "jalr -16 fell through", x0, 1
16:
    TEST_PASS "branch"
