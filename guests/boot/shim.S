/* boot/shim.S: a minimal M-mode SBI of our own, so that QEMU can run the
 * boot benchmark's S-mode kernel (boot-qemu.elf, -bios none): Debian's
 * qemu-system-misc ships OpenSBI for rv64 only. It does what OpenSBI does
 * for this kernel and no more (SBI specification 2.0): TIME set_timer
 * (mtimecmp; STIP raised from the M timer interrupt, cleared by the next
 * set_timer), SRST shutdown through the sifive,test0 finisher; any other
 * call returns SBI_ERR_NOT_SUPPORTED. Delegation as OpenSBI: misaligned
 * fetch, breakpoint, ECALL from U and page faults to S; SSI, STI, SEI. */

#define CLINT_MTIMECMP 0x02004000
#define FINISHER 0x00100000

    .section .shim, "ax"
    .globl _shim
_shim:
    la      t0, shim_trap
    csrw    mtvec, t0
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f            /* NAPOT over the whole bus, RWX */
    csrw    pmpcfg0, t0
    li      t0, (1 << 0) | (1 << 3) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
    csrw    medeleg, t0
    li      t0, (1 << 1) | (1 << 5) | (1 << 9)
    csrw    mideleg, t0
    li      t0, 7
    csrw    mcounteren, t0
    csrw    scounteren, t0
    li      t0, 0x1800          /* MPP */
    csrc    mstatus, t0
    li      t0, 0x0800          /* MPP = S */
    csrs    mstatus, t0
    li      t0, 0x80400000
    csrw    mepc, t0
    la      sp, shim_stack_top
    csrw    mscratch, sp
    mret                        /* a0 = hart id, a1 = device tree, as QEMU left them */

    .balign 4
shim_trap:
    csrrw   sp, mscratch, sp
    addi    sp, sp, -16
    sw      t0, 0(sp)
    sw      t1, 4(sp)
    sw      t2, 8(sp)
    csrr    t0, mcause
    bltz    t0, shim_irq
    li      t1, 9               /* ECALL from S */
    bne     t0, t1, shim_fail
    csrr    t0, mepc
    addi    t0, t0, 4
    csrw    mepc, t0
    li      t1, 0x54494D45      /* TIME */
    beq     a7, t1, shim_set_timer
    li      t1, 0x53525354      /* SRST */
    beq     a7, t1, shim_reset
    li      a0, -2              /* SBI_ERR_NOT_SUPPORTED */
    j       shim_out
shim_set_timer:                 /* a0 = low, a1 = high; no spurious match while the halves change */
    li      t0, CLINT_MTIMECMP
    li      t1, -1
    sw      t1, 4(t0)
    sw      a0, 0(t0)
    sw      a1, 4(t0)
    li      t0, 1 << 5          /* STIP */
    csrc    mip, t0
    li      t0, 1 << 7          /* MTIE */
    csrs    mie, t0
    li      a0, 0
    li      a1, 0
    j       shim_out
shim_reset:                     /* a1 = reason: 0 exits 0, else status 1 */
    li      t0, FINISHER
    li      t1, 0x5555
    beqz    a1, 1f
    li      t1, 0x13333
1:  sw      t1, 0(t0)
2:  j       2b
shim_irq:
    slli    t0, t0, 1
    srli    t0, t0, 1
    li      t1, 7               /* M timer: hand it to S as STIP */
    bne     t0, t1, shim_fail
    li      t0, 1 << 7
    csrc    mie, t0
    li      t0, 1 << 5
    csrs    mip, t0
shim_out:
    lw      t0, 0(sp)
    lw      t1, 4(sp)
    lw      t2, 8(sp)
    addi    sp, sp, 16
    csrrw   sp, mscratch, sp
    mret
shim_fail:                      /* a trap the kernel should never cause: exit 3 */
    li      t0, FINISHER
    li      t1, 0x33333
    sw      t1, 0(t0)
3:  j       3b

    .balign 16
    .space  256
shim_stack_top:
