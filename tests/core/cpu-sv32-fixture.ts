/**
 * Page tables for the Sv32 suites (privileged spec 1.12, 4.3): a builder
 * that writes PTEs into the rig's RAM from the host (so a change is *not*
 * seen by the hart's TLB until the guest fences, as for a store), and a
 * runner that enters S or U mode with translation on.
 *
 * Physical layout in the rig's 64 KiB of RAM (RAM_BASE + offset):
 * 0x0000 code, 0x1000-0x7fff free pages, 0x8000 DATA, 0x9000 free,
 * 0xa000 root table, 0xb000-0xd000 level-0 tables, 0xe000 free,
 * 0xf000 the trap handler (HALT), identity-mapped for S-mode handlers.
 *
 * Engine-neutral: no Node modules.
 */
import * as E from './rv-encode.js';
import { Csr, HALT, RAM_BASE, peek32, place, poke32, rig, trapped, type Rig } from './cpu-fixture.js';

/** PTE bits (spec figure 4.18). */
export const V = 1, R = 2, W = 4, X = 8, U = 16, G = 32, A = 64, D = 128;
/** Common leaf flags (accessed and dirty preset, so walks write nothing). */
export const RWX = V | R | W | X | A | D;
export const RW = V | R | W | A | D;
export const RO = V | R | A;
export const XO = V | X | A;

export const ROOT = RAM_BASE + 0xa000;
const L0_TABLES = [RAM_BASE + 0xb000, RAM_BASE + 0xc000, RAM_BASE + 0xd000];
/** Free physical pages for test data. */
export const PAGE_A = RAM_BASE + 0x8000;
export const PAGE_B = RAM_BASE + 0x9000;
export const PAGE_C = RAM_BASE + 0x2000;
export const PAGE_D = RAM_BASE + 0x3000;
export const PAGE_E = RAM_BASE + 0xe000;

/** A leaf or pointer PTE for physical address `pa` (below 2^34) with `flags`. */
export function pte(pa: number, flags: number): number {
  return (Math.floor(pa / 4096) * 1024 + flags) >>> 0;
}

/** Writes an Sv32 two-level table into RAM (or wherever `root` says, through the bus). */
export class Tables {
  readonly r: Rig;
  readonly root: number;
  private next = 0;

  constructor(r: Rig, root = ROOT) {
    this.r = r;
    this.root = root;
  }

  /** satp for this table with `asid` (MODE = Sv32). */
  satp(asid = 0): number {
    return (0x80000000 | (asid << 22) | Math.floor(this.root / 4096)) >>> 0;
  }

  /** The word at physical `addr` (through the bus, so it also reads high RAM). */
  read(addr: number): number {
    return this.r.bus.read(addr as never, 4) >>> 0;
  }

  /** Writes the word at physical `addr` (through the bus). */
  write(addr: number, value: number): void {
    if (!this.r.bus.write(addr as never, 4, value >>> 0)) throw new Error(`cannot write ${addr.toString(16)}`);
  }

  /** Address of the root PTE for `va`. */
  rootSlot(va: number): number {
    return this.root + Math.floor(va / 2 ** 22) * 4;
  }

  /** Address of the level-0 PTE for `va`, making the level-0 table (a pointer PTE) if needed. */
  leafSlot(va: number): number {
    const slot = this.rootSlot(va);
    let p = this.read(slot);
    if ((p & V) === 0) {
      const table = L0_TABLES[this.next++];
      if (table === undefined) throw new Error('out of level-0 tables');
      for (let i = 0; i < 4096; i += 4) this.write(table + i, 0);
      p = pte(table, V);
      this.write(slot, p);
    }
    return Math.floor(p / 1024) * 4096 + ((va >>> 12) & 0x3ff) * 4;
  }

  /** Maps the 4 KiB page at `va` to `pa` with leaf `flags`; returns the PTE's address. */
  map(va: number, pa: number, flags: number): number {
    const slot = this.leafSlot(va);
    this.write(slot, pte(pa, flags));
    return slot;
  }

  /** Maps the 4 MiB megapage at `va` to `pa` with `flags`; returns the PTE's address. */
  mapMega(va: number, pa: number, flags: number): number {
    const slot = this.rootSlot(va);
    this.write(slot, pte(pa, flags));
    return slot;
  }
}

export interface SvOptions {
  /** 0 U, 1 S (default), 3 M (with MPRV tests). */
  priv?: 0 | 1 | 3;
  regs?: [number, number][];
  /** Extra mappings and state, before satp is written. */
  map?: (t: Tables, r: Rig) => void;
  /** Flags of the code page (default V|R|X|A, plus U in U-mode). */
  codeFlags?: number;
  /** mstatus bits to set. */
  mstatus?: number;
  /** medeleg value (default 0: every trap goes to M, which runs untranslated). */
  medeleg?: number;
  asid?: number;
  budget?: number;
  /** Hook after everything is set, before run(). */
  setup?: (r: Rig, t: Tables) => void;
}

export type SvRig = Rig & { t: Tables; end: number; exit: number };

/**
 * Lays out a program at RAM_BASE (its code page identity-mapped), appends
 * `wfi`, builds the tables, turns on Sv32, enters the mode and runs. A
 * program that reaches its end parks at `end` in S or M; in U the `wfi`
 * traps (see {@link finished}).
 */
export function svRun(build: (p: E.Program) => void, o: SvOptions = {}): SvRig {
  const r = rig();
  const p = new E.Program(RAM_BASE);
  build(p);
  p.i(E.wfi());
  const end = p.here;
  place(r, p);
  const priv = o.priv ?? 1;
  const t = new Tables(r);
  t.map(RAM_BASE, RAM_BASE, o.codeFlags ?? (V | R | X | A | (priv === 0 ? U : 0)));
  // The handler page, for traps delegated to S (S fetches from it through the tables).
  t.map(HALT, HALT, V | R | X | A);
  o.map?.(t, r);
  for (const [reg, v] of o.regs ?? []) r.hart.regs[reg] = v;
  r.hart.writeCsr(Csr.satp, t.satp(o.asid ?? 0));
  if (o.mstatus !== undefined) r.hart.writeCsr(Csr.mstatus, o.mstatus);
  if (o.medeleg !== undefined) r.hart.writeCsr(Csr.medeleg, o.medeleg);
  r.hart.priv = priv;
  o.setup?.(r, t);
  const exit = r.hart.run(o.budget ?? 10_000);
  return { ...r, t, end, exit };
}

/** True when the program ran to its end (its `wfi` retired, or trapped as illegal in U-mode). */
export function finished(r: SvRig): boolean {
  if (!trapped(r)) return r.hart.pc === r.end;
  return r.hart.readCsr(Csr.mcause) === 2 && r.hart.readCsr(Csr.mepc) === r.end - 4;
}

export { peek32, poke32 };
