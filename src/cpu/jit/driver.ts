/**
 * The JIT tier's driver: runs a hart by calling translated regions
 * (translate.ts), and the hart's interpreter for all a region cannot hold.
 *
 * Owns the block cache (direct-mapped by guest physical entry pc, so bounded:
 * a region evicts the one in its slot), the hot-entry and promotion counts
 * (a region called often is translated again, larger), the per-4 KiB
 * map of RAM pages holding translated code and its invalidation
 * ({@link JitTier.noteStore}, {@link JitTier.flush}), and the accounting of a
 * run() (instret, lastRunSteps, the exact budget). Runs no region unless the
 * hart's `blocksOk` holds, pc is in the RAM window (or in a ROM window PMP
 * lets the mode execute) and no LR reservation is held; the interpreter runs
 * then, in chunks of {@link INTERP_CHUNK}.
 * Why: docs/jit.md and docs/design.md#the-jit-tier.
 */

import { mulh, mulhsu, mulhu } from '../arith.js';
import type { HartCore } from '../core.js';
import { ACC_FETCH, ITLB_ENTRIES } from '../sv32.js';
import { Csr } from '../constants.js';
import { MS_TVM, U } from '../core.js';
import { csrRead, csrWrite } from '../csr.js';
import {
  BLOCK_PARAMS, blockLength, PROMOTED_REGION_BLOCKS, PROMOTED_REGION_INSNS, translateRegion, WHY_CODE_STORE, WHY_EVENT, WHY_INTERP, WHY_NEXT,
  type CodeWindow,
} from './translate.js';

/** What the driver reads and writes in a Hart: its internal view (core.ts). */
export type HartInternals = HartCore;

type BlockFn = (x: Int32Array, n: number, vb?: number, dk?: number) => number;
type Factory = (...args: unknown[]) => BlockFn;

/** Construction options of a {@link JitTier}. */
export interface JitTierOptions {
  /** The hart, seen through its internal interface. */
  readonly hart: HartCore;
  /** Slots of the block cache: a power of two in [16, 65536] (default {@link DEFAULT_CACHE_BLOCKS}). */
  readonly cacheBlocks?: number;
}

/** Default number of block-cache slots (at most that many translated blocks live at once). */
export const DEFAULT_CACHE_BLOCKS = 4096;

/** Instructions the interpreter runs at a time when blocks cannot run. */
const INTERP_CHUNK = 1024;

/**
 * Default entries into a region before it is translated: until then the
 * interpreter runs its first block. Most entries of a program run only a
 * few times (start-up, printf): compiling them would cost more than
 * interpreting them (docs/jit.md, Figures).
 */
export const DEFAULT_HOT_ENTRIES = 256;

/**
 * Default calls into a translated region before it is promoted: translated
 * again, larger, from the blocks some translated region holds (code seen to
 * run; translate.ts, PROMOTED_REGION_BLOCKS). Only a region called this
 * often repays the larger compile: on coremix.elf promotion cuts calls into
 * regions 15-fold; on mips.elf (120 M instructions) no region gets here, and
 * promoting at 30,000 calls cost more compile time than it saved
 * (docs/jit.md, Issue 18). Code under Sv32 (paged regions) is not promoted.
 */
export const DEFAULT_PROMOTE_CALLS = 1 << 19;

let hotEntriesV = DEFAULT_HOT_ENTRIES;
let promoteCallsV = DEFAULT_PROMOTE_CALLS;
let cacheBlocksV = DEFAULT_CACHE_BLOCKS;

/**
 * Sets the block cache size of tiers constructed from now on whose options
 * name none (a power of two in [16, 65536]): for a host that sizes the
 * cache to its heap (a board), as setJitHotEntries. Refuses anything else
 * with a RangeError.
 */
export function setJitCacheBlocks(n: number): void {
  if (!Number.isInteger(n) || n < 16 || n > 65536 || (n & (n - 1)) !== 0) throw new RangeError(`jit cache size ${n} is not a power of two in [16, 65536]`);
  cacheBlocksV = n;
}

/**
 * Sets how many entries a pc needs before its region is translated, for
 * tiers constructed from now on (an integer in [1, 2^20]; 1 translates at
 * the first entry): for tests, which want every block translated, and for
 * measurements. Refuses anything else with a RangeError.
 */
export function setJitHotEntries(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 20) throw new RangeError(`hot entries ${n} is not an integer in [1, 2^20]`);
  hotEntriesV = n;
}

const EXIT_BUDGET = 0;
const NO_RESV = 0x40000000;
/** A key no pc can have (pcs are even). */
const EMPTY = 1;
/** Marks a paged entry's key: its physical RAM offset (below 2^31, even) | this, odd and negative, so never EMPTY nor a pc. */
const PAGED_KEY = 0x80000001 | 0;
const PAGE = 4096;

/**
 * Sets how many calls into a translated region promote it, for tiers
 * constructed from now on (an integer in [1, 2^30]): for tests, which want
 * promoted regions run at once, and for measurements. Refuses anything else
 * with a RangeError.
 */
export function setJitPromoteCalls(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 30) throw new RangeError(`promote calls ${n} is not an integer in [1, 2^30]`);
  promoteCallsV = n;
}

let defaultTierV: 'interp' | 'jit' = 'interp';

/**
 * Sets the tier a Hart uses when its options name none ('interp' at
 * start-up): for test harnesses that run whole suites in each tier, and
 * hosts that choose for every VM. Refuses anything else with a RangeError.
 */
export function setDefaultTier(tier: 'interp' | 'jit'): void {
  if (tier !== 'interp' && tier !== 'jit') throw new RangeError(`tier ${String(tier)} is not 'interp' or 'jit'`);
  defaultTierV = tier;
}

/** The tier set by {@link setDefaultTier}. */
export function defaultTier(): 'interp' | 'jit' {
  return defaultTierV;
}

/**
 * True when this engine can compile source text (`new Function`): false
 * where `eval` is stripped (then the interpreter is the only tier).
 */
export function jitAvailable(): boolean {
  try {
    return new Function('return 1')() === 1;
  } catch {
    return false;
  }
}

/** The translation tier of one hart. */
export class JitTier {
  private readonly h: HartCore;
  private readonly mask: number;
  private readonly keys: Int32Array;
  private readonly fns: (BlockFn | null)[];
  private readonly lens: Int32Array;
  /**
   * Per slot: entries into its pc while it is cold (counting up to `hot`); once translated, the calls left before
   * promotion (counting down to 0; a promoted region's count starts at -1, so it comes back to 0 only after 2^32
   * more calls, and is then translated again, harmlessly). One decrement per call: cheap under XS too. A paged
   * region's stays at `hot` (not promoted).
   */
  private readonly hits: Int32Array;
  /** Entries before translation (setJitHotEntries when constructed). */
  private readonly hot = hotEntriesV;
  /** Calls before promotion (setJitPromoteCalls when constructed). */
  private readonly promote = promoteCallsV;
  /**
   * Per block pc, hashed as the cache: 1 when some translated region holds
   * the block, so it is known to run (or shares its hash with one that is:
   * only a hint, for what a promotion takes in).
   */
  private readonly seen: Uint8Array;
  private readonly isSeen = (pc: number): boolean => this.seen[(pc >>> 1) & this.mask] !== 0;
  /** RAM offsets of each slot's block: first byte, first byte after. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly io = new Int32Array(4);
  /** What {@link chainPaged} ran, and what the interpreter is to run after it (0: a fetch TLB miss). */
  private chainDone = 0;
  private chainRun1 = 0;
  private gen = -1;
  private rb = 0;
  private rsz = 0;
  /** Per 4 KiB page of RAM: 1 when some cached block holds bytes of it. */
  private pg: Uint8Array = new Uint8Array(0);
  private live = 0;
  /** Blocks translated, regions promoted and invalidations since construction (for tests and docs/jit.md). */
  translations = 0;
  promotions = 0;
  invalidations = 0;
  flushes = 0;

  /**
   * A CSR instruction `inst` of a paged region (its CSR on PAGED_CSRS; the
   * hart in S or U), `src` the value of rs1 or the immediate: performs it as
   * the interpreter would and returns the CSR's old value, or -1 without
   * effect when it would trap (U-mode; satp under mstatus.TVM), for the
   * interpreter to raise.
   */
  private pagedCsr(inst: number, src: number): number {
    const h = this.h;
    const n = inst >>> 20;
    if (h.privv === U || (n === Csr.satp && (h.mstatus & MS_TVM) !== 0)) return -1;
    // These CSRs do not depend on the retired count (the 0s).
    const old = csrRead(h, n, 0);
    const op = (inst >>> 12) & 3; // 1 = RW, 2 = RS, 3 = RC
    if (op === 1 || ((inst >>> 15) & 31) !== 0) csrWrite(h, n, (op === 1 ? src : op === 2 ? old | src : old & ~src) >>> 0, 0, 0);
    return old;
  }

  /** pagedCsr bound to this tier, made for the first region (regions take it as `csr`). */
  private csrFn: ((inst: number, src: number) => number) | null = null;

  /** Takes the options (see {@link JitTierOptions}); refuses a cache size that is not a power of two in [16, 65536] with a RangeError. */
  constructor(options: JitTierOptions) {
    const n = options.cacheBlocks ?? cacheBlocksV;
    if (!Number.isInteger(n) || n < 16 || n > 65536 || (n & (n - 1)) !== 0) {
      throw new RangeError(`jit cache size ${n} is not a power of two in [16, 65536]`);
    }
    this.h = options.hart;
    this.mask = n - 1;
    this.keys = new Int32Array(n).fill(EMPTY);
    this.fns = new Array<BlockFn | null>(n).fill(null);
    this.lens = new Int32Array(n);
    this.hits = new Int32Array(n);
    this.starts = new Int32Array(n);
    this.ends = new Int32Array(n);
    this.seen = new Uint8Array(n);
  }

  /** Blocks in the cache now. */
  get blocks(): number {
    return this.live;
  }

  /** Drops every translated block. */
  flush(): void {
    this.keys.fill(EMPTY);
    this.fns.fill(null);
    this.pg.fill(0);
    this.live = 0;
    this.flushes++;
  }

  /**
   * Called by the hart after a store of `width` bytes at physical address
   * `pa` (unsigned) that did not come from a block: drops the blocks of the
   * page(s) it touched.
   */
  noteStore(pa: number, width: number): void {
    const o = (pa - this.rb) >>> 0;
    if (o < this.rsz && this.pg[o >>> 12] !== 0) this.invalidatePage(o >>> 12);
    const o2 = (o + width - 1) >>> 0;
    if (o2 >>> 12 !== o >>> 12 && o2 < this.rsz && this.pg[o2 >>> 12] !== 0) this.invalidatePage(o2 >>> 12);
  }

  /** Drops every block with bytes in RAM page `page` (offset >> 12). */
  private invalidatePage(page: number): void {
    const keys = this.keys;
    const fns = this.fns;
    for (let i = 0; i <= this.mask; i++) {
      if (keys[i] !== EMPTY && this.starts[i] >>> 12 <= page && (this.ends[i] - 1) >>> 12 >= page) {
        if (fns[i] !== null) this.live--;
        keys[i] = EMPTY;
        fns[i] = null;
      }
    }
    this.pg[page] = 0;
    this.invalidations++;
  }

  /** Follows a change of the RAM window (the hart rebuilt its views): every block captured the old ones. */
  private remap(): void {
    const h = this.h;
    this.gen = h.gen;
    this.rb = h.ramBase;
    this.rsz = h.ramSize;
    this.pg = new Uint8Array((h.ramSize + 4095) >>> 12);
    this.flush();
  }

  /**
   * Claims slot `i` for the cold entry `pc` (RAM offset `off`), evicting
   * what was there: no function yet, `lens` the length of its first block
   * (what the interpreter runs per entry until the entry is hot).
   */
  private enter(pc: number, off: number, i: number, rom: boolean): void {
    if (this.fns[i] !== null) this.live--;
    this.keys[i] = pc;
    this.fns[i] = null;
    this.hits[i] = 0;
    const code = this.codeWindow(rom);
    this.lens[i] = blockLength(code.m16, code.size, off);
    // No code of this slot is translated: no page holds it.
    this.starts[i] = 0x7fffffff;
    this.ends[i] = 0x7fffffff;
  }

  /** The code window: the RAM window, or the ROM region the interpreter last fetched from. */
  private codeWindow(rom: boolean): CodeWindow {
    const h = this.h;
    return rom ? { m16: h.rom16, base: h.romBase, size: h.romSize } : { m16: h.m16, base: this.rb, size: this.rsz };
  }

  /**
   * Translates the region at `pc` (offset `off` in RAM, or in ROM when `rom`) into slot `i`; `promote`: again, as a
   * promoted region (slot `i` holds its first translation).
   */
  private translate(pc: number, off: number, i: number, rom: boolean, promote: boolean): void {
    const code = this.codeWindow(rom);
    const b = promote
      ? translateRegion(code, this.rb, this.rsz, pc, off, false, PROMOTED_REGION_BLOCKS, PROMOTED_REGION_INSNS, this.isSeen)
      : translateRegion(code, this.rb, this.rsz, pc, off);
    for (const q of b.pcs) this.seen[(q >>> 1) & this.mask] = 1;
    this.hits[i] = promote ? -1 : this.promote;
    if (promote && this.fns[i] !== null) this.live--;
    this.keys[i] = pc;
    // ROM cannot be written by the guest: no page of RAM holds the region's code, nothing invalidates it but a flush.
    this.starts[i] = rom ? 0x7fffffff : b.start;
    this.ends[i] = rom ? 0x7fffffff : b.end;
    this.lens[i] = b.insns;
    if (b.source === null) {
      // Nothing to translate at pc: the interpreter runs that one instruction, every time.
      this.hits[i] = this.hot;
      this.fns[i] = null;
      this.lens[i] = 1;
      return;
    }
    this.install(i, b.source);
    if (!rom) for (const p of b.pages) this.pg[p] = 1;
    if (promote) this.promotions++;
  }

  /** Compiles a region's factory source into slot `i`. */
  private install(i: number, source: string): void {
    const h = this.h;
    const mmu = h.mmu;
    const factory = new Function(...BLOCK_PARAMS, source) as Factory;
    const csr = (this.csrFn ??= (inst, src) => this.pagedCsr(inst, src));
    this.fns[i] = factory(h.m8, h.i8, h.m16, h.i16, h.m32, this.pg, this.io, mulh, mulhsu, mulhu, mmu.tagR, mmu.offR, mmu.tagW, mmu.offW, h, csr);
    this.live++;
    this.translations++;
  }

  /**
   * Slot `i` for the paged entry `key` (RAM offset `w + po`: offset `po` in
   * the physical page at RAM offset `w`, whose parcels `view` holds): a cold
   * entry as {@link enter} makes, or, once hot, its region translated.
   * Returns the slot's function (null: the interpreter runs `lens[i]`).
   */
  private pagedSlot(key: number, view: Uint16Array<ArrayBufferLike>, w: number, po: number, i: number): BlockFn | null {
    if (this.keys[i] !== key) {
      if (this.fns[i] !== null) this.live--;
      this.keys[i] = key;
      this.fns[i] = null;
      this.hits[i] = 0;
      this.lens[i] = blockLength(view, PAGE, po, true);
      this.starts[i] = 0x7fffffff;
      this.ends[i] = 0x7fffffff;
    }
    if (this.hits[i] >= this.hot || ++this.hits[i] !== this.hot) return null;
    const b = translateRegion({ m16: view, base: 0, size: PAGE }, this.rb, this.rsz, po, po, true);
    this.starts[i] = w + b.start;
    this.ends[i] = w + b.end;
    this.lens[i] = b.insns;
    if (b.source === null) {
      this.lens[i] = 1;
      return null;
    }
    this.install(i, b.source);
    for (let p = (w + b.start) >>> 12; p <= (w + b.end - 1) >>> 12; p++) this.pg[p] = 1;
    return this.fns[i];
  }

  /**
   * Runs paged regions (code under Sv32) from `h.pcv` while they chain,
   * with `left` instructions of budget: each entry only after the fetch
   * TLB holds the entry's page for the current mode (the TLB that satp
   * writes, SFENCE.VMA and PMP changes flush, so no region needs dropping
   * for them), keyed by the physical address the entry is at. Sets
   * `h.pcv`, {@link chainDone} and {@link chainRun1}; returns why it
   * stopped: a WHY_* code, or -1 (the budget left is below a region's).
   */
  private chainPaged(left: number): number {
    const h = this.h;
    const mmu = h.mmu;
    const tagX = mmu.tagX;
    const viewX = mmu.viewX;
    const x = h.regs;
    const io = this.io;
    const keys = this.keys;
    const fns = this.fns;
    const lens = this.lens;
    const mask = this.mask;
    const fk = h.fetchKey;
    const dk = h.dataKeyLoop;
    const base8 = h.m8.byteOffset;
    let pc = h.pcv;
    let done = 0;
    let why = WHY_NEXT;
    let run1 = 1;
    for (;;) {
      const vpn = pc >>> 12;
      const e = vpn & (ITLB_ENTRIES - 1);
      // Not in the fetch TLB (or not in RAM): the interpreter fetches, walking, faulting or filling it.
      if (tagX[e] !== (vpn | fk)) {
        why = WHY_INTERP;
        run1 = 0;
        break;
      }
      const view = viewX[e]!;
      const w = view.byteOffset - base8;
      const po = pc & (PAGE - 1);
      // The physical pc's RAM offset, marked so that no untranslated (even) pc has it.
      const key = (w + po) | PAGED_KEY;
      const i = (key >>> 1) & mask;
      let f = keys[i] === key ? fns[i] : null;
      if (f === null) {
        f = this.pagedSlot(key, view, w, po, i);
        if (f === null) {
          why = WHY_INTERP;
          run1 = lens[i];
          break;
        }
      }
      if (lens[i] > left - done) {
        why = -1;
        break;
      }
      pc = f(x, left - done, (pc - po) | 0, dk);
      done += io[0];
      why = io[1];
      if (why !== WHY_NEXT) break;
    }
    h.pcv = pc;
    this.chainDone = done;
    this.chainRun1 = run1;
    return why;
  }

  /** Hart.run(budget) for this tier: same contract (the argument is already checked). */
  run(budget: number): number {
    const h = this.h;
    const x = h.regs;
    const io = this.io;
    // Events, interrupts, the window and translation state, exactly as the interpreter starts.
    let exit = h.interpret(0);
    let left = budget;
    let steps = 0;
    // The page of the last fetch TLB miss in paged code (-1: none).
    let missVpn = -1;
    if (exit === EXIT_BUDGET) {
      try {
        for (;;) {
          if (h.events !== 0) {
            exit = h.interpret(0);
            if (exit !== EXIT_BUDGET) break;
          }
          if (left <= 0) break;
          if (h.gen !== this.gen) this.remap();
          let pc = h.pcv;
          let off = (pc - this.rb) | 0;
          let k = left < INTERP_CHUNK ? left : INTERP_CHUNK;
          // Code in the ROM window (set by the interpreter's first fetch there) runs translated too when PMP lets
          // the mode execute all of it (blocksOk covers RAM and triggers only). Checked here, for a pc in ROM only;
          // the chain below never enters ROM from RAM.
          let romB = 0;
          let romS = 0;
          let rom = false;
          if (off >>> 0 >= this.rsz && ((pc - h.romBase) | 0) >>> 0 < h.romSize && h.blocksOk !== 0) {
            if (h.guarded === 0 || h.pmp.covers(h.romBase >>> 0, h.romSize, ACC_FETCH, h.privv)) {
              romB = h.romBase;
              romS = h.romSize;
              off = (pc - romB) | 0;
              rom = true;
            }
          }
          if ((rom || off >>> 0 < this.rsz) && h.blocksOk !== 0 && h.resvW === NO_RESV) {
            // Chain blocks while they run: nothing a block does raises an event.
            const keys = this.keys;
            const fns = this.fns;
            const lens = this.lens;
            const hits = this.hits;
            const hot = this.hot;
            const mask = this.mask;
            const rb = this.rb;
            const rsz = this.rsz;
            let done = 0;
            let why = WHY_NEXT;
            // Instructions for the interpreter when why is WHY_INTERP: 1, or a cold entry's first block.
            let run1 = 1;
            for (;;) {
              const i = (pc >>> 1) & mask;
              if (keys[i] !== pc) this.enter(pc, off, i, rom);
              let f = fns[i];
              if (f === null) {
                if (hits[i] < hot && ++hits[i] === hot) {
                  this.translate(pc, off, i, rom, false);
                  f = fns[i];
                }
                if (f === null) {
                  why = WHY_INTERP;
                  run1 = lens[i];
                  break;
                }
              } else if (--hits[i] === 0) {
                this.translate(pc, off, i, rom, true);
                f = fns[i];
                if (f === null) {
                  why = WHY_INTERP;
                  run1 = lens[i];
                  break;
                }
              }
              if (lens[i] > left - done) {
                why = -1;
                break;
              }
              pc = f(x, left - done);
              done += io[0];
              why = io[1];
              if (why !== WHY_NEXT) break;
              off = (pc - rb) | 0;
              if (off >>> 0 >= rsz) {
                // Stay in ROM only when the chain started there (so its permission was checked).
                off = (pc - romB) | 0;
                if (off >>> 0 >= romS) break;
                rom = true;
              } else {
                rom = false;
              }
            }
            left -= done;
            steps += done;
            h.retiredBase += done;
            h.pcv = pc;
            if (why === WHY_NEXT) continue;
            if (why === WHY_CODE_STORE) {
              this.noteStore((io[2] + rb) >>> 0, 1);
              continue;
            }
            if (left <= 0) continue;
            // The instruction at pc for the interpreter, a cold entry's first block, or the rest of the budget (less than a block).
            k = why === WHY_INTERP ? (run1 < left ? run1 : left) : left;
          } else if (h.fetchTranslated !== 0 && h.armed === 0 && h.resvW === NO_RESV) {
            // Code under Sv32 (S or U mode; loads and stores are translated too): paged regions.
            const why = this.chainPaged(left);
            const done = this.chainDone;
            left -= done;
            steps += done;
            h.retiredBase += done;
            if (why === WHY_NEXT || why === WHY_EVENT) continue;
            if (why === WHY_CODE_STORE) {
              this.noteStore((io[2] + this.rb) >>> 0, 1);
              continue;
            }
            if (left <= 0) continue;
            // A fetch TLB miss: one instruction (the interpreter fills the TLB), unless the last miss was in the same
            // page with no region run since (a page the fetch TLB cannot hold, outside RAM): then a chunk.
            let run1 = this.chainRun1;
            if (run1 === 0) {
              run1 = h.pcv >>> 12 === missVpn && done === 0 ? INTERP_CHUNK : 1;
              missVpn = h.pcv >>> 12;
            }
            k = why === WHY_INTERP ? (run1 < left ? run1 : left) : left;
          }
          exit = h.interpret(k);
          left -= h.stepsLast;
          steps += h.stepsLast;
          if (exit !== EXIT_BUDGET) break;
        }
      } catch (e) {
        // Only a bug can get here: the hart's registers are whatever the block wrote back.
        h.fatalError = e;
        exit = 3;
      }
    }
    h.regs[0] = 0;
    h.stepsLast = steps;
    return exit;
  }
}
