/**
 * A VM under a debugger: the {@link DebugTarget} over a {@link VirtVm}'s
 * hart and address space, and the execution control GDB asks for (halt,
 * continue, single-step, breakpoints, watchpoints).
 *
 * Owns the run-time side of debugging. It takes over the VM's `run` (and
 * `setWakeHandler`) on the instance, so whoever drives the VM drives it
 * unchanged; with no breakpoint or watchpoint set, `run` is the VM's own.
 * Watchpoints stop before the access (GDB's RISC-V target declares them
 * non-steppable); software breakpoints never patch memory; device regions
 * are refused. Why: docs/design.md#the-debugger.
 */

import type { GuestVirtAddr } from '../addr/index.js';
import {
  expandCompressed, funct3, funct5, ILLEGAL_EXPANSION, immI, immS, LR_FUNCT5, memOp, Opcode, opcode, PrivilegeMode, rs1, SC_FUNCT5,
} from '../cpu/index.js';
import type { VirtVm, VmExit } from '../monitor/index.js';
import { BreakType, type DebugTarget, type StopEvent } from './stub.js';
import { REG_CSR_BASE, REG_PC, REG_PRIV } from './target-xml.js';

const TWO32 = 2 ** 32;
/** What `run` reports while halted: nothing to do until the debugger resumes the VM. */
const HALTED: VmExit = Object.freeze({ kind: 'idle', deadline: Infinity });
/** Watchpoints kept at most (GDB asks for one per watched expression). */
export const MAX_WATCHPOINTS = 64;
/** Breakpoints kept at most. */
export const MAX_BREAKPOINTS = 4096;

/** One watched range. */
interface Watch {
  readonly type: BreakType;
  readonly address: number;
  readonly length: number;
}

/** Options of a {@link VmDebugger}. */
export interface VmDebuggerOptions {
  /** The VM. Its `run` and `setWakeHandler` are taken over until {@link VmDebugger.close}. */
  readonly vm: VirtVm;
  /** Start halted before the first instruction (`--wait`). Default false. */
  readonly halted?: boolean;
  /**
   * Called from inside the VM's `run` when it stops for the debugger
   * (breakpoint, watchpoint, step done) and when the VM ends (`exited`,
   * `terminated`). Must only queue work (e.g. write to a socket).
   */
  onStop(event: StopEvent): void;
}

/** A VM under a debugger (see the module header). */
export class VmDebugger implements DebugTarget {
  readonly vm: VirtVm;
  private readonly onStop: (event: StopEvent) => void;
  private readonly origRun: (budget: number) => VmExit;
  private readonly origSetWake: (handler: (() => void) | null) => void;
  private wake: (() => void) | null = null;
  private readonly ownRun: PropertyDescriptor | undefined;
  private readonly ownSetWake: PropertyDescriptor | undefined;
  private mode: 'halted' | 'running' | 'stepping';
  /** pc of the last stop; resuming there skips the checks for that one instruction. */
  private skipPc = -1;
  private last: StopEvent = { kind: 'interrupt' };
  private readonly breakpoints = new Set<number>();
  private readonly watches: Watch[] = [];
  private ended = false;
  private closed = false;

  /** Takes the options; installs itself on the VM at once. */
  constructor(options: VmDebuggerOptions) {
    this.vm = options.vm;
    this.onStop = options.onStop;
    this.mode = options.halted === true ? 'halted' : 'running';
    const vm = this.vm;
    this.ownRun = Object.getOwnPropertyDescriptor(vm, 'run');
    this.ownSetWake = Object.getOwnPropertyDescriptor(vm, 'setWakeHandler');
    this.origRun = vm.run.bind(vm);
    this.origSetWake = vm.setWakeHandler.bind(vm);
    vm.run = (budget: number): VmExit => this.run(budget);
    vm.setWakeHandler = (handler: (() => void) | null): void => {
      this.wake = handler;
      this.origSetWake(handler);
    };
  }

  /** True while the VM waits for the debugger. */
  get isHalted(): boolean {
    return this.mode === 'halted';
  }

  /** True once the VM has ended (exit, fatal, stopped). */
  get hasEnded(): boolean {
    return this.ended || this.vm.exit !== null;
  }

  /** Why the VM last stopped, for `?`. */
  get lastStop(): StopEvent {
    return this.last;
  }

  /** Halts the VM now (between instructions: called from a host callback, never inside `run`). Returns the stop event. */
  halt(): StopEvent {
    if (this.mode !== 'halted') {
      this.mode = 'halted';
      this.last = { kind: 'interrupt' };
      this.skipPc = this.vm.hart.pc;
    }
    return this.last;
  }

  /** Resumes the VM (`step`: for one instruction), from `address` when given. */
  resume(step: boolean, address: number | null = null): void {
    if (address !== null) this.writeRegister(REG_PC, address);
    this.mode = step ? 'stepping' : 'running';
    this.wake?.();
  }

  /** Drops every breakpoint and watchpoint and lets the VM run (GDB's `D`). */
  detach(): void {
    this.breakpoints.clear();
    this.watches.length = 0;
    this.resume(false);
  }

  /** Restores the VM's own `run` and `setWakeHandler`; the VM runs on undebugged. Closing twice is harmless. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Back to what was there: the class's methods, or another wrapper installed on the instance before us.
    const vm = this.vm as { run?: unknown; setWakeHandler?: unknown };
    if (this.ownRun === undefined) delete vm.run;
    else Object.defineProperty(vm, 'run', this.ownRun);
    if (this.ownSetWake === undefined) delete vm.setWakeHandler;
    else Object.defineProperty(vm, 'setWakeHandler', this.ownSetWake);
    this.mode = 'running';
    this.wake?.();
  }

  // ------------------------------------------------------------ DebugTarget

  readRegister(n: number): number | null {
    const hart = this.vm.hart;
    if (n >= 0 && n < 32) return hart.regs[n] >>> 0;
    if (n === REG_PC) return hart.pc;
    if (n === REG_PRIV) return hart.priv;
    if (n >= REG_CSR_BASE && n < REG_CSR_BASE + 4096) {
      try {
        return hart.readCsr(n - REG_CSR_BASE);
      } catch {
        return null;
      }
    }
    return null;
  }

  writeRegister(n: number, value: number): boolean {
    const hart = this.vm.hart;
    try {
      if (n === 0) return true; // x0 stays 0
      if (n > 0 && n < 32) hart.regs[n] = value | 0;
      else if (n === REG_PC) hart.pc = (value & ~1) >>> 0;
      else if (n === REG_PRIV) hart.priv = value as PrivilegeMode;
      else if (n >= REG_CSR_BASE && n < REG_CSR_BASE + 4096) hart.writeCsr(n - REG_CSR_BASE, value);
      else return false;
      return true;
    } catch {
      return false;
    }
  }

  readMemory(address: number, length: number): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < length; i++) {
      const v = this.byteAt(address + i, -1);
      if (v < 0) break;
      out.push(v);
    }
    return new Uint8Array(out);
  }

  writeMemory(address: number, bytes: Uint8Array): boolean {
    let ok = true;
    for (let i = 0; i < bytes.length && ok; i++) ok = this.byteAt(address + i, bytes[i]) >= 0;
    // The debugger may have rewritten code the translation tier holds (a no-op under the interpreter).
    if (bytes.length > 0) this.vm.hart.flushCode();
    return ok;
  }

  insertBreakpoint(type: BreakType, address: number, length: number): boolean {
    if (type === BreakType.Software || type === BreakType.Hardware) {
      if (this.breakpoints.size >= MAX_BREAKPOINTS) return false;
      this.breakpoints.add(address);
      return true;
    }
    if (length === 0 || this.watches.length >= MAX_WATCHPOINTS) return false;
    this.watches.push({ type, address, length });
    return true;
  }

  removeBreakpoint(type: BreakType, address: number, length: number): boolean {
    if (type === BreakType.Software || type === BreakType.Hardware) {
      this.breakpoints.delete(address);
      return true;
    }
    const i = this.watches.findIndex((w) => w.type === type && w.address === address && w.length === length);
    if (i >= 0) this.watches.splice(i, 1);
    return true;
  }

  // ------------------------------------------------------------- internals

  /** Reads (`value` < 0) or writes one byte at a virtual address; returns the byte, or -1 where unmapped, a device, or read-only. */
  private byteAt(va: number, value: number): number {
    if (!Number.isInteger(va) || va < 0 || va >= TWO32) return -1;
    const hart = this.vm.hart;
    const space = this.vm.space;
    const pa = hart.translateAddress(va as GuestVirtAddr, 'load');
    if (pa === null) return -1;
    const region = space.regionAt(pa);
    if (region === null || region.kind === 'device') return -1;
    if (value < 0) return space.read(pa, 1);
    return space.write(pa, 1, value) ? value : -1;
  }

  private run(budget: number): VmExit {
    if (this.mode === 'halted') {
      // A stop (timeout, signal) or close must still end the VM: run nothing, but let the VM say so.
      const exit = this.vm.exit ?? this.stopPending();
      return exit ?? HALTED;
    }
    const checks = this.mode === 'stepping' || this.breakpoints.size > 0 || this.watches.length > 0;
    const exit = checks ? this.runChecked(budget) : this.origRun(budget);
    if (exit.kind === 'exit' || exit.kind === 'fatal' || exit.kind === 'stopped') this.end(exit);
    return exit;
  }

  /** A final exit if the VM was asked to stop, else null (runs no instruction). */
  private stopPending(): VmExit | null {
    const e = this.origRun(0);
    if (e.kind === 'exit' || e.kind === 'fatal' || e.kind === 'stopped') {
      this.end(e);
      return e;
    }
    return null;
  }

  private end(exit: VmExit): void {
    if (this.ended) return;
    this.ended = true;
    this.last = exit.kind === 'exit' ? { kind: 'exited', status: exit.status } : { kind: 'terminated' };
    this.onStop(this.last);
  }

  private stop(event: StopEvent): VmExit {
    this.mode = 'halted';
    this.last = event;
    this.skipPc = this.vm.hart.pc;
    this.onStop(event);
    return HALTED;
  }

  private runChecked(budget: number): VmExit {
    const vm = this.vm;
    const hart = vm.hart;
    for (let i = 0; i < budget; i++) {
      const pc = hart.pc;
      if (pc !== this.skipPc) {
        if (this.breakpoints.has(pc)) return this.stop({ kind: 'breakpoint' });
        if (this.watches.length > 0) {
          const hit = this.watchHit();
          if (hit !== null) return this.stop(hit);
        }
      }
      this.skipPc = -1;
      const before = vm.steps;
      const exit = this.origRun(1);
      if (exit.kind === 'exit' || exit.kind === 'fatal' || exit.kind === 'stopped') return exit;
      if (this.mode === 'stepping' && vm.steps > before) return this.stop({ kind: 'step' });
      if (exit.kind !== 'budget') return exit; // idle: the driver sleeps until an interrupt
    }
    return { kind: 'budget' };
  }

  /** The watchpoint the instruction at pc is about to trigger, or null. */
  private watchHit(): StopEvent | null {
    const access = this.accessAtPc();
    if (access === null) return null;
    const [address, length, reads, writes] = access;
    for (const w of this.watches) {
      const wEnd = w.address + w.length;
      if (address >= wEnd || address + length <= w.address) continue;
      const hit = Math.max(address, w.address);
      if (w.type === BreakType.Write && writes) return { kind: 'watch', type: 'watch', address: hit };
      if (w.type === BreakType.Read && reads) return { kind: 'watch', type: 'rwatch', address: hit };
      if (w.type === BreakType.Access && (reads || writes)) return { kind: 'watch', type: 'awatch', address: hit };
    }
    return null;
  }

  /** Fetches an instruction parcel (16 bits) at a virtual address as the hart would; -1 if it cannot. */
  private parcel(va: number): number {
    if (va >= TWO32) return -1;
    const pa = this.vm.hart.translateAddress(va as GuestVirtAddr, 'fetch');
    if (pa === null) return -1;
    const region = this.vm.space.regionAt(pa);
    if (region === null || region.kind === 'device') return -1;
    return this.vm.space.read(pa, 2);
  }

  /** The data access of the instruction at pc: [virtual address, length, reads, writes], or null if it makes none. */
  private accessAtPc(): [number, number, boolean, boolean] | null {
    const hart = this.vm.hart;
    const pc = hart.pc;
    const lo = this.parcel(pc);
    if (lo < 0) return null;
    let inst: number;
    if ((lo & 3) !== 3) {
      inst = expandCompressed(lo);
      if (inst === ILLEGAL_EXPANSION) return null;
    } else {
      const hi = this.parcel(pc + 2);
      if (hi < 0) return null;
      inst = (lo | (hi << 16)) | 0;
    }
    const op = opcode(inst);
    const base = hart.regs[rs1(inst)];
    if (op === Opcode.LOAD || op === Opcode.STORE) {
      const store = op === Opcode.STORE;
      const m = memOp(funct3(inst), store);
      return m === undefined ? null : [(base + (store ? immS(inst) : immI(inst))) >>> 0, m.width, !store, store];
    }
    if (op === Opcode.AMO && funct3(inst) === 2) {
      const f5 = funct5(inst);
      // LR reads, SC writes, the other AMOs read and write (unprivileged ISA 8.2-8.4).
      return [base >>> 0, 4, f5 !== SC_FUNCT5, f5 !== LR_FUNCT5];
    }
    return null;
  }
}
