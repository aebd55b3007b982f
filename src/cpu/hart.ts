/**
 * One RISC-V hart: RV32IMAC + Zicsr + Zifencei, modes M, S and U
 * (privileged spec 1.12), with Sv32, PMP and triggers; its CSRs, traps,
 * interrupts and `run(budget)`.
 *
 * Owns the register file, pc, privilege mode, every CSR, the LR/SC
 * reservation, the instruction counters and the `mip` bits devices drive.
 * Guest memory is the {@link GuestAddressSpace}'s: the hart reads its RAM
 * window (and a ROM fetch window) through typed-array views and sends all
 * else through it. This file: options and public API; the parts: core.ts,
 * interp.ts (generated), mem.ts, trap.ts, csr.ts, snapshot.ts, sv32.ts,
 * pmp.ts, trigger.ts. Spec choices, against QEMU 7.2: docs/design.md#the-hart.
 */

import type { GuestPhysAddr, GuestVirtAddr } from '../addr/index.js';
import type { GuestAddressSpace } from '../addrspace/index.js';
import type { InterruptTarget } from '../device/index.js';
import type { DeviceState } from '../state/index.js';
import { PrivilegeMode } from './constants.js';
import { EV_IRQ, EV_MMU, EV_STOP, IRQ_CAUSES, M, MAX_BUDGET, NO_RESV, S, SATP_ASID_MASK, TWO32, U, HartCore, type TrapRecord } from './core.js';
import { csrRead, csrWrite, guardRefresh } from './csr.js';
import { HartError } from './errors.js';
import { interpret } from './interp.js';
import { JitTier, defaultTier, jitAvailable } from './jit/index.js';
import { mmuRefresh } from './mem.js';
import { restoreHartState, saveHartState } from './snapshot.js';
import { ACC_FETCH, ACC_LOAD, ACC_STORE, type AccessKind } from './sv32.js';
import { sfenceVma, trapRecord } from './trap.js';

export type { TrapRecord } from './core.js';

/** Construction options of a {@link Hart}. */
export interface HartOptions {
  /** The guest physical address space the hart fetches from, loads from and stores to. */
  readonly bus: GuestAddressSpace;
  /** The value of `mhartid` (default 0): an integer in [0, 2^32). */
  readonly hartId?: number;
  /**
   * Returns the current `mtime` (10 MHz ticks; an integer in [0, 2^53)):
   * read by the `time`/`timeh` CSRs.
   */
  readonly readTime: () => number;
  // ---- SBI hook (src/machine/sbi.ts): the only monitor-specific option.
  /**
   * Called instead of taking the trap when ECALL executes in S-mode: a
   * monitor standing in for M-mode firmware (the SBI) reads a0-a7 from
   * `hart.regs` and writes a0/a1; the ECALL then completes like any other
   * instruction (it retires and pc advances by 4). If it throws, run()
   * ends with {@link ExitReason.Fatal}. Omitted: ECALL from S traps with
   * cause 9, as the privileged spec says.
   */
  readonly onSupervisorEcall?: (hart: Hart) => void;
  // ---- end of SBI hook
  // ---- JIT tier (src/cpu/jit, docs/jit.md)
  /**
   * How run() executes: 'interp' (default), the switch interpreter alone;
   * 'jit', guest blocks translated to JavaScript with `new Function`, the
   * interpreter running what blocks cannot. Where the engine cannot compile
   * source text, 'jit' falls back to 'interp' (see {@link Hart.tier}).
   * Omitted: the default set by `setDefaultTier` (src/cpu/jit), 'interp'
   * unless changed.
   */
  readonly tier?: 'interp' | 'jit';
  /** Slots of the JIT's block cache: a power of two in [16, 65536] (default 4096). Ignored by 'interp'. */
  readonly jitCacheBlocks?: number;
  // ---- end of JIT tier
  // ---- trap hook (src/monitor/trace.ts)
  /**
   * Called after the hart has taken a trap (exception or interrupt), with
   * the trap's record; `hart.instret` is then the count of instructions
   * retired before it. For tracing and statistics: omitted (the default),
   * the trap path costs one test of an undefined field. If it throws, run()
   * ends with {@link ExitReason.Fatal}.
   */
  readonly onTrap?: (hart: Hart, record: TrapRecord) => void;
  // ---- end of trap hook
}

function checkPc(pc: number, what: string): void {
  if (!Number.isInteger(pc) || pc < 0 || pc >= TWO32 || (pc & 1) !== 0) {
    throw new HartError('bad-argument', what, `${what} ${pc} is not an even integer in [0, 2^32)`);
  }
}

/**
 * One RISC-V hart. See the module header for what it implements and the
 * choices it makes.
 */
export class Hart extends HartCore implements InterruptTarget {
  /**
   * Takes the options (see {@link HartOptions}) and returns a hart in its
   * reset state at pc 0 (call {@link reset} with the entry point). Refuses a
   * missing bus or readTime and a hartId outside [0, 2^32) with a
   * {@link HartError} of kind 'bad-option'.
   */
  constructor(options: HartOptions) {
    const { bus, readTime } = options;
    const hartId = options.hartId ?? 0;
    if (bus === null || typeof bus !== 'object') throw new HartError('bad-option', 'bus', 'a Hart needs a bus');
    if (typeof readTime !== 'function') throw new HartError('bad-option', 'readTime', 'a Hart needs readTime()');
    if (!Number.isInteger(hartId) || hartId < 0 || hartId >= TWO32) {
      throw new HartError('bad-option', 'hartId', `hartId ${hartId} is not an integer in [0, 2^32)`);
    }
    super(bus, hartId, readTime);
    const onEcall = options.onSupervisorEcall; // SBI hook
    if (onEcall !== undefined) this.sbiHook = () => onEcall(this);
    const onTrap = options.onTrap; // trap hook
    if (onTrap !== undefined) this.trapHook = (record) => onTrap(this, record);
    const tier = options.tier ?? defaultTier();
    if (tier !== 'interp' && tier !== 'jit') throw new HartError('bad-option', 'tier', `tier ${String(tier)} is not 'interp' or 'jit'`);
    if (tier === 'jit' && jitAvailable()) {
      try {
        this.jitc = new JitTier({ hart: this, cacheBlocks: options.jitCacheBlocks });
      } catch (e) {
        throw new HartError('bad-option', 'jitCacheBlocks', (e as Error).message);
      }
    }
    this.reset(0);
  }

  /** The tier run() uses: 'jit' only when asked for and the engine can compile source text. */
  get tier(): 'interp' | 'jit' {
    return this.jitc !== null ? 'jit' : 'interp';
  }

  /**
   * Tells the hart that guest code may have been written from outside it
   * (a debugger planting a breakpoint, a host rewriting RAM between runs):
   * the JIT tier drops every translation. The hart's own stores and
   * FENCE.I need no call, nor do reset and restoreState. Free under the
   * interpreter, which fetches every instruction from memory.
   */
  flushCode(): void {
    if (this.jitc !== null) this.jitc.flush();
  }

  /** The JIT tier's block cache statistics, or null under the interpreter (for tests and benches). */
  get jitStats(): { blocks: number; translations: number; promotions: number; invalidations: number; flushes: number } | null {
    const j = this.jitc;
    return j === null ? null : { blocks: j.blocks, translations: j.translations, promotions: j.promotions, invalidations: j.invalidations, flushes: j.flushes };
  }

  // ------------------------------------------------------------- host API

  /** The address of the next instruction (unsigned). Setting it takes an even integer in [0, 2^32) and refuses anything else with a HartError. */
  get pc(): number {
    return this.pcv >>> 0;
  }
  set pc(value: number) {
    checkPc(value, 'pc');
    this.pcv = value | 0;
  }

  /** The current privilege mode. Setting it (for tests and debuggers) takes 0, 1 or 3 and refuses anything else with a HartError. */
  get priv(): PrivilegeMode {
    return this.privv as PrivilegeMode;
  }
  set priv(mode: PrivilegeMode) {
    if (mode !== U && mode !== S && mode !== M) throw new HartError('bad-argument', 'priv', `privilege mode ${mode} does not exist`);
    this.privv = mode;
    this.events |= EV_IRQ | EV_MMU;
  }

  /**
   * Instructions retired since the last reset (exact up to 2^53), counted
   * by the monitor's clock: unaffected by guest writes to `minstret` and by
   * `mcountinhibit`. An instruction that raises an exception (ECALL and
   * EBREAK included) does not retire (privileged spec 3.3.1).
   */
  get instret(): number {
    return this.inRun ? this.retiredBase + (this.sliceBudget - this.sliceLeft) : this.retiredBase;
  }

  /** Instructions the last run() stepped through, trapping ones included (at most its budget). */
  get lastRunSteps(): number {
    return this.stepsLast;
  }

  /** True after run() returned {@link ExitReason.Wfi}, until the next run() (which resumes after the WFI). */
  get parked(): boolean {
    return this.parkedv;
  }

  /**
   * True when an interrupt is pending and locally enabled (`mip & mie`
   * nonzero): the condition that ends a WFI (spec 3.3.3), whatever the
   * global enables. The monitor resumes a parked hart when this holds.
   */
  get wakeupPending(): boolean {
    return ((this.mipSw | this.mipHw) & this.mie) !== 0;
  }

  /** How many traps (exceptions and interrupts) the hart has taken since reset. */
  get trapCount(): number {
    return this.trapCountv;
  }

  /** The most recent trap since reset, or null. Allocates a record per call (not for the hot path). */
  get lastTrap(): TrapRecord | null {
    return this.trapCountv === 0 ? null : trapRecord(this);
  }

  /**
   * Resets the hart (privileged spec 3.4): M-mode, pc = `pc` (an even
   * integer in [0, 2^32), refused otherwise), registers and CSRs zero
   * (mstatus.MIE and MPRV clear, PMP entries unlocked and off), counters
   * and `instret` zero, no reservation, not parked. The interrupt levels
   * devices drive are kept: they belong to the devices.
   */
  reset(pc: number): void {
    checkPc(pc, 'pc');
    this.regs.fill(0);
    this.pcv = pc | 0;
    this.privv = M;
    this.mstatus = 0;
    this.medeleg = 0;
    this.mideleg = 0;
    this.mie = 0;
    this.mipSw = 0;
    this.mtvec = 0;
    this.stvec = 0;
    this.mscratch = 0;
    this.sscratch = 0;
    this.mepc = 0;
    this.sepc = 0;
    this.mcause = 0;
    this.scause = 0;
    this.mtval = 0;
    this.stval = 0;
    this.mcounteren = 0;
    this.scounteren = 0;
    this.menvcfg = 0;
    this.senvcfg = 0;
    this.mcountinhibit = 0;
    this.satp = 0;
    this.pmp.reset();
    this.trig.reset();
    guardRefresh(this);
    this.ctr.fill(0);
    this.resvW = NO_RESV;
    this.retiredBase = 0;
    this.stepsLast = 0;
    this.parkedv = false;
    this.events = EV_IRQ | EV_MMU;
    this.mmu.flushAll();
    this.fatalError = null;
    this.trapCountv = 0;
    this.trapCause = 0;
    this.trapTval = 0;
    this.trapEpc = 0;
    this.trapPriv = M;
    this.trapFrom = M;
    if (this.jitc !== null) this.jitc.flush(); // a loader wrote RAM before this
  }

  /**
   * Sets the `mip` bit of interrupt `cause` (1, 3, 5, 7, 9 or 11, see
   * InterruptCause) to `level`, as a device's wire (level-triggered). For
   * SSIP, STIP and SEIP the bit software reads is the OR of this level and
   * the software-writable bit (spec 3.1.9). Refuses another cause with a
   * HartError. Cheap when the level does not change; a change made during
   * run() (from a device access) is acted on after the current instruction.
   */
  setInterruptPending(cause: number, level: boolean): void {
    if (!Number.isInteger(cause) || cause < 0 || cause > 11 || ((IRQ_CAUSES >>> cause) & 1) === 0) {
      throw new HartError('bad-argument', 'cause', `interrupt cause ${cause} is not one a device can drive`);
    }
    const bit = 1 << cause;
    const next = level ? this.mipHw | bit : this.mipHw & ~bit;
    if (next !== this.mipHw) {
      this.mipHw = next;
      this.events |= EV_IRQ;
    }
  }

  /**
   * Asks the hart to stop: run() returns {@link ExitReason.Stop} right
   * after the instruction that is executing (for a device, the access that
   * called this), or at the start of the next run() when none is.
   */
  requestStop(): void {
    this.events |= EV_STOP;
  }

  /**
   * Reads CSR `n` as a debugger would: no privilege or counter-enable
   * checks, no side effects. Returns the unsigned value. Refuses a number
   * this hart does not implement with a HartError of kind 'unknown-csr'.
   */
  readCsr(n: number): number {
    const v = Number.isInteger(n) && n >= 0 && n < 4096 ? csrRead(this, n, this.instret) : -1;
    if (v < 0) throw new HartError('unknown-csr', n, `CSR ${n} is not implemented`);
    return v;
  }

  /**
   * Writes `value` (taken modulo 2^32) to CSR `n` as a debugger would: no
   * privilege checks, WARL rules applied as for a guest write; a counter
   * written reads back exactly `value` before the next instruction.
   * Refuses an unimplemented number ('unknown-csr') and a read-only one
   * ('read-only-csr', bits 11:10 = 11) with a HartError.
   */
  writeCsr(n: number, value: number): void {
    if (!Number.isInteger(n) || n < 0 || n >= 4096 || csrRead(this, n, this.instret) < 0) {
      throw new HartError('unknown-csr', n, `CSR ${n} is not implemented`);
    }
    if (n >>> 10 === 3) throw new HartError('read-only-csr', n, `CSR ${n} is read-only`);
    const r = this.instret;
    csrWrite(this, n, value >>> 0, r, r);
  }

  /**
   * Translates `va` as an access of kind `access` by the hart in its
   * current state would (mode, MPRV for loads and stores, satp, SUM, MXR),
   * for debuggers and tests. Has no side effects: no A/D update, no TLB
   * fill, no trap. Returns the physical address, or null when the access
   * would raise a page or access fault during translation (the physical
   * access itself is not tried). Refuses a `va` outside [0, 2^32) with a
   * HartError.
   */
  translateAddress(va: GuestVirtAddr, access: 'fetch' | 'load' | 'store'): GuestPhysAddr | null {
    if (!Number.isInteger(va) || va < 0 || va >= TWO32) throw new HartError('bad-argument', 'va', `virtual address ${va} is not in [0, 2^32)`);
    mmuRefresh(this);
    const acc: AccessKind = access === 'fetch' ? ACC_FETCH : access === 'load' ? ACC_LOAD : ACC_STORE;
    const on = acc === ACC_FETCH ? this.fetchTranslated : this.dataTranslated;
    if (on === 0) return va as number as GuestPhysAddr;
    const pa = this.mmu.walk(va, acc, this.satp, acc === ACC_FETCH ? this.privv : this.dataPriv, this.mstatus, -1);
    return pa < 0 ? null : (pa as GuestPhysAddr);
  }

  /**
   * Drops cached translations as SFENCE.VMA would (spec 4.2.1), for a
   * monitor that implements a remote fence (SBI RFENCE) for this hart:
   * `va` omitted drops all pages, else the page holding it; `asid`
   * omitted applies to every ASID. Safe to call from a device or hook
   * during run(): the next instruction sees the effect. Refuses a `va`
   * outside [0, 2^32) or an ASID outside [0, 512) with a HartError.
   */
  flushTranslations(va?: GuestVirtAddr, asid?: number): void {
    if (va !== undefined && (!Number.isInteger(va) || va < 0 || va >= TWO32)) {
      throw new HartError('bad-argument', 'va', `virtual address ${va} is not in [0, 2^32)`);
    }
    if (asid !== undefined && (!Number.isInteger(asid) || asid < 0 || asid > SATP_ASID_MASK)) {
      throw new HartError('bad-argument', 'asid', `ASID ${asid} is not in [0, ${SATP_ASID_MASK}]`);
    }
    sfenceVma(this, va ?? -1, asid ?? -1);
  }
  /**
   * The hart's whole architectural state as a record (src/state/state.ts):
   * x1-x31, pc, mode, every CSR field as held (counters as their offsets
   * from `instret`, which is saved too), PMP, the LR/SC reservation, the
   * mip bits software and devices set, parked (after WFI), the last trap.
   * Call between runs. Caches (TLB, windows, decoded parcels) are not state.
   */
  saveState(): DeviceState {
    return saveHartState(this);
  }

  /**
   * Takes a record from {@link saveState}; refuses a bad one (a field
   * missing or out of range, bits no guest write could set, a reserved
   * MPP or trap-vector mode) with a DeviceStateError before changing
   * anything. Then resets the hart, which drops every cached translation
   * and window as a reset does, and sets the saved state; the next run()
   * goes on from it.
   */
  restoreState(st: DeviceState): void {
    restoreHartState(this, st);
  }

  // ------------------------------------------------------------- the loop

  /**
   * Executes up to `budget` instructions (an integer in [0, 2^31), refused
   * otherwise with a HartError) and returns why it stopped, one of
   * {@link ExitReason}. Pending interrupts are checked first. A parked hart
   * (after {@link ExitReason.Wfi}) resumes after its WFI: the caller decides
   * when, normally once {@link wakeupPending} holds. A trapping instruction
   * uses one step of the budget, so a guest that traps forever still
   * returns. Never throws for anything the guest does.
   */
  run(budget: number): number {
    if (!Number.isInteger(budget) || budget < 0 || budget > MAX_BUDGET) {
      throw new HartError('bad-argument', 'budget', `budget ${budget} is not an integer in [0, 2^31)`);
    }
    if (this.jitc !== null) return this.jitc.run(budget);
    return this.interpret(budget);
  }

  /** @internal The interpreter: run() without the argument check (the JIT tier calls it for what blocks cannot run). */
  interpret(budget: number): number {
    return interpret(this, budget);
  }
}
