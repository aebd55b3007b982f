/**
 * Fault containment: telling a guest that has wedged itself from one that
 * works, and the register dump that goes with the verdict.
 *
 * Owns the detection rules (no progress, trap storm, a trap into M-mode
 * under the SBI, a fatal exit) and their {@link FaultPolicy}. They look
 * only at counters the hart keeps anyway, sampled after each of a VM's
 * turns, so they cost nothing per instruction. Why each rule looks as it
 * does: docs/design.md#the-monitor.
 */

import { Csr, PrivilegeMode, type Hart } from '../cpu/index.js';

/** Thresholds of the detection rules (see the module header). */
export interface FaultPolicy {
  /** Instructions executed in a row without one retiring. Default 10 000. */
  readonly noProgressSteps: number;
  /** Instructions the same exception must keep recurring over. Default 1 000 000. */
  readonly stormSteps: number;
  /** At most this many instructions per trap, on average, during a storm. Default 64. */
  readonly stormRate: number;
}

/** The default thresholds. */
export const DEFAULT_FAULT_POLICY: FaultPolicy = Object.freeze({ noProgressSteps: 10_000, stormSteps: 1_000_000, stormRate: 64 });

/** Which rule found the fault. */
export type FaultKind = 'no-progress' | 'trap-storm' | 'machine-trap' | 'fatal';

/** The registers of a stopped hart: pc, x0-x31, privilege mode and the trap CSRs. All unsigned. */
export interface RegisterDump {
  readonly pc: number;
  readonly priv: PrivilegeMode;
  readonly regs: readonly number[];
  readonly mstatus: number;
  readonly mcause: number;
  readonly mepc: number;
  readonly mtval: number;
  readonly mtvec: number;
  readonly scause: number;
  readonly sepc: number;
  readonly stval: number;
  readonly stvec: number;
}

/** A VM stopped (or restarted) for a fault. */
export interface VmFault {
  readonly kind: FaultKind;
  /** One line: what happened. */
  readonly reason: string;
  readonly dump: RegisterDump;
}

const ABI = Object.freeze(['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6']);
const PRIV_NAME: Readonly<Record<number, string>> = Object.freeze({ 0: 'U', 1: 'S', 3: 'M' });

/** Reads the registers of `hart` (outside run()). */
export function dumpRegisters(hart: Hart): RegisterDump {
  const regs: number[] = [];
  for (let i = 0; i < 32; i++) regs.push(hart.regs[i] >>> 0);
  return Object.freeze({
    pc: hart.pc,
    priv: hart.priv,
    regs: Object.freeze(regs),
    mstatus: hart.readCsr(Csr.mstatus),
    mcause: hart.readCsr(Csr.mcause),
    mepc: hart.readCsr(Csr.mepc),
    mtval: hart.readCsr(Csr.mtval),
    mtvec: hart.readCsr(Csr.mtvec),
    scause: hart.readCsr(Csr.scause),
    sepc: hart.readCsr(Csr.sepc),
    stval: hart.readCsr(Csr.stval),
    stvec: hart.readCsr(Csr.stvec),
  });
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The dump as text: pc, mode and trap CSRs, then the registers four to a line. No trailing newline. */
export function formatRegisterDump(d: RegisterDump): string {
  const lines = [
    `pc ${hex(d.pc)}  priv ${PRIV_NAME[d.priv] ?? String(d.priv)}  mstatus ${hex(d.mstatus)}`,
    `mcause ${hex(d.mcause)}  mepc ${hex(d.mepc)}  mtval ${hex(d.mtval)}  mtvec ${hex(d.mtvec)}`,
    `scause ${hex(d.scause)}  sepc ${hex(d.sepc)}  stval ${hex(d.stval)}  stvec ${hex(d.stvec)}`,
  ];
  for (let i = 0; i < 32; i += 4) {
    const row: string[] = [];
    for (let k = i; k < i + 4; k++) row.push(`${`x${k}/${ABI[k]}`.padStart(8)} ${hex(d.regs[k])}`);
    lines.push(row.join('  '));
  }
  return lines.join('\n');
}

/** What {@link FaultWatch.observe} samples: a VM's counters and its hart. */
export interface WatchedVm {
  readonly hart: Hart;
  /** Instructions retired (monotonic across guest resets). */
  readonly instret: number;
  /** Instructions executed, trapping ones included (monotonic). */
  readonly steps: number;
  readonly firmware: 'none' | 'sbi';
}

/** Options of a {@link FaultWatch}. */
export interface FaultWatchOptions {
  /** Thresholds; missing ones take {@link DEFAULT_FAULT_POLICY}'s. */
  readonly policy?: Partial<FaultPolicy>;
}

/** Applies the detection rules to one VM, turn after turn. */
export class FaultWatch {
  readonly policy: FaultPolicy;
  private lastSteps = -1;
  private lastRetired = 0;
  private lastTraps = 0;
  private noRetire = 0;
  private stormCause = -1;
  private stormEpc = -1;
  private stormSteps = 0;
  private stormTraps = 0;

  /** Refuses thresholds that are not positive integers (RangeError). */
  constructor(options: FaultWatchOptions = {}) {
    const p = { ...DEFAULT_FAULT_POLICY, ...options.policy };
    for (const [k, v] of Object.entries(p)) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`fault policy ${k} ${String(v)} is not a positive integer`);
    }
    this.policy = Object.freeze(p);
  }

  /** Forgets what was seen (after the VM restarts). */
  reset(): void {
    this.lastSteps = -1;
    this.noRetire = 0;
    this.stormCause = -1;
    this.stormSteps = 0;
    this.stormTraps = 0;
  }

  /**
   * Samples the VM after a turn; returns the fault found, or null. The
   * first call only takes the baseline.
   */
  observe(vm: WatchedVm): { kind: FaultKind; reason: string } | null {
    const hart = vm.hart;
    const steps = vm.steps;
    const retired = vm.instret;
    const traps = hart.trapCount;
    if (this.lastSteps < 0) {
      this.lastSteps = steps;
      this.lastRetired = retired;
      this.lastTraps = traps;
      return null;
    }
    const dSteps = steps - this.lastSteps;
    const dRetired = retired - this.lastRetired;
    // trapCount restarts at a guest reset: count from there.
    const dTraps = traps >= this.lastTraps ? traps - this.lastTraps : traps;
    this.lastSteps = steps;
    this.lastRetired = retired;
    this.lastTraps = traps;
    if (dSteps === 0) return null;

    if (vm.firmware === 'sbi' && hart.priv === PrivilegeMode.Machine) {
      const t = hart.lastTrap;
      const what = t === null ? 'the hart is in M-mode' : `cause ${t.code}${t.interrupt ? ' (interrupt)' : ''} at pc 0x${hex(t.epc)}`;
      return { kind: 'machine-trap', reason: `trap into M-mode under the SBI (${what}): there is no M-mode firmware to handle it` };
    }

    if (dRetired > 0) this.noRetire = 0;
    else this.noRetire += dSteps;
    if (this.noRetire >= this.policy.noProgressSteps) {
      const t = hart.lastTrap;
      const where = t === null ? '' : `; last trap: cause ${t.code} at pc 0x${hex(t.epc)}, tval 0x${hex(t.tval)}`;
      return { kind: 'no-progress', reason: `no progress: ${this.noRetire} instructions executed and none retired (every one trapped)${where}` };
    }

    const t = dTraps > 0 ? hart.lastTrap : null;
    if (t === null || t.interrupt || t.code === 8 || t.code === 9 || t.code === 11) {
      this.stormCause = -1;
      this.stormSteps = 0;
      this.stormTraps = 0;
      return null;
    }
    if (t.code === this.stormCause && t.epc === this.stormEpc) {
      this.stormSteps += dSteps;
      this.stormTraps += dTraps;
    } else {
      this.stormCause = t.code;
      this.stormEpc = t.epc;
      this.stormSteps = dSteps;
      this.stormTraps = dTraps;
    }
    if (this.stormSteps >= this.policy.stormSteps && this.stormTraps * this.policy.stormRate >= this.stormSteps) {
      return {
        kind: 'trap-storm',
        reason: `trap storm: exception ${t.code} at pc 0x${hex(t.epc)} (tval 0x${hex(t.tval)}) keeps recurring: ` +
          `${this.stormTraps} traps in ${this.stormSteps} instructions`,
      };
    }
    return null;
  }
}
