/* hostile/trap-loop.S: a guest that wedges itself in a trap loop after
 * saying so on UART0. No C runtime; code at 0x80000000.
 *
 * Default (hostile-trap-loop): mtvec points at an illegal instruction, and
 * the guest jumps there: every instruction traps to the same illegal
 * instruction again and none ever retires (the monitor's no-progress
 * rule). With -DSTORM (hostile-trap-storm): mtvec points at a handler that
 * returns with mret to the faulting load (an access fault at address 0)
 * without fixing anything, so the same exception recurs every other
 * instruction while mret retires (the monitor's trap-storm rule). Neither
 * ends by itself, under QEMU either. */
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
3:
#ifdef STORM
    la      t0, handler
    csrw    mtvec, t0
fault:
    lw      t1, UNMAPPED_ADDR(zero)
    j       fault
    .balign 4
handler:
    mret
#else
    la      t0, illegal
    csrw    mtvec, t0
    .balign 4
illegal:
    .word   0               /* all zeros: an illegal instruction */
#endif

    .section .rodata
message:
#ifdef STORM
    .asciz  "trap-storm: returning to a faulting load forever\n"
#else
    .asciz  "trap-loop: mtvec -> illegal instruction\n"
#endif
