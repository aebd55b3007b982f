/* t-ldst.S: RV32I loads and stores (unprivileged spec 2.6): widths, sign
 * and zero extension, negative offsets, little-endian byte order, and
 * misaligned accesses to RAM, which QEMU performs rather than traps (the
 * spec lets an execution environment do either; the xsvisor design says
 * "performed"), including one that straddles a 4 KiB page boundary. */
#include "macros.h"

    .section .data.ldst, "aw"
    .balign 16
pattern:
    .word   0x80402010, 0xfedcba98, 0x7f017f01, 0x00000000

    .section .bss.ldst, "aw", @nobits
    .balign 4096
scratch:
    .space  8192

    TEST_BEGIN
    la      s0, pattern

    /* little-endian: byte 0 is the least significant */
    lb      a0, 0(s0)
    CHECK   "lb 0x10", a0, 0x10
    lb      a0, 3(s0)
    CHECK   "lb 0x80 sign-extends", a0, 0xffffff80
    lbu     a0, 3(s0)
    CHECK   "lbu 0x80 zero-extends", a0, 0x80
    lb      a0, 6(s0)
    CHECK   "lb 0xdc", a0, 0xffffffdc
    lbu     a0, 6(s0)
    CHECK   "lbu 0xdc", a0, 0xdc
    lb      a0, 9(s0)
    CHECK   "lb 0x7f", a0, 0x7f
    lh      a0, 0(s0)
    CHECK   "lh 0x2010", a0, 0x2010
    lh      a0, 2(s0)
    CHECK   "lh 0x8040 sign-extends", a0, 0xffff8040
    lhu     a0, 2(s0)
    CHECK   "lhu 0x8040 zero-extends", a0, 0x8040
    lh      a0, 6(s0)
    CHECK   "lh 0xfedc", a0, 0xfffffedc
    lhu     a0, 6(s0)
    CHECK   "lhu 0xfedc", a0, 0xfedc
    lw      a0, 4(s0)
    CHECK   "lw", a0, 0xfedcba98

    /* negative offsets reach below the base register */
    addi    s1, s0, 8
    lw      a0, -8(s1)
    CHECK   "lw -8(base)", a0, 0x80402010
    lbu     a0, -1(s1)
    CHECK   "lbu -1(base)", a0, 0xfe
    /* loading into the base register itself */
    mv      a1, s1
    lw      a1, -4(a1)
    CHECK   "lw rd=rs1", a1, 0xfedcba98
    /* a load to x0 is performed but the value discarded */
    lw      x0, 0(s0)
    CHECK   "lw x0", x0, 0

    /* stores write exactly their width */
    la      s1, scratch
    li      a0, -1
    sw      a0, 0(s1)
    sw      a0, 4(s1)
    li      a0, 0x12345678
    sb      a0, 1(s1)
    lw      a1, 0(s1)
    CHECK   "sb writes one byte", a1, 0xffff78ff
    sh      a0, 4(s1)
    lw      a1, 4(s1)
    CHECK   "sh writes two bytes", a1, 0xffff5678
    sw      a0, 0(s1)
    lw      a1, 0(s1)
    CHECK   "sw", a1, 0x12345678
    sw      zero, -4(s1)
    sw      a0, 8(s1)
    addi    s2, s1, 16
    sb      a0, -8(s2)
    lw      a1, 8(s1)
    CHECK   "sb -8(base)", a1, 0x12345678

    /* Misaligned RAM accesses at every offset within a word. */
    li      a0, 0x44332211
    li      a1, 0x88776655
    sw      a0, 16(s1)
    sw      a1, 20(s1)
    lw      a2, 17(s1)
    CHECK   "lw misaligned +1", a2, 0x55443322
    lw      a2, 18(s1)
    CHECK   "lw misaligned +2", a2, 0x66554433
    lw      a2, 19(s1)
    CHECK   "lw misaligned +3", a2, 0x77665544
    lh      a2, 17(s1)
    CHECK   "lh misaligned +1", a2, 0x3322
    lh      a2, 19(s1)
    CHECK   "lh misaligned +3 (crosses word)", a2, 0x5544
    lh      a2, 22(s1)
    CHECK   "lh +2 sign-extends", a2, 0xffff8877
    lh      a2, 21(s1)
    CHECK   "lh misaligned +1 sign", a2, 0x7766
    lhu     a2, 23(s1)
    CHECK   "lhu misaligned crosses into next word", a2, 0x0088

    li      a3, 0xa1b2c3d4
    sw      a3, 25(s1)
    lw      a2, 24(s1)
    CHECK   "sw misaligned +1 low word", a2, 0xb2c3d400
    lbu     a2, 28(s1)
    CHECK   "sw misaligned +1 high byte", a2, 0xa1
    li      a3, 0xbeef
    sh      a3, 31(s1)
    lbu     a2, 31(s1)
    CHECK   "sh misaligned +3 low byte", a2, 0xef
    lbu     a2, 32(s1)
    CHECK   "sh misaligned +3 high byte", a2, 0xbe

    /* straddling the page boundary at scratch + 4096 */
    li      t0, 4096
    add     s3, s1, t0
    li      a0, 0x0d0c0b0a
    sw      a0, -2(s3)
    lbu     a2, -2(s3)
    CHECK   "page-crossing sw byte 0", a2, 0x0a
    lbu     a2, 1(s3)
    CHECK   "page-crossing sw byte 3", a2, 0x0d
    lw      a2, -2(s3)
    CHECK   "page-crossing lw", a2, 0x0d0c0b0a
    lh      a2, -1(s3)
    CHECK   "page-crossing lh", a2, 0x0c0b
    lw      a2, -3(s3)
    li      t1, 0x0c0b0a00
    srli    a2, a2, 8
    srli    t1, t1, 8
    CHECK_REG "page-crossing lw -3", a2, t1

    TEST_PASS "ldst"
