/* htif.h: the HTIF exit convention shared by the htif-* guests (as used by
 * the RISC-V ISA test suites and Spike): a 64-bit tohost word, written 1
 * for pass or (code << 1) | 1 for failure with exit status `code`. */
#ifndef GUESTS_HTIF_H
#define GUESTS_HTIF_H

    /* QEMU 7.2's HTIF acts when the high word of tohost is written, so
     * on RV32 the low word goes first, then the high word. */
    .macro HTIF_EXIT value
    la      t0, tohost
    li      t1, \value
    sw      t1, 0(t0)
    sw      zero, 4(t0)
1:  j       1b                  /* the host stops us; spin until it does */
    .endm

    /* QEMU finds these through the ELF symbol table and refuses them
     * unless their st_size is 8. */
    .macro HTIF_SYMBOLS
    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost:
    .dword  0
    .balign 64
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost:
    .dword  0
    .endm

#endif
