/**
 * Traps and the SYSTEM instructions of the privileged architecture (spec
 * 1.12, 3.1.6-3.1.9, 3.3, 4.2.1): which interrupt is taken, entering a trap,
 * ECALL, EBREAK, MRET, SRET, WFI and SFENCE.VMA. CSR instructions are
 * csr.ts's. Each function takes the hart's internal view (core.ts).
 */

import { CAUSE_INTERRUPT, type PrivilegeMode } from './constants.js';
import { csrInstruction } from './csr.js';
import { System } from './isa/index.js';
import { EV_IRQ, EV_MMU, EXC_BREAKPOINT, EXC_ECALL_U, EXC_ILLEGAL, IRQ_PRIORITY, M, MS_MIE, MS_MPIE, MS_MPP, MS_MPRV, MS_SIE, MS_SPIE, MS_SPP, MS_TSR, MS_TVM, MS_TW, NO_RESV, S, SATP_ASID_MASK, SATP_ASID_SHIFT, SATP_SV32, SYS_EXC, SYS_JUMP, SYS_NEXT, SYS_WFI, U, raise, type HartCore, type TrapRecord } from './core.js';

/**
 * The highest-priority interrupt that is pending, enabled and allowed to
 * preempt the current mode (spec 3.1.6.1, 3.1.9), or -1. Interrupts for a
 * higher-privileged target go first; then MEI, MSI, MTI, SEI, SSI, STI.
 */
export function pendingInterrupt(h: HartCore): number {
  const pend = (h.mipSw | h.mipHw) & h.mie;
  if (pend === 0) return -1;
  const priv = h.privv;
  let ready = 0;
  const toM = pend & ~h.mideleg;
  if (toM !== 0 && (priv < M || (h.mstatus & MS_MIE) !== 0)) {
    ready = toM;
  } else {
    const toS = pend & h.mideleg;
    if (toS !== 0 && (priv < S || (priv === S && (h.mstatus & MS_SIE) !== 0))) ready = toS;
  }
  if (ready === 0) return -1;
  for (let i = 0; i < IRQ_PRIORITY.length; i++) {
    if ((ready >>> IRQ_PRIORITY[i]) & 1) return IRQ_PRIORITY[i];
  }
  return -1;
}

/** Raises exception `cause` for the instruction at `pc`, which does not retire. Returns the handler's pc. */
export function exception(h: HartCore, cause: number, tval: number, pc: number): number {
  h.retiredBase -= 1;
  return enterTrap(h, cause, false, tval, pc);
}

/**
 * Takes a trap (spec 3.1.6.1, 3.1.7, 3.1.8, 4.1.1): to S when the hart is
 * in S or U and the cause is delegated, else to M. Saves pc, cause, tval
 * and the interrupt-enable stack, kills the reservation. Returns the
 * handler's pc (vectored for interrupts when xtvec.MODE = 1).
 */
export function enterTrap(h: HartCore, code: number, interrupt: boolean, tval: number, pc: number): number {
  const from = h.privv;
  const cause = interrupt ? (code | CAUSE_INTERRUPT) >>> 0 : code;
  const deleg = interrupt ? h.mideleg : h.medeleg;
  let tvec: number;
  let to: number;
  h.resvW = NO_RESV;
  if (from <= S && ((deleg >>> code) & 1) !== 0) {
    to = S;
    h.scause = cause;
    h.sepc = pc >>> 0;
    h.stval = tval >>> 0;
    let ms = h.mstatus;
    ms = (ms & MS_SIE) !== 0 ? ms | MS_SPIE : ms & ~MS_SPIE;
    ms &= ~(MS_SIE | MS_SPP);
    if (from === S) ms |= MS_SPP;
    h.mstatus = ms;
    tvec = h.stvec;
  } else {
    to = M;
    h.mcause = cause;
    h.mepc = pc >>> 0;
    h.mtval = tval >>> 0;
    let ms = h.mstatus;
    ms = (ms & MS_MIE) !== 0 ? ms | MS_MPIE : ms & ~MS_MPIE;
    ms = (ms & ~(MS_MIE | MS_MPP)) | (from << 11);
    h.mstatus = ms;
    tvec = h.mtvec;
  }
  h.privv = to;
  // A new mode (and MPP, which MPRV may use) changes what is translated; nothing is translated under Bare.
  // It also changes what PMP and the triggers allow, when they tell modes apart (MPP too, under MPRV).
  if (h.satp >= SATP_SV32 || (h.guarded !== 0 && (from !== to || (h.mstatus & MS_MPRV) !== 0))) h.events |= EV_MMU;
  h.trapCountv++;
  h.trapCause = cause;
  h.trapTval = tval >>> 0;
  h.trapEpc = pc >>> 0;
  h.trapPriv = to;
  h.trapFrom = from;
  if (h.trapHook !== undefined) h.trapHook(trapRecord(h)); // trap hook
  const base = tvec & ~3;
  return (interrupt && (tvec & 3) === 1 ? base + 4 * code : base) | 0;
}

/**
 * Executes a SYSTEM instruction. Returns SYS_NEXT, SYS_JUMP (target in
 * jumpTarget), SYS_WFI (park), or SYS_EXC (excCause/excTval).
 */
export function system(h: HartCore, inst: number): number {
  const f3 = (inst >>> 12) & 7;
  const priv = h.privv;
  if (f3 === 0) {
    switch (inst) {
      case System.ECALL: // ECALL: cause 8, 9 or 11 by mode; tval 0.
        // SBI hook: an ECALL from S goes to the monitor's SBI instead of trapping to M.
        if (priv === S && h.sbiHook !== undefined) {
          h.sbiHook();
          return SYS_NEXT;
        }
        return raise(h, EXC_ECALL_U + priv, 0);
      case System.EBREAK: // EBREAK: tval 0 (as QEMU 7.2).
        return raise(h, EXC_BREAKPOINT, 0);
      case System.MRET: {
        // MRET (spec 3.3.2)
        if (priv !== M) return raise(h, EXC_ILLEGAL, inst >>> 0);
        let ms = h.mstatus;
        const mpp = (ms >>> 11) & 3;
        ms = (ms & MS_MPIE) !== 0 ? ms | MS_MIE : ms & ~MS_MIE;
        ms = (ms | MS_MPIE) & ~MS_MPP; // MPP := U, the least-privileged mode
        if (mpp !== M) ms &= ~MS_MPRV;
        h.mstatus = ms;
        h.privv = mpp;
        return xret(h, h.mepc);
      }
      case System.SRET: {
        // SRET: illegal in U, and in S when TSR = 1 (spec 3.1.6.5)
        if (priv === U || (priv === S && (h.mstatus & MS_TSR) !== 0)) return raise(h, EXC_ILLEGAL, inst >>> 0);
        let ms = h.mstatus;
        const spp = (ms >>> 8) & 1;
        ms = (ms & MS_SPIE) !== 0 ? ms | MS_SIE : ms & ~MS_SIE;
        ms = (ms | MS_SPIE) & ~(MS_SPP | MS_MPRV); // SPP := U; SPP is never M, so MPRV := 0
        h.mstatus = ms;
        h.privv = spp;
        return xret(h, h.sepc);
      }
      case System.WFI: // WFI (spec 3.3.3; see the module header for U and TW)
        if (priv === U || (priv === S && (h.mstatus & MS_TW) !== 0)) return raise(h, EXC_ILLEGAL, inst >>> 0);
        return ((h.mipSw | h.mipHw) & h.mie) !== 0 ? SYS_NEXT : SYS_WFI;
      default:
        break;
    }
    if ((inst & System.SFENCE_VMA_MASK) === System.SFENCE_VMA) {
      // SFENCE.VMA: illegal in U, and in S when TVM = 1 (spec 3.1.6.5).
      if (priv === U || (priv === S && (h.mstatus & MS_TVM) !== 0)) return raise(h, EXC_ILLEGAL, inst >>> 0);
      const rs1N = (inst >>> 15) & 31;
      const rs2N = (inst >>> 20) & 31;
      sfenceVma(h, rs1N === 0 ? -1 : h.regs[rs1N] >>> 0, rs2N === 0 ? -1 : h.regs[rs2N] & SATP_ASID_MASK);
      return SYS_NEXT;
    }
    return raise(h, EXC_ILLEGAL, inst >>> 0);
  }
  if (f3 === 4) return raise(h, EXC_ILLEGAL, inst >>> 0);
  return csrInstruction(h, inst, f3, priv);
}

/**
 * SFENCE.VMA (spec 4.2.1) for virtual address `va` (-1: all) and ASID
 * `asid` (-1: all). Every cached entry belongs to the current ASID or is
 * global (the TLB is flushed when satp changes), so a fence for another
 * ASID has nothing to drop; for the current one, global entries are
 * dropped too (more than asked, which is allowed).
 */
export function sfenceVma(h: HartCore, va: number, asid: number): void {
  if (asid >= 0 && asid !== ((h.satp >>> SATP_ASID_SHIFT) & SATP_ASID_MASK)) return;
  if (va < 0) h.mmu.flushAll();
  else h.mmu.flushPage(va);
  h.events |= EV_MMU; // the fetch page may be gone
}

export function xret(h: HartCore, target: number): number {
  h.resvW = NO_RESV;
  h.events |= EV_IRQ | EV_MMU;
  h.jumpTarget = target | 0;
  return SYS_JUMP;
}
/** The last trap as a frozen record (allocates: not for the hot path). */
export function trapRecord(h: HartCore): TrapRecord {
  return Object.freeze({
    cause: h.trapCause,
    interrupt: h.trapCause >= CAUSE_INTERRUPT,
    code: h.trapCause & 0x7fffffff,
    tval: h.trapTval,
    epc: h.trapEpc,
    priv: h.trapPriv as PrivilegeMode,
    fromPriv: h.trapFrom as PrivilegeMode,
  });
}
