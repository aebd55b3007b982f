/**
 * The hart's state, and the internal view of it that the hart's parts share:
 * the loop (interp.ts), the slow paths (mem.ts), traps (trap.ts), CSRs
 * (csr.ts), snapshots (snapshot.ts) and the JIT tier (jit/). {@link Hart}
 * (hart.ts) extends {@link HartCore} with the public API; the fields here
 * are public so that those modules, and only they, read and write them
 * (src/cpu/index.ts does not export this module). The choices the hart
 * makes where the specs leave room are in docs/design.md#the-hart.
 */

import type { GuestAddressSpace } from '../addrspace/index.js';
import { ExitReason, type PrivilegeMode } from './constants.js';
import { Pmp } from './pmp.js';
import { Sv32Mmu } from './sv32.js';
import { Triggers } from './trigger.js';

/** The most recent trap the hart took, as reported by Hart.lastTrap. */
export interface TrapRecord {
  /** The value written to `mcause`/`scause` (unsigned; bit 31 set for an interrupt). */
  readonly cause: number;
  /** True for an interrupt. */
  readonly interrupt: boolean;
  /** The exception or interrupt code (`cause` without bit 31). */
  readonly code: number;
  /** The value written to `mtval`/`stval` (unsigned). */
  readonly tval: number;
  /** The value written to `mepc`/`sepc` (unsigned). */
  readonly epc: number;
  /** The mode the trap was taken into: Machine or Supervisor. */
  readonly priv: PrivilegeMode;
  /** The mode the hart was in when the trap happened. */
  readonly fromPriv: PrivilegeMode;
}

/** What the hart asks of its JIT tier (jit/driver.ts's JitTier). */
export interface CodeTier {
  /** run() through translated blocks and the interpreter. */
  run(budget: number): number;
  /** Drops every translation. */
  flush(): void;
  /** A store of `len` bytes at physical `pa` retired: drops translated code it overwrote. */
  noteStore(pa: number, len: number): void;
  /** Statistics of the block cache (for tests and benches). */
  readonly blocks: number;
  readonly translations: number;
  readonly promotions: number;
  readonly invalidations: number;
  readonly flushes: number;
}

// Privilege modes as plain constants for the hot path.
export const U = 0;
export const S = 1;
export const M = 3;

// Exit reasons, copied from the frozen table.
export const EXIT_BUDGET = ExitReason.BudgetSpent;
export const EXIT_WFI = ExitReason.Wfi;
export const EXIT_STOP = ExitReason.Stop;
export const EXIT_FATAL = ExitReason.Fatal;

// Exception causes used by the interpreter (privileged spec 1.12, table 3.6).
export const EXC_FETCH_ACCESS = 1;
export const EXC_ILLEGAL = 2;
export const EXC_BREAKPOINT = 3;
export const EXC_LOAD_MISALIGNED = 4;
export const EXC_LOAD_ACCESS = 5;
export const EXC_STORE_MISALIGNED = 6;
export const EXC_STORE_ACCESS = 7;
export const EXC_ECALL_U = 8;

// mstatus bits (RV32, figure 3.6).
export const MS_SIE = 1 << 1;
export const MS_MIE = 1 << 3;
export const MS_SPIE = 1 << 5;
export const MS_MPIE = 1 << 7;
export const MS_SPP = 1 << 8;
export const MS_MPP = 3 << 11;
export const MS_MPRV = 1 << 17;
export const MS_SUM = 1 << 18;
export const MS_MXR = 1 << 19;
export const MS_TVM = 1 << 20;
export const MS_TW = 1 << 21;
export const MS_TSR = 1 << 22;

/** satp accepts Sv32, so mstatus.SUM is writable (spec 3.1.6.3). */
export const SV32 = true;

/**
 * Writable mstatus bits. No F, V or custom state, so FS, VS, XS and SD are
 * read-only 0; UBE/SBE/MBE are 0 (little-endian only).
 */
export const MSTATUS_WRITABLE =
  MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | MS_MPRV | (SV32 ? MS_SUM : 0) | MS_MXR | MS_TVM | MS_TW | MS_TSR;
/** sstatus is a restricted view of mstatus (spec 4.1.1): SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, SD. */
export const SSTATUS_VISIBLE = MS_SIE | MS_SPIE | (1 << 6) | MS_SPP | (3 << 9) | (3 << 13) | (3 << 15) | MS_SUM | MS_MXR | 0x80000000;
export const SSTATUS_WRITABLE = MSTATUS_WRITABLE & SSTATUS_VISIBLE;

// Interrupt bits.
export const MIP_SSIP = 1 << 1;
export const MIP_MSIP = 1 << 3;
export const MIP_STIP = 1 << 5;
export const MIP_MTIP = 1 << 7;
export const MIP_SEIP = 1 << 9;
export const MIP_MEIP = 1 << 11;
/** The six standard interrupts: writable in mie (spec 3.1.9). */
export const MIE_WRITABLE = MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
/** Bits of mip M-mode software may write: the supervisor ones (spec 3.1.9); MSIP/MTIP/MEIP come from devices. */
export const MIP_SW_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** Only supervisor interrupts can be delegated (spec 3.1.8: M-level bits of mideleg are read-only 0). */
export const MIDELEG_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP;
/**
 * Delegable exceptions: 0-9, 12, 13, 15. Bit 11 (ECALL from M) is read-only
 * 0 (spec 3.1.8: an exception that cannot occur below M); 10 and 14 are
 * reserved.
 */
export const MEDELEG_WRITABLE = 0x3ff | (1 << 12) | (1 << 13) | (1 << 15);
/** Interrupt priority for the same target mode (spec 3.1.9): MEI, MSI, MTI, SEI, SSI, STI. */
export const IRQ_PRIORITY: readonly number[] = Object.freeze([11, 3, 7, 9, 1, 5]);
/** The interrupt causes a device may drive. */
export const IRQ_CAUSES = MIE_WRITABLE;


/** menvcfg/senvcfg: only FIOM exists without Zicbo*, Svpbmt or Sstc (spec 3.1.18, 4.1.10). */
export const ENVCFG_WRITABLE = 1;
/** mcountinhibit: bit 1 (TM) does not exist (spec 3.1.13). */
export const MCOUNTINHIBIT_WRITABLE = ~2 >>> 0;

// Events that make the run loop leave its inner loop.
export const EV_IRQ = 1; // pending/enabled interrupt state may have changed
export const EV_STOP = 2; // requestStop()
export const EV_MAP = 4; // the address space's generation may have changed
export const EV_MMU = 8; // what translation applies may have changed (mode, mstatus, satp, SFENCE.VMA)

// What an instruction left for the loop to do after its dispatch (see
// interpret()). The inner loop runs `while (--n >= st)`: every value but
// ST_OK is above any budget (< 2^31), so one test per instruction covers
// both the budget and the unusual.
export const ST_OK = 0;
export const ST_ILLEGAL = 0x80000001; // illegal instruction: tval = its bits; pc unchanged
export const ST_EXC = 0x80000002; // another exception: cause and tval in locals; pc unchanged
export const ST_EVENT = 0x80000003; // completed; events (interrupt state, stop, map) to look at
export const ST_WFI = 0x80000004; // completed WFI with nothing to wake it: park

// Results of system().
export const SYS_NEXT = 0;
export const SYS_JUMP = 1;
export const SYS_WFI = 2;
export const SYS_EXC = 3;

/** No reservation: a value `addr >> 2` of an int32 address can never take. */
export const NO_RESV = 0x40000000;

/** Largest budget one run() takes: keeps the countdown a small integer. */
export const MAX_BUDGET = 0x7fffffff;

/** Entries of the compressed-expansion cache (a power of two): 8 KiB. */
export const CC_ENTRIES = 1024;

export const TWO32 = 4294967296;

/** True on a little-endian host: the word and halfword views of RAM need it. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const EMPTY8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
export const EMPTY16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);

/** satp.MODE = Sv32 (bit 31) and satp.ASID (bits 30:22), spec 4.1.11. */
export const SATP_SV32 = 0x80000000;
export const SATP_ASID_SHIFT = 22;
export const SATP_ASID_MASK = 0x1ff;

/**
 * The state of one hart, every field documented where it is declared; the
 * abstract methods are the hart's own (hart.ts).
 */
export abstract class HartCore {
  /** The address space the hart runs in. */
  readonly bus: GuestAddressSpace;
  /** `mhartid`. */
  readonly hartId: number;
  /**
   * The integer registers x0-x31 as int32 (read `regs[i] >>> 0` for the
   * unsigned value). An Int32Array rather than an Array: V8 runs the
   * interpreter 25-30 % faster with it (XS.md; a plain Array is 5-15 %
   * faster on XS, V8 was the target here), and stores wrap to 32 bits for
   * free. run() forces x0 to 0 when it starts and when it returns.
   */
  readonly regs: Int32Array<ArrayBuffer>;
  /**
   * `regs` and one slot more: the interpreter writes the results meant for
   * x0 to slot 32 (`rd || 32`), so x0 stays 0 without a store after every
   * instruction (on XS that store costs more than the `||`).
   */
  readonly xr = new Int32Array(33);
  /** The error that ended the last run() with {@link ExitReason.Fatal}, or null. */
  fatalError: unknown = null;

  readonly readTime: () => number;
  /** The SBI hook (HartOptions.onSupervisorEcall) bound to the hart, or undefined. */
  sbiHook: (() => void) | undefined = undefined;
  /** The JIT tier, or null for the interpreter alone. */
  jitc: CodeTier | null = null;
  /** The trap hook (HartOptions.onTrap) bound to the hart, or undefined. */
  trapHook: ((record: TrapRecord) => void) | undefined = undefined;

  // Architectural state.
  pcv = 0; // int32
  privv: number = M;
  mstatus = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  mipSw = 0; // software-writable mip bits (SSIP, STIP, SEIP)
  mipHw = 0; // levels devices drive through setInterruptPending
  mtvec = 0;
  stvec = 0;
  mscratch = 0;
  sscratch = 0;
  mepc = 0;
  sepc = 0;
  mcause = 0;
  scause = 0;
  mtval = 0;
  stval = 0;
  mcounteren = 0;
  scounteren = 0;
  menvcfg = 0;
  senvcfg = 0;
  mcountinhibit = 0;
  satp = 0;
  /** PMP entries and checks (pmp.ts). */
  readonly pmp = new Pmp();
  /** The trigger module (trigger.ts). */
  readonly trig = new Triggers();
  /** Per counter (0 = cycle, 1 = instret): offset lo, offset hi, frozen lo, frozen hi. */
  readonly ctr = new Uint32Array(8);
  /** LR/SC reservation: the reserved word as `addr >> 2` (int32 address), or NO_RESV. */
  resvW = NO_RESV;

  // Counting. Instructions retired = retiredBase + steps of the current run().
  retiredBase = 0;
  sliceBudget = 0;
  sliceLeft = 0;
  inRun = false;
  stepsLast = 0;

  // Run-loop state.
  events = 0;
  parkedv = false;
  gen = -1;
  m8: Uint8Array<ArrayBufferLike> = EMPTY8;
  i8: Int8Array<ArrayBufferLike> = new Int8Array(0);
  m16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  i16: Int16Array<ArrayBufferLike> = new Int16Array(0);
  m32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  ramBase = 0; // int32
  ramSize = 0;
  readonly ccache = new Int32Array(2 * CC_ENTRIES).fill(-1);

  // Translation (recomputed by mmuRefresh whenever EV_MMU is raised).
  readonly mmu: Sv32Mmu;
  /**
   * Protection gates, also recomputed by mmuRefresh. `guarded` is 1 while
   * PMP treats some mode or access differently from another, or a trigger
   * is enabled: traps then refresh them too, since they depend on the mode.
   * `armed`: the trigger kinds (TRIG_*) that can fire in the current mode.
   * `ldSlow`/`stSlow`: untranslated loads/stores must take the slow path
   * (PMP does not allow the whole RAM window to the effective mode, or a
   * data trigger is armed); `dataKeyLoop` is the TLB key the loop compares
   * (dataKey, or a key no entry has while a data trigger is armed); `ramX`: the
   * whole RAM window may be the fetch window (PMP allows execution in it
   * and no execute trigger watches it); `blocksOk`: the JIT tier may run
   * translated blocks (untranslated, no slow path needed, nothing armed).
   * Everything else (the slow paths) checks PMP and triggers itself.
   */
  guarded = 0;
  armed = 0;
  ldSlow = 0;
  stSlow = 0;
  dataKeyLoop = 0;
  ramX = 1;
  blocksOk = 1;
  /** 1 when fetches are translated (Sv32 and mode S or U). */
  fetchTranslated = 0;
  /** 1 when loads and stores are translated (Sv32 and effective mode S or U). */
  dataTranslated = 0;
  /** The effective mode of loads and stores (MPRV applied). */
  dataPriv: number = M;
  /** TLB tag context of loads/stores and of fetches (KEY_* bits). */
  dataKey = 0;
  fetchKey = 0;
  /**
   * The fetch page: the loop fetches `fetch16[(pc - fetchBase) >> 1]` while
   * `(pc - fetchBase) >>> 0 <= fetchLimit`. Without translation it is the
   * whole RAM window; with it, one 4 KiB page of it (a view from the fetch
   * TLB), or nothing (fetchLimit = -4) until the first fetch.
   */
  fetchBase = 0;
  fetchLimit = -4;
  fetch16: Uint16Array<ArrayBufferLike> = EMPTY16;
  /**
   * fetch16 less its last parcel: the interpreter reads an instruction's
   * first parcel from it, so a pc outside the window, or on its last
   * parcel (where a 32-bit instruction would run past it), reads undefined
   * and takes the slow fetch, with no range test per instruction.
   */
  fetchLo: Uint16Array<ArrayBufferLike> = EMPTY16;
  /** m16 and rom16 less their last parcel (fetchLo for those windows). */
  m16Lo: Uint16Array<ArrayBufferLike> = EMPTY16;
  rom16Lo: Uint16Array<ArrayBufferLike> = EMPTY16;
  /** The ROM region last fetched from without translation, as a parcel view (see refreshRomWindow). */
  romBase = 0;
  romSize = 0;
  rom16: Uint16Array<ArrayBufferLike> = EMPTY16;

  // Slow-path results.
  faultCause = 0;
  fetchFault = -1;
  faultTval = 0;
  excCause = 0;
  excTval = 0;
  jumpTarget = 0;

  // The last trap.
  trapCountv = 0;
  trapCause = 0;
  trapTval = 0;
  trapEpc = 0;
  trapPriv: number = M;
  trapFrom: number = M;

  constructor(bus: GuestAddressSpace, hartId: number, readTime: () => number) {
    this.bus = bus;
    this.hartId = hartId;
    this.readTime = readTime;
    this.regs = this.xr.subarray(0, 32);
    this.mmu = new Sv32Mmu(bus, this.pmp);
  }

  /** The interpreter: run() without the argument check (the JIT tier calls it for what blocks cannot run). */
  abstract interpret(budget: number): number;
  /** Instructions retired since the last reset (Hart.instret). */
  abstract get instret(): number;
  /** Resets the hart to M-mode at `pc` (Hart.reset). */
  abstract reset(pc: number): void;
}

/** Records exception `cause` with `tval` for the loop (see SYS_EXC); returns SYS_EXC. */
export function raise(h: HartCore, cause: number, tval: number): number {
  h.excCause = cause;
  h.excTval = tval;
  return SYS_EXC;
}
