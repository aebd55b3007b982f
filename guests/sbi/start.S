/* sbi/start.S: entry and trap vector of the S-mode SBI test guest.
 * Entered in S-mode as after OpenSBI: a0 = hart id, a1 = device tree.
 * Clears .bss, runs main(a0, a1), then asks the SBI to shut down
 * (SRST, reason "no reason" for 0, "system failure" otherwise). */

    .section .text.init, "ax"
    .globl _start
_start:
    la      sp, __stack_top
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  la      t0, trap_entry
    csrw    stvec, t0
    call    main
    /* sbi_system_reset(SHUTDOWN, reason) */
    snez    a1, a0
    li      a0, 0
    li      a6, 0
    li      a7, 0x53525354
    ecall
3:  wfi
    j       3b

/* The S-mode trap vector (direct mode): saves the caller-saved registers,
 * calls trap_handler(frame), restores and returns with sret. The handler
 * may change the saved sepc (frame[0]). */
    .text
    .balign 4
    .globl trap_entry
trap_entry:
    addi    sp, sp, -80
    sw      ra, 4(sp)
    sw      t0, 8(sp)
    sw      t1, 12(sp)
    sw      t2, 16(sp)
    sw      a0, 20(sp)
    sw      a1, 24(sp)
    sw      a2, 28(sp)
    sw      a3, 32(sp)
    sw      a4, 36(sp)
    sw      a5, 40(sp)
    sw      a6, 44(sp)
    sw      a7, 48(sp)
    sw      t3, 52(sp)
    sw      t4, 56(sp)
    sw      t5, 60(sp)
    sw      t6, 64(sp)
    csrr    t0, sepc
    sw      t0, 0(sp)
    mv      a0, sp
    call    trap_handler
    lw      t0, 0(sp)
    csrw    sepc, t0
    lw      ra, 4(sp)
    lw      t0, 8(sp)
    lw      t1, 12(sp)
    lw      t2, 16(sp)
    lw      a0, 20(sp)
    lw      a1, 24(sp)
    lw      a2, 28(sp)
    lw      a3, 32(sp)
    lw      a4, 36(sp)
    lw      a5, 40(sp)
    lw      a6, 44(sp)
    lw      a7, 48(sp)
    lw      t3, 52(sp)
    lw      t4, 56(sp)
    lw      t5, 60(sp)
    lw      t6, 64(sp)
    addi    sp, sp, 80
    sret
