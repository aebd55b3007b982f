/* bench/spin.S: a guest that computes forever without trapping, after
 * saying so on UART0: an LCG whose values are summed into a word of RAM
 * at 0x80001000, loads, stores, adds, a multiply and a branch a round.
 * bench:board runs one and two of them in 8 KiB VMs to measure what a
 * second VM costs the monitor per scheduling slice (docs/moddable.md);
 * traps would measure trap delivery instead. Code at 0x80000000. */
#include "platform.h"

    .section .text.init, "ax"
    .globl _start
_start:
    la      a0, message
    li      t0, UART0_BASE
1:  lbu     t1, 0(a0)
    beqz    t1, 3f
2:  lbu     t2, UART_LSR(t0)
    andi    t2, t2, UART_LSR_THRE
    beqz    t2, 2b
    sb      t1, UART_THR(t0)
    addi    a0, a0, 1
    j       1b
3:  li      s0, 0x80001000
    li      s1, 1664525
    li      s2, 1013904223
    li      a1, 1
    sw      zero, 0(s0)
4:  mul     a1, a1, s1          /* x = x * a + c (Numerical Recipes' LCG) */
    add     a1, a1, s2
    lw      a2, 0(s0)
    srli    a3, a1, 16
    add     a2, a2, a3
    sw      a2, 0(s0)
    j       4b

    .section .rodata
message:
    .asciz  "spin: computing forever\n"
