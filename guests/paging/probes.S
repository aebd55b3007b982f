/* probes.S: the assembly half of the paging guest. Owns: the S-mode trap
 * vector, "probes" (one access each, which return normally whether or not
 * the access traps, leaving the trap in strap_info / mtrap_info), the code
 * that runs in U-mode (its own page, mapped with U), and a page of code to
 * execute through test mappings (whose last two bytes start a 32-bit
 * instruction, for the spanning-fetch case).
 *
 * Recovery: a probe puts the address to resume at in sscratch (S probes
 * and U runs) or in m_recover (M probes) before its access. Handlers use
 * t0 and t1 only; probes keep ra in t2 around calls that may trap. */
#include "platform.h"

#define SSTATUS_SPP     (1 << 8)

    .option norvc

/* ------------------------------------------------------------ S-mode trap */

    .section .text.s_trap, "ax"
    .balign 4
    .globl s_trap
/* Records scause/stval/sepc and a count in strap_info (an ECALL from U is
 * not recorded: it is how a U run ends), then returns to S at sscratch. */
s_trap:
    csrr    t1, scause
    li      t0, CAUSE_ECALL_U
    beq     t1, t0, 1f
    la      t0, strap_info
    sw      t1, 0(t0)
    csrr    t1, stval
    sw      t1, 4(t0)
    csrr    t1, sepc
    sw      t1, 8(t0)
    lw      t1, 12(t0)
    addi    t1, t1, 1
    sw      t1, 12(t0)
1:  li      t0, SSTATUS_SPP
    csrs    sstatus, t0
    csrr    t0, sscratch
    csrw    sepc, t0
    sret

/* ------------------------------------------------------------- S probes */

    .text
    .macro S_PROBE name, body:vararg
    .globl \name
    .type \name, @function
\name:
    la      t0, 1f
    csrw    sscratch, t0
    \body
    ret
1:  li      a0, -1
    ret
    .size \name, . - \name
    .endm

S_PROBE s_lw, lw a0, 0(a0)
S_PROBE s_lhu, lhu a0, 0(a0)
S_PROBE s_sw, sw a1, 0(a0)
S_PROBE s_amoadd, amoadd.w a0, a1, (a0)
S_PROBE s_lr, lr.w a0, (a0)

/* uint32_t s_exec(uint32_t va): calls va (code there returns with ret). */
    .globl s_exec
    .type s_exec, @function
s_exec:
    mv      t2, ra
    la      t0, 1f
    csrw    sscratch, t0
    jalr    a0
    mv      ra, t2
    ret
1:  mv      ra, t2
    li      a0, -1
    ret
    .size s_exec, . - s_exec

/* uint32_t u_run(uint32_t a0, uint32_t a1, uint32_t entry): runs U code at
 * virtual address `entry` with a0, a1; it ends with ECALL (or a trap). */
    .globl u_run
    .type u_run, @function
u_run:
    mv      t2, ra
    la      t0, 1f
    csrw    sscratch, t0
    csrw    sepc, a2
    li      t0, SSTATUS_SPP
    csrc    sstatus, t0
    sret
1:  mv      ra, t2
    ret
    .size u_run, . - u_run

/* ------------------------------------------------------------- M probes */

/* uint32_t m_lw(uint32_t va, uint32_t mpp_bits): a load in M-mode with
 * MPRV = 1 and MPP = mpp_bits (already shifted). No load or store may run
 * while MPRV is set except the probe's own, so recovery clears it first. */
    .globl m_lw
    .type m_lw, @function
m_lw:
    la      t0, 1f
    la      t1, m_recover
    sw      t0, 0(t1)
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    li      t0, MSTATUS_MPRV
    or      t0, t0, a1
    csrs    mstatus, t0
    lw      a0, 0(a0)
    csrc    mstatus, t0
    sw      zero, 0(t1)
    ret
1:  li      t0, MSTATUS_MPRV
    csrc    mstatus, t0
    li      a0, -1
    ret
    .size m_lw, . - m_lw

/* --------------------------------------------------------------- U page */

    .section .text.upage, "ax"
    .balign 4096
    .globl upage
upage:
    .globl u_lw
u_lw:
    lw      a0, 0(a0)
    ecall
    .globl u_sw
u_sw:
    sw      a1, 0(a0)
    ecall
    .globl u_exec
u_exec:
    jalr    a0
    ecall
    .balign 4096

/* --------------------------------------------------------------- X page */

/* Executed through test mappings: offset 0 returns 42, offset 0xffe holds
 * the first half of `addi a0, zero, 7` (0x00700513), whose second half is
 * on the next page. */
    .section .text.xpage, "ax"
    .balign 4096
    .globl xpage
xpage:
    li      a0, 42
    ret
    .org    xpage + 0xffe
    .2byte  0x0513
    .2byte  0x0070
    ret
    .balign 4096

    .bss
    .balign 4
    .globl strap_info
strap_info:
    .space  16          /* cause, tval, epc, count */
    .globl m_recover
m_recover:
    .space  4
