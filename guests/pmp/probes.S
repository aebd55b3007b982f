/* probes.S: the assembly half of the pmp and trigger guests. Owns: the
 * M-mode and S-mode trap vectors, run_in (call a function in S- or U-mode
 * and come back to M), and the probes: one access each, which return
 * normally whether or not the access traps.
 *
 * Recovery: a probe puts the address to resume at in t2 before its access;
 * a trap handler records the trap in mtrap / strap (count, cause, tval,
 * epc, the mode it came from) and resumes at t2 in the mode that trapped,
 * where the probe returns PROBE_FAULT. Handlers touch t0 and t1 only
 * (saved in mscratch / sscratch), so nothing else of the probe changes. */
#include "platform.h"

#define RUN_RETURN      0x7e7e7e7e
#define PROBE_FAULT     0xfa17fa17

    .option norvc

/* ------------------------------------------------------------ trap vectors */

    .section .text.m_trap, "ax"
    .balign 4
    .globl m_trap
m_trap:
    csrw    mscratch, t0
    csrr    t0, mcause
    addi    t0, t0, -CAUSE_ECALL_U
    li      t1, 1
    bgtu    t0, t1, 1f              /* not an ecall from U or S */
    li      t0, RUN_RETURN
    bne     a7, t0, 1f
    /* run_in's way back: M-mode after the ecall */
    li      t0, MSTATUS_MPP
    csrs    mstatus, t0
    csrr    t0, mepc
    addi    t0, t0, 4
    csrw    mepc, t0
    csrr    t0, mscratch
    mret
1:  la      t0, mtrap
    lw      t1, 0(t0)
    addi    t1, t1, 1
    sw      t1, 0(t0)
    csrr    t1, mcause
    sw      t1, 4(t0)
    csrr    t1, mtval
    sw      t1, 8(t0)
    csrr    t1, mepc
    sw      t1, 12(t0)
    csrr    t1, mstatus
    srli    t1, t1, 11
    andi    t1, t1, 3
    sw      t1, 16(t0)
    csrw    mepc, t2
    lw      t1, 20(t0)              /* m_escape: resume in M there, once */
    beqz    t1, 2f
    sw      zero, 20(t0)
    csrw    mepc, t1
    li      t1, MSTATUS_MPP
    csrs    mstatus, t1
2:  csrr    t0, mscratch
    mret

    .section .text.s_trap, "ax"
    .balign 4
    .globl s_trap
s_trap:
    csrw    sscratch, t0
    la      t0, strap
    lw      t1, 0(t0)
    addi    t1, t1, 1
    sw      t1, 0(t0)
    csrr    t1, scause
    sw      t1, 4(t0)
    csrr    t1, stval
    sw      t1, 8(t0)
    csrr    t1, sepc
    sw      t1, 12(t0)
    csrr    t1, sstatus
    srli    t1, t1, 8
    andi    t1, t1, 1
    sw      t1, 16(t0)
    csrw    sepc, t2
    csrr    t0, sscratch
    sret

/* ---------------------------------------------------------------- run_in */

/* uint32_t run_in(uint32_t mpp, uint32_t (*fn)(uint32_t, uint32_t),
 *                 uint32_t a, uint32_t b): fn(a, b) in the mode whose MPP
 * field is mpp (0 U, MSTATUS_MPP_S), on the same stack; returns its
 * result in M-mode. */
    .section .text.run_in, "ax"
    .globl run_in
    .type run_in, @function
run_in:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    csrs    mstatus, a0
    csrw    mepc, a1
    mv      a0, a2
    mv      a1, a3
    la      ra, 1f
    mret
1:  li      a7, RUN_RETURN
    ecall
    .globl run_in_tail
run_in_tail:
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
    .size run_in, . - run_in

/* ---------------------------------------------------------------- probes */

    .text
    .macro PROBE name, body:vararg
    .globl \name
    .type \name, @function
\name:
    la      t2, 1f
    \body
    ret
1:  li      a0, PROBE_FAULT
    ret
    .size \name, . - \name
    .endm

    /* A store probe: returns 0 when the store completes. */
    .macro PROBE_ST name, body:vararg
    .globl \name
    .type \name, @function
\name:
    la      t2, 1f
    \body
    li      a0, 0
    ret
1:  li      a0, PROBE_FAULT
    ret
    .size \name, . - \name
    .endm

/* uint32_t p_lw(addr), p_lbu(addr), p_lhu(addr): the value, or PROBE_FAULT. */
PROBE p_lw, lw a0, 0(a0)
PROBE p_lbu, lbu a0, 0(a0)
PROBE p_lhu, lhu a0, 0(a0)
/* uint32_t p_sw(addr, v), p_sb(addr, v): 0, or PROBE_FAULT. */
PROBE_ST p_sw, sw a1, 0(a0)
PROBE_ST p_sh, sh a1, 0(a0)
PROBE_ST p_sb, sb a1, 0(a0)
/* uint32_t p_amoadd(addr, v): the old value, or PROBE_FAULT. */
PROBE p_amoadd, amoadd.w a0, a1, (a0)
PROBE p_lr, lr.w a0, (a0)

/* uint32_t p_exec(addr): calls the code at addr (which returns with ret
 * and a0 as it likes), or PROBE_FAULT when the fetch faults. */
    .globl p_exec
    .type p_exec, @function
p_exec:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      t2, 1f
    jalr    a0
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
1:  li      a0, PROBE_FAULT
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret
    .size p_exec, . - p_exec

/* uint32_t hot_loop(uint32_t unused, uint32_t n): counts to n (n >= 1)
 * in a loop whose middle instruction is hot_mid; PROBE_FAULT when a trap
 * leaves it. Long enough for the JIT tier to translate it. */
    .globl hot_loop
    .globl hot_mid
    .type hot_loop, @function
hot_loop:
    la      t2, 2f
    li      a0, 0
1:  addi    a0, a0, 1
hot_mid:
    addi    a0, a0, 0
    blt     a0, a1, 1b
    ret
2:  li      a0, PROBE_FAULT
    ret
    .size hot_loop, . - hot_loop

/* uint32_t hot_load(uint32_t addr, uint32_t n): loads the word at addr n
 * times (n >= 1) and returns the last value, or PROBE_FAULT when a trap
 * leaves the loop (at hot_lw). */
    .globl hot_load
    .globl hot_lw
    .type hot_load, @function
hot_load:
    la      t2, 2f
    mv      t0, a0
1:
hot_lw:
    lw      a0, 0(t0)
    addi    a1, a1, -1
    bnez    a1, 1b
    ret
2:  li      a0, PROBE_FAULT
    ret
    .size hot_load, . - hot_load

/* Code to execute through p_exec, copied where a test wants it: returns
 * 0x600d. ret_stub_end marks its end. */
    .section .rodata.ret_stub, "a"
    .balign 4
    .globl ret_stub
    .globl ret_stub_end
ret_stub:
    li      a0, 0x600d
    ret
ret_stub_end:

/* ------------------------------------------------------------------ data */

/* Trap records: count, cause, tval, epc, the mode trapped from; mtrap has
 * one word more, m_escape: when nonzero, the next M trap resumes there in
 * M-mode (for a fault that leaves no probe to return to, such as a fetch
 * fault at run_in's target), and clears it. */
    .section .sdata.traps, "aw"
    .balign 4
    .globl mtrap
    .globl m_escape
    .globl strap
mtrap:
    .word   0, 0, 0, 0, 0
m_escape:
    .word   0
strap:
    .word   0, 0, 0, 0, 0
