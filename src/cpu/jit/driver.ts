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
import { ACC_FETCH } from '../sv32.js';
import {
  BLOCK_PARAMS, blockLength, PROMOTED_REGION_BLOCKS, PROMOTED_REGION_INSNS, translateRegion, WHY_CODE_STORE, WHY_INTERP, WHY_NEXT, type CodeWindow,
} from './translate.js';

/** What the driver reads and writes in a Hart: its internal view (core.ts). */
export type HartInternals = HartCore;

type BlockFn = (x: Int32Array, n: number) => number;
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
 * (docs/jit.md, Issue 18).
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
   * more calls, and is then translated again, harmlessly). One decrement per call: cheap under XS too.
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
    const h = this.h;
    const code = this.codeWindow(rom);
    const b = promote
      ? translateRegion(code, this.rb, this.rsz, pc, off, PROMOTED_REGION_BLOCKS, PROMOTED_REGION_INSNS, this.isSeen)
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
    const factory = new Function(...BLOCK_PARAMS, b.source) as Factory;
    this.fns[i] = factory(h.m8, h.i8, h.m16, h.i16, h.m32, this.pg, this.io, mulh, mulhsu, mulhu);
    if (!rom) for (const p of b.pages) this.pg[p] = 1;
    this.live++;
    this.translations++;
    if (promote) this.promotions++;
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
