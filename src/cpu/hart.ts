/**
 * One RISC-V hart: RV32IMAC + Zicsr + Zifencei with privilege modes M, S
 * and U (privileged spec 1.12), its CSRs, traps and interrupts, and the
 * interpreter that runs it (`run(budget)`).
 *
 * Owns: the register file, pc, privilege mode, every CSR, the LR/SC
 * reservation, the instruction counters and the `mip` bits devices drive.
 * Guest memory belongs to the {@link GuestAddressSpace}; the hart reads the
 * overlay-free RAM window directly through typed-array views (rebuilt when
 * the address space's `generation` changes), fetches from a ROM region
 * through a view of it too (a board's flash), and sends everything else
 * (ROM data, devices, misses) through `read`/`write`.
 *
 * The interpreter is one switch loop (opcode, then funct3), with the field
 * extraction of decode.ts inlined by hand: on XS every call costs 25-50 ns,
 * a guest instruction should cost well under a microsecond (XS counts
 * its bytecodes: docs/xs-performance.md has the measures behind the loop's
 * shape: cases by frequency, pc kept as a parcel index in the fetch
 * window, one loop test for budget and exits, no store to x0). The
 * frequent compressed forms run directly; the others (and those needing
 * a slow path) are expanded by `expandCompressed` behind a
 * direct-mapped cache keyed by the 16-bit parcel (no invalidation needed:
 * the key is the encoding itself) and run as their 32-bit equivalents.
 * Nothing is allocated per instruction; `try` sits outside the loop and no
 * exception is thrown for a guest trap. No `continue` or labelled `break`
 * leaves a `switch`: XS 13.3 leaks a stack slot for each such jump.
 *
 * Choices where the specs leave room, made as QEMU 7.2 does unless noted
 * (checked against qemu-system-riscv32 7.2 with small M-mode programs):
 * - `mtval` is 0 for ECALL and EBREAK (QEMU; Spike writes the pc for
 *   EBREAK), the instruction bits for an illegal instruction (the 16-bit
 *   parcel for a compressed one), the faulting address for access and
 *   misaligned faults (for a fetch, the address of the parcel that failed).
 * - misaligned loads and stores to RAM are performed; to a device that
 *   refuses them they raise address-misaligned (4/6), as DESIGN.md asks
 *   (QEMU 7.2 performs some and access-faults others). LR is 4, SC and AMOs
 *   are 6, SC even without a reservation (spec 8.2-8.4 and table 3.6; QEMU
 *   7.2 reports 4 for a misaligned AMO and lets a failing SC pass).
 * - instructions are fetched from RAM and ROM only; a device is an access
 *   fault (DESIGN.md; QEMU 7.2 would execute MMIO).
 * - the LR/SC reservation dies on any store by this hart to the reserved
 *   word, on any trap and on any xRET (stricter than the spec requires;
 *   QEMU compares the value loaded by LR instead).
 * - WFI in U-mode is always illegal (S-mode exists); in S-mode illegal
 *   when mstatus.TW = 1 (QEMU's `helper_wfi`).
 * - writes of a reserved mode to mtvec/stvec are ignored (QEMU); writes of
 *   the reserved MPP value 2 keep the old MPP (spec: WARL, legal values
 *   only; QEMU 7.2 stores 2, later versions keep the old value).
 * - medeleg[11] (ECALL from M) and the M-level bits of mideleg are
 *   read-only 0 (spec 3.1.8; QEMU 7.2 lets medeleg[11] be set).
 * - PMP (spec 3.7; pmp.ts has the rules, as QEMU 7.2 applies them): 16
 *   entries, granularity 4 bytes; cfg bytes keep L, A, X, W, R; a byte with
 *   R = 0, W = 1 (reserved) leaves the old byte, as later QEMU versions do
 *   (QEMU 7.2 stores every bit); locked entries (and the address below a
 *   locked TOR entry) ignore writes until reset. Fetches are checked in
 *   the hart's mode, loads and stores in the effective one (MPRV), Sv32
 *   PTE reads as S-mode loads; a denied access is an access fault (1, 5,
 *   7; an AMO 7) with tval the virtual address. MRET to S/U with no entry
 *   in use is legal (QEMU 7.2 raises illegal instruction; the fetch that
 *   follows faults instead).
 * - The trigger module (trigger.ts: two mcontrol/mcontrol6 triggers, as
 *   QEMU 7.2): a trigger fires before its instruction or access, as a
 *   breakpoint exception with tval the address (the instruction's for an
 *   execute trigger, the access's for a load or store; QEMU 7.2 writes 0,
 *   the spec allows either) and takes precedence over that access's page
 *   and access faults (spec table 3.7; QEMU checks watchpoints after the
 *   translation). In M-mode a trigger fires whatever mstatus.MIE (no
 *   tcontrol, as QEMU 7.2).
 * - The fast paths (the RAM window for loads and stores, the fetch
 *   window, the data TLB's hits, the JIT tier's blocks) are used only
 *   while PMP allows the mode everything they cover and no trigger armed
 *   in the mode could fire there (the gates mmuRefresh computes on each
 *   PMP, trigger, mode or mstatus change); otherwise the access takes the
 *   slow path, which checks. With PMP open to the mode (one NAPOT entry
 *   over everything, as firmware leaves it) and no trigger, they cost
 *   nothing more.
 * - satp: MODE Bare or Sv32; all 9 ASID bits are implemented (ASIDLEN =
 *   9, as QEMU on rv32: the WARL field reads back what was written); a
 *   write with MODE = Bare keeps the other fields as written (spec 4.1.11
 *   leaves that unspecified; QEMU does the same). Sv32 (spec 4.3) lives in
 *   sv32.ts; see its header for the walk's choices and the TLB.
 * - Translation applies to fetches in S and U, and to loads, stores and
 *   AMOs in S and U or in M with MPRV = 1 and MPP != M (spec 3.1.6.3).
 *   The TLB holds no ASIDs: it is flushed whenever satp changes, so every
 *   entry belongs to the current ASID (or is global), and SFENCE.VMA with
 *   another ASID in rs2 has nothing to drop. SFENCE.VMA with rs1 = x0
 *   drops everything; with an address, that page (spec 4.2.1). Changes of
 *   mode, SUM, MXR, MPRV or MPP need no flush: TLB tags carry them.
 * - tval of a page or access fault is the virtual address of the part of
 *   the access that faulted: for a 32-bit instruction or a misaligned
 *   load/store spanning two pages, the start of the second page when the
 *   second translation fails (spec 3.1.16).
 * - A misaligned load or store spanning two pages translates both before
 *   touching memory; physically discontiguous halves are done bytewise.
 * - LR/SC reservations are kept on physical addresses (modulo 2^32), so a
 *   failing SC to a page that does not translate takes the page fault
 *   (QEMU 7.2 lets it fail quietly; the spec allows either).
 * - An access refused past the end of RAM has as tval the first byte past
 *   RAM: the portion that faulted (spec 3.1.16; QEMU 7.2 agrees).
 * - All 29 hpmcounter/mhpmevent pairs exist, reading 0 (QEMU 7.2 has 16).
 * Where the fuzzer (tests/core/hart-fuzz*.ts, tests/qemu/fuzz*.ts) sees
 * QEMU 7.2 depart from the spec, xsvisor keeps to the spec: a faulting AMO
 * is a store/AMO fault (7 or 15; QEMU reports a load fault), a misaligned
 * access that access-faults reports its own address (QEMU rounds it down),
 * a PTE outside memory is an access fault (spec 4.3.2 step 2; QEMU gives a
 * page fault) and CSRRS/CSRRC with rs1 != x0 on a read-only CSR traps even
 * when the register holds 0 (Zicsr 9.1; QEMU lets it pass).
 */

import type { GuestPhysAddr, GuestVirtAddr } from '../addr/index.js';
import type { GuestAddressSpace } from '../addrspace/index.js';
import { DeviceStateError, stateBool, stateBytes, stateInt, stateWords, type DeviceState, type InterruptTarget } from '../device/index.js';
import { mulh, mulhsu, mulhu } from './arith.js';
import { CAUSE_INTERRUPT, Csr, ExitReason, MISA_VALUE, PrivilegeMode } from './constants.js';
import { expandCompressed } from './decode.js';
import { HartError } from './errors.js';
import { JitTier, defaultTier, jitAvailable, type HartInternals } from './jit/index.js';
import { Pmp } from './pmp.js';
import { ACC_FETCH, ACC_LOAD, ACC_STORE, ITLB_ENTRIES, KEY_MXR, KEY_SUM, KEY_U, Sv32Mmu, type AccessKind } from './sv32.js';
import { TINFO, TRIGGERS, TRIG_EXEC, TRIG_LOAD, TRIG_STORE, Triggers, tdata1Legal } from './trigger.js';

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
  // ---- SBI hook (src/monitor/sbi.ts): the only monitor-specific option.
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

/** The most recent trap the hart took, as reported by {@link Hart.lastTrap}. */
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

// Privilege modes as plain constants for the hot path.
const U = 0;
const S = 1;
const M = 3;

// Exit reasons, copied from the frozen table.
const EXIT_BUDGET = ExitReason.BudgetSpent;
const EXIT_WFI = ExitReason.Wfi;
const EXIT_STOP = ExitReason.Stop;
const EXIT_FATAL = ExitReason.Fatal;

// Exception causes used by the interpreter (privileged spec 1.12, table 3.6).
const EXC_FETCH_ACCESS = 1;
const EXC_ILLEGAL = 2;
const EXC_BREAKPOINT = 3;
const EXC_LOAD_MISALIGNED = 4;
const EXC_LOAD_ACCESS = 5;
const EXC_STORE_MISALIGNED = 6;
const EXC_STORE_ACCESS = 7;
const EXC_ECALL_U = 8;

// mstatus bits (RV32, figure 3.6).
const MS_SIE = 1 << 1;
const MS_MIE = 1 << 3;
const MS_SPIE = 1 << 5;
const MS_MPIE = 1 << 7;
const MS_SPP = 1 << 8;
const MS_MPP = 3 << 11;
const MS_MPRV = 1 << 17;
const MS_SUM = 1 << 18;
const MS_MXR = 1 << 19;
const MS_TVM = 1 << 20;
const MS_TW = 1 << 21;
const MS_TSR = 1 << 22;

/** satp accepts Sv32, so mstatus.SUM is writable (spec 3.1.6.3). */
const SV32 = true;

/**
 * Writable mstatus bits. No F, V or custom state, so FS, VS, XS and SD are
 * read-only 0; UBE/SBE/MBE are 0 (little-endian only).
 */
const MSTATUS_WRITABLE =
  MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | MS_MPRV | (SV32 ? MS_SUM : 0) | MS_MXR | MS_TVM | MS_TW | MS_TSR;
/** sstatus is a restricted view of mstatus (spec 4.1.1): SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, SD. */
const SSTATUS_VISIBLE = MS_SIE | MS_SPIE | (1 << 6) | MS_SPP | (3 << 9) | (3 << 13) | (3 << 15) | MS_SUM | MS_MXR | 0x80000000;
const SSTATUS_WRITABLE = MSTATUS_WRITABLE & SSTATUS_VISIBLE;

// Interrupt bits.
const MIP_SSIP = 1 << 1;
const MIP_MSIP = 1 << 3;
const MIP_STIP = 1 << 5;
const MIP_MTIP = 1 << 7;
const MIP_SEIP = 1 << 9;
const MIP_MEIP = 1 << 11;
/** The six standard interrupts: writable in mie (spec 3.1.9). */
const MIE_WRITABLE = MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
/** Bits of mip M-mode software may write: the supervisor ones (spec 3.1.9); MSIP/MTIP/MEIP come from devices. */
const MIP_SW_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** Only supervisor interrupts can be delegated (spec 3.1.8: M-level bits of mideleg are read-only 0). */
const MIDELEG_WRITABLE = MIP_SSIP | MIP_STIP | MIP_SEIP;
/**
 * Delegable exceptions: 0-9, 12, 13, 15. Bit 11 (ECALL from M) is read-only
 * 0 (spec 3.1.8: an exception that cannot occur below M); 10 and 14 are
 * reserved.
 */
const MEDELEG_WRITABLE = 0x3ff | (1 << 12) | (1 << 13) | (1 << 15);
/** Interrupt priority for the same target mode (spec 3.1.9): MEI, MSI, MTI, SEI, SSI, STI. */
const IRQ_PRIORITY: readonly number[] = Object.freeze([11, 3, 7, 9, 1, 5]);
/** The interrupt causes a device may drive. */
const IRQ_CAUSES = MIE_WRITABLE;

/** The hart's plain number fields a snapshot carries as they are held (see Hart.saveState). */
const HART_STATE_FIELDS = Object.freeze([
  'mstatus', 'medeleg', 'mideleg', 'mie', 'mipSw', 'mipHw', 'mtvec', 'stvec', 'mscratch', 'sscratch', 'mepc', 'sepc',
  'mcause', 'scause', 'mtval', 'stval', 'mcounteren', 'scounteren', 'menvcfg', 'senvcfg', 'mcountinhibit', 'satp', 'resvW',
  'trapCountv', 'trapCause', 'trapTval', 'trapEpc', 'trapPriv', 'trapFrom',
] as const);

/** menvcfg/senvcfg: only FIOM exists without Zicbo*, Svpbmt or Sstc (spec 3.1.18, 4.1.10). */
const ENVCFG_WRITABLE = 1;
/** mcountinhibit: bit 1 (TM) does not exist (spec 3.1.13). */
const MCOUNTINHIBIT_WRITABLE = ~2 >>> 0;

// Events that make the run loop leave its inner loop.
const EV_IRQ = 1; // pending/enabled interrupt state may have changed
const EV_STOP = 2; // requestStop()
const EV_MAP = 4; // the address space's generation may have changed
const EV_MMU = 8; // what translation applies may have changed (mode, mstatus, satp, SFENCE.VMA)

// What an instruction left for the loop to do after its dispatch (see
// interpret()). The inner loop runs `while (--n >= st)`: every value but
// ST_OK is above any budget (< 2^31), so one test per instruction covers
// both the budget and the unusual.
const ST_OK = 0;
const ST_ILLEGAL = 0x80000001; // illegal instruction: tval = its bits; pc unchanged
const ST_EXC = 0x80000002; // another exception: cause and tval in locals; pc unchanged
const ST_EVENT = 0x80000003; // completed; events (interrupt state, stop, map) to look at
const ST_WFI = 0x80000004; // completed WFI with nothing to wake it: park

// Results of system().
const SYS_NEXT = 0;
const SYS_JUMP = 1;
const SYS_WFI = 2;
const SYS_EXC = 3;

/** No reservation: a value `addr >> 2` of an int32 address can never take. */
const NO_RESV = 0x40000000;

/** Largest budget one run() takes: keeps the countdown a small integer. */
const MAX_BUDGET = 0x7fffffff;

/** Entries of the compressed-expansion cache (a power of two): 8 KiB. */
const CC_ENTRIES = 1024;

const TWO32 = 4294967296;

/** True on a little-endian host: the word and halfword views of RAM need it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const EMPTY8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
const EMPTY16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);

/** satp.MODE = Sv32 (bit 31) and satp.ASID (bits 30:22), spec 4.1.11. */
const SATP_SV32 = 0x80000000;
const SATP_ASID_SHIFT = 22;
const SATP_ASID_MASK = 0x1ff;

/** The new value of an AMO (unprivileged ISA 8.4), or an unused result for other funct5 values. */
function amoValue(f5: number, old: number, b: number): number {
  switch (f5) {
    case 0: // AMOADD
      return (old + b) | 0;
    case 1: // AMOSWAP
      return b;
    case 4: // AMOXOR
      return old ^ b;
    case 8: // AMOOR
      return old | b;
    case 12: // AMOAND
      return old & b;
    case 16: // AMOMIN
      return old < b ? old : b;
    case 20: // AMOMAX
      return old > b ? old : b;
    case 24: // AMOMINU
      return old >>> 0 < b >>> 0 ? old : b;
    default: // 28: AMOMAXU
      return old >>> 0 > b >>> 0 ? old : b;
  }
}

/** True when `f5` names an AMO or LR/SC (unprivileged ISA table 24.2). */
function isAmoFunct5(f5: number): boolean {
  return f5 <= 4 || (f5 <= 28 && (f5 & 3) === 0);
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
export class Hart implements InterruptTarget {
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
  private readonly xr = new Int32Array(33);
  /** The error that ended the last run() with {@link ExitReason.Fatal}, or null. */
  fatalError: unknown = null;

  private readonly readTime: () => number;
  private readonly onSupervisorEcall: ((hart: Hart) => void) | undefined; // SBI hook
  /** The JIT tier, or null for the interpreter alone. */
  private readonly jitc: JitTier | null = null;
  private readonly onTrap: ((hart: Hart, record: TrapRecord) => void) | undefined; // trap hook

  // Architectural state.
  private pcv = 0; // int32
  private privv: number = M;
  private mstatus = 0;
  private medeleg = 0;
  private mideleg = 0;
  private mie = 0;
  private mipSw = 0; // software-writable mip bits (SSIP, STIP, SEIP)
  private mipHw = 0; // levels devices drive through setInterruptPending
  private mtvec = 0;
  private stvec = 0;
  private mscratch = 0;
  private sscratch = 0;
  private mepc = 0;
  private sepc = 0;
  private mcause = 0;
  private scause = 0;
  private mtval = 0;
  private stval = 0;
  private mcounteren = 0;
  private scounteren = 0;
  private menvcfg = 0;
  private senvcfg = 0;
  private mcountinhibit = 0;
  private satp = 0;
  /** PMP entries and checks (pmp.ts). */
  private readonly pmp = new Pmp();
  /** The trigger module (trigger.ts). */
  private readonly trig = new Triggers();
  /** Per counter (0 = cycle, 1 = instret): offset lo, offset hi, frozen lo, frozen hi. */
  private readonly ctr = new Uint32Array(8);
  /** LR/SC reservation: the reserved word as `addr >> 2` (int32 address), or NO_RESV. */
  private resvW = NO_RESV;

  // Counting. Instructions retired = retiredBase + steps of the current run().
  private retiredBase = 0;
  private sliceBudget = 0;
  private sliceLeft = 0;
  private inRun = false;
  private stepsLast = 0;

  // Run-loop state.
  private events = 0;
  private parkedv = false;
  private gen = -1;
  private m8: Uint8Array<ArrayBufferLike> = EMPTY8;
  private i8: Int8Array<ArrayBufferLike> = new Int8Array(0);
  private m16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  private i16: Int16Array<ArrayBufferLike> = new Int16Array(0);
  private m32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private ramBase = 0; // int32
  private ramSize = 0;
  private readonly ccache = new Int32Array(2 * CC_ENTRIES).fill(-1);

  // Translation (recomputed by mmuRefresh whenever EV_MMU is raised).
  private readonly mmu: Sv32Mmu;
  /**
   * Protection gates, also recomputed by mmuRefresh. `guarded` is 1 while
   * PMP treats some mode or access differently from another, or a trigger
   * is enabled: traps then refresh them too, since they depend on the mode.
   * `armed`: the trigger kinds (TRIG_*) that can fire in the current mode.
   * `ldSlow`/`stSlow`: untranslated loads/stores must take the slow path
   * (PMP does not allow the whole RAM window to the effective mode, or a
   * data trigger is armed); `dkLoop` is the TLB key the loop compares
   * (dk, or a key no entry has while a data trigger is armed); `ramX`: the
   * whole RAM window may be the fetch window (PMP allows execution in it
   * and no execute trigger watches it); `blocksOk`: the JIT tier may run
   * translated blocks (untranslated, no slow path needed, nothing armed).
   * Everything else (the slow paths) checks PMP and triggers itself.
   */
  private guarded = 0;
  private armed = 0;
  private ldSlow = 0;
  private stSlow = 0;
  private dkLoop = 0;
  private ramX = 1;
  private blocksOk = 1;
  /** 1 when fetches are translated (Sv32 and mode S or U). */
  private fx = 0;
  /** 1 when loads and stores are translated (Sv32 and effective mode S or U). */
  private dv = 0;
  /** The effective mode of loads and stores (MPRV applied). */
  private dp: number = M;
  /** TLB tag context of loads/stores and of fetches (KEY_* bits). */
  private dk = 0;
  private xk = 0;
  /**
   * The fetch page: the loop fetches `f16[(pc - fb) >> 1]` while
   * `(pc - fb) >>> 0 <= fl4`. Without translation it is the whole RAM
   * window; with it, one 4 KiB page of it (a view from the fetch TLB), or
   * nothing (fl4 = -4) until the first fetch.
   */
  private fb = 0;
  private fl4 = -4;
  private f16: Uint16Array<ArrayBufferLike> = EMPTY16;
  /** The ROM region last fetched from without translation, as a parcel view (see refreshRomWindow). */
  private romBase = 0;
  private romSize = 0;
  private rom16: Uint16Array<ArrayBufferLike> = EMPTY16;

  // Slow-path results.
  private faultCause = 0;
  private fetchFault = -1;
  private faultTval = 0;
  private excCause = 0;
  private excTval = 0;
  private jumpTarget = 0;

  // The last trap.
  private trapCountv = 0;
  private trapCause = 0;
  private trapTval = 0;
  private trapEpc = 0;
  private trapPriv: number = M;
  private trapFrom: number = M;

  /**
   * Takes the options (see {@link HartOptions}) and returns a hart in its
   * reset state at pc 0 (call {@link reset} with the entry point). Refuses a
   * missing bus or readTime and a hartId outside [0, 2^32) with a
   * {@link HartError} of kind 'bad-option'.
   */
  constructor(options: HartOptions) {
    this.regs = this.xr.subarray(0, 32);
    const { bus, readTime } = options;
    const hartId = options.hartId ?? 0;
    if (bus === null || typeof bus !== 'object') throw new HartError('bad-option', 'bus', 'a Hart needs a bus');
    if (typeof readTime !== 'function') throw new HartError('bad-option', 'readTime', 'a Hart needs readTime()');
    if (!Number.isInteger(hartId) || hartId < 0 || hartId >= TWO32) {
      throw new HartError('bad-option', 'hartId', `hartId ${hartId} is not an integer in [0, 2^32)`);
    }
    this.bus = bus;
    this.readTime = readTime;
    this.onSupervisorEcall = options.onSupervisorEcall; // SBI hook
    this.onTrap = options.onTrap; // trap hook
    this.hartId = hartId;
    this.mmu = new Sv32Mmu(bus, this.pmp);
    const tier = options.tier ?? defaultTier();
    if (tier !== 'interp' && tier !== 'jit') throw new HartError('bad-option', 'tier', `tier ${String(tier)} is not 'interp' or 'jit'`);
    if (tier === 'jit' && jitAvailable()) {
      try {
        // The tier reads and writes the fields its HartInternals interface names (documented there).
        this.jitc = new JitTier({ hart: this as unknown as HartInternals, cacheBlocks: options.jitCacheBlocks });
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
  get jitStats(): { blocks: number; translations: number; invalidations: number; flushes: number } | null {
    const j = this.jitc;
    return j === null ? null : { blocks: j.blocks, translations: j.translations, invalidations: j.invalidations, flushes: j.flushes };
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
    if (this.trapCountv === 0) return null;
    return Object.freeze({
      cause: this.trapCause,
      interrupt: this.trapCause >= CAUSE_INTERRUPT,
      code: this.trapCause & 0x7fffffff,
      tval: this.trapTval,
      epc: this.trapEpc,
      priv: this.trapPriv as PrivilegeMode,
      fromPriv: this.trapFrom as PrivilegeMode,
    });
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
    this.guardRefresh();
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
    const v = Number.isInteger(n) && n >= 0 && n < 4096 ? this.csrRead(n, this.instret) : -1;
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
    if (!Number.isInteger(n) || n < 0 || n >= 4096 || this.csrRead(n, this.instret) < 0) {
      throw new HartError('unknown-csr', n, `CSR ${n} is not implemented`);
    }
    if (n >>> 10 === 3) throw new HartError('read-only-csr', n, `CSR ${n} is read-only`);
    const r = this.instret;
    this.csrWrite(n, value >>> 0, r, r);
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
    this.mmuRefresh();
    const acc: AccessKind = access === 'fetch' ? ACC_FETCH : access === 'load' ? ACC_LOAD : ACC_STORE;
    const on = acc === ACC_FETCH ? this.fx : this.dv;
    if (on === 0) return va as number as GuestPhysAddr;
    const pa = this.mmu.walk(va, acc, this.satp, acc === ACC_FETCH ? this.privv : this.dp, this.mstatus, -1);
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
    this.sfenceVma(va ?? -1, asid ?? -1);
  }

  // ---- snapshot (src/snapshot/, docs/snapshot.md)

  /**
   * The hart's whole architectural state as a record (src/device/state.ts):
   * x1-x31, pc, mode, every CSR field as held (counters as their offsets
   * from `instret`, which is saved too), PMP, the LR/SC reservation, the
   * mip bits software and devices set, parked (after WFI), the last trap.
   * Call between runs. Caches (TLB, windows, decoded parcels) are not state.
   */
  saveState(): DeviceState {
    const out: { [field: string]: number | boolean | Uint8Array | Uint32Array } = {
      regs: new Uint32Array(this.regs.buffer.slice(this.regs.byteOffset, this.regs.byteOffset + 128)),
      pc: this.pcv >>> 0, priv: this.privv, retired: this.instret, parked: this.parkedv,
      pmpcfg: this.pmp.cfg.slice(), pmpaddr: this.pmp.addr.slice(), ctr: this.ctr.slice(),
      tselect: this.trig.select, tdata1: this.trig.tdata1.slice(), tdata2: this.trig.tdata2.slice(),
    };
    for (const f of HART_STATE_FIELDS) out[f] = this[f];
    return out;
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
    const h = 'hart';
    const regs = stateWords(st, h, 'regs', 32);
    const pc = stateInt(st, h, 'pc', 0, 0xfffffffe);
    if ((pc & 1) !== 0) throw new DeviceStateError(h, 'pc', `0x${pc.toString(16)} is odd`);
    const priv = stateInt(st, h, 'priv', 0, 3);
    if (priv === 2) throw new DeviceStateError(h, 'priv', 'is 2, a reserved mode');
    const retired = stateInt(st, h, 'retired', 0, Number.MAX_SAFE_INTEGER);
    const parked = stateBool(st, h, 'parked');
    const pmpcfg = stateBytes(st, h, 'pmpcfg', 16);
    const pmpaddr = stateWords(st, h, 'pmpaddr', 16);
    const ctr = stateWords(st, h, 'ctr', 8);
    // The trigger module (absent from snapshots made before it existed: reset values then).
    const hasTrig = st['tdata1'] !== undefined || st['tdata2'] !== undefined || st['tselect'] !== undefined;
    const tselect = hasTrig ? stateInt(st, h, 'tselect', 0, TRIGGERS - 1) : 0;
    const tdata1 = hasTrig ? stateWords(st, h, 'tdata1', TRIGGERS) : null;
    const tdata2 = hasTrig ? stateWords(st, h, 'tdata2', TRIGGERS) : null;
    if (tdata1 !== null) {
      for (let i = 0; i < TRIGGERS; i++) if (tdata1Legal(tdata1[i]) !== tdata1[i]) throw new DeviceStateError(h, 'tdata1', `trigger ${i} holds 0x${tdata1[i].toString(16)}, which no write leaves`);
    }
    const v: { [field: string]: number } = {};
    for (const f of HART_STATE_FIELDS) v[f] = f === 'trapCountv' ? stateInt(st, h, f, 0, Number.MAX_SAFE_INTEGER) : stateInt(st, h, f, -0x80000000, 0xffffffff);
    const within = (f: string, mask: number): void => {
      if ((v[f] & ~mask) !== 0) throw new DeviceStateError(h, f, `0x${(v[f] >>> 0).toString(16)} has bits outside 0x${(mask >>> 0).toString(16)}`);
    };
    within('mstatus', MSTATUS_WRITABLE);
    if (((v.mstatus >>> 11) & 3) === 2) throw new DeviceStateError(h, 'mstatus', 'MPP is 2, a reserved mode');
    within('medeleg', MEDELEG_WRITABLE);
    within('mideleg', MIDELEG_WRITABLE);
    within('mie', MIE_WRITABLE);
    within('mipSw', MIP_SW_WRITABLE);
    within('mipHw', IRQ_CAUSES);
    within('menvcfg', ENVCFG_WRITABLE);
    within('senvcfg', ENVCFG_WRITABLE);
    within('mcountinhibit', MCOUNTINHIBIT_WRITABLE);
    if ((v.mtvec & 3) >= 2 || (v.stvec & 3) >= 2) throw new DeviceStateError(h, 'mtvec', 'a trap vector has a reserved mode');
    for (let i = 0; i < 16; i++) if ((pmpcfg[i] & 0x60) !== 0 || (pmpcfg[i] & 3) === 2) throw new DeviceStateError(h, 'pmpcfg', `entry ${i} has reserved bits set`);
    if (v.resvW !== NO_RESV && (v.resvW < -0x20000000 || v.resvW >= 0x20000000)) throw new DeviceStateError(h, 'resvW', `${v.resvW} is no word address`);
    const tc = v.trapCause >>> 0;
    if ((tc & 0x7fffffff) > 63) throw new DeviceStateError(h, 'trapCause', `0x${tc.toString(16)} is no trap cause`);
    for (const f of ['trapPriv', 'trapFrom']) if (v[f] !== U && v[f] !== S && v[f] !== M) throw new DeviceStateError(h, f, `${v[f]} is no privilege mode`);

    this.reset(pc);
    this.regs.set(new Int32Array(regs.buffer, regs.byteOffset, 32));
    this.regs[0] = 0;
    this.privv = priv;
    for (const f of HART_STATE_FIELDS) this[f] = v[f];
    this.pmp.restore(pmpcfg, pmpaddr);
    if (tdata1 !== null && tdata2 !== null) {
      this.trig.select = tselect;
      this.trig.tdata1.set(tdata1);
      this.trig.tdata2.set(tdata2);
    }
    this.guardRefresh();
    this.ctr.set(ctr);
    this.retiredBase = retired;
    this.parkedv = parked;
    this.gen = -1; // rebuild the RAM window and fetch page on the next run
    this.events |= EV_IRQ | EV_MMU;
  }

  // ---- end of snapshot

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
    this.parkedv = false;
    if (this.bus.generation !== this.gen) this.refreshWindow();
    this.mmuRefresh();
    const x = this.xr; // results for x0 go to x[32]: see xr
    x[0] = 0;
    const cc = this.ccache;
    let m8 = this.m8;
    let i8 = this.i8;
    let m16 = this.m16;
    let i16 = this.i16;
    let m32 = this.m32;
    let rb = this.ramBase;
    // Loads and stores use the window directly when untranslated; with
    // translation the limits are -1, so those checks always fail and the
    // access goes through the TLB (tR/oR, tW/oW, keyed with dk). While PMP
    // or a trigger needs a look at every access (ldSlow, stSlow, dkLoop),
    // the limits are -1 and the key matches nothing: the slow path checks.
    let dv = this.dv;
    let dk = this.dkLoop;
    let rl1 = dv !== 0 || this.ldSlow !== 0 ? -1 : this.ramSize - 1;
    let rl2 = dv !== 0 || this.ldSlow !== 0 ? -1 : this.ramSize - 2;
    let rl4 = dv !== 0 || this.ldSlow !== 0 ? -1 : this.ramSize - 4;
    // Stores (and AMOs) use their own limits: under the JIT tier they all take
    // the slow path, which tells the tier about writes to translated code.
    const jit = this.jitc !== null;
    let sl1 = jit || this.stSlow !== 0 ? -1 : rl1;
    let sl2 = jit || this.stSlow !== 0 ? -1 : rl2;
    let sl4 = jit || this.stSlow !== 0 ? -1 : rl4;
    // The fetch page (see the field): the whole window without translation.
    // fh is fl4 / 2: the loop compares parcel indices, (pc - fb) >> 1.
    let fb = this.fb;
    let fh = this.fl4 >> 1;
    let f16 = this.f16;
    const tR = this.mmu.tagR;
    const oR = this.mmu.offR;
    const tW = this.mmu.tagW;
    const oW = this.mmu.offW;
    let e = 0;
    // The loop keeps pc as ph, its parcel index in the fetch window:
    // pc = fb + 2 * ph (modulo 2^32; fb + (ph << 1) wraps). The fetch then
    // needs no subtraction, and sequential steps add 1 or 2 to ph. pc, the
    // address, is computed where it is needed (links, AUIPC, traps, the
    // slow fetch) and kept consistent with ph and fb outside the inner loop.
    let pc = this.pcv;
    let ph = (pc - fb) >> 1;
    let n = budget;
    let exit: number = EXIT_BUDGET;
    // What the instruction just dispatched needs beyond `pc = npc`
    // (ST_OK when nothing). Cases end in a plain `break` and report through
    // `st`: XS 13.3 leaks a stack slot for every `continue` or labelled
    // `break` that leaves a switch (tests/host/xs-lane.test.ts), which in
    // this loop would overflow its stack within a few thousand instructions.
    let st = ST_OK;
    let ec = 0; // exception cause, with st = ST_EXC
    let et = 0; // exception tval
    let inst = 0;
    let npc = 0;
    let a = 0;
    let b = 0;
    let o = 0;
    let t = 0;
    let rd = 0;
    let c = false; // a branch's condition
    this.sliceBudget = budget;
    this.sliceLeft = budget;
    this.inRun = true;
    this.events |= EV_IRQ;
    try {
      outer: for (;;) {
        if (this.events !== 0) {
          const ev = this.events;
          this.events = 0;
          if ((ev & EV_STOP) !== 0) {
            exit = EXIT_STOP;
            break;
          }
          const cause = this.pendingInterrupt();
          if (cause >= 0) {
            this.sliceLeft = n; // instret exact for the trap hook
            pc = this.enterTrap(cause, true, 0, (fb + (ph << 1)) | 0);
            ph = (pc - fb) >> 1;
          }
          // A map change, or a change of what translation applies (possibly by the trap just taken).
          if (this.bus.generation !== this.gen || ((ev | this.events) & EV_MMU) !== 0) {
            this.events &= ~EV_MMU;
            if (this.bus.generation !== this.gen) this.refreshWindow();
            this.mmuRefresh();
            m8 = this.m8;
            i8 = this.i8;
            m16 = this.m16;
            i16 = this.i16;
            m32 = this.m32;
            rb = this.ramBase;
            dv = this.dv;
            dk = this.dkLoop;
            rl1 = dv !== 0 || this.ldSlow !== 0 ? -1 : this.ramSize - 1;
            rl2 = dv !== 0 || this.ldSlow !== 0 ? -1 : this.ramSize - 2;
            rl4 = dv !== 0 || this.ldSlow !== 0 ? -1 : this.ramSize - 4;
            sl1 = jit || this.stSlow !== 0 ? -1 : rl1;
            sl2 = jit || this.stSlow !== 0 ? -1 : rl2;
            sl4 = jit || this.stSlow !== 0 ? -1 : rl4;
            pc = (fb + (ph << 1)) | 0;
            fb = this.fb;
            fh = this.fl4 >> 1;
            f16 = this.f16;
            ph = (pc - fb) >> 1;
          }
        }
        if (n <= 0) break;
        // n counts down before the test: the instruction is charged before it runs (a fetch fault included).
        while (--n >= st) {
          // ---- fetch
          // ph >>> 0: below the window (or 2^31 parcels above) fails the unsigned test.
          if (ph >>> 0 <= fh) {
            // The first parcel only: a compressed instruction needs no more (the upper one is read below).
            inst = f16[ph];
          } else {
            pc = (fb + (ph << 1)) | 0;
            inst = this.fetchSlow(pc);
            // With translation, fetchSlow moves the fetch page to pc's page.
            fb = this.fb;
            fh = this.fl4 >> 1;
            f16 = this.f16;
            ph = (pc - fb) >> 1;
            if (this.fetchFault !== -1) {
              this.sliceLeft = n; // instret exact for the trap hook
              pc = this.exception(this.faultCause, this.fetchFault, pc);
              ph = (pc - fb) >> 1;
              if (this.events !== 0) continue outer;
              continue;
            }
            // inst is whole. The read of the upper parcel below gives it again
            // from the window that holds pc, or undefined (which `<<` makes 0)
            // past its end; outside any window, an empty one (and this path
            // again next time).
            if (ph >>> 0 > fh) {
              f16 = EMPTY16;
              fh = -1;
            }
          }
          if ((inst & 3) === 3) {
            inst |= f16[ph + 1] << 16;
            npc = ph + 2;
          } else {
            // RV32C. Every frequent form runs directly (bits as in decode.ts's
            // expandCompressed): +20 % MIPS on V8 over expanding them, and on
            // XS they skip the expansion and the 32-bit dispatch. inst holds
            // the parcel alone (bits above 15 are 0).
            // Keyed by quadrant and funct3 (inst & 0xe003), tested by
            // frequency in guests/bin/mips.elf (XS compares one by one).
            // Memory forms take the RAM fast path only; the rare forms,
            // reserved encodings, and anything needing a slow path (a
            // translated or device access, C.EBREAK) are expanded below.
            t = inst & 0xe003;
            if (t === 0x0001) {
              // C.ADDI (rd = x0 or imm = 0 are HINTs: harmless here); imm[5] (bit 12) weighs -32, imm[4:0] are bits 6:2
              rd = ((inst >>> 7) & 31) || 32;
              x[rd] = x[rd] + (((inst >>> 2) & 31) - ((inst >>> 7) & 32));
              ph += 1;
              continue;
            }
            if (t === 0x8002) {
              // C.MV, C.ADD, C.JR, C.JALR; C.EBREAK and C.JR x0 (reserved) go through expansion
              rd = (inst >>> 7) & 31;
              o = (inst >>> 2) & 31;
              if (o !== 0) {
                if ((inst & 0x1000) === 0) x[rd || 32] = x[o];
                else x[rd || 32] = x[rd] + x[o];
                ph += 1;
                continue;
              }
              if (rd !== 0) {
                o = x[rd] & ~1;
                if ((inst & 0x1000) !== 0) x[1] = fb + (ph << 1) + 2;
                ph = (o - fb) >> 1;
                continue;
              }
            } else if ((t & 0xdfff) === 0xc001) {
              // C.BEQZ (0xc001), C.BNEZ (0xe001): offset[8|4:3|7:6|2:1|5] in bits 12|11:10|6:5|4:3|2; the offset in parcels is >> 24
              if ((x[((inst >>> 7) & 7) + 8] === 0) === (t === 0xc001)) {
                o = ((inst >>> 4) & 0x100) | ((inst >>> 7) & 0x18) | ((inst << 1) & 0xc0) | ((inst >>> 2) & 6) | ((inst << 3) & 0x20);
                ph += (o << 23) >> 24;
              } else {
                ph += 1;
              }
              continue;
            } else if (t === 0x8001) {
              // C.SRLI, C.SRAI, C.ANDI, C.SUB, C.XOR, C.OR, C.AND on rd' (x8-x15: never x0)
              rd = ((inst >>> 7) & 7) + 8;
              o = (inst >>> 10) & 3;
              if (o === 3) {
                if ((inst & 0x1000) === 0) {
                  b = x[((inst >>> 2) & 7) + 8];
                  o = (inst >>> 5) & 3;
                  if (o === 0) x[rd] = x[rd] - b;
                  else if (o === 1) x[rd] = x[rd] ^ b;
                  else if (o === 2) x[rd] = x[rd] | b;
                  else x[rd] = x[rd] & b;
                  ph += 1;
                  continue;
                }
              } else if (o === 2) {
                x[rd] = x[rd] & (((inst >>> 2) & 31) - ((inst >>> 7) & 32));
                ph += 1;
                continue;
              } else if ((inst & 0x1000) === 0) {
                // shamt[5] = 1 is reserved on RV32C: expanded (illegal)
                if (o === 0) x[rd] = x[rd] >>> ((inst >>> 2) & 31);
                else x[rd] = x[rd] >> ((inst >>> 2) & 31);
                ph += 1;
                continue;
              }
            } else if (t === 0x4002) {
              // C.LWSP: uimm[5] = bit 12, uimm[4:2] = bits 6:4, uimm[7:6] = bits 3:2; rd = x0 reserved
              rd = (inst >>> 7) & 31;
              a = (x[2] + (((inst >>> 7) & 0x20) | ((inst >>> 2) & 0x1c) | ((inst << 4) & 0xc0))) | 0;
              o = (a - rb) | 0;
              if (o >>> 0 <= rl4 && rd !== 0) {
                x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
                ph += 1;
                continue;
              }
            } else if (t === 0x4001) {
              // C.LI (rd = x0 is a HINT)
              x[((inst >>> 7) & 31) || 32] = ((inst >>> 2) & 31) - ((inst >>> 7) & 32);
              ph += 1;
              continue;
            } else if (t === 0x0002) {
              // C.SLLI (shamt[5] = 1 is reserved on RV32C: expanded; rd = x0 is a HINT)
              if ((inst & 0x1000) === 0) {
                rd = ((inst >>> 7) & 31) || 32;
                x[rd] = x[rd] << ((inst >>> 2) & 31);
                ph += 1;
                continue;
              }
            } else if ((t & 0x7fff) === 0x2001) {
              // C.JAL (0x2001), C.J (0xa001): offset[11|4|9:8|10|6|7|3:1|5] in bits 12|11|10:9|8|7|6|5:3|2; in parcels >> 21
              if (t === 0x2001) x[1] = fb + (ph << 1) + 2;
              o = ((inst >>> 1) & 0x800) | ((inst >>> 7) & 0x10) | ((inst >>> 1) & 0x300) | ((inst << 2) & 0x400) |
                ((inst >>> 1) & 0x40) | ((inst << 1) & 0x80) | ((inst >>> 2) & 0xe) | ((inst << 3) & 0x20);
              ph += (o << 20) >> 21;
              continue;
            } else if (t === 0xc002) {
              // C.SWSP: uimm[5:2] = bits 12:9, uimm[7:6] = bits 8:7
              a = (x[2] + (((inst >>> 7) & 0x3c) | ((inst >>> 1) & 0xc0))) | 0;
              o = (a - rb) | 0;
              if (o >>> 0 <= sl4) {
                b = x[(inst >>> 2) & 31];
                if ((o & 3) === 0) {
                  m32[o >> 2] = b;
                } else {
                  m8[o] = b;
                  m8[o + 1] = b >> 8;
                  m8[o + 2] = b >> 16;
                  m8[o + 3] = b >> 24;
                }
                // A store by this hart to the reserved word kills the reservation (0x40000000 = NO_RESV).
                t = this.resvW;
                if (t !== 0x40000000 && (a >> 2 === t || (a + 3) >> 2 === t)) this.resvW = 0x40000000;
                ph += 1;
                continue;
              }
            } else if ((t & 0x7fff) === 0x4000) {
              // C.LW (0x4000), C.SW (0xc000): rs1' bits 9:7, rd'/rs2' bits 4:2; uimm[5:3] = bits 12:10, uimm[2] = bit 6, uimm[6] = bit 5
              a = (x[((inst >>> 7) & 7) + 8] + (((inst >>> 7) & 0x38) | ((inst >>> 4) & 4) | ((inst << 1) & 0x40))) | 0;
              o = (a - rb) | 0;
              rd = ((inst >>> 2) & 7) + 8;
              if (t === 0x4000) {
                if (o >>> 0 <= rl4) {
                  x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
                  ph += 1;
                  continue;
                }
              } else if (o >>> 0 <= sl4) {
                b = x[rd];
                if ((o & 3) === 0) {
                  m32[o >> 2] = b;
                } else {
                  m8[o] = b;
                  m8[o + 1] = b >> 8;
                  m8[o + 2] = b >> 16;
                  m8[o + 3] = b >> 24;
                }
                t = this.resvW;
                if (t !== 0x40000000 && (a >> 2 === t || (a + 3) >> 2 === t)) this.resvW = 0x40000000;
                ph += 1;
                continue;
              }
            }
            npc = ph + 1;
            // Everything else: expandCompressed through the cache; an illegal
            // parcel becomes -1 (inst & 0x7f = 0x7f: no case matches).
            t = inst & 0xffff;
            o = ((t ^ (t >>> 7)) & 1023) << 1; // 1023 = CC_ENTRIES - 1 (a literal: a module constant costs a load on V8)
            if (cc[o] === t) {
              inst = cc[o + 1];
            } else {
              inst = expandCompressed(t);
              if (inst === 0) inst = -1;
              cc[o] = t;
              cc[o + 1] = inst;
            }
          }

          // ---- execute: sets npc for control transfers, st for anything unusual
          switch (inst & 0x7f) {
            case 0x63: {
              // BRANCH
              a = x[(inst >>> 15) & 31];
              b = x[(inst >>> 20) & 31];
              // Cases by frequency in guests/bin/mips.elf (XS tests them one by one), as in every switch below.
              switch (inst & 0x7000) {
                case 0x1000:
                  c = a !== b;
                  break;
                case 0x4000:
                  c = a < b;
                  break;
                case 0x0000:
                  c = a === b;
                  break;
                case 0x5000:
                  c = a >= b;
                  break;
                case 0x6000:
                  c = a >>> 0 < b >>> 0;
                  break;
                case 0x7000:
                  c = a >>> 0 >= b >>> 0;
                  break;
                default:
                  c = false;
                  st = ST_ILLEGAL;
                  npc = ph;
              }
              // Taken: B-immediate (decode.immB) in parcels (each term shifted one bit right: ph counts parcels).
              if (c) npc = ph + (((inst >> 20) & ~0x7ff) | ((inst << 3) & 0x400) | ((inst >>> 21) & 0x3f0) | ((inst >>> 8) & 0xf));
              break;
            }
            case 0x13: {
              // OP-IMM
              rd = ((inst >>> 7) & 31) || 32; // x0: see xr
              a = x[(inst >>> 15) & 31];
              b = inst >> 20;
              switch (inst & 0x7000) {
                case 0x5000: // SRLI / SRAI
                  t = inst >>> 25;
                  if (t === 0) x[rd] = a >>> b;
                  else if (t === 0x20) x[rd] = a >> b;
                  else {
                    st = ST_ILLEGAL;
                    npc = ph;
                  }
                  break;
                case 0x7000: // ANDI
                  x[rd] = a & b;
                  break;
                case 0x1000: // SLLI: imm[11:5] must be 0 (shamt[5] = 1 is reserved on RV32)
                  if (inst >>> 25 === 0) x[rd] = a << b;
                  else {
                    st = ST_ILLEGAL;
                    npc = ph;
                  }
                  break;
                case 0x0000: // ADDI
                  x[rd] = a + b;
                  break;
                case 0x4000: // XORI
                  x[rd] = a ^ b;
                  break;
                case 0x6000: // ORI
                  x[rd] = a | b;
                  break;
                case 0x2000: // SLTI
                  x[rd] = a < b ? 1 : 0;
                  break;
                default: // 3: SLTIU (the immediate is sign-extended, then compared unsigned)
                  x[rd] = a >>> 0 < b >>> 0 ? 1 : 0;
              }
              break;
            }
            case 0x33: {
              // OP
              rd = ((inst >>> 7) & 31) || 32;
              a = x[(inst >>> 15) & 31];
              b = x[(inst >>> 20) & 31];
              t = inst >>> 25;
              if (t === 0) {
                switch (inst & 0x7000) {
                  case 0x4000: // XOR
                    x[rd] = a ^ b;
                    break;
                  case 0x0000: // ADD
                    x[rd] = a + b;
                    break;
                  case 0x6000: // OR
                    x[rd] = a | b;
                    break;
                  case 0x7000: // AND
                    x[rd] = a & b;
                    break;
                  case 0x1000: // SLL (JS shifts use the low 5 bits, as RV32 does)
                    x[rd] = a << b;
                    break;
                  case 0x5000: // SRL
                    x[rd] = a >>> b;
                    break;
                  case 0x2000: // SLT
                    x[rd] = a < b ? 1 : 0;
                    break;
                  default: // 3: SLTU
                    x[rd] = a >>> 0 < b >>> 0 ? 1 : 0;
                }
              } else if (t === 1) {
                // M extension (unprivileged ISA chapter 7; division edge cases per table 7.1).
                switch (inst & 0x7000) {
                  case 0x7000: // REMU
                    x[rd] = b === 0 ? a : (a >>> 0) % (b >>> 0);
                    break;
                  case 0x0000: // MUL
                    x[rd] = Math.imul(a, b);
                    break;
                  case 0x5000: // DIVU: x/0 = 2^32-1
                    x[rd] = b === 0 ? -1 : (a >>> 0) / (b >>> 0);
                    break;
                  case 0x1000: // MULH
                    x[rd] = mulh(a, b);
                    break;
                  case 0x2000: // MULHSU
                    x[rd] = mulhsu(a, b);
                    break;
                  case 0x3000: // MULHU
                    x[rd] = mulhu(a, b);
                    break;
                  case 0x4000: // DIV: x/0 = -1; INT_MIN/-1 = INT_MIN (the |0 wraps 2^31)
                    x[rd] = b === 0 ? -1 : (a / b) | 0;
                    break;
                  default: // 6: REM: x%0 = x; INT_MIN%-1 = 0 (JS gives -0, stored as 0)
                    x[rd] = b === 0 ? a : a % b;
                }
              } else if (t === 0x20) {
                t = (inst >>> 12) & 7;
                if (t === 0) x[rd] = a - b; // SUB
                else if (t === 5) x[rd] = a >> b; // SRA
                else {
                  st = ST_ILLEGAL;
                  npc = ph;
                }
              } else {
                st = ST_ILLEGAL;
                npc = ph;
              }
              break;
            }
            case 0x23: {
              // STORE; S-immediate (decode.immS)
              a = (x[(inst >>> 15) & 31] + (((inst >> 20) & ~31) | ((inst >>> 7) & 31))) | 0;
              o = (a - rb) | 0;
              b = x[(inst >>> 20) & 31];
              t = (inst >>> 12) & 7;
              if (t === 0) {
                // SB
                if (o >>> 0 <= sl1) {
                  m8[o] = b;
                  if (a >> 2 === this.resvW) this.resvW = 0x40000000;
                  break;
                }
                t = 1;
              } else if (t === 2) {
                // SW
                if (o >>> 0 <= sl4) {
                  if ((o & 3) === 0) {
                    m32[o >> 2] = b;
                  } else {
                    m8[o] = b;
                    m8[o + 1] = b >> 8;
                    m8[o + 2] = b >> 16;
                    m8[o + 3] = b >> 24;
                  }
                  // A store by this hart to the reserved word kills the reservation (0x40000000 = NO_RESV).
                  t = this.resvW;
                  if (t !== 0x40000000 && (a >> 2 === t || (a + 3) >> 2 === t)) this.resvW = 0x40000000;
                  break;
                }
                t = 4;
              } else if (t === 1) {
                // SH
                if (o >>> 0 <= sl2) {
                  if ((o & 1) === 0) {
                    m16[o >> 1] = b;
                  } else {
                    m8[o] = b;
                    m8[o + 1] = b >> 8;
                  }
                  t = this.resvW;
                  if (t !== 0x40000000 && (a >> 2 === t || (a + 1) >> 2 === t)) this.resvW = 0x40000000;
                  break;
                }
                t = 2;
              } else {
                st = ST_ILLEGAL;
                npc = ph;
                break;
              }
              if (dv !== 0) {
                // Sv32: the store TLB (a page whose D bit is set), unless the access spans two pages.
                e = (a >>> 12) & 255; // 255 = DTLB_ENTRIES - 1
                if (tW[e] === (((a + t - 1) >>> 12) | dk)) {
                  o = (a + oW[e]) | 0;
                  if (t === 4) {
                    if ((o & 3) === 0) {
                      m32[o >> 2] = b;
                    } else {
                      m8[o] = b;
                      m8[o + 1] = b >> 8;
                      m8[o + 2] = b >> 16;
                      m8[o + 3] = b >> 24;
                    }
                  } else if (t === 1) {
                    m8[o] = b;
                  } else if ((o & 1) === 0) {
                    m16[o >> 1] = b;
                  } else {
                    m8[o] = b;
                    m8[o + 1] = b >> 8;
                  }
                  if (jit) this.jitc!.noteStore((o + rb) >>> 0, t); // translated code in that page is stale
                  // The reservation is on a physical word: o + rb is the physical address.
                  if (this.resvW !== 0x40000000) {
                    o = (o + rb) | 0;
                    if (o >> 2 === this.resvW || (o + t - 1) >> 2 === this.resvW) this.resvW = 0x40000000;
                  }
                  break;
                }
              }
              this.sliceLeft = n;
              if (!this.store(a, t as 1 | 2 | 4, b)) {
                ec = this.faultCause;
                et = this.faultTval;
                st = ST_EXC;
                npc = ph;
              } else if (this.events !== 0) {
                st = ST_EVENT;
              }
              break;
            }
            case 0x03: {
              // LOAD
              a = (x[(inst >>> 15) & 31] + (inst >> 20)) | 0;
              o = (a - rb) | 0;
              rd = ((inst >>> 7) & 31) || 32;
              t = (inst >>> 12) & 7;
              if (t === 2) {
                // LW
                if (o >>> 0 <= rl4) {
                  x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
                  break;
                }
                b = 4;
              } else if (t === 4) {
                // LBU
                if (o >>> 0 <= rl1) {
                  x[rd] = m8[o];
                  break;
                }
                b = 1;
              } else if (t === 1) {
                // LH
                if (o >>> 0 <= rl2) {
                  x[rd] = (o & 1) === 0 ? i16[o >> 1] : ((m8[o] | (m8[o + 1] << 8)) << 16) >> 16;
                  break;
                }
                b = 2;
              } else if (t === 0) {
                // LB
                if (o >>> 0 <= rl1) {
                  x[rd] = i8[o];
                  break;
                }
                b = 1;
              } else if (t === 5) {
                // LHU
                if (o >>> 0 <= rl2) {
                  x[rd] = (o & 1) === 0 ? m16[o >> 1] : m8[o] | (m8[o + 1] << 8);
                  break;
                }
                b = 2;
              } else {
                st = ST_ILLEGAL;
                npc = ph;
                break;
              }
              if (dv !== 0) {
                // Sv32: the load TLB, unless the access spans two pages.
                e = (a >>> 12) & 255; // 255 = DTLB_ENTRIES - 1
                if (tR[e] === (((a + b - 1) >>> 12) | dk)) {
                  o = (a + oR[e]) | 0;
                  if (t === 2) x[rd] = (o & 3) === 0 ? m32[o >> 2] : m8[o] | (m8[o + 1] << 8) | (m8[o + 2] << 16) | (m8[o + 3] << 24);
                  else if (t === 4) x[rd] = m8[o];
                  else if (t === 0) x[rd] = i8[o];
                  else if (t === 5) x[rd] = (o & 1) === 0 ? m16[o >> 1] : m8[o] | (m8[o + 1] << 8);
                  else x[rd] = (o & 1) === 0 ? i16[o >> 1] : ((m8[o] | (m8[o + 1] << 8)) << 16) >> 16;
                  break;
                }
              }
              // Through the address space (translating first with Sv32): -1 is a fault.
              this.sliceLeft = n;
              o = this.load(a, b as 1 | 2 | 4);
              if (o < 0) {
                ec = this.faultCause;
                et = this.faultTval;
                st = ST_EXC;
                npc = ph;
                break;
              }
              if (t === 0) o = (o << 24) >> 24;
              else if (t === 1) o = (o << 16) >> 16;
              x[rd] = o;
              if (this.events !== 0) st = ST_EVENT;
              break;
            }
            case 0x6f: // JAL; J-immediate (decode.immJ) in parcels, as for BRANCH
              x[((inst >>> 7) & 31) || 32] = fb + (npc << 1);
              npc = ph + (((inst >> 12) & ~0x7ffff) | ((inst >>> 1) & 0x7f800) | ((inst >>> 10) & 0x400) | ((inst >>> 21) & 0x3ff));
              break;
            case 0x67: // JALR
              if ((inst & 0x7000) !== 0) {
                st = ST_ILLEGAL;
                npc = ph;
                break;
              }
              t = (x[(inst >>> 15) & 31] + (inst >> 20)) & ~1;
              x[((inst >>> 7) & 31) || 32] = fb + (npc << 1);
              npc = (t - fb) >> 1;
              break;
            case 0x37: // LUI
              x[((inst >>> 7) & 31) || 32] = inst & ~0xfff;
              break;
            case 0x17: // AUIPC
              x[((inst >>> 7) & 31) || 32] = fb + (ph << 1) + (inst & ~0xfff);
              break;
            case 0x73:
              // SYSTEM: out of line (CSRs, xRET, WFI, ECALL, EBREAK, SFENCE.VMA)
              this.sliceLeft = n;
              t = this.system(inst);
              if (t === SYS_NEXT) {
                if (this.events !== 0) st = ST_EVENT;
              } else if (t === SYS_JUMP) {
                npc = (this.jumpTarget - fb) >> 1;
                st = ST_EVENT; // an xRET changes what may interrupt
              } else if (t === SYS_WFI) {
                st = ST_WFI;
              } else {
                ec = this.excCause;
                et = this.excTval;
                st = ST_EXC;
                npc = ph;
              }
              break;
            case 0x2f: {
              // AMO (A extension, unprivileged ISA chapter 8): only .W on RV32.
              t = inst >>> 27;
              if ((inst & 0x7000) !== 0x2000 || !isAmoFunct5(t) || (t === 2 && (inst & 0x1f00000) !== 0)) {
                st = ST_ILLEGAL;
                npc = ph;
                break;
              }
              a = x[(inst >>> 15) & 31];
              if ((a & 3) !== 0) {
                // Misaligned atomics always trap (spec 8.2, 8.4): LR as a load, SC/AMO as a store.
                ec = t === 2 ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED;
                et = a >>> 0;
                st = ST_EXC;
                npc = ph;
                break;
              }
              o = (a - rb) | 0;
              b = x[(inst >>> 20) & 31];
              rd = (inst >>> 7) & 31;
              if (o >>> 0 <= sl4) {
                o >>= 2;
                if (t === 2) {
                  // LR.W
                  x[rd] = m32[o];
                  this.resvW = a >> 2;
                } else if (t === 3) {
                  // SC.W: succeeds only with a valid reservation on this word; always clears it.
                  if (this.resvW === a >> 2) {
                    m32[o] = b;
                    x[rd] = 0;
                  } else {
                    x[rd] = 1;
                  }
                  this.resvW = NO_RESV;
                } else {
                  t = amoValue(t, m32[o], b);
                  x[rd] = m32[o];
                  m32[o] = t;
                  if (a >> 2 === this.resvW) this.resvW = NO_RESV;
                }
                x[0] = 0;
                break;
              }
              this.sliceLeft = n;
              if (!this.amoSlow(inst, a, b)) {
                ec = this.faultCause;
                et = this.faultTval;
                st = ST_EXC;
                npc = ph;
              } else if (this.events !== 0) {
                st = ST_EVENT;
              }
              break;
            }
            case 0x0f: // MISC-MEM: FENCE (0) and FENCE.I (1) are no-ops for one hart without caches; other fields are ignored (spec 2.7, 3.1).
              if ((inst & 0x6000) !== 0) {
                st = ST_ILLEGAL;
                npc = ph;
              } else if ((inst & 0x1000) !== 0 && this.jitc !== null) {
                this.jitc.flush(); // FENCE.I: translated code may be stale
              }
              break;
            default:
              st = ST_ILLEGAL;
              npc = ph;
          }
          // Exceptions left npc = ph.
          ph = npc;
        }
        n++; // the failed test above took one more
        pc = (fb + (ph << 1)) | 0;
        // ---- the unusual: events, WFI, exceptions (the next outer pass looks at events and the budget)
        if (st !== ST_OK) {
          if (st === ST_WFI) {
            st = ST_OK;
            exit = EXIT_WFI;
            break;
          }
          if (st !== ST_EVENT) {
            // The instruction raised exception ec with tval et (illegal: tval are the instruction bits).
            if (st === ST_ILLEGAL) {
              ec = EXC_ILLEGAL;
              et = this.illegalBits(pc, inst);
            }
            this.sliceLeft = n; // instret exact for the trap hook
            pc = this.exception(ec, et, pc);
            ph = (pc - fb) >> 1;
          }
          st = ST_OK;
        }
      }
    } catch (e) {
      // Only a bug or a host callback that threw can get here.
      this.fatalError = e;
      exit = EXIT_FATAL;
    }
    x[0] = 0;
    this.pcv = (fb + (ph << 1)) | 0;
    this.retiredBase += budget - n;
    this.stepsLast = budget - n;
    this.inRun = false;
    if (exit === EXIT_WFI) this.parkedv = true;
    return exit;
  }

  // ------------------------------------------------------ memory slow path

  /** Rebuilds the typed-array views of the RAM window (4-byte aligned part of it, below 2^32); flushes the TLB. */
  private refreshWindow(): void {
    this.gen = this.bus.generation;
    this.m8 = EMPTY8;
    this.i8 = new Int8Array(0);
    this.m16 = EMPTY16;
    this.i16 = new Int16Array(0);
    this.m32 = new Int32Array(0);
    this.ramBase = 0;
    this.ramSize = 0;
    this.romBase = 0;
    this.romSize = 0;
    this.rom16 = EMPTY16;
    this.events |= EV_MMU;
    const w = this.bus.ramWindow();
    if (w !== null && LITTLE_ENDIAN) {
      const start = Math.ceil(w.base / 4) * 4;
      // Bare addresses are 32 bits; keep offsets below 2^31 for the int32 arithmetic of the loop.
      const end = Math.min(Math.floor((w.base + w.bytes.length) / 4) * 4, TWO32, start + 0x7ffffff0);
      const size = end - start;
      const byteOffset = w.bytes.byteOffset + (start - w.base);
      if (size >= 4 && byteOffset % 4 === 0) {
        const buf = w.bytes.buffer;
        this.m8 = new Uint8Array(buf, byteOffset, size);
        this.i8 = new Int8Array(buf, byteOffset, size);
        this.m16 = new Uint16Array(buf, byteOffset, size / 2);
        this.i16 = new Int16Array(buf, byteOffset, size / 2);
        this.m32 = new Int32Array(buf, byteOffset, size / 4);
        this.ramBase = start | 0;
        this.ramSize = size;
      }
    }
    this.mmu.setWindow(this.ramBase >>> 0, this.m8, this.m32);
  }

  /**
   * Recomputes what translation applies (spec 3.1.6.3, 4.1.11): fetches
   * in S/U, loads and stores in the effective mode (MPP when M-mode sets
   * MPRV), both only with satp.MODE = Sv32; the TLB tag contexts; and the
   * fetch page, which restarts empty under translation.
   */
  private mmuRefresh(): void {
    const sv32 = this.satp >= SATP_SV32;
    const p = this.privv;
    const ms = this.mstatus;
    const dp = p === M && (ms & MS_MPRV) !== 0 ? (ms >>> 11) & 3 : p;
    this.fx = sv32 && p !== M ? 1 : 0;
    this.dv = sv32 && dp !== M ? 1 : 0;
    this.dp = dp;
    this.dk = (dp === U ? KEY_U : 0) | ((ms & MS_SUM) !== 0 ? KEY_SUM : 0) | ((ms & MS_MXR) !== 0 ? KEY_MXR : 0);
    this.xk = p === U ? KEY_U : 0;
    // The protection gates (see the fields). Triggers go by the hart's mode, PMP by the effective one for data.
    if (this.guarded === 0) {
      // Nothing to check anywhere (the usual case; the JIT tier calls this on every interpreter entry).
      this.armed = 0;
      this.ldSlow = 0;
      this.stSlow = 0;
      this.dkLoop = this.dk;
      this.ramX = 1;
      this.blocksOk = this.fx === 0 && this.dv === 0 ? 1 : 0;
    } else {
      this.gateRefresh(p, dp);
    }
    if (this.fx !== 0 || this.ramX === 0) {
      this.fb = 0;
      this.fl4 = -4;
      this.f16 = EMPTY16;
    } else {
      this.fb = this.ramBase;
      this.fl4 = this.ramSize - 4;
      this.f16 = this.m16;
    }
  }

  /** The protection gates for hart mode `p` and data mode `dp` while PMP or a trigger needs looking at (see the fields). */
  private gateRefresh(p: number, dp: number): void {
    const armed = this.trig.armed(p);
    const rb = this.ramBase >>> 0;
    const rs = this.ramSize;
    const dataTrig = (armed & (TRIG_LOAD | TRIG_STORE)) !== 0;
    this.armed = armed;
    this.ldSlow = dataTrig || !this.pmp.covers(rb, rs, ACC_LOAD, dp) ? 1 : 0;
    this.stSlow = dataTrig || !this.pmp.covers(rb, rs, ACC_STORE, dp) ? 1 : 0;
    this.dkLoop = dataTrig ? 0x40000000 : this.dk; // bit 30: above every tag (vpn | KEY_*)
    this.ramX = this.pmp.covers(rb, rs, ACC_FETCH, p) && ((armed & TRIG_EXEC) === 0 || !this.trig.execIn(rb, rs, p)) ? 1 : 0;
    this.blocksOk = this.fx === 0 && this.dv === 0 && this.ldSlow === 0 && this.stSlow === 0 && this.ramX !== 0 && armed === 0 ? 1 : 0;
  }

  /**
   * True when the 4 KiB page at `base` may become the fetch window of mode
   * `p`: PMP lets it execute all of it and no execute trigger watches it.
   */
  private pageFetchable(base: number, p: number): boolean {
    return this.pmp.covers(base, 4096, ACC_FETCH, p) && ((this.armed & TRIG_EXEC) === 0 || !this.trig.execIn(base, 4096, p));
  }

  /**
   * Fetches the instruction at `pc` outside the fetch page. Returns its
   * bits (a lone parcel for a compressed one); on a fault sets `fetchFault`
   * to the virtual address of the parcel that failed and `faultCause`.
   */
  private fetchSlow(pc: number): number {
    this.fetchFault = -1;
    const addr = pc >>> 0;
    // An execute trigger fires before the instruction (no window holds an address one watches).
    if ((this.armed & TRIG_EXEC) !== 0 && this.trig.exec(addr, this.privv)) {
      this.faultCause = EXC_BREAKPOINT;
      this.fetchFault = addr;
      return 0;
    }
    const lo = this.fetchParcel(addr);
    if (lo < 0) {
      this.fetchFault = addr;
      return 0;
    }
    if ((lo & 3) !== 3) return lo;
    const addr2 = (addr + 2) >>> 0;
    const hi = this.fetchParcel(addr2);
    if (hi < 0) {
      this.fetchFault = addr2;
      return 0;
    }
    return lo | (hi << 16);
  }

  /**
   * The parcel at virtual address `va` (unsigned), or -1 with faultCause
   * set. With translation, a page in the RAM window becomes the fetch page.
   */
  private fetchParcel(va: number): number {
    if (this.fx === 0) return this.fetchParcelPhys(va);
    const mmu = this.mmu;
    const vpn = va >>> 12;
    const key = vpn | this.xk;
    const e = vpn & (ITLB_ENTRIES - 1);
    if (mmu.tagX[e] !== key) {
      const pa = mmu.translate(va as GuestVirtAddr, ACC_FETCH, key, this.satp, this.privv, this.mstatus);
      if (pa < 0) {
        this.faultCause = mmu.cause;
        return -1;
      }
      // Not in the RAM window (ROM): through the address space, every time.
      if (mmu.tagX[e] !== key) return this.fetchParcelPhys(pa);
    }
    const view = mmu.viewX[e]!;
    // (PMP allowed the whole page when the entry was made: see Sv32Mmu.fillFast.)
    if ((this.armed & TRIG_EXEC) === 0 || !this.trig.execIn(va - (va & 0xfff), 4096, this.privv)) {
      this.fb = (va - (va & 0xfff)) | 0;
      this.fl4 = 4092;
      this.f16 = view;
    }
    return view[(va & 0xfff) >> 1];
  }

  /**
   * The parcel at physical address `pa`, or -1 (an access fault). Only RAM
   * and ROM are executable (DESIGN.md: a device is never fetched from).
   * Without translation the region holding `pa` becomes the fetch window,
   * so code running from ROM (a board's flash) takes the loop's fast path
   * too, instead of a region lookup and a bus read per parcel.
   */
  private fetchParcelPhys(pa: number): number {
    this.faultCause = EXC_FETCH_ACCESS;
    const p = this.privv;
    if (!this.pmp.check(pa, 2, ACC_FETCH, p)) return -1;
    if (this.fx === 0 && (pa & 1) === 0) {
      const ro = (pa - this.ramBase) >>> 0;
      if (ro < this.ramSize) {
        if (this.ramX !== 0) {
          this.fb = this.ramBase;
          this.fl4 = this.ramSize - 4;
          this.f16 = this.m16;
        } else {
          // PMP or a trigger rules out the whole window: the page, when nothing in it needs a check.
          const w = ro - (ro & 0xfff);
          const view = w + 4096 <= this.ramSize ? this.mmu.pageView(w) : null;
          if (view !== null && this.pageFetchable(pa - (ro & 0xfff), p)) {
            this.fb = (this.ramBase + w) | 0;
            this.fl4 = 4092;
            this.f16 = view;
          }
        }
        return this.m16[ro >> 1];
      }
      if (((pa - this.romBase) >>> 0) >= this.romSize) this.refreshRomWindow(pa);
      const o = (pa - this.romBase) >>> 0;
      if (o < this.romSize) {
        const rb = this.romBase >>> 0;
        if (this.pmp.covers(rb, this.romSize, ACC_FETCH, p) && ((this.armed & TRIG_EXEC) === 0 || !this.trig.execIn(rb, this.romSize, p))) {
          this.fb = this.romBase;
          this.fl4 = this.romSize - 4;
          this.f16 = this.rom16;
        }
        return this.rom16[o >> 1];
      }
    }
    const r = this.bus.regionAt(pa as GuestPhysAddr);
    if (r === null || r.kind === 'device') return -1;
    return this.bus.read(pa as GuestPhysAddr, 2);
  }

  /** Points the cached ROM fetch window at the ROM region holding `pa`, or empties it. */
  private refreshRomWindow(pa: number): void {
    this.romBase = 0;
    this.romSize = 0;
    this.rom16 = EMPTY16;
    const w = this.bus.fetchWindow(pa as GuestPhysAddr);
    // RAM outside the RAM window (a second region) keeps the slow path: it can be written, and stores do not watch this view.
    if (w === null || this.bus.regionAt(pa as GuestPhysAddr)?.kind !== 'rom' || !LITTLE_ENDIAN) return;
    const size = Math.min(w.bytes.length - (w.bytes.length % 4), TWO32 - w.base, 0x7ffffff0);
    if (size < 4 || w.bytes.byteOffset % 2 !== 0) return;
    this.rom16 = new Uint16Array(w.bytes.buffer, w.bytes.byteOffset, size / 2);
    this.romBase = w.base | 0;
    this.romSize = size;
  }

  /**
   * The instruction bits for an illegal-instruction mtval: `inst` for a
   * 32-bit instruction, the 16-bit parcel at `pc` for a compressed one (the
   * parcel at pc, fetched once already, tells which).
   */
  private illegalBits(pc: number, inst: number): number {
    const o = (pc - this.fb) | 0;
    const v = o >>> 0 <= this.fl4 + 2 ? this.f16[o >> 1] : this.fetchParcel(pc >>> 0);
    if (v < 0 || (v & 3) === 3) return inst >>> 0;
    return v;
  }

  /** Notes what a slow access may have changed: the map (a device may remap) or nothing. */
  private afterAccess(): void {
    if (this.bus.generation !== this.gen) this.events |= EV_MAP;
  }

  /**
   * Translates the data address `a` (int32) for an access of kind `acc`.
   * Returns the physical address, or -1 with faultCause and faultTval set.
   * Without translation the address is physical as it is.
   */
  private dataAddr(a: number, acc: AccessKind): number {
    const va = a >>> 0;
    this.faultTval = va;
    if (this.dv === 0) return va;
    const pa = this.mmu.translate(va as GuestVirtAddr, acc, (va >>> 12) | this.dk, this.satp, this.dp, this.mstatus);
    if (pa < 0) this.faultCause = this.mmu.cause;
    return pa;
  }

  /**
   * The tval of an access of `width` bytes at virtual `a` (physical `pa`)
   * that the address space refused: the address of the portion that
   * faulted (spec 3.1.16), which for an access running off the end of the
   * RAM window is the first byte past it (as QEMU 7.2 reports); otherwise
   * the access's own address, since a device refuses an access whole.
   */
  private faultingPortion(a: number, pa: number, width: number): number {
    const off = pa - (this.ramBase >>> 0);
    if (off >= 0 && off < this.ramSize && off + width > this.ramSize) return (a + (this.ramSize - off)) >>> 0;
    return a >>> 0;
  }

  /**
   * True, with faultCause and faultTval set for a breakpoint at `a`, when
   * a data trigger of kind `kind` fires for `width` bytes at virtual `a`.
   */
  private dataTrigger(a: number, width: number, kind: number): boolean {
    if (!this.trig.data(a >>> 0, width, kind, this.privv)) return false;
    this.faultCause = EXC_BREAKPOINT;
    this.faultTval = a >>> 0;
    return true;
  }

  /** Sets faultCause and faultTval for a PMP access fault of kind `cause` at virtual `a`; returns -1. */
  private pmpFault(a: number, cause: number): number {
    this.faultCause = cause;
    this.faultTval = a >>> 0;
    return -1;
  }

  /**
   * A load through the address space (translated first with Sv32). Returns
   * the unsigned value with faultCause = -1, or -1 with faultCause and
   * faultTval set.
   */
  private load(a: number, width: 1 | 2 | 4): number {
    if ((this.armed & TRIG_LOAD) !== 0 && this.dataTrigger(a, width, TRIG_LOAD)) return -1;
    const pa = this.dataAddr(a, ACC_LOAD);
    if (pa < 0) return -1;
    const split = 4096 - (a & 0xfff);
    if (this.dv !== 0 && split < width) return this.loadSpanning(a, width, pa, split);
    if (!this.pmp.check(pa, width, ACC_LOAD, this.dp)) return this.pmpFault(a, EXC_LOAD_ACCESS);
    const v = this.bus.read(pa as GuestPhysAddr, width);
    if (v < 0) {
      this.faultTval = this.faultingPortion(a, pa, width);
      this.faultCause = this.bus.lastFault?.kind === 'misaligned' ? EXC_LOAD_MISALIGNED : EXC_LOAD_ACCESS;
    } else {
      this.faultCause = -1;
    }
    this.afterAccess();
    return v;
  }

  /**
   * A translated load spanning two pages: the first `split` bytes at `pa`,
   * the rest at the start of the next page, which is translated too (a
   * fault there has that page's address as tval).
   */
  private loadSpanning(a: number, width: number, pa: number, split: number): number {
    const pa2 = this.dataAddr((a + split) | 0, ACC_LOAD);
    if (pa2 < 0) return -1;
    if (!this.pmp.check(pa, split, ACC_LOAD, this.dp)) return this.pmpFault(a, EXC_LOAD_ACCESS);
    if (!this.pmp.check(pa2, width - split, ACC_LOAD, this.dp)) return this.pmpFault(a + split, EXC_LOAD_ACCESS);
    let v = 0;
    if (pa2 === pa + split) {
      v = this.bus.read(pa as GuestPhysAddr, width as 2 | 4);
      if (v < 0) {
        this.faultTval = a >>> 0;
        this.faultCause = this.bus.lastFault?.kind === 'misaligned' ? EXC_LOAD_MISALIGNED : EXC_LOAD_ACCESS;
      }
    } else {
      for (let i = width - 1; i >= 0; i--) {
        const byte = this.bus.read((i < split ? pa + i : pa2 + (i - split)) as GuestPhysAddr, 1);
        if (byte < 0) {
          this.faultTval = (i < split ? a : a + split) >>> 0;
          this.faultCause = EXC_LOAD_ACCESS;
          v = -1;
          break;
        }
        v = v * 256 + byte;
      }
    }
    this.afterAccess();
    return v;
  }

  /** A store through the address space (translated first with Sv32). Returns false with faultCause and faultTval set on a fault. */
  private store(a: number, width: 1 | 2 | 4, value: number): boolean {
    if ((this.armed & TRIG_STORE) !== 0 && this.dataTrigger(a, width, TRIG_STORE)) return false;
    const pa = this.dataAddr(a, ACC_STORE);
    if (pa < 0) return false;
    // Both pages of a spanning store are translated, and checked, before memory is touched.
    const split = 4096 - (a & 0xfff);
    const spans = this.dv !== 0 && split < width;
    let pa2 = pa + split;
    if (spans) {
      pa2 = this.dataAddr((a + split) | 0, ACC_STORE);
      if (pa2 < 0) return false;
      const firstOk = this.pmp.check(pa, split, ACC_STORE, this.dp);
      if (!firstOk || !this.pmp.check(pa2, width - split, ACC_STORE, this.dp)) {
        this.pmpFault(firstOk ? a + split : a, EXC_STORE_ACCESS);
        return false;
      }
    } else if (!this.pmp.check(pa, width, ACC_STORE, this.dp)) {
      this.pmpFault(a, EXC_STORE_ACCESS);
      return false;
    }
    let ok: boolean;
    if (!spans || pa2 === pa + split) {
      ok = this.bus.write(pa as GuestPhysAddr, width, value);
      if (!ok) {
        this.faultTval = this.faultingPortion(a, pa, width);
        this.faultCause = this.bus.lastFault?.kind === 'misaligned' ? EXC_STORE_MISALIGNED : EXC_STORE_ACCESS;
      }
    } else {
      ok = true;
      for (let i = 0; i < width && ok; i++) {
        ok = this.bus.write((i < split ? pa + i : pa2 + (i - split)) as GuestPhysAddr, 1, value >>> (8 * i));
        if (!ok) {
          this.faultTval = (i < split ? a : a + split) >>> 0;
          this.faultCause = EXC_STORE_ACCESS;
        }
      }
    }
    if (ok) {
      const r = this.resvW;
      if (r !== NO_RESV && ((pa | 0) >> 2 === r || ((pa + width - 1) | 0) >> 2 === r || (spans && (pa2 | 0) >> 2 === r))) this.resvW = NO_RESV;
      if (this.jitc !== null) {
        this.jitc.noteStore(pa, spans ? split : width);
        if (spans) this.jitc.noteStore(pa2, width - split);
      }
    }
    this.afterAccess();
    return ok;
  }

  /** LR/SC/AMO at an aligned address outside the RAM window or translated. Returns false with faultCause and faultTval set on a fault. */
  private amoSlow(inst: number, a: number, b: number): boolean {
    const x = this.regs;
    const f5 = inst >>> 27;
    const rdN = (inst >>> 7) & 31;
    // Triggers first (spec table 3.7): LR is a load, an AMO a load and a store, SC a store (when it stores: below).
    if ((this.armed & (TRIG_LOAD | TRIG_STORE)) !== 0 && f5 !== 3 && this.dataTrigger(a, 4, f5 === 2 ? TRIG_LOAD : TRIG_LOAD | TRIG_STORE)) return false;
    // LR translates as a load; SC and the AMOs as stores (spec 4.3.1: an AMO needs R and W, its faults are store faults).
    const p = this.dataAddr(a, f5 === 2 ? ACC_LOAD : ACC_STORE);
    if (p < 0) return false;
    const addr = p as GuestPhysAddr;
    const word = (p | 0) >> 2; // the reservation key: the physical word (modulo 2^32)
    const bus = this.bus;
    const dp = this.dp;
    if (f5 === 2 ? !this.pmp.check(p, 4, ACC_LOAD, dp) : f5 !== 3 && !(this.pmp.check(p, 4, ACC_LOAD, dp) && this.pmp.check(p, 4, ACC_STORE, dp))) {
      this.pmpFault(a, f5 === 2 ? EXC_LOAD_ACCESS : EXC_STORE_ACCESS);
      return false;
    }
    if (f5 === 2) {
      const v = bus.read(addr, 4);
      this.afterAccess();
      if (v < 0) {
        this.faultCause = bus.lastFault?.kind === 'misaligned' ? EXC_LOAD_MISALIGNED : EXC_LOAD_ACCESS;
        return false;
      }
      x[rdN] = v;
      x[0] = 0;
      this.resvW = word;
      return true;
    }
    if (f5 === 3) {
      const held = this.resvW === word;
      if (held && (this.armed & TRIG_STORE) !== 0 && this.dataTrigger(a, 4, TRIG_STORE)) return false;
      if (held && !this.pmp.check(p, 4, ACC_STORE, dp)) {
        this.pmpFault(a, EXC_STORE_ACCESS);
        return false;
      }
      this.resvW = NO_RESV;
      if (held) {
        if (this.jitc !== null) this.jitc.noteStore(p, 4);
        const ok = bus.write(addr, 4, b);
        this.afterAccess();
        if (!ok) {
          this.faultCause = bus.lastFault?.kind === 'misaligned' ? EXC_STORE_MISALIGNED : EXC_STORE_ACCESS;
          return false;
        }
      }
      x[rdN] = held ? 0 : 1;
      x[0] = 0;
      return true;
    }
    // An AMO reports faults of either half as store/AMO faults (spec table 3.6).
    const old = bus.read(addr, 4);
    if (this.jitc !== null) this.jitc.noteStore(p, 4);
    if (old < 0 || !bus.write(addr, 4, amoValue(f5, old | 0, b))) {
      this.afterAccess();
      this.faultCause = bus.lastFault?.kind === 'misaligned' ? EXC_STORE_MISALIGNED : EXC_STORE_ACCESS;
      return false;
    }
    this.afterAccess();
    if (word === this.resvW) this.resvW = NO_RESV;
    x[rdN] = old;
    x[0] = 0;
    return true;
  }

  // ---------------------------------------------------------------- traps

  /**
   * The highest-priority interrupt that is pending, enabled and allowed to
   * preempt the current mode (spec 3.1.6.1, 3.1.9), or -1. Interrupts for a
   * higher-privileged target go first; then MEI, MSI, MTI, SEI, SSI, STI.
   */
  private pendingInterrupt(): number {
    const pend = (this.mipSw | this.mipHw) & this.mie;
    if (pend === 0) return -1;
    const priv = this.privv;
    let ready = 0;
    const toM = pend & ~this.mideleg;
    if (toM !== 0 && (priv < M || (this.mstatus & MS_MIE) !== 0)) {
      ready = toM;
    } else {
      const toS = pend & this.mideleg;
      if (toS !== 0 && (priv < S || (priv === S && (this.mstatus & MS_SIE) !== 0))) ready = toS;
    }
    if (ready === 0) return -1;
    for (let i = 0; i < IRQ_PRIORITY.length; i++) {
      if ((ready >>> IRQ_PRIORITY[i]) & 1) return IRQ_PRIORITY[i];
    }
    return -1;
  }

  /** Raises exception `cause` for the instruction at `pc`, which does not retire. Returns the handler's pc. */
  private exception(cause: number, tval: number, pc: number): number {
    this.retiredBase -= 1;
    return this.enterTrap(cause, false, tval, pc);
  }

  /**
   * Takes a trap (spec 3.1.6.1, 3.1.7, 3.1.8, 4.1.1): to S when the hart is
   * in S or U and the cause is delegated, else to M. Saves pc, cause, tval
   * and the interrupt-enable stack, kills the reservation. Returns the
   * handler's pc (vectored for interrupts when xtvec.MODE = 1).
   */
  private enterTrap(code: number, interrupt: boolean, tval: number, pc: number): number {
    const from = this.privv;
    const cause = interrupt ? (code | CAUSE_INTERRUPT) >>> 0 : code;
    const deleg = interrupt ? this.mideleg : this.medeleg;
    let tvec: number;
    let to: number;
    this.resvW = NO_RESV;
    if (from <= S && ((deleg >>> code) & 1) !== 0) {
      to = S;
      this.scause = cause;
      this.sepc = pc >>> 0;
      this.stval = tval >>> 0;
      let ms = this.mstatus;
      ms = (ms & MS_SIE) !== 0 ? ms | MS_SPIE : ms & ~MS_SPIE;
      ms &= ~(MS_SIE | MS_SPP);
      if (from === S) ms |= MS_SPP;
      this.mstatus = ms;
      tvec = this.stvec;
    } else {
      to = M;
      this.mcause = cause;
      this.mepc = pc >>> 0;
      this.mtval = tval >>> 0;
      let ms = this.mstatus;
      ms = (ms & MS_MIE) !== 0 ? ms | MS_MPIE : ms & ~MS_MPIE;
      ms = (ms & ~(MS_MIE | MS_MPP)) | (from << 11);
      this.mstatus = ms;
      tvec = this.mtvec;
    }
    this.privv = to;
    // A new mode (and MPP, which MPRV may use) changes what is translated; nothing is translated under Bare.
    // It also changes what PMP and the triggers allow, when they tell modes apart (MPP too, under MPRV).
    if (this.satp >= SATP_SV32 || (this.guarded !== 0 && (from !== to || (this.mstatus & MS_MPRV) !== 0))) this.events |= EV_MMU;
    this.trapCountv++;
    this.trapCause = cause;
    this.trapTval = tval >>> 0;
    this.trapEpc = pc >>> 0;
    this.trapPriv = to;
    this.trapFrom = from;
    if (this.onTrap !== undefined) this.onTrap(this, this.lastTrap!); // trap hook
    const base = tvec & ~3;
    return (interrupt && (tvec & 3) === 1 ? base + 4 * code : base) | 0;
  }

  // ------------------------------------------------------------- SYSTEM

  /**
   * Executes a SYSTEM instruction. Returns SYS_NEXT, SYS_JUMP (target in
   * jumpTarget), SYS_WFI (park), or SYS_EXC (excCause/excTval).
   */
  private system(inst: number): number {
    const f3 = (inst >>> 12) & 7;
    const priv = this.privv;
    if (f3 === 0) {
      switch (inst) {
        case 0x00000073: // ECALL: cause 8, 9 or 11 by mode; tval 0.
          // SBI hook: an ECALL from S goes to the monitor's SBI instead of trapping to M.
          if (priv === S && this.onSupervisorEcall !== undefined) {
            this.onSupervisorEcall(this);
            return SYS_NEXT;
          }
          return this.raise(EXC_ECALL_U + priv, 0);
        case 0x00100073: // EBREAK: tval 0 (as QEMU 7.2).
          return this.raise(EXC_BREAKPOINT, 0);
        case 0x30200073: {
          // MRET (spec 3.3.2)
          if (priv !== M) return this.raise(EXC_ILLEGAL, inst >>> 0);
          let ms = this.mstatus;
          const mpp = (ms >>> 11) & 3;
          ms = (ms & MS_MPIE) !== 0 ? ms | MS_MIE : ms & ~MS_MIE;
          ms = (ms | MS_MPIE) & ~MS_MPP; // MPP := U, the least-privileged mode
          if (mpp !== M) ms &= ~MS_MPRV;
          this.mstatus = ms;
          this.privv = mpp;
          return this.xret(this.mepc);
        }
        case 0x10200073: {
          // SRET: illegal in U, and in S when TSR = 1 (spec 3.1.6.5)
          if (priv === U || (priv === S && (this.mstatus & MS_TSR) !== 0)) return this.raise(EXC_ILLEGAL, inst >>> 0);
          let ms = this.mstatus;
          const spp = (ms >>> 8) & 1;
          ms = (ms & MS_SPIE) !== 0 ? ms | MS_SIE : ms & ~MS_SIE;
          ms = (ms | MS_SPIE) & ~(MS_SPP | MS_MPRV); // SPP := U; SPP is never M, so MPRV := 0
          this.mstatus = ms;
          this.privv = spp;
          return this.xret(this.sepc);
        }
        case 0x10500073: // WFI (spec 3.3.3; see the module header for U and TW)
          if (priv === U || (priv === S && (this.mstatus & MS_TW) !== 0)) return this.raise(EXC_ILLEGAL, inst >>> 0);
          return this.wakeupPending ? SYS_NEXT : SYS_WFI;
        default:
          break;
      }
      if ((inst & 0xfe007fff) === 0x12000073) {
        // SFENCE.VMA: illegal in U, and in S when TVM = 1 (spec 3.1.6.5).
        if (priv === U || (priv === S && (this.mstatus & MS_TVM) !== 0)) return this.raise(EXC_ILLEGAL, inst >>> 0);
        const rs1N = (inst >>> 15) & 31;
        const rs2N = (inst >>> 20) & 31;
        this.sfenceVma(rs1N === 0 ? -1 : this.regs[rs1N] >>> 0, rs2N === 0 ? -1 : this.regs[rs2N] & SATP_ASID_MASK);
        return SYS_NEXT;
      }
      return this.raise(EXC_ILLEGAL, inst >>> 0);
    }
    if (f3 === 4) return this.raise(EXC_ILLEGAL, inst >>> 0);
    return this.csrInstruction(inst, f3, priv);
  }

  /**
   * SFENCE.VMA (spec 4.2.1) for virtual address `va` (-1: all) and ASID
   * `asid` (-1: all). Every cached entry belongs to the current ASID or is
   * global (the TLB is flushed when satp changes), so a fence for another
   * ASID has nothing to drop; for the current one, global entries are
   * dropped too (more than asked, which is allowed).
   */
  private sfenceVma(va: number, asid: number): void {
    if (asid >= 0 && asid !== ((this.satp >>> SATP_ASID_SHIFT) & SATP_ASID_MASK)) return;
    if (va < 0) this.mmu.flushAll();
    else this.mmu.flushPage(va);
    this.events |= EV_MMU; // the fetch page may be gone
  }

  private raise(cause: number, tval: number): number {
    this.excCause = cause;
    this.excTval = tval;
    return SYS_EXC;
  }

  private xret(target: number): number {
    this.resvW = NO_RESV;
    this.events |= EV_IRQ | EV_MMU;
    this.jumpTarget = target | 0;
    return SYS_JUMP;
  }

  /** CSRRW/CSRRS/CSRRC and their immediate forms (Zicsr, unprivileged ISA chapter 9). */
  private csrInstruction(inst: number, f3: number, priv: number): number {
    const x = this.regs;
    const csr = inst >>> 20;
    const rdN = (inst >>> 7) & 31;
    const rs1N = (inst >>> 15) & 31;
    const op = f3 & 3; // 1 = RW, 2 = RS, 3 = RC
    // CSRRS/CSRRC with rs1 = x0 (or uimm = 0) do not write, so may touch read-only CSRs.
    const writes = op === 1 || rs1N !== 0;
    // Bits 9:8 give the lowest privilege that may access; 11:10 = 11 marks read-only (spec 2.1).
    if (((csr >>> 8) & 3) > priv || (writes && csr >>> 10 === 3)) return this.raise(EXC_ILLEGAL, inst >>> 0);
    if (priv < M) {
      if ((csr & 0xf60) === 0xc00) {
        // cycle/time/instret/hpmcounterN(h): gated by mcounteren, and in U also by scounteren (spec 3.1.11, 4.1.5).
        const bit = 1 << (csr & 31);
        if ((this.mcounteren & bit) === 0 || (priv === U && (this.scounteren & bit) === 0)) {
          return this.raise(EXC_ILLEGAL, inst >>> 0);
        }
      } else if (csr === Csr.satp && (this.mstatus & MS_TVM) !== 0) {
        return this.raise(EXC_ILLEGAL, inst >>> 0);
      }
    }
    // Counters read as of before this instruction; written ones are what the next reads (Zicsr 9.1).
    const retired = this.retiredBase + (this.sliceBudget - this.sliceLeft) - 1;
    const old = this.csrRead(csr, retired);
    if (old < 0) return this.raise(EXC_ILLEGAL, inst >>> 0);
    if (writes) {
      const src = (f3 & 4) !== 0 ? rs1N : x[rs1N];
      let base = old;
      // Read-modify-write of mip/sip uses the software-writable bits only (spec 3.1.9).
      if (csr === Csr.mip || csr === Csr.sip) base = this.mipSw & (csr === Csr.sip ? this.mideleg : -1);
      const value = op === 1 ? src : op === 2 ? base | src : base & ~src;
      this.csrWrite(csr, value >>> 0, retired, retired + 1);
    }
    if (rdN !== 0) x[rdN] = old;
    return SYS_NEXT;
  }

  // ---------------------------------------------------------------- CSRs

  /** Counter `c` (0 = cycle, 1 = instret) low half, given `r` instructions retired. */
  private counterLo(c: number, r: number): number {
    const k = c * 4;
    if ((this.mcountinhibit & (c === 0 ? 1 : 4)) !== 0) return this.ctr[k + 2];
    return (r + this.ctr[k]) % TWO32;
  }

  private counterHi(c: number, r: number): number {
    const k = c * 4;
    if ((this.mcountinhibit & (c === 0 ? 1 : 4)) !== 0) return this.ctr[k + 3];
    const rlo = r % TWO32;
    const carry = rlo + this.ctr[k] >= TWO32 ? 1 : 0;
    return ((r - rlo) / TWO32 + this.ctr[k + 1] + carry) % TWO32;
  }

  /** Makes counter `c` read (lo, hi) when `r` instructions have retired (or freezes it there while inhibited). */
  private counterSet(c: number, lo: number, hi: number, r: number): void {
    const k = c * 4;
    if ((this.mcountinhibit & (c === 0 ? 1 : 4)) !== 0) {
      this.ctr[k + 2] = lo;
      this.ctr[k + 3] = hi;
      return;
    }
    const rlo = r % TWO32;
    const rhi = (r - rlo) / TWO32;
    this.ctr[k] = lo - rlo; // Uint32Array stores wrap modulo 2^32
    this.ctr[k + 1] = hi - rhi - (lo < rlo ? 1 : 0);
  }

  /**
   * Reads CSR `n` with `r` instructions retired (for the counters).
   * Returns the unsigned value, or -1 when the CSR does not exist.
   */
  private csrRead(n: number, r: number): number {
    switch (n) {
      case Csr.mstatus:
        return this.mstatus >>> 0;
      case Csr.sstatus:
        return (this.mstatus & SSTATUS_VISIBLE) >>> 0;
      case Csr.mstatush: // SBE/MBE: little-endian only
        return 0;
      case Csr.misa:
        return MISA_VALUE;
      case Csr.medeleg:
        return this.medeleg;
      case Csr.mideleg:
        return this.mideleg;
      case Csr.mie:
        return this.mie;
      case Csr.sie:
        return this.mie & this.mideleg;
      case Csr.mip:
        return this.mipSw | this.mipHw;
      case Csr.sip:
        return (this.mipSw | this.mipHw) & this.mideleg;
      case Csr.mtvec:
        return this.mtvec >>> 0;
      case Csr.stvec:
        return this.stvec >>> 0;
      case Csr.mscratch:
        return this.mscratch >>> 0;
      case Csr.sscratch:
        return this.sscratch >>> 0;
      case Csr.mepc:
        return this.mepc >>> 0;
      case Csr.sepc:
        return this.sepc >>> 0;
      case Csr.mcause:
        return this.mcause >>> 0;
      case Csr.scause:
        return this.scause >>> 0;
      case Csr.mtval:
        return this.mtval >>> 0;
      case Csr.stval:
        return this.stval >>> 0;
      case Csr.mcounteren:
        return this.mcounteren >>> 0;
      case Csr.scounteren:
        return this.scounteren >>> 0;
      case Csr.menvcfg:
        return this.menvcfg;
      case Csr.menvcfgh:
        return 0;
      case Csr.senvcfg:
        return this.senvcfg;
      case Csr.mcountinhibit:
        return this.mcountinhibit >>> 0;
      case Csr.satp:
        return this.satp >>> 0;
      case Csr.mvendorid:
      case Csr.marchid:
      case Csr.mimpid:
      case Csr.mconfigptr:
        return 0;
      case Csr.tselect:
        return this.trig.select;
      case Csr.tdata1:
        return this.trig.tdata1[this.trig.select];
      case Csr.tdata2:
        return this.trig.tdata2[this.trig.select];
      case Csr.tdata3: // no type-2 or type-6 field lives here (QEMU 7.2: reads 0, ignores writes)
        return 0;
      case Csr.tinfo:
        return TINFO;
      case Csr.mhartid:
        return this.hartId;
      case Csr.mcycle:
      case Csr.cycle:
        return this.counterLo(0, r);
      case Csr.mcycleh:
      case Csr.cycleh:
        return this.counterHi(0, r);
      case Csr.minstret:
      case Csr.instret:
        return this.counterLo(1, r);
      case Csr.minstreth:
      case Csr.instreth:
        return this.counterHi(1, r);
      case Csr.time:
        return this.readTime() % TWO32;
      case Csr.timeh:
        return Math.floor(this.readTime() / TWO32) % TWO32;
      default:
        break;
    }
    if (n >= Csr.pmpcfg0 && n <= Csr.pmpcfg3) {
      const i = (n - Csr.pmpcfg0) * 4;
      const c = this.pmp.cfg;
      return (c[i] | (c[i + 1] << 8) | (c[i + 2] << 16) | (c[i + 3] << 24)) >>> 0;
    }
    if (n >= Csr.pmpaddr0 && n <= Csr.pmpaddr15) return this.pmp.addr[n - Csr.pmpaddr0];
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
  private csrWrite(n: number, v: number, r: number, rnext: number): void {
    switch (n) {
      case Csr.mstatus:
        this.writeStatus(v, MSTATUS_WRITABLE);
        return;
      case Csr.sstatus:
        this.writeStatus(v, SSTATUS_WRITABLE);
        return;
      case Csr.medeleg:
        this.medeleg = v & MEDELEG_WRITABLE;
        return;
      case Csr.mideleg:
        this.mideleg = v & MIDELEG_WRITABLE;
        this.events |= EV_IRQ;
        return;
      case Csr.mie:
        this.mie = v & MIE_WRITABLE;
        this.events |= EV_IRQ;
        return;
      case Csr.sie:
        // Only the delegated bits are visible, and writable, in sie (spec 4.1.3).
        this.mie = (this.mie & ~this.mideleg) | (v & this.mideleg);
        this.events |= EV_IRQ;
        return;
      case Csr.mip:
        this.mipSw = (this.mipSw & ~MIP_SW_WRITABLE) | (v & MIP_SW_WRITABLE);
        this.events |= EV_IRQ;
        return;
      case Csr.sip: {
        // Of sip, only SSIP is writable, and only when delegated (spec 4.1.3).
        const m = this.mideleg & MIP_SSIP;
        this.mipSw = (this.mipSw & ~m) | (v & m);
        this.events |= EV_IRQ;
        return;
      }
      case Csr.mtvec:
        // MODE >= 2 is reserved: the write is ignored (as QEMU 7.2 does).
        if ((v & 3) < 2) this.mtvec = v;
        return;
      case Csr.stvec:
        if ((v & 3) < 2) this.stvec = v;
        return;
      case Csr.mscratch:
        this.mscratch = v;
        return;
      case Csr.sscratch:
        this.sscratch = v;
        return;
      case Csr.mepc:
        // Bit 0 is always 0; bit 1 stays since IALIGN = 16 (spec 3.1.14).
        this.mepc = v & ~1;
        return;
      case Csr.sepc:
        this.sepc = v & ~1;
        return;
      case Csr.mcause:
        this.mcause = v;
        return;
      case Csr.scause:
        this.scause = v;
        return;
      case Csr.mtval:
        this.mtval = v;
        return;
      case Csr.stval:
        this.stval = v;
        return;
      case Csr.mcounteren:
        this.mcounteren = v;
        return;
      case Csr.scounteren:
        this.scounteren = v;
        return;
      case Csr.menvcfg:
        this.menvcfg = v & ENVCFG_WRITABLE;
        return;
      case Csr.senvcfg:
        this.senvcfg = v & ENVCFG_WRITABLE;
        return;
      case Csr.satp:
        // Every field is implemented (MODE Bare/Sv32, 9 ASID bits, 22 PPN bits). A change flushes the TLB (see the header).
        if (v !== this.satp) {
          this.satp = v;
          this.mmu.flushAll();
          this.events |= EV_MMU;
        }
        return;
      case Csr.mcountinhibit: {
        const next = v & MCOUNTINHIBIT_WRITABLE;
        for (let c = 0; c < 2; c++) {
          const bit = c === 0 ? 1 : 4;
          if (((this.mcountinhibit ^ next) & bit) === 0) continue;
          const lo = this.counterLo(c, rnext);
          const hi = this.counterHi(c, rnext);
          this.mcountinhibit ^= bit;
          this.counterSet(c, lo, hi, rnext);
        }
        this.mcountinhibit = next;
        return;
      }
      case Csr.mcycle:
        this.counterSet(0, v, this.counterHi(0, r), rnext);
        return;
      case Csr.mcycleh:
        this.counterSet(0, this.counterLo(0, r), v, rnext);
        return;
      case Csr.minstret:
        this.counterSet(1, v, this.counterHi(1, r), rnext);
        return;
      case Csr.minstreth:
        this.counterSet(1, this.counterLo(1, r), v, rnext);
        return;
      case Csr.tselect:
        if (v < TRIGGERS) this.trig.select = v; // QEMU 7.2 ignores a number past the last trigger
        return;
      case Csr.tdata1: {
        const t = tdata1Legal(v);
        if (t >= 0) {
          this.trig.tdata1[this.trig.select] = t;
          this.protectionChanged(false);
        }
        return;
      }
      case Csr.tdata2:
        this.trig.tdata2[this.trig.select] = v;
        this.protectionChanged(false);
        return;
      default:
        break;
    }
    if (n >= Csr.pmpcfg0 && n <= Csr.pmpcfg3) {
      if (this.pmp.writeCfg((n - Csr.pmpcfg0) * 4, v)) this.protectionChanged(true);
      return;
    }
    if (n >= Csr.pmpaddr0 && n <= Csr.pmpaddr15) {
      if (this.pmp.writeAddr(n - Csr.pmpaddr0, v)) this.protectionChanged(true);
    }
    // Everything else that exists is read-only zero or ignores writes (mstatush, menvcfgh, the HPM CSRs, tdata3, tinfo).
  }

  /**
   * After a PMP write (`pmp` true: cached translations were granted under
   * the old entries, so the TLB goes) or a trigger write: the gates are
   * recomputed before the next instruction.
   */
  private protectionChanged(pmp: boolean): void {
    if (pmp) this.mmu.flushAll();
    this.guardRefresh();
    this.events |= EV_MMU;
  }

  /** Recomputes `guarded` (see the field) from PMP and the triggers. */
  private guardRefresh(): void {
    this.guarded = !this.pmp.uniform || this.trig.armed(U) !== 0 || this.trig.armed(S) !== 0 || this.trig.armed(M) !== 0 ? 1 : 0;
  }

  private writeStatus(v: number, writable: number): void {
    let next = (this.mstatus & ~writable) | (v & writable);
    // MPP is WARL with legal values U, S and M: the reserved 2 keeps the old value.
    if (((next >>> 11) & 3) === 2) next = (next & ~MS_MPP) | (this.mstatus & MS_MPP);
    this.mstatus = next;
    this.events |= EV_IRQ | EV_MMU; // MPRV, MPP, SUM and MXR decide translation

  }
}
