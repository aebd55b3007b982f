/* hostile/access.S: one access per function, for the probe guests. Owns
 * the recovery protocol: each function stores the address to resume at in
 * hp_resume just before its single access; probe.c's trap hook records
 * mcause/mtval, clears hp_resume and resumes there. The accesses are
 * assembled without compression so that the hook never has to decode an
 * instruction length. a0 = address, a1 = value to store; a load returns
 * what it read (or its address when it trapped). */

    .option norvc

.macro PROBE name, insn:vararg
    .section .text.\name, "ax"
    .globl \name
    .type \name, @function
\name:
    la      t0, 1f
    la      t1, hp_resume
    sw      t0, 0(t1)
    \insn
1:  la      t1, hp_resume
    sw      zero, 0(t1)
    ret
.endm

PROBE hp_lb, lb  a0, 0(a0)
PROBE hp_lbu, lbu a0, 0(a0)
PROBE hp_lh, lh  a0, 0(a0)
PROBE hp_lhu, lhu a0, 0(a0)
PROBE hp_lw, lw  a0, 0(a0)
PROBE hp_sb, sb  a1, 0(a0)
PROBE hp_sh, sh  a1, 0(a0)
PROBE hp_sw, sw  a1, 0(a0)
/* An instruction fetch from a0: the fetch faults before anything runs
 * there, with mepc = mtval = a0; the hook resumes at 1f. */
PROBE hp_jump, jalr zero, 0(a0)
