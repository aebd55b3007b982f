/* overlap/overlap.S: reads back what the loader put where PT_LOAD segments
 * overlap (see link.ld) and prints it on UART0, then PASS or FAIL by the
 * test finisher. The expected values are QEMU 7.2's (tests/qemu compares
 * the output byte for byte):
 *   sdata 0x4f564c21   .sdata's word, untouched by the p_filesz 0 segment
 *   bss   0x00000000 0x00000000   .bss, never written by anyone
 *   phys  0x4f564c21   .bss's load address, which is .sdata's word
 *   dat2  0x64617432 0x00000000 0x68692121 0x00000000 0x00000000
 *         .dat2 and the zero fill after it, with .hi's bytes at +8
 *   hi    0x00000000   .hi's link address: its bytes went to its load address */
#include "platform.h"

    .section .text.init, "ax"
    .globl _start
_start:
    li      s0, UART0_BASE
    li      s2, 0                   /* mismatches */

    la      a0, t_sdata
    call    puts
    la      a1, sdata
    lw      a0, 0(a1)
    li      a2, 0x4f564c21
    call    check
    la      a0, t_bss
    call    puts
    la      a1, bss
    lw      a0, 0(a1)
    li      a2, 0
    call    check
    la      a1, bss
    lw      a0, 4(a1)
    li      a2, 0
    call    check
    la      a0, t_phys
    call    puts
    li      a1, 0x80400000
    lw      a0, 0(a1)
    li      a2, 0x4f564c21
    call    check
    la      a0, t_dat2
    call    puts
    la      s1, dat2
    lw      a0, 0(s1)
    li      a2, 0x64617432
    call    check
    lw      a0, 4(s1)
    li      a2, 0
    call    check
    lw      a0, 8(s1)
    li      a2, 0x68692121
    call    check
    lw      a0, 12(s1)
    li      a2, 0
    call    check
    lw      a0, 16(s1)
    li      a2, 0
    call    check
    la      a0, t_hi
    call    puts
    la      a1, hi
    lw      a0, 0(a1)
    li      a2, 0
    call    check

    li      t0, FINISHER_BASE
    bnez    s2, 1f
    la      a0, t_pass
    call    puts
    li      t1, FINISHER_PASS
    sw      t1, 0(t0)
    j       .
1:  la      a0, t_fail
    call    puts
    li      t1, (1 << 16) | FINISHER_FAIL
    sw      t1, 0(t0)
    j       .

/* check: prints " 0x" and a0 in hex; counts a0 != a2 in s2; a newline after the last of a line is puts' job. */
check:
    mv      t6, ra
    beq     a0, a2, 1f
    addi    s2, s2, 1
1:  mv      a3, a0
    li      a0, ' '
    call    putc
    li      a0, '0'
    call    putc
    li      a0, 'x'
    call    putc
    li      a4, 28
2:  srl     a0, a3, a4
    andi    a0, a0, 15
    li      t1, 10
    blt     a0, t1, 3f
    addi    a0, a0, 'a' - '0' - 10
3:  addi    a0, a0, '0'
    call    putc
    addi    a4, a4, -4
    bgez    a4, 2b
    mv      ra, t6
    ret

/* puts: the NUL-terminated string at a0. */
puts:
    mv      t5, ra
    mv      t4, a0
1:  lbu     a0, 0(t4)
    beqz    a0, 2f
    call    putc
    addi    t4, t4, 1
    j       1b
2:  mv      ra, t5
    ret

/* putc: a0 on UART0, waiting for room. */
putc:
1:  lbu     t2, UART_LSR(s0)
    andi    t2, t2, UART_LSR_THRE
    beqz    t2, 1b
    sb      a0, UART_THR(s0)
    ret

t_sdata: .asciz "sdata"
t_bss:   .asciz "\nbss  "
t_phys:  .asciz "\nphys "
t_dat2:  .asciz "\ndat2 "
t_hi:    .asciz "\nhi   "
t_pass:  .asciz "\nPASS overlap\n"
t_fail:  .asciz "\nFAIL overlap\n"

    .section .sdata, "aw"
sdata:  .word 0x4f564c21

    .section .bss, "aw", @nobits
bss:    .space 8

    .section .dat2, "aw"
dat2:   .word 0x64617432
    .section .bss2, "aw", @nobits
        .space 16

    .section .hi, "aw"
hi:     .word 0x68692121
