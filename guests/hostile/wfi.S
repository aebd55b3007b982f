/* hostile/wfi.S: a guest that disables every interrupt (mie = 0,
 * mstatus.MIE = 0) and waits in WFI forever, after saying so on UART0.
 * No interrupt can wake it (privileged spec 3.3.3: WFI resumes on an
 * interrupt pending and enabled in mie), so it never ends by itself,
 * under QEMU either; a monitor must still be able to stop it (--timeout)
 * without spinning, and other VMs must run on. Code at 0x80000000. */
#include "platform.h"

    .section .text.init, "ax"
    .globl _start
_start:
    csrw    mie, zero
    csrci   mstatus, MSTATUS_MIE
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
3:  wfi
    j       3b

    .section .rodata
message:
    .asciz  "wfi: interrupts off, sleeping forever\n"
