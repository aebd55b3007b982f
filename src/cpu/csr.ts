/**
 * The CSRs (privileged spec 1.12 chapters 2-3, Zicsr): the CSR
 * instructions, reads and writes with their WARL rules, the counters (kept
 * as offsets from the retired count), and the refresh of the protection
 * gates after a PMP, trigger or mstatus write. Each function takes the
 * hart's internal view (core.ts).
 */

import { Csr, MISA_VALUE } from './constants.js';
import { TINFO, TRIGGERS, tdata1Legal } from './trigger.js';
import { ENVCFG_WRITABLE, EV_IRQ, EV_MMU, EXC_ILLEGAL, M, MCOUNTINHIBIT_WRITABLE, MEDELEG_WRITABLE, MIDELEG_WRITABLE, MIE_WRITABLE, MIP_SSIP, MIP_SW_WRITABLE, MSTATUS_WRITABLE, MS_MIE, MS_MPP, MS_MPRV, MS_MXR, MS_SIE, MS_SUM, MS_TVM, S, SSTATUS_VISIBLE, SSTATUS_WRITABLE, SYS_NEXT, TWO32, U, raise, type HartCore } from './core.js';

/** CSRRW/CSRRS/CSRRC and their immediate forms (Zicsr, unprivileged ISA chapter 9). */
export function csrInstruction(h: HartCore, inst: number, f3: number, priv: number): number {
  const x = h.regs;
  const csr = inst >>> 20;
  const rdN = (inst >>> 7) & 31;
  const rs1N = (inst >>> 15) & 31;
  const op = f3 & 3; // 1 = RW, 2 = RS, 3 = RC
  // CSRRS/CSRRC with rs1 = x0 (or uimm = 0) do not write, so may touch read-only CSRs.
  const writes = op === 1 || rs1N !== 0;
  // Bits 9:8 give the lowest privilege that may access; 11:10 = 11 marks read-only (spec 2.1).
  if (((csr >>> 8) & 3) > priv || (writes && csr >>> 10 === 3)) return raise(h, EXC_ILLEGAL, inst >>> 0);
  if (priv < M) {
    if ((csr & 0xf60) === 0xc00) {
      // cycle/time/instret/hpmcounterN(h): gated by mcounteren, and in U also by scounteren (spec 3.1.11, 4.1.5).
      const bit = 1 << (csr & 31);
      if ((h.mcounteren & bit) === 0 || (priv === U && (h.scounteren & bit) === 0)) {
        return raise(h, EXC_ILLEGAL, inst >>> 0);
      }
    } else if (csr === Csr.satp && (h.mstatus & MS_TVM) !== 0) {
      return raise(h, EXC_ILLEGAL, inst >>> 0);
    }
  }
  // Counters read as of before this instruction; written ones are what the next reads (Zicsr 9.1).
  const retired = h.retiredBase + (h.sliceBudget - h.sliceLeft) - 1;
  const old = csrRead(h, csr, retired);
  if (old < 0) return raise(h, EXC_ILLEGAL, inst >>> 0);
  if (writes) {
    const src = (f3 & 4) !== 0 ? rs1N : x[rs1N];
    let base = old;
    // Read-modify-write of mip/sip uses the software-writable bits only (spec 3.1.9).
    if (csr === Csr.mip || csr === Csr.sip) base = h.mipSw & (csr === Csr.sip ? h.mideleg : -1);
    const value = op === 1 ? src : op === 2 ? base | src : base & ~src;
    csrWrite(h, csr, value >>> 0, retired, retired + 1);
  }
  if (rdN !== 0) x[rdN] = old;
  return SYS_NEXT;
}

/** Counter `c` (0 = cycle, 1 = instret) low half, given `r` instructions retired. */
export function counterLo(h: HartCore, c: number, r: number): number {
  const k = c * 4;
  if ((h.mcountinhibit & (c === 0 ? 1 : 4)) !== 0) return h.ctr[k + 2];
  return (r + h.ctr[k]) % TWO32;
}

export function counterHi(h: HartCore, c: number, r: number): number {
  const k = c * 4;
  if ((h.mcountinhibit & (c === 0 ? 1 : 4)) !== 0) return h.ctr[k + 3];
  const rlo = r % TWO32;
  const carry = rlo + h.ctr[k] >= TWO32 ? 1 : 0;
  return ((r - rlo) / TWO32 + h.ctr[k + 1] + carry) % TWO32;
}

/** Makes counter `c` read (lo, hi) when `r` instructions have retired (or freezes it there while inhibited). */
export function counterSet(h: HartCore, c: number, lo: number, hi: number, r: number): void {
  const k = c * 4;
  if ((h.mcountinhibit & (c === 0 ? 1 : 4)) !== 0) {
    h.ctr[k + 2] = lo;
    h.ctr[k + 3] = hi;
    return;
  }
  const rlo = r % TWO32;
  const rhi = (r - rlo) / TWO32;
  h.ctr[k] = lo - rlo; // Uint32Array stores wrap modulo 2^32
  h.ctr[k + 1] = hi - rhi - (lo < rlo ? 1 : 0);
}

/**
 * Reads CSR `n` with `r` instructions retired (for the counters).
 * Returns the unsigned value, or -1 when the CSR does not exist.
 */
export function csrRead(h: HartCore, n: number, r: number): number {
  switch (n) {
    case Csr.mstatus:
      return h.mstatus >>> 0;
    case Csr.sstatus:
      return (h.mstatus & SSTATUS_VISIBLE) >>> 0;
    case Csr.mstatush: // SBE/MBE: little-endian only
      return 0;
    case Csr.misa:
      return MISA_VALUE;
    case Csr.medeleg:
      return h.medeleg;
    case Csr.mideleg:
      return h.mideleg;
    case Csr.mie:
      return h.mie;
    case Csr.sie:
      return h.mie & h.mideleg;
    case Csr.mip:
      return h.mipSw | h.mipHw;
    case Csr.sip:
      return (h.mipSw | h.mipHw) & h.mideleg;
    case Csr.mtvec:
      return h.mtvec >>> 0;
    case Csr.stvec:
      return h.stvec >>> 0;
    case Csr.mscratch:
      return h.mscratch >>> 0;
    case Csr.sscratch:
      return h.sscratch >>> 0;
    case Csr.mepc:
      return h.mepc >>> 0;
    case Csr.sepc:
      return h.sepc >>> 0;
    case Csr.mcause:
      return h.mcause >>> 0;
    case Csr.scause:
      return h.scause >>> 0;
    case Csr.mtval:
      return h.mtval >>> 0;
    case Csr.stval:
      return h.stval >>> 0;
    case Csr.mcounteren:
      return h.mcounteren >>> 0;
    case Csr.scounteren:
      return h.scounteren >>> 0;
    case Csr.menvcfg:
      return h.menvcfg;
    case Csr.menvcfgh:
      return 0;
    case Csr.senvcfg:
      return h.senvcfg;
    case Csr.mcountinhibit:
      return h.mcountinhibit >>> 0;
    case Csr.satp:
      return h.satp >>> 0;
    case Csr.mvendorid:
    case Csr.marchid:
    case Csr.mimpid:
    case Csr.mconfigptr:
      return 0;
    case Csr.tselect:
      return h.trig.select;
    case Csr.tdata1:
      return h.trig.tdata1[h.trig.select];
    case Csr.tdata2:
      return h.trig.tdata2[h.trig.select];
    case Csr.tdata3: // no type-2 or type-6 field lives here (QEMU 7.2: reads 0, ignores writes)
      return 0;
    case Csr.tinfo:
      return TINFO;
    case Csr.mhartid:
      return h.hartId;
    case Csr.mcycle:
    case Csr.cycle:
      return counterLo(h, 0, r);
    case Csr.mcycleh:
    case Csr.cycleh:
      return counterHi(h, 0, r);
    case Csr.minstret:
    case Csr.instret:
      return counterLo(h, 1, r);
    case Csr.minstreth:
    case Csr.instreth:
      return counterHi(h, 1, r);
    case Csr.time:
      return h.readTime() % TWO32;
    case Csr.timeh:
      return Math.floor(h.readTime() / TWO32) % TWO32;
    default:
      break;
  }
  if (n >= Csr.pmpcfg0 && n <= Csr.pmpcfg3) {
    const i = (n - Csr.pmpcfg0) * 4;
    const c = h.pmp.cfg;
    return (c[i] | (c[i + 1] << 8) | (c[i + 2] << 16) | (c[i + 3] << 24)) >>> 0;
  }
  if (n >= Csr.pmpaddr0 && n <= Csr.pmpaddr15) return h.pmp.addr[n - Csr.pmpaddr0];
  // Hardware performance monitors: counters and events hardwired to 0 (spec 3.1.10).
  const low = n & 0x7f;
  const group = n & ~0x7f;
  if (low >= 3 && low <= 31 && (group === 0xb00 || group === 0xb80 || group === 0xc00 || group === 0xc80)) return 0;
  if (n >= Csr.mhpmevent3 && n <= Csr.mhpmevent31) return 0;
  return -1;
}

/**
 * Writes `v` (uint32) to CSR `n`, applying its WARL rules. For the
 * counters, `r` is the retired count the writing instruction saw and
 * `rnext` the one the next instruction sees: a written half is what the
 * next instruction reads, the other half keeps its value from before the
 * write ("the write is done instead of the increment", Zicsr 9.1).
 */
export function csrWrite(h: HartCore, n: number, v: number, r: number, rnext: number): void {
  switch (n) {
    case Csr.mstatus:
      writeStatus(h, v, MSTATUS_WRITABLE);
      return;
    case Csr.sstatus:
      writeStatus(h, v, SSTATUS_WRITABLE);
      return;
    case Csr.medeleg:
      h.medeleg = v & MEDELEG_WRITABLE;
      return;
    case Csr.mideleg:
      h.mideleg = v & MIDELEG_WRITABLE;
      h.events |= EV_IRQ;
      return;
    case Csr.mie:
      h.mie = v & MIE_WRITABLE;
      h.events |= EV_IRQ;
      return;
    case Csr.sie:
      // Only the delegated bits are visible, and writable, in sie (spec 4.1.3).
      h.mie = (h.mie & ~h.mideleg) | (v & h.mideleg);
      h.events |= EV_IRQ;
      return;
    case Csr.mip:
      h.mipSw = (h.mipSw & ~MIP_SW_WRITABLE) | (v & MIP_SW_WRITABLE);
      h.events |= EV_IRQ;
      return;
    case Csr.sip: {
      // Of sip, only SSIP is writable, and only when delegated (spec 4.1.3).
      const m = h.mideleg & MIP_SSIP;
      h.mipSw = (h.mipSw & ~m) | (v & m);
      h.events |= EV_IRQ;
      return;
    }
    case Csr.mtvec:
      // MODE >= 2 is reserved: the write is ignored (as QEMU 7.2 does).
      if ((v & 3) < 2) h.mtvec = v;
      return;
    case Csr.stvec:
      if ((v & 3) < 2) h.stvec = v;
      return;
    case Csr.mscratch:
      h.mscratch = v;
      return;
    case Csr.sscratch:
      h.sscratch = v;
      return;
    case Csr.mepc:
      // Bit 0 is always 0; bit 1 stays since IALIGN = 16 (spec 3.1.14).
      h.mepc = v & ~1;
      return;
    case Csr.sepc:
      h.sepc = v & ~1;
      return;
    case Csr.mcause:
      h.mcause = v;
      return;
    case Csr.scause:
      h.scause = v;
      return;
    case Csr.mtval:
      h.mtval = v;
      return;
    case Csr.stval:
      h.stval = v;
      return;
    case Csr.mcounteren:
      h.mcounteren = v;
      return;
    case Csr.scounteren:
      h.scounteren = v;
      return;
    case Csr.menvcfg:
      h.menvcfg = v & ENVCFG_WRITABLE;
      return;
    case Csr.senvcfg:
      h.senvcfg = v & ENVCFG_WRITABLE;
      return;
    case Csr.satp:
      // Every field is implemented (MODE Bare/Sv32, 9 ASID bits, 22 PPN bits). A change flushes the TLB (docs/design.md#sv32-and-the-tlb).
      if (v !== h.satp) {
        h.satp = v;
        h.mmu.flushAll();
        h.events |= EV_MMU;
      }
      return;
    case Csr.mcountinhibit: {
      const next = v & MCOUNTINHIBIT_WRITABLE;
      for (let c = 0; c < 2; c++) {
        const bit = c === 0 ? 1 : 4;
        if (((h.mcountinhibit ^ next) & bit) === 0) continue;
        const lo = counterLo(h, c, rnext);
        const hi = counterHi(h, c, rnext);
        h.mcountinhibit ^= bit;
        counterSet(h, c, lo, hi, rnext);
      }
      h.mcountinhibit = next;
      return;
    }
    case Csr.mcycle:
      counterSet(h, 0, v, counterHi(h, 0, r), rnext);
      return;
    case Csr.mcycleh:
      counterSet(h, 0, counterLo(h, 0, r), v, rnext);
      return;
    case Csr.minstret:
      counterSet(h, 1, v, counterHi(h, 1, r), rnext);
      return;
    case Csr.minstreth:
      counterSet(h, 1, counterLo(h, 1, r), v, rnext);
      return;
    case Csr.tselect:
      if (v < TRIGGERS) h.trig.select = v; // QEMU 7.2 ignores a number past the last trigger
      return;
    case Csr.tdata1: {
      const t = tdata1Legal(v);
      if (t >= 0) {
        h.trig.tdata1[h.trig.select] = t;
        protectionChanged(h, false);
      }
      return;
    }
    case Csr.tdata2:
      h.trig.tdata2[h.trig.select] = v;
      protectionChanged(h, false);
      return;
    default:
      break;
  }
  if (n >= Csr.pmpcfg0 && n <= Csr.pmpcfg3) {
    if (h.pmp.writeCfg((n - Csr.pmpcfg0) * 4, v)) protectionChanged(h, true);
    return;
  }
  if (n >= Csr.pmpaddr0 && n <= Csr.pmpaddr15) {
    if (h.pmp.writeAddr(n - Csr.pmpaddr0, v)) protectionChanged(h, true);
  }
  // Everything else that exists is read-only zero or ignores writes (mstatush, menvcfgh, the HPM CSRs, tdata3, tinfo).
}

/**
 * After a PMP write (`pmp` true: cached translations were granted under
 * the old entries, so the TLB goes) or a trigger write: the gates are
 * recomputed before the next instruction.
 */
export function protectionChanged(h: HartCore, pmp: boolean): void {
  if (pmp) h.mmu.flushAll();
  guardRefresh(h);
  h.events |= EV_MMU;
}

/** Recomputes `guarded` (see the field) from PMP and the triggers. */
export function guardRefresh(h: HartCore): void {
  h.guarded = !h.pmp.uniform || h.trig.armed(U) !== 0 || h.trig.armed(S) !== 0 || h.trig.armed(M) !== 0 ? 1 : 0;
}

export function writeStatus(h: HartCore, v: number, writable: number): void {
  let next = (h.mstatus & ~writable) | (v & writable);
  // MPP is WARL with legal values U, S and M: the reserved 2 keeps the old value.
  if (((next >>> 11) & 3) === 2) next = (next & ~MS_MPP) | (h.mstatus & MS_MPP);
  const changed = next ^ h.mstatus;
  h.mstatus = next;
  // Only MIE and SIE decide whether a pending interrupt is taken; MPRV, MPP, SUM and MXR what translation applies
  // (and the gates). A write that changes neither (a kernel restoring sstatus as it was) raises no event.
  if ((changed & (MS_MIE | MS_SIE)) !== 0) h.events |= EV_IRQ;
  if ((changed & (MS_MPRV | MS_MPP | MS_SUM | MS_MXR)) !== 0) h.events |= EV_MMU;

}
