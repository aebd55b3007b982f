/* t-rv32i.S: RV32I integer computation (unprivileged spec chapter 2.4):
 * register-register and register-immediate ALU operations, shifts with
 * every interesting amount, LUI/AUIPC, and writes to x0. */
#include "macros.h"

    TEST_BEGIN

    /* add/sub wrap modulo 2^32; no overflow exception exists. */
    TEST_RR "add: 1+1", add, 2, 1, 1
    TEST_RR "add: -1+1", add, 0, -1, 1
    TEST_RR "add: INT_MAX+1", add, 0x80000000, 0x7fffffff, 1
    TEST_RR "add: 0xffffffff+0xffffffff", add, 0xfffffffe, 0xffffffff, 0xffffffff
    TEST_RR "sub: 0-1", sub, 0xffffffff, 0, 1
    TEST_RR "sub: INT_MIN-1", sub, 0x7fffffff, 0x80000000, 1
    TEST_RR "sub: 5-7", sub, -2, 5, 7

    TEST_RR "and", and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f
    TEST_RR "or", or, 0xff0fff0f, 0xff00ff00, 0x0f0f0f0f
    TEST_RR "xor", xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f

    /* slt is signed, sltu unsigned: they disagree once the sign bit is set. */
    TEST_RR "slt: -1<1", slt, 1, -1, 1
    TEST_RR "slt: 1<-1", slt, 0, 1, -1
    TEST_RR "slt: INT_MIN<INT_MAX", slt, 1, 0x80000000, 0x7fffffff
    TEST_RR "slt: equal", slt, 0, 7, 7
    TEST_RR "sltu: 0xffffffff<1", sltu, 0, 0xffffffff, 1
    TEST_RR "sltu: 1<0xffffffff", sltu, 1, 1, 0xffffffff
    TEST_RR "sltu: 0<0", sltu, 0, 0, 0

    /* Register shifts use only rs2[4:0] (unprivileged spec 2.4.2). */
    TEST_RR "sll: by 0", sll, 0x12345678, 0x12345678, 0
    TEST_RR "sll: by 4", sll, 0x23456780, 0x12345678, 4
    TEST_RR "sll: by 31", sll, 0x80000000, 0x00000001, 31
    TEST_RR "sll: by 32 (masked to 0)", sll, 0x12345678, 0x12345678, 32
    TEST_RR "sll: by 0xffffffe1 (masked to 1)", sll, 0x2468acf0, 0x12345678, 0xffffffe1
    TEST_RR "srl: by 4", srl, 0x08765432, 0x87654321, 4
    TEST_RR "srl: by 31", srl, 1, 0x80000000, 31
    TEST_RR "srl: by 33 (masked to 1)", srl, 0x43b2a190, 0x87654321, 33
    TEST_RR "sra: negative by 4", sra, 0xf8765432, 0x87654321, 4
    TEST_RR "sra: negative by 31", sra, 0xffffffff, 0x80000000, 31
    TEST_RR "sra: positive by 31", sra, 0, 0x7fffffff, 31
    TEST_RR "sra: by 63 (masked to 31)", sra, 0xffffffff, 0x80000000, 63

    /* 12-bit immediates are sign-extended, also for the unsigned compare. */
    TEST_RI "addi: +2047", addi, 2048, 1, 2047
    TEST_RI "addi: -2048", addi, 0xfffff800, 0, -2048
    TEST_RI "addi: wrap", addi, 0x80000000, 0x7fffffff, 1
    TEST_RI "slti: -5<-4", slti, 1, -5, -4
    TEST_RI "slti: 0<-1", slti, 0, 0, -1
    TEST_RI "sltiu: 5<-1 (0xffffffff)", sltiu, 1, 5, -1
    TEST_RI "sltiu: seqz idiom", sltiu, 1, 0, 1
    TEST_RI "sltiu: seqz idiom, nonzero", sltiu, 0, 0x80000000, 1
    TEST_RI "andi: -1 mask", andi, 0x12345678, 0x12345678, -1
    TEST_RI "andi: 0x7ff", andi, 0x678, 0x12345678, 0x7ff
    TEST_RI "andi: -2048", andi, 0x12345000, 0x12345678, -2048
    TEST_RI "ori: sign-extended", ori, 0xfffff87f, 0x0000007f, -2048
    TEST_RI "xori: not idiom", xori, 0xedcba987, 0x12345678, -1
    TEST_RI "slli: 31", slli, 0x80000000, 0xffffffff, 31
    TEST_RI "slli: 0", slli, 0xdeadbeef, 0xdeadbeef, 0
    TEST_RI "srli: 31", srli, 1, 0xffffffff, 31
    TEST_RI "srli: 1", srli, 0x7fffffff, 0xffffffff, 1
    TEST_RI "srai: 1", srai, 0xffffffff, 0xffffffff, 1
    TEST_RI "srai: 31 positive", srai, 0, 0x7fffffff, 31
    TEST_RI "srai: 16", srai, 0xffff8765, 0x87654321, 16

    /* lui fills bits 31:12 and clears the rest. */
    li      a0, -1
    lui     a0, 0xfffff
    CHECK   "lui: 0xfffff", a0, 0xfffff000
    lui     a0, 0x80000
    CHECK   "lui: 0x80000", a0, 0x80000000
    lui     a0, 0
    CHECK   "lui: 0", a0, 0

    /* auipc adds to the address of the auipc itself. */
1:  auipc   a0, 0
    la      a1, 1b
    CHECK_REG "auipc: 0", a0, a1
2:  auipc   a0, 0x12345
    la      a1, 2b
    li      a2, 0x12345000
    add     a1, a1, a2
    CHECK_REG "auipc: 0x12345", a0, a1
3:  auipc   a0, 0xfffff
    la      a1, 3b
    li      a2, 0xfffff000
    add     a1, a1, a2
    CHECK_REG "auipc: -4096", a0, a1

    /* x0 ignores writes and reads as zero as a source. */
    li      a0, 5
    add     x0, a0, a0
    CHECK   "x0 after add", x0, 0
    addi    x0, x0, 1
    CHECK   "x0 after addi", x0, 0
    lui     x0, 0x12345
    CHECK   "x0 after lui", x0, 0
    sub     a1, x0, a0
    CHECK   "sub from x0", a1, -5
    /* nop is addi x0, x0, 0 */
    nop
    CHECK   "x0 after nop", x0, 0

    /* A chain through every register catches a decoder that confuses
     * register numbers (all of x1..x31 except sp, gp, tp). */
    li      x1, 1
    addi    x5, x1, 1
    addi    x6, x5, 1
    addi    x7, x6, 1
    addi    x8, x7, 1
    addi    x9, x8, 1
    addi    x10, x9, 1
    addi    x11, x10, 1
    addi    x12, x11, 1
    addi    x13, x12, 1
    addi    x14, x13, 1
    addi    x15, x14, 1
    addi    x16, x15, 1
    addi    x17, x16, 1
    addi    x18, x17, 1
    addi    x19, x18, 1
    addi    x20, x19, 1
    addi    x21, x20, 1
    addi    x22, x21, 1
    addi    x23, x22, 1
    addi    x24, x23, 1
    addi    x25, x24, 1
    addi    x26, x25, 1
    addi    x27, x26, 1
    addi    x28, x27, 1
    addi    x29, x28, 1
    addi    x30, x29, 1
    addi    x31, x30, 1
    /* CHECK uses x31 (t6) as scratch: read the chain out first */
    add     a0, x1, x31
    add     a0, a0, x16
    mv      s11, x31
    CHECK   "register chain x31", s11, 28
    CHECK   "register chain sum", a0, 42

    TEST_PASS "rv32i"
