/**
 * The hart fuzzer (docs/robustness.md, attack 1): seeded random 32-bit words, 16-bit
 * parcels and CSR instructions run one at a time in M, S and U mode (with
 * and without Sv32), each checked against an independent oracle.
 *
 * Owns: the oracle (which encodings RV32IMAC + Zicsr + Zifencei defines,
 * what each legal one may do, which trap an illegal or faulting one must
 * raise) and the step engine that drives a {@link Hart} through
 * `run(1)` and compares. The oracle is written from the spec tables
 * (unprivileged spec 20191213: chapter 24 opcode map, chapter 16 RVC
 * tables 16.4-16.6, chapter 8 A, chapter 9 Zicsr; privileged spec 1.12:
 * tables 2.1-2.6 CSR map and access rules, 3.1.6.5 TVM/TW/TSR, table 3.7
 * exception priority, 4.3 Sv32), never from src/cpu: a reading of the
 * same spec twice, so a disagreement is a bug in one of them.
 *
 * Where the spec leaves room the oracle takes the choice the hart.ts
 * header documents (misaligned RAM accesses are performed; WFI in
 * U-mode, or in S with TW = 1, is illegal), and accepts either outcome
 * where even that is silent (a misaligned AMO may raise address-misaligned
 * or access fault, spec 8.4; fault priority of a misaligned access that
 * also faults, table 3.7). Optional CSRs (hpm counters, PMP, envcfg,
 * mcountinhibit, mconfigptr, mstatush, debug triggers...) are probed once
 * with `readCsr`: the oracle then holds the hart to the access rules for
 * the ones it implements and to an illegal-instruction trap for the others.
 *
 * One step in fifty fetches instead from where nothing can be fetched
 * (unmapped, past the end of RAM in the middle of an instruction, a page
 * without X) and expects the fetch fault.
 *
 * Invariants checked on every step: run() returns (never throws),
 * `fatalError` stays null, exactly one step is used, the outcome is the
 * predicted trap (cause, tval, epc, target mode, handler pc) or a retired
 * instruction (pc, mode, only rd changed, x0 = 0), a trap changes no
 * register, `instret` and `minstret` advance by 1 exactly when the
 * instruction retires.
 *
 * Engine-neutral: imports only src/ (runs under Node and XS).
 */
import type { GuestPhysAddr } from '../../src/addr/index.js';
import { GuestAddressSpace } from '../../src/addrspace/index.js';
import { Csr, ExitReason, Hart } from '../../src/cpu/index.js';

// ------------------------------------------------------------------ rng

/** xorshift32 (Marsaglia 2003): small, seedable, identical on every engine. */
export class FuzzRng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
    for (let i = 0; i < 8; i++) this.next();
  }
  /** A uniform integer in [0, 2^32). */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** A uniform integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p * 4294967296;
  }
}

// ------------------------------------------------------------------ field helpers

const bits = (v: number, hi: number, lo: number): number => (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
const sext = (v: number, width: number): number => (v << (32 - width)) >> (32 - width);

// ------------------------------------------------------------------ the CSR map

/** Privileged spec 1.12 tables 2.2-2.5: CSRs every RV32 M/S/U hart without F, V or H has. */
const REQUIRED_CSRS: readonly number[] = Object.freeze([
  0xc00, 0xc01, 0xc02, 0xc80, 0xc81, 0xc82, // cycle, time, instret (+h): Zicntr
  0x100, 0x104, 0x105, 0x106, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180, // supervisor
  0xf11, 0xf12, 0xf13, 0xf14, // mvendorid, marchid, mimpid, mhartid
  0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x306, // mstatus .. mcounteren
  0x340, 0x341, 0x342, 0x343, 0x344, // mscratch .. mip
  0xb00, 0xb02, 0xb80, 0xb82, // mcycle, minstret (+h)
]);

/** CSRs the spec makes optional or allows to be absent for this configuration (probed). */
function optionalCsrs(): number[] {
  const out = [0x10a, 0xf15, 0x30a, 0x31a, 0x310, 0x320, 0x747, 0x757, 0x5a8];
  for (let n = 3; n < 32; n++) out.push(0xc00 + n, 0xc80 + n, 0xb00 + n, 0xb80 + n, 0x320 + n);
  for (let n = 0; n < 16; n++) out.push(0x3a0 + n);
  for (let n = 0; n < 64; n++) out.push(0x3b0 + n);
  for (let n = 0x7a0; n <= 0x7aa; n++) out.push(n); // Sdtrig (M-mode debug/trace)
  return out;
}

/** CSR numbers worth drawing often: every defined one, plus neighbours of real ones. */
export const INTERESTING_CSRS: readonly number[] = Object.freeze([
  ...REQUIRED_CSRS,
  ...optionalCsrs(),
  0x001, 0x002, 0x003, 0x008, 0x015, 0x200, 0x600, 0x680, 0x7b0, 0x7b1, 0x34a, 0x34b, 0x5c0, 0x9c0, 0xfc0, 0xcc0,
]);

// ------------------------------------------------------------------ the machine

export const RAM_BASE = 0x8000_0000;
export const RAM_SIZE = 0x2_0000;
/** Where the instruction under test sits (identity-mapped under Sv32). */
export const SLOT = RAM_BASE + 0x800;
const MTVEC = RAM_BASE + 0x100;
const STVEC = RAM_BASE + 0x200;
const MEPC0 = RAM_BASE + 0xc00;
const SEPC0 = RAM_BASE + 0xd00;
/** Sv32 root table: one page; only two superpage entries are set. */
const ROOT = RAM_BASE + 0x1000;
/** Host memory the fuzzed code must not be able to damage unnoticed: trap vectors, slot, page table. */
const PROTECTED_END = RAM_BASE + 0x2000;
/** Data pointers land in [DATA_LO, DATA_HI): with a 12-bit offset still inside RAM, away from the page table. */
const DATA_LO = RAM_BASE + 0x1_0000;
const DATA_HI = RAM_BASE + 0x1_8000;
/** VA 0x40000000 maps the RAM superpage read-only (no W, no X): store and AMO page faults. */
const RO_VA = 0x4000_0000;
/** VA 0x50000000's root entry points to a level-0 table where there is no memory: access faults (spec 4.3.2 step 2). */
const BADPT_VA = 0x5000_0000;
const NOWHERE = 0x9000_0000;

// PTE bits (spec 4.3.1, figure 4.18).
const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;

const M = 3, S = 1, U = 0;

/** One fuzzing context: mode, translation and the CSR state the oracle assumes. */
interface Ctx {
  mode: number;
  paging: boolean;
  mstatus: number;
  medeleg: number;
  mcounteren: number;
  scounteren: number;
  satp: number;
  /** Effective mode of loads and stores (MPRV applied). */
  dmode: number;
  /** Loads and stores translated. */
  dxlate: boolean;
}

/** The outcome the oracle predicts. */
type Expect =
  | { kind: 'retire'; rd: number; pc: number; priv: number; wfi: boolean }
  | { kind: 'trap'; options: number[]; orRetire?: number } // pairs (cause, tval), any one acceptable; or retiring with rd = orRetire
  | { kind: 'skip' }; // the oracle will not judge (a straddling access)

/** Counters a run reports. */
export interface FuzzStats {
  steps: number;
  retired: number;
  /** Traps by exception code. */
  traps: Record<number, number>;
  /** Steps by configuration, e.g. "M", "S+sv32". */
  perMode: Record<string, { steps: number; retired: number; traps: number }>;
  /** Steps the oracle did not judge. */
  skipped: number;
  violations: number;
  /** run() threw, or fatalError was set. */
  crashes: number;
  /** The first few violations, described. */
  examples: string[];
}

/** Options of {@link HartFuzzer}. */
export interface HartFuzzerOptions {
  /** Seed of the instruction and register streams. */
  readonly seed: number;
  /** Keep at most this many violation descriptions (default 20). */
  readonly maxExamples?: number;
}

/** The configurations a run cycles through. */
export const CONFIGS: readonly { mode: number; paging: boolean; name: string }[] = Object.freeze([
  { mode: M, paging: false, name: 'M' },
  { mode: S, paging: false, name: 'S' },
  { mode: U, paging: false, name: 'U' },
  { mode: M, paging: true, name: 'M+mprv+sv32' },
  { mode: S, paging: true, name: 'S+sv32' },
  { mode: U, paging: true, name: 'U+sv32' },
]);

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

/**
 * Drives a hart through random instructions and checks each against the
 * oracle. Takes {@link HartFuzzerOptions}; `run(config, steps)` adds to
 * `stats`. Refuses nothing: every problem found is counted, never thrown.
 */
export class HartFuzzer {
  readonly stats: FuzzStats;
  readonly hart: Hart;
  private readonly rng: FuzzRng;
  private readonly ram = new Uint8Array(RAM_SIZE);
  private readonly maxExamples: number;
  private readonly csrExists = new Uint8Array(4096);
  private readonly before = new Int32Array(32);
  private ctx!: Ctx;

  constructor(options: HartFuzzerOptions) {
    this.rng = new FuzzRng(options.seed);
    this.maxExamples = options.maxExamples ?? 20;
    const bus = new GuestAddressSpace();
    bus.addRam({ name: 'ram', base: RAM_BASE as GuestPhysAddr, size: RAM_SIZE, bytes: this.ram });
    this.hart = new Hart({ bus, readTime: () => 12345 });
    this.hart.reset(SLOT);
    for (const n of REQUIRED_CSRS) this.csrExists[n] = 1;
    for (const n of optionalCsrs()) {
      try {
        this.hart.readCsr(n);
        this.csrExists[n] = 1;
      } catch {
        this.csrExists[n] = 0;
      }
    }
    this.writePageTable(false);
    this.stats = { steps: 0, retired: 0, traps: {}, perMode: {}, skipped: 0, violations: 0, crashes: 0, examples: [] };
  }

  /** Runs `steps` random instructions in configuration `config` (an entry of {@link CONFIGS}). */
  run(config: { mode: number; paging: boolean; name: string }, steps: number): void {
    const per = (this.stats.perMode[config.name] ??= { steps: 0, retired: 0, traps: 0 });
    for (let i = 0; i < steps; i++) {
      if (i % 64 === 0) this.newContext(config.mode, config.paging);
      const r = this.step();
      per.steps++;
      if (r === 1) per.retired++;
      else if (r === 2) per.traps++;
    }
  }

  private note(what: string): void {
    this.stats.violations++;
    if (this.stats.examples.length < this.maxExamples) this.stats.examples.push(what);
  }

  private writePageTable(user: boolean): void {
    const u = user ? PTE_U : 0;
    for (let i = 0; i < 4096; i++) this.ram[ROOT - RAM_BASE + i] = 0;
    // Superpage PTEs: PPN = PA >> 12 in bits 31:10; PPN[0] must be 0 (4 MiB aligned).
    const pte = (pa: number, flags: number) => (((pa >>> 12) << 10) | flags) >>> 0;
    this.poke(ROOT + 4 * (RAM_BASE >>> 22), pte(RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | u));
    this.poke(ROOT + 4 * (RO_VA >>> 22), pte(RAM_BASE, PTE_V | PTE_R | PTE_A | u));
    this.poke(ROOT + 4 * (BADPT_VA >>> 22), pte(NOWHERE, PTE_V));
  }

  private poke(addr: number, v: number): void {
    const o = addr - RAM_BASE;
    this.ram[o] = v & 0xff;
    this.ram[o + 1] = (v >>> 8) & 0xff;
    this.ram[o + 2] = (v >>> 16) & 0xff;
    this.ram[o + 3] = (v >>> 24) & 0xff;
  }

  private newContext(mode: number, paging: boolean): void {
    const g = this.rng;
    const h = this.hart;
    let mstatus = 0;
    if (g.chance(0.3)) mstatus |= 1 << 20; // TVM
    if (g.chance(0.3)) mstatus |= 1 << 21; // TW
    if (g.chance(0.3)) mstatus |= 1 << 22; // TSR
    if (g.chance(0.5)) mstatus |= 1 << 8; // SPP
    // SUM and MXR change nothing the oracle predicts (no page is both U and reached from S; none is X-only)
    if (g.chance(0.3)) mstatus |= 1 << 18; // SUM
    if (g.chance(0.3)) mstatus |= 1 << 19; // MXR
    let mpp = [U, S, M][g.below(3)] as number;
    if (mode === M && paging) {
      mpp = S;
      mstatus |= 1 << 17; // MPRV: loads and stores as S, translated
    }
    mstatus |= mpp << 11;
    this.writePageTable(mode === U || (mode === M && paging && mpp === U));
    h.flushTranslations();
    // WARL registers: the oracle uses what reads back.
    h.writeCsr(Csr.medeleg, g.chance(0.3) ? g.next() : 0);
    h.writeCsr(Csr.mcounteren, g.next());
    h.writeCsr(Csr.scounteren, g.next());
    const satp = paging ? (0x8000_0000 | (ROOT >>> 12)) >>> 0 : 0;
    this.ctx = {
      mode,
      paging,
      mstatus,
      medeleg: h.readCsr(Csr.medeleg),
      mcounteren: h.readCsr(Csr.mcounteren),
      scounteren: h.readCsr(Csr.scounteren),
      satp,
      dmode: mode === M && (mstatus & (1 << 17)) !== 0 ? mpp : mode,
      dxlate: paging,
    };
    this.restore();
  }

  /** Puts back the CSR state of the context (random CSR writes, traps and xRETs change it). */
  private restore(): void {
    const h = this.hart;
    const c = this.ctx;
    h.writeCsr(Csr.mstatus, c.mstatus);
    h.writeCsr(Csr.medeleg, c.medeleg);
    h.writeCsr(Csr.mideleg, 0);
    h.writeCsr(Csr.mie, 0);
    h.writeCsr(Csr.mip, 0);
    h.writeCsr(Csr.mtvec, MTVEC);
    h.writeCsr(Csr.stvec, STVEC);
    h.writeCsr(Csr.mepc, MEPC0);
    h.writeCsr(Csr.sepc, SEPC0);
    h.writeCsr(Csr.mcounteren, c.mcounteren);
    h.writeCsr(Csr.scounteren, c.scounteren);
    if (this.csrExists[0x320] === 1) h.writeCsr(0x320, 0); // mcountinhibit
    if (h.readCsr(Csr.satp) !== c.satp) h.writeCsr(Csr.satp, c.satp);
    // PMP as firmware leaves it (spec 3.7.1: S and U need a matching entry): entry 15 opens everything.
    if (this.csrExists[0x3bf] === 1) {
      h.writeCsr(0x3bf, 0xffffffff);
      h.writeCsr(0x3a3, 0x1f << 24);
    }
  }

  /** A register value: a data pointer, a read-only-mapping pointer, small, special or random. */
  private value(): number {
    const g = this.rng;
    const k = g.below(16);
    if (k < 6) return DATA_LO + g.below(DATA_HI - DATA_LO);
    if (k < 7) return (g.chance(0.8) ? RO_VA : BADPT_VA) + 0x1_0000 + g.below(0x8000);
    if (k < 9) return g.below(64);
    if (k < 10) return [0, -1, 0x7fffffff, 0x80000000, 1, -2048, 2048, RAM_BASE + RAM_SIZE - 2][g.below(8)] as number;
    return g.next();
  }

  /** A random instruction: raw 32-bit words, raw parcels, CSR instructions, privileged ones. */
  private instruction(): number {
    const g = this.rng;
    const k = g.below(100);
    if (k < 35) return (g.next() | 3) >>> 0;
    if (k < 60) {
      const p = g.next() & 0xffff;
      return (p & 3) === 3 ? p & ~(1 << g.below(2)) : p;
    }
    if (k < 88) {
      const csr = g.chance(0.5) ? (INTERESTING_CSRS[g.below(INTERESTING_CSRS.length)] as number) : g.below(4096);
      // PMP and trigger CSRs are only read: a write could lock an entry or arm a breakpoint for every
      // later step (tests/core/cpu-pmp.test.ts and cpu-trigger.test.ts cover their writes).
      const guard = (csr >= 0x3a0 && csr <= 0x3ef) || (csr >= 0x7a0 && csr <= 0x7af);
      const f3 = guard ? ([2, 3, 6, 7][g.below(4)] as number) : ([1, 2, 3, 5, 6, 7][g.below(6)] as number);
      const rs1 = guard || g.chance(0.25) ? 0 : g.below(32);
      const rd = g.chance(0.2) ? 0 : g.below(32);
      return ((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0;
    }
    if (k < 94) {
      const fixed = [0x00000073, 0x00100073, 0x30200073, 0x10200073, 0x10500073, 0x00200073, 0x7b200073, 0x0000100f, 0x0ff0000f];
      if (g.chance(0.6)) return fixed[g.below(fixed.length)] as number;
      // SFENCE.VMA with random rs1/rs2, sometimes a nonzero rd (reserved)
      return ((0x09 << 25) | (g.below(32) << 20) | (g.below(32) << 15) | ((g.chance(0.2) ? g.below(32) : 0) << 7) | 0x73) >>> 0;
    }
    // A: random funct5 and aq/rl, funct3 = 2 (or not, rarely)
    const f5 = [0, 1, 2, 3, 4, 8, 12, 16, 20, 24, 28, g.below(32)][g.below(12)] as number;
    const f3 = g.chance(0.9) ? 2 : g.below(8);
    return ((f5 << 27) | (g.below(4) << 25) | (g.below(32) << 20) | (g.below(32) << 15) | (f3 << 12) | (g.below(32) << 7) | 0x2f) >>> 0;
  }

  /** One step: 1 retired, 2 trapped, 0 anything else (skipped or broken). */
  private step(): number {
    const h = this.hart;
    const g = this.rng;
    const c = this.ctx;
    const st = this.stats;
    st.steps++;
    const inst = this.instruction();
    this.poke(SLOT, inst);
    const x = h.regs;
    for (let i = 1; i < 32; i++) x[i] = this.value();
    if (g.chance(0.3)) x[g.below(32)] = x[g.below(32)] as number; // aliasing
    x[0] = 0;
    this.before.set(x);
    // Now and then fetch from somewhere that cannot be fetched (spec 3.1.16: tval is the
    // address of the part of the instruction that faulted, epc its start).
    let pc0 = SLOT;
    let fetchExp: Expect | null = null;
    if (g.chance(0.02)) {
      const k = g.below(4);
      if (k === 0) {
        pc0 = RAM_BASE + RAM_SIZE - 2; // a 32-bit instruction whose second parcel is past RAM
        this.ram[RAM_SIZE - 2] = (inst & 0xff) | 3;
        this.ram[RAM_SIZE - 1] = (inst >>> 8) & 0xff;
        fetchExp = { kind: 'trap', options: [1, RAM_BASE + RAM_SIZE] };
      } else if (k === 3) {
        // Sv32: the walk's level-0 PTE is not in memory (fetch access fault); bare: nothing there either
        pc0 = BADPT_VA + 2 * g.below(0x8000);
        fetchExp = { kind: 'trap', options: [1, pc0] };
      } else {
        pc0 = k === 1 ? RO_VA + 2 * g.below(0x8000) : 0x9000_0000 + 2 * g.below(0x1000_0000);
        // Bare: nothing there. Sv32: RO_VA is mapped without X, the other is unmapped.
        fetchExp = { kind: 'trap', options: [c.mode !== M && c.paging ? 12 : 1, pc0] };
      }
    }
    this.pc0 = pc0;
    h.pc = pc0;
    h.priv = c.mode as 0 | 1 | 3;
    const instret0 = h.instret;
    const minstret0 = h.readCsr(Csr.minstret);
    const traps0 = h.trapCount;
    const exp = fetchExp ?? this.oracle(inst);
    let exit: number;
    // The slot was rewritten from the host: a translation tier must drop what it holds there.
    h.flushCode();
    try {
      exit = h.run(1);
    } catch (e) {
      st.crashes++;
      this.note(`run() threw on ${hex(inst)} in ${this.cfgName()}: ${String(e)}`);
      h.reset(SLOT);
      this.newContext(c.mode, c.paging);
      return 0;
    }
    if (h.fatalError !== null || exit === ExitReason.Fatal) {
      st.crashes++;
      this.note(`fatal on ${hex(inst)} in ${this.cfgName()}: ${String(h.fatalError)}`);
      h.reset(SLOT);
      this.newContext(c.mode, c.paging);
      return 0;
    }
    const trapped = h.trapCount !== traps0;
    const where = `${hex(inst)} in ${this.cfgName()}`;
    if (h.lastRunSteps !== 1) this.note(`${where}: run(1) stepped ${h.lastRunSteps}`);
    if (x[0] !== 0) this.note(`${where}: x0 = ${x[0]}`);
    const dRet = h.instret - instret0;
    let result = 0;
    if (trapped) {
      const t = h.lastTrap!;
      st.traps[t.code] = (st.traps[t.code] ?? 0) + 1;
      result = 2;
      if (dRet !== 0) this.note(`${where}: trapped (cause ${t.cause}) but instret advanced by ${dRet}`);
      for (let i = 0; i < 32; i++) {
        if (x[i] !== this.before[i]) {
          this.note(`${where}: trap ${t.cause} changed x${i}`);
          break;
        }
      }
      if (t.interrupt) this.note(`${where}: unexpected interrupt ${hex(t.cause)}`);
      const toS = c.mode !== M && ((c.medeleg >>> t.code) & 1) === 1;
      const wantPriv = toS ? S : M;
      if (t.priv !== wantPriv) this.note(`${where}: cause ${t.code} taken to mode ${t.priv}, want ${wantPriv} (medeleg ${hex(c.medeleg)})`);
      if (t.fromPriv !== c.mode) this.note(`${where}: trap from mode ${t.fromPriv}`);
      if (t.epc !== this.pc0) this.note(`${where}: epc ${hex(t.epc)}, want ${hex(this.pc0)}`);
      if (h.pc !== (toS ? STVEC : MTVEC)) this.note(`${where}: pc after trap ${hex(h.pc)}`);
      if (h.priv !== wantPriv) this.note(`${where}: mode after trap ${h.priv}`);
      const causeCsr = h.readCsr(toS ? Csr.scause : Csr.mcause);
      const tvalCsr = h.readCsr(toS ? Csr.stval : Csr.mtval);
      const epcCsr = h.readCsr(toS ? Csr.sepc : Csr.mepc);
      if (causeCsr !== t.cause || tvalCsr !== t.tval || epcCsr !== t.epc) this.note(`${where}: CSRs disagree with lastTrap`);
      if (exp.kind === 'retire') {
        this.note(`${where}: trapped (cause ${t.code}, tval ${hex(t.tval)}), oracle says it retires`);
      } else if (exp.kind === 'trap') {
        let ok = false;
        for (let i = 0; i < exp.options.length; i += 2) {
          if (exp.options[i] === t.code && (exp.options[i + 1] as number) >>> 0 === t.tval) ok = true;
        }
        if (!ok) {
          const want = [];
          for (let i = 0; i < exp.options.length; i += 2) want.push(`${exp.options[i]}/${hex(exp.options[i + 1] as number)}`);
          this.note(`${where}: trap ${t.code}/${hex(t.tval)}, want ${want.join(' or ')}`);
        }
      } else st.skipped++;
      this.restore();
    } else {
      st.retired++;
      result = 1;
      if (dRet !== 1) this.note(`${where}: retired but instret advanced by ${dRet}`);
      const sys = (inst & 3) === 3 && (inst & 0x7f) === 0x73;
      const dm = (h.readCsr(Csr.minstret) - minstret0) >>> 0; // the low word may wrap: guests write minstret
      if (!sys && dm !== 1) this.note(`${where}: minstret advanced by ${dm}`);
      if (exp.kind === 'trap' && exp.orRetire === undefined) {
        const want = [];
        for (let i = 0; i < exp.options.length; i += 2) want.push(`${exp.options[i]}/${hex(exp.options[i + 1] as number)}`);
        this.note(`${where}: retired, oracle wants trap ${want.join(' or ')}`);
      } else if (exp.kind === 'retire') {
        for (let i = 1; i < 32; i++) {
          if (i !== exp.rd && x[i] !== this.before[i]) {
            this.note(`${where}: changed x${i} (rd is x${exp.rd})`);
            break;
          }
        }
        if (exp.pc >= 0 && h.pc !== exp.pc >>> 0) this.note(`${where}: pc ${hex(h.pc)}, want ${hex(exp.pc)}`);
        if (h.priv !== exp.priv) this.note(`${where}: mode ${h.priv} after retiring, want ${exp.priv}`);
        if (exp.wfi !== (exit === ExitReason.Wfi)) this.note(`${where}: exit ${exit} (WFI expected: ${exp.wfi})`);
      } else st.skipped++;
      if (sys) this.restore();
    }
    // A store the fuzzed code aimed at the slot, vectors or page table (only a random pointer can): repair.
    if (this.dirtyRisk) {
      this.dirtyRisk = false;
      this.writePageTable(c.mode === U || (c.mode === M && c.paging && c.dmode === U));
      h.flushTranslations();
    }
    return result;
  }

  private dirtyRisk = false;
  private pc0 = SLOT;

  private cfgName(): string {
    const c = this.ctx;
    return `${['U', 'S', '?', 'M'][c.mode]}${c.paging ? '+sv32' : ''} (mstatus ${hex(c.mstatus)})`;
  }

  // ---------------------------------------------------------------- the oracle

  private illegal(inst: number): Expect {
    return { kind: 'trap', options: [2, inst] };
  }

  private retire(rd: number, pc: number, priv = this.ctx.mode, wfi = false): Expect {
    return { kind: 'retire', rd, pc, priv, wfi };
  }

  /** The predicted outcome of `inst` at SLOT in the current context and registers. */
  oracle(inst: number): Expect {
    if ((inst & 3) !== 3) return this.oracle16(inst & 0xffff);
    return this.oracle32(inst >>> 0);
  }

  private oracle32(inst: number): Expect {
    const x = this.hart.regs;
    const opcode = inst & 0x7f;
    const rd = bits(inst, 11, 7);
    const f3 = bits(inst, 14, 12);
    const rs1 = bits(inst, 19, 15);
    const rs2 = bits(inst, 24, 20);
    const f7 = inst >>> 25;
    const immI = inst >> 20;
    const next = SLOT + 4;
    switch (opcode) {
      case 0x37: // LUI
      case 0x17: // AUIPC
        return this.retire(rd, next);
      case 0x6f: {
        // JAL: imm[20|10:1|11|19:12]
        const imm = sext((bits(inst, 31, 31) << 20) | (bits(inst, 30, 21) << 1) | (bits(inst, 20, 20) << 11) | (bits(inst, 19, 12) << 12), 21);
        return this.retire(rd, (SLOT + imm) >>> 0);
      }
      case 0x67: // JALR
        if (f3 !== 0) return this.illegal(inst);
        return this.retire(rd, ((x[rs1]! + immI) & ~1) >>> 0);
      case 0x63: {
        // BRANCH: funct3 2 and 3 reserved
        if (f3 === 2 || f3 === 3) return this.illegal(inst);
        const imm = sext((bits(inst, 31, 31) << 12) | (bits(inst, 7, 7) << 11) | (bits(inst, 30, 25) << 5) | (bits(inst, 11, 8) << 1), 13);
        const a = x[rs1]!, b = x[rs2]!;
        const taken = [a === b, a !== b, false, false, a < b, a >= b, a >>> 0 < b >>> 0, a >>> 0 >= b >>> 0][f3];
        return this.retire(0, taken ? (SLOT + imm) >>> 0 : next);
      }
      case 0x03: {
        // LOAD: LB LH LW LBU LHU; 3 (LD), 6 (LWU), 7 reserved on RV32
        const size = [1, 2, 4, 0, 1, 2, 0, 0][f3]!;
        if (size === 0) return this.illegal(inst);
        return this.memory((x[rs1]! + immI) >>> 0, size, 'load', rd, next);
      }
      case 0x23: {
        if (f3 > 2) return this.illegal(inst);
        const imm = sext((f7 << 5) | rd, 12);
        return this.memory((x[rs1]! + imm) >>> 0, 1 << f3, 'store', 0, next);
      }
      case 0x13: // OP-IMM: shifts need imm[11:5] = 0 (SRAI 0100000); RV32 has no shamt[5]
        if (f3 === 1 && f7 !== 0) return this.illegal(inst);
        if (f3 === 5 && f7 !== 0 && f7 !== 0x20) return this.illegal(inst);
        return this.retire(rd, next);
      case 0x33: // OP: base (0000000, 0100000 for SUB/SRA) and M (0000001)
        if (f7 === 0 || f7 === 1 || (f7 === 0x20 && (f3 === 0 || f3 === 5))) return this.retire(rd, next);
        return this.illegal(inst);
      case 0x0f: // MISC-MEM: FENCE (unused fields ignored), FENCE.I (Zifencei; unused fields ignored)
        if (f3 === 0 || f3 === 1) return this.retire(0, next);
        return this.illegal(inst);
      case 0x2f: {
        // AMO: only .W (funct3 2); LR needs rs2 = 0
        if (f3 !== 2) return this.illegal(inst);
        const f5 = inst >>> 27;
        const a = x[rs1]! >>> 0;
        if (f5 === 2) return rs2 !== 0 ? this.illegal(inst) : this.memory(a, 4, 'lr', rd, next);
        if (f5 === 3) return this.memory(a, 4, 'sc', rd, next);
        if ([0, 1, 4, 8, 12, 16, 20, 24, 28].indexOf(f5) >= 0) return this.memory(a, 4, 'amo', rd, next);
        return this.illegal(inst);
      }
      case 0x73:
        return this.system(inst, rd, f3, rs1);
      default:
        // LOAD-FP, STORE-FP, OP-FP, FMA, OP-32, OP-IMM-32, OP-V, custom-0..3, reserved, >32-bit encodings
        return this.illegal(inst);
    }
  }

  private system(inst: number, rd: number, f3: number, rs1: number): Expect {
    const c = this.ctx;
    const mode = c.mode;
    const next = SLOT + 4;
    if (f3 === 4) return this.illegal(inst); // hypervisor loads/stores: no H
    if (f3 === 0) {
      if (inst === 0x00000073) return { kind: 'trap', options: [[8, 9, -1, 11][mode]!, 0] };
      if (inst === 0x00100073) return { kind: 'trap', options: [3, 0] };
      if (inst === 0x30200073) {
        // MRET: M only; to MPP at mepc
        if (mode !== M) return this.illegal(inst);
        return this.retire(0, MEPC0, (c.mstatus >>> 11) & 3);
      }
      if (inst === 0x10200073) {
        // SRET: S (TSR = 0) or M
        if (mode === U || (mode === S && (c.mstatus & (1 << 22)) !== 0)) return this.illegal(inst);
        return this.retire(0, SEPC0, (c.mstatus >>> 8) & 1);
      }
      if (inst === 0x10500073) {
        // WFI: U always illegal (S-mode exists; hart.ts, as QEMU); S illegal when TW = 1
        if (mode === U || (mode === S && (c.mstatus & (1 << 21)) !== 0)) return this.illegal(inst);
        return this.retire(0, next, mode, true);
      }
      if (inst >>> 25 === 0x09 && rd === 0) {
        // SFENCE.VMA: illegal in U, and in S when TVM = 1
        if (mode === U || (mode === S && (c.mstatus & (1 << 20)) !== 0)) return this.illegal(inst);
        return this.retire(0, next);
      }
      return this.illegal(inst);
    }
    // Zicsr: CSRRW(I) always write; CSRRS(C)(I) write unless rs1/uimm = 0.
    const csr = inst >>> 20;
    const writes = (f3 & 3) === 1 || rs1 !== 0;
    if (this.csrExists[csr] !== 1) return this.illegal(inst);
    if (((csr >>> 8) & 3) > mode) return this.illegal(inst);
    if (writes && csr >>> 10 === 3) return this.illegal(inst);
    if ((csr & 0xf60) === 0xc00 && mode !== M) {
      // cycle/time/instret/hpmcounterN(h): mcounteren, then scounteren for U (spec 3.1.11, 4.1.5)
      const bit = csr & 31;
      if (((c.mcounteren >>> bit) & 1) === 0) return this.illegal(inst);
      if (mode === U && ((c.scounteren >>> bit) & 1) === 0) return this.illegal(inst);
    }
    if (csr === 0x180 && mode === S && (c.mstatus & (1 << 20)) !== 0) return this.illegal(inst); // TVM
    return this.retire(rd, next);
  }

  /** Loads, stores, LR/SC and AMOs: where `size` bytes at virtual `va` go. */
  private memory(va: number, size: number, op: 'load' | 'store' | 'lr' | 'sc' | 'amo', rd: number, next: number): Expect {
    const c = this.ctx;
    const isStore = op === 'store' || op === 'sc' || op === 'amo';
    const pageFault = isStore ? 15 : 13;
    const accessFault = isStore ? 7 : 5;
    const misCause = op === 'lr' || op === 'load' ? 4 : 6;
    const misaligned = (va & (size - 1)) !== 0;
    const atomic = op === 'lr' || op === 'sc' || op === 'amo';
    const end = va + size - 1; // may exceed 2^32 - 1: an access wrapping around is left unjudged
    if (end > 0xffffffff) return { kind: 'skip' };
    // The fault the access would take if it were aligned (or null).
    let fault: number[] | null = null;
    let pa = va;
    if (c.dxlate) {
      const vpn1 = va >>> 22;
      if (vpn1 !== end >>> 22) return { kind: 'skip' };
      const user = c.dmode === U;
      // Pages carry U = 1 exactly when the effective mode is U: no SUM question arises.
      if (vpn1 === RAM_BASE >>> 22) pa = va;
      else if (vpn1 === RO_VA >>> 22 && !isStore) pa = (va - RO_VA + RAM_BASE) >>> 0;
      else if (vpn1 === BADPT_VA >>> 22) fault = [accessFault, va]; // the level-0 PTE cannot be read
      else fault = [pageFault, va];
      void user;
    }
    if (fault === null) {
      const inRam = pa >= RAM_BASE && pa + size <= RAM_BASE + RAM_SIZE;
      const outside = pa + size <= RAM_BASE || pa >= RAM_BASE + RAM_SIZE;
      if (!inRam && !outside) return { kind: 'skip' };
      if (!inRam) fault = [accessFault, va];
      else if (isStore && pa < PROTECTED_END) this.dirtyRisk = true;
    }
    if (atomic && misaligned) {
      // Spec 8.2-8.4: misaligned LR/SC/AMO raise address-misaligned or access fault;
      // table 3.7 lets a page/access fault come first.
      const opts = [misCause, va, accessFault, va];
      if (fault !== null) opts.push(fault[0]!, fault[1]!);
      return { kind: 'trap', options: opts };
    }
    // A failing SC performs no access, so it need not fault (Sail's SC checks the reservation before
    // translating); a succeeding one would: either outcome is right for an SC here.
    if (fault !== null) return op === 'sc' ? { kind: 'trap', options: fault, orRetire: rd } : { kind: 'trap', options: fault };
    return this.retire(rd, next);
  }

  private oracle16(p: number): Expect {
    const x = this.hart.regs;
    const q = p & 3;
    const f3 = p >>> 13;
    const rdFull = bits(p, 11, 7);
    const rs2Full = bits(p, 6, 2);
    const rdP = 8 + bits(p, 4, 2); // rd' / rs2'
    const rs1P = 8 + bits(p, 9, 7); // rs1' / rd'
    const next = SLOT + 2;
    const b12 = bits(p, 12, 12);
    if (q === 0) {
      switch (f3) {
        case 0: // C.ADDI4SPN: nzuimm = 0 reserved (so is 0x0000)
          return bits(p, 12, 5) === 0 ? this.illegal(p) : this.retire(rdP, next);
        case 2:
        case 6: {
          // C.LW / C.SW: uimm[5:3] = 12:10, uimm[2] = 6, uimm[6] = 5
          const off = (bits(p, 12, 10) << 3) | (bits(p, 6, 6) << 2) | (bits(p, 5, 5) << 6);
          return f3 === 2 ? this.memory((x[rs1P]! + off) >>> 0, 4, 'load', rdP, next) : this.memory((x[rs1P]! + off) >>> 0, 4, 'store', 0, next);
        }
        default: // C.FLD, C.FLW, C.FSD, C.FSW (no F/D), 100 reserved
          return this.illegal(p);
      }
    }
    if (q === 1) {
      switch (f3) {
        case 0: // C.ADDI (C.NOP, HINTs)
        case 2: // C.LI (HINT when rd = 0)
          return this.retire(rdFull, next);
        case 1: {
          // C.JAL (RV32): imm[11|4|9:8|10|6|7|3:1|5]
          return this.retire(1, (SLOT + this.cjOffset(p)) >>> 0);
        }
        case 3:
          if (b12 === 0 && rs2Full === 0) return this.illegal(p); // nzimm = 0: reserved (C.ADDI16SP and C.LUI)
          return this.retire(rdFull, next);
        case 4: {
          const f2 = bits(p, 11, 10);
          if (f2 === 0 || f2 === 1) return b12 === 1 ? this.illegal(p) : this.retire(rs1P, next); // shamt[5] = 1: NSE on RV32
          if (f2 === 2) return this.retire(rs1P, next); // C.ANDI
          if (b12 === 1) return this.illegal(p); // C.SUBW/C.ADDW (RV64) and reserved
          return this.retire(rs1P, next);
        }
        case 5:
          return this.retire(0, (SLOT + this.cjOffset(p)) >>> 0);
        default: {
          // C.BEQZ / C.BNEZ: imm[8|4:3] = 12:10, imm[7:6|2:1|5] = 6:2
          const imm = sext((b12 << 8) | (bits(p, 11, 10) << 3) | (bits(p, 6, 5) << 6) | (bits(p, 4, 3) << 1) | (bits(p, 2, 2) << 5), 9);
          const z = x[rs1P] === 0;
          const taken = f3 === 6 ? z : !z;
          return this.retire(0, taken ? (SLOT + imm) >>> 0 : next);
        }
      }
    }
    // q === 2
    switch (f3) {
      case 0: // C.SLLI: shamt[5] = 1 is NSE on RV32; rd = 0 or shamt = 0 are HINTs
        return b12 === 1 ? this.illegal(p) : this.retire(rdFull, next);
      case 2: {
        // C.LWSP: rd = 0 reserved; uimm[5] = 12, uimm[4:2] = 6:4, uimm[7:6] = 3:2
        if (rdFull === 0) return this.illegal(p);
        const off = (b12 << 5) | (bits(p, 6, 4) << 2) | (bits(p, 3, 2) << 6);
        return this.memory((x[2]! + off) >>> 0, 4, 'load', rdFull, next);
      }
      case 4:
        if (b12 === 0) {
          if (rs2Full === 0) return rdFull === 0 ? this.illegal(p) : this.retire(0, (x[rdFull]! & ~1) >>> 0); // C.JR
          return this.retire(rdFull, next); // C.MV
        }
        if (rs2Full === 0) {
          if (rdFull === 0) return { kind: 'trap', options: [3, 0] }; // C.EBREAK
          return this.retire(1, (x[rdFull]! & ~1) >>> 0); // C.JALR
        }
        return this.retire(rdFull, next); // C.ADD
      case 6: {
        // C.SWSP: uimm[5:2] = 12:9, uimm[7:6] = 8:7
        const off = (bits(p, 12, 9) << 2) | (bits(p, 8, 7) << 6);
        return this.memory((x[2]! + off) >>> 0, 4, 'store', 0, next);
      }
      default: // C.FLDSP, C.FLWSP, C.FSDSP, C.FSWSP: no F/D
        return this.illegal(p);
    }
  }

  private cjOffset(p: number): number {
    return sext(
      (bits(p, 12, 12) << 11) | (bits(p, 11, 11) << 4) | (bits(p, 10, 9) << 8) | (bits(p, 8, 8) << 10) |
        (bits(p, 7, 7) << 6) | (bits(p, 6, 6) << 7) | (bits(p, 5, 3) << 1) | (bits(p, 2, 2) << 5),
      12,
    );
  }
}

/** Runs `perConfig` steps in every configuration of {@link CONFIGS} with `seed`; returns the fuzzer (for its stats). */
export function fuzzAll(seed: number, perConfig: number, configs = CONFIGS): HartFuzzer {
  const f = new HartFuzzer({ seed });
  for (const c of configs) f.run(c, perConfig);
  return f;
}

/**
 * The pc-relative offset of a JAL, branch, C.J, C.JAL, C.BEQZ or C.BNEZ
 * (whatever the condition), or null for any other instruction: lets a
 * generator avoid words that jump to themselves (an endless loop).
 */
export function pcRelativeOffset(inst: number): number | null {
  if ((inst & 3) === 3) {
    const op = inst & 0x7f;
    if (op === 0x6f) return sext((bits(inst, 31, 31) << 20) | (bits(inst, 30, 21) << 1) | (bits(inst, 20, 20) << 11) | (bits(inst, 19, 12) << 12), 21);
    if (op === 0x63) return sext((bits(inst, 31, 31) << 12) | (bits(inst, 7, 7) << 11) | (bits(inst, 30, 25) << 5) | (bits(inst, 11, 8) << 1), 13);
    return null;
  }
  const p = inst & 0xffff;
  const q = p & 3;
  const f3 = p >>> 13;
  if (q !== 1 || (f3 !== 1 && f3 !== 5 && f3 !== 6 && f3 !== 7)) return null;
  if (f3 === 1 || f3 === 5) {
    return sext(
      (bits(p, 12, 12) << 11) | (bits(p, 11, 11) << 4) | (bits(p, 10, 9) << 8) | (bits(p, 8, 8) << 10) |
        (bits(p, 7, 7) << 6) | (bits(p, 6, 6) << 7) | (bits(p, 5, 3) << 1) | (bits(p, 2, 2) << 5),
      12,
    );
  }
  return sext((bits(p, 12, 12) << 8) | (bits(p, 11, 10) << 3) | (bits(p, 6, 5) << 6) | (bits(p, 4, 3) << 1) | (bits(p, 2, 2) << 5), 9);
}

/** True for a CSR number the spec lets an implementation leave out (see optionalCsrs). */
export function isOptionalCsr(n: number): boolean {
  return OPTIONAL_SET.has(n);
}
const OPTIONAL_SET = new Set(optionalCsrs());
