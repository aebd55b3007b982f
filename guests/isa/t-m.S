/* t-m.S: the M extension (unprivileged spec chapter 7): every multiply
 * and divide instruction on sign boundaries, including the results the
 * spec fixes for division by zero and for INT_MIN / -1 (table 7.1), which
 * must not trap. Expected values were computed with exact integer
 * arithmetic from the spec's definitions. */
#include "macros.h"

    TEST_BEGIN

    /* mul: low 32 bits of the product, sign irrelevant */
    TEST_RR "mul: 0*0", mul, 0x00000000, 0x00000000, 0x00000000
    TEST_RR "mul: 1*1", mul, 0x00000001, 0x00000001, 0x00000001
    TEST_RR "mul: -1*-1", mul, 0x00000001, 0xffffffff, 0xffffffff
    TEST_RR "mul: -1*1", mul, 0xffffffff, 0xffffffff, 0x00000001
    TEST_RR "mul: INT_MIN*INT_MIN", mul, 0x00000000, 0x80000000, 0x80000000
    TEST_RR "mul: INT_MIN*-1", mul, 0x80000000, 0x80000000, 0xffffffff
    TEST_RR "mul: INT_MAX*INT_MAX", mul, 0x00000001, 0x7fffffff, 0x7fffffff
    TEST_RR "mul: 0x12345678*0x9abcdef0", mul, 0x242d2080, 0x12345678, 0x9abcdef0
    TEST_RR "mul: 7*-2", mul, 0xfffffff2, 0x00000007, 0xfffffffe
    TEST_RR "mul: -7*-2", mul, 0x0000000e, 0xfffffff9, 0xfffffffe

    /* mulh: signed x signed, high word */
    TEST_RR "mulh: 1*1", mulh, 0x00000000, 0x00000001, 0x00000001
    TEST_RR "mulh: -1*-1", mulh, 0x00000000, 0xffffffff, 0xffffffff
    TEST_RR "mulh: -1*1", mulh, 0xffffffff, 0xffffffff, 0x00000001
    TEST_RR "mulh: 1*-1", mulh, 0xffffffff, 0x00000001, 0xffffffff
    TEST_RR "mulh: INT_MIN*INT_MIN", mulh, 0x40000000, 0x80000000, 0x80000000
    TEST_RR "mulh: INT_MIN*-1", mulh, 0x00000000, 0x80000000, 0xffffffff
    TEST_RR "mulh: INT_MAX*INT_MAX", mulh, 0x3fffffff, 0x7fffffff, 0x7fffffff
    TEST_RR "mulh: INT_MAX*-1", mulh, 0xffffffff, 0x7fffffff, 0xffffffff
    TEST_RR "mulh: 0x12345678*0x9abcdef0", mulh, 0xf8cc93d6, 0x12345678, 0x9abcdef0
    TEST_RR "mulh: 7*-2", mulh, 0xffffffff, 0x00000007, 0xfffffffe
    TEST_RR "mulh: -7*-2", mulh, 0x00000000, 0xfffffff9, 0xfffffffe
    TEST_RR "mulh: INT_MIN*1", mulh, 0xffffffff, 0x80000000, 0x00000001

    /* mulhsu: signed rs1 x unsigned rs2, high word */
    TEST_RR "mulhsu: 1*1", mulhsu, 0x00000000, 0x00000001, 0x00000001
    TEST_RR "mulhsu: -1*0xffffffff", mulhsu, 0xffffffff, 0xffffffff, 0xffffffff
    TEST_RR "mulhsu: -1*1", mulhsu, 0xffffffff, 0xffffffff, 0x00000001
    TEST_RR "mulhsu: 1*0xffffffff", mulhsu, 0x00000000, 0x00000001, 0xffffffff
    TEST_RR "mulhsu: INT_MIN*0x80000000", mulhsu, 0xc0000000, 0x80000000, 0x80000000
    TEST_RR "mulhsu: INT_MIN*0xffffffff", mulhsu, 0x80000000, 0x80000000, 0xffffffff
    TEST_RR "mulhsu: INT_MAX*0xffffffff", mulhsu, 0x7ffffffe, 0x7fffffff, 0xffffffff
    TEST_RR "mulhsu: 0x12345678*0x9abcdef0", mulhsu, 0x0b00ea4e, 0x12345678, 0x9abcdef0
    TEST_RR "mulhsu: -7*0xfffffffe", mulhsu, 0xfffffff9, 0xfffffff9, 0xfffffffe
    TEST_RR "mulhsu: -7*2", mulhsu, 0xffffffff, 0xfffffff9, 0x00000002

    /* mulhu: unsigned x unsigned, high word */
    TEST_RR "mulhu: 1*1", mulhu, 0x00000000, 0x00000001, 0x00000001
    TEST_RR "mulhu: 0xffffffff*0xffffffff", mulhu, 0xfffffffe, 0xffffffff, 0xffffffff
    TEST_RR "mulhu: 0xffffffff*1", mulhu, 0x00000000, 0xffffffff, 0x00000001
    TEST_RR "mulhu: 0x80000000*0x80000000", mulhu, 0x40000000, 0x80000000, 0x80000000
    TEST_RR "mulhu: 0x80000000*0xffffffff", mulhu, 0x7fffffff, 0x80000000, 0xffffffff
    TEST_RR "mulhu: 0x12345678*0x9abcdef0", mulhu, 0x0b00ea4e, 0x12345678, 0x9abcdef0
    TEST_RR "mulhu: 0xfffffff9*0xfffffffe", mulhu, 0xfffffff7, 0xfffffff9, 0xfffffffe
    TEST_RR "mulhu: 0xfffffff9*2", mulhu, 0x00000001, 0xfffffff9, 0x00000002

    /* div: rounds toward zero; x/0 = -1; INT_MIN/-1 = INT_MIN (spec table 7.1) */
    TEST_RR "div: 20/6", div, 0x00000003, 0x00000014, 0x00000006
    TEST_RR "div: -20/6", div, 0xfffffffd, 0xffffffec, 0x00000006
    TEST_RR "div: 20/-6", div, 0xfffffffd, 0x00000014, 0xfffffffa
    TEST_RR "div: -20/-6", div, 0x00000003, 0xffffffec, 0xfffffffa
    TEST_RR "div: -7/2", div, 0xfffffffd, 0xfffffff9, 0x00000002
    TEST_RR "div: 7/-2", div, 0xfffffffd, 0x00000007, 0xfffffffe
    TEST_RR "div: 7/0", div, 0xffffffff, 0x00000007, 0x00000000
    TEST_RR "div: -1/0", div, 0xffffffff, 0xffffffff, 0x00000000
    TEST_RR "div: 0/0", div, 0xffffffff, 0x00000000, 0x00000000
    TEST_RR "div: INT_MIN/0", div, 0xffffffff, 0x80000000, 0x00000000
    TEST_RR "div: INT_MIN/-1", div, 0x80000000, 0x80000000, 0xffffffff
    TEST_RR "div: INT_MIN/1", div, 0x80000000, 0x80000000, 0x00000001
    TEST_RR "div: INT_MIN/2", div, 0xc0000000, 0x80000000, 0x00000002
    TEST_RR "div: INT_MAX/-1", div, 0x80000001, 0x7fffffff, 0xffffffff
    TEST_RR "div: -1/-1", div, 0x00000001, 0xffffffff, 0xffffffff
    TEST_RR "div: 0x12345678/0x9abcdef0", div, 0x00000000, 0x12345678, 0x9abcdef0

    /* divu: x/0 = 2^32-1 */
    TEST_RR "divu: 20/6", divu, 0x00000003, 0x00000014, 0x00000006
    TEST_RR "divu: 0xffffffec/6", divu, 0x2aaaaaa7, 0xffffffec, 0x00000006
    TEST_RR "divu: 0xfffffff9/2", divu, 0x7ffffffc, 0xfffffff9, 0x00000002
    TEST_RR "divu: 7/0", divu, 0xffffffff, 0x00000007, 0x00000000
    TEST_RR "divu: 0/0", divu, 0xffffffff, 0x00000000, 0x00000000
    TEST_RR "divu: 0xffffffff/0", divu, 0xffffffff, 0xffffffff, 0x00000000
    TEST_RR "divu: 0x80000000/0xffffffff", divu, 0x00000000, 0x80000000, 0xffffffff
    TEST_RR "divu: 0xffffffff/1", divu, 0xffffffff, 0xffffffff, 0x00000001
    TEST_RR "divu: 0xffffffff/0xffffffff", divu, 0x00000001, 0xffffffff, 0xffffffff
    TEST_RR "divu: 1/0xffffffff", divu, 0x00000000, 0x00000001, 0xffffffff

    /* rem: sign follows the dividend; x%0 = x; INT_MIN%-1 = 0 */
    TEST_RR "rem: 20%6", rem, 0x00000002, 0x00000014, 0x00000006
    TEST_RR "rem: -20%6", rem, 0xfffffffe, 0xffffffec, 0x00000006
    TEST_RR "rem: 20%-6", rem, 0x00000002, 0x00000014, 0xfffffffa
    TEST_RR "rem: -20%-6", rem, 0xfffffffe, 0xffffffec, 0xfffffffa
    TEST_RR "rem: -7%2", rem, 0xffffffff, 0xfffffff9, 0x00000002
    TEST_RR "rem: 7%-2", rem, 0x00000001, 0x00000007, 0xfffffffe
    TEST_RR "rem: 7%0", rem, 0x00000007, 0x00000007, 0x00000000
    TEST_RR "rem: -7%0", rem, 0xfffffff9, 0xfffffff9, 0x00000000
    TEST_RR "rem: 0%0", rem, 0x00000000, 0x00000000, 0x00000000
    TEST_RR "rem: INT_MIN%0", rem, 0x80000000, 0x80000000, 0x00000000
    TEST_RR "rem: INT_MIN%-1", rem, 0x00000000, 0x80000000, 0xffffffff
    TEST_RR "rem: INT_MIN%2", rem, 0x00000000, 0x80000000, 0x00000002
    TEST_RR "rem: INT_MAX%-1", rem, 0x00000000, 0x7fffffff, 0xffffffff
    TEST_RR "rem: 0x12345678%0x9abcdef0", rem, 0x12345678, 0x12345678, 0x9abcdef0

    /* remu: x%0 = x */
    TEST_RR "remu: 20%6", remu, 0x00000002, 0x00000014, 0x00000006
    TEST_RR "remu: 0xffffffec%6", remu, 0x00000002, 0xffffffec, 0x00000006
    TEST_RR "remu: 7%0", remu, 0x00000007, 0x00000007, 0x00000000
    TEST_RR "remu: 0xfffffff9%0", remu, 0xfffffff9, 0xfffffff9, 0x00000000
    TEST_RR "remu: 0%0", remu, 0x00000000, 0x00000000, 0x00000000
    TEST_RR "remu: 0x80000000%0xffffffff", remu, 0x80000000, 0x80000000, 0xffffffff
    TEST_RR "remu: 0x7fffffff%0xffffffff", remu, 0x7fffffff, 0x7fffffff, 0xffffffff
    TEST_RR "remu: 1%0xffffffff", remu, 0x00000001, 0x00000001, 0xffffffff
    TEST_RR "remu: 0xfffffff9%0xfffffffe", remu, 0xfffffff9, 0xfffffff9, 0xfffffffe

    /* the same register as both sources */
    li      a0, -3
    mul     a1, a0, a0
    CHECK   "mul: rs1=rs2=-3", a1, 9
    div     a1, a0, a0
    CHECK   "div: rs1=rs2=-3", a1, 1
    /* results written to x0 are discarded, even for x/0 */
    li      a1, 0
    div     x0, a0, a1
    CHECK   "div x0", x0, 0
    /* no trap: division by zero raises no exception in RISC-V */
    CHECK_NO_TRAP "div by zero"

    TEST_PASS "m"
