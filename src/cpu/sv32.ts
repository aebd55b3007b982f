/**
 * Sv32 address translation for the hart (privileged spec 1.12, 4.3): the
 * page-table walk with its permission checks and A/D updates, and the
 * software TLB that keeps walks off the interpreter's hot path.
 *
 * Owns the TLB arrays (data `tagR`/`offR`, `tagW`/`offW`; fetch `tagX`/`viewX`;
 * a per-kind table for other pages), which the run loop reads directly, their
 * flushes, and the walk. The hart owns satp, mstatus and the mode and passes
 * what a translation needs. Only translations that grant an access are
 * cached; nothing is allocated per access. TLB layout and footprint, and the
 * walk's choices (PTEs outside RAM and ROM, A/D, PMP on PTE reads):
 * docs/design.md#sv32-and-the-tlb.
 */

import type { GuestAddressSpace } from '../addrspace/index.js';
import type { GuestPhysAddr, GuestVirtAddr } from '../addr/index.js';
import type { Pmp } from './pmp.js';

/** Access kinds: also the row of the slow TLB. */
export const ACC_FETCH = 0;
export const ACC_LOAD = 1;
export const ACC_STORE = 2;
/** An access kind of {@link Sv32Mmu.translate}. */
export type AccessKind = typeof ACC_FETCH | typeof ACC_LOAD | typeof ACC_STORE;

/** PTE bits (privileged spec 1.12, figure 4.18). */
export const Pte = Object.freeze({
  V: 1,
  R: 2,
  W: 4,
  X: 8,
  U: 16,
  G: 32,
  A: 64,
  D: 128,
} as const);

const V = 1;
const R = 2;
const W = 4;
const X = 8;
const U = 16;
const A = 64;
const D = 128;

/**
 * Context bits of a TLB tag, above the 20-bit VPN: the effective mode is U
 * (else S), mstatus.SUM, mstatus.MXR. Fetch tags use only {@link KEY_U}.
 */
export const KEY_U = 1 << 20;
export const KEY_SUM = 1 << 21;
export const KEY_MXR = 1 << 22;

/** Entries of the data TLB (a power of two; the hart's loop masks with the literal 255). */
export const DTLB_ENTRIES = 256;
/** Entries of the fetch TLB (a power of two): one view each. */
export const ITLB_ENTRIES = 64;
/** Entries per access kind of the any-page TLB (a power of two). */
const STLB_ENTRIES = 64;
/** Entries of the view cache, by physical page (a power of two). */
const VIEW_ENTRIES = 256;

/** satp.PPN (bits 21:0 on RV32), spec 4.1.11. */
const SATP_PPN = 0x3fffff;
/** mstatus.SUM and mstatus.MXR (spec 3.1.6.3). */
const MS_SUM = 1 << 18;
const MS_MXR = 1 << 19;
const PAGE = 4096;

const PAGE_FAULT = [12, 13, 15];
const ACCESS_FAULT = [1, 5, 7];

/** The translation unit of one hart: TLB and walker. */
export class Sv32Mmu {
  /** Load TLB tags (`vpn | context`, -1 empty) and RAM-window offsets. */
  readonly tagR = new Int32Array(DTLB_ENTRIES).fill(-1);
  readonly offR = new Int32Array(DTLB_ENTRIES);
  /** Store TLB tags and offsets: present only for pages whose D bit is set. */
  readonly tagW = new Int32Array(DTLB_ENTRIES).fill(-1);
  readonly offW = new Int32Array(DTLB_ENTRIES);
  /** Fetch TLB tags and the views of the physical pages they name. */
  readonly tagX = new Int32Array(ITLB_ENTRIES).fill(-1);
  readonly viewX: (Uint16Array<ArrayBufferLike> | null)[] = new Array<Uint16Array<ArrayBufferLike> | null>(ITLB_ENTRIES).fill(null);
  /** viewX less each view's last parcel (the interpreter's fetchLo). */
  readonly viewXLo: (Uint16Array<ArrayBufferLike> | null)[] = new Array<Uint16Array<ArrayBufferLike> | null>(ITLB_ENTRIES).fill(null);
  /** The exception cause of the last failed {@link translate} or {@link walk}. */
  cause = 0;

  private readonly bus: GuestAddressSpace;
  /** Any-page TLB: row = access kind; tag and physical page address. */
  private readonly stag = new Int32Array(3 * STLB_ENTRIES).fill(-1);
  private readonly spa = new Float64Array(3 * STLB_ENTRIES);
  /**
   * The 4 MiB regions (by VPN[1]) in which an entry may come from a
   * megapage (see flushPage), and how many are marked: a kernel mapping
   * itself with megapages must not make every fence of a 4 KiB user page
   * scan the whole TLB.
   */
  private readonly megaRegions = new Int32Array(32); // a bit per 4 MiB region
  private megaCount = 0;
  /** Views of window pages, by page index in the window; `viewAt` holds the window offset of each (-1 none). */
  private readonly views: (Uint16Array<ArrayBufferLike> | null)[] = new Array<Uint16Array<ArrayBufferLike> | null>(VIEW_ENTRIES).fill(null);
  private readonly viewAt = new Int32Array(VIEW_ENTRIES).fill(-1);
  /** The same views less their last parcel, made by pageViewLo (null until a first call). */
  private viewsLo: (Uint16Array<ArrayBufferLike> | null)[] | null = null;
  // The hart's RAM window: unsigned base, size, word view, byte view.
  private winBase = 0;
  private winSize = 0;
  private win32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private win8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  private readonly pmp: Pmp;

  /** Takes the hart's bus and its PMP unit (consulted by walks and fills). */
  constructor(bus: GuestAddressSpace, pmp: Pmp) {
    this.bus = bus;
    this.pmp = pmp;
  }

  /**
   * Takes the hart's RAM window (rebuilt after a map change): `base`
   * unsigned, `bytes` and `words` views of it. Flushes everything, since
   * every cached offset and view refers to the old window.
   */
  setWindow(base: number, bytes: Uint8Array<ArrayBufferLike>, words: Int32Array<ArrayBufferLike>): void {
    this.winBase = base;
    this.winSize = bytes.length;
    this.win8 = bytes;
    this.win32 = words;
    this.flushAll();
    this.viewX.fill(null);
    this.viewXLo.fill(null);
    this.views.fill(null);
    this.viewsLo?.fill(null);
    this.viewAt.fill(-1);
  }

  /** Drops every entry (SFENCE.VMA x0, x0; a satp change). */
  flushAll(): void {
    this.tagR.fill(-1);
    this.tagW.fill(-1);
    this.tagX.fill(-1);
    this.stag.fill(-1);
    if (this.megaCount !== 0) {
      this.megaRegions.fill(0);
      this.megaCount = 0;
    }
  }

  /**
   * Drops the entries that may translate `va` (SFENCE.VMA with rs1 != x0).
   * Unless a megapage was cached in va's 4 MiB region, that is one slot
   * per table (which may hold another page: dropping more than asked is
   * always allowed, spec 4.2.1); if one was, every entry in the region,
   * since each 4 KiB piece of a megapage sits in its own slot.
   */
  flushPage(va: number): void {
    const vpn = va >>> 12;
    const region = vpn >>> 10;
    if ((this.megaRegions[region >>> 5]! & (1 << (region & 31))) === 0) {
      this.tagR[vpn & (DTLB_ENTRIES - 1)] = -1;
      this.tagW[vpn & (DTLB_ENTRIES - 1)] = -1;
      this.tagX[vpn & (ITLB_ENTRIES - 1)] = -1;
      for (let k = 0; k < 3; k++) this.stag[k * STLB_ENTRIES + (vpn & (STLB_ENTRIES - 1))] = -1;
      return;
    }
    this.megaRegions[region >>> 5] &= ~(1 << (region & 31));
    this.megaCount--;
    dropRegion(this.tagR, region);
    dropRegion(this.tagW, region);
    dropRegion(this.tagX, region);
    dropRegion(this.stag, region);
  }

  /**
   * Translates `va` for an access of kind `acc` by mode `priv` (0 U, 1 S:
   * the effective mode, MPRV applied by the caller) under `satp` and
   * `mstatus`; `key` is the TLB tag (`vpn | context`). Returns the physical
   * address (below 2^34), or -1 with {@link cause} set. Fills the TLB.
   */
  translate(va: GuestVirtAddr, acc: AccessKind, key: number, satp: number, priv: number, mstatus: number): number {
    const si = acc * STLB_ENTRIES + ((va >>> 12) & (STLB_ENTRIES - 1));
    if (this.stag[si] === key) {
      // The fast entry may have been evicted by another page sharing its slot.
      const page = this.spa[si];
      this.fillFast(va, acc, key, page, false);
      return page + (va & 0xfff);
    }
    return this.walk(va, acc, satp, priv, mstatus, key);
  }

  /**
   * The Sv32 walk (spec 4.3.2, steps 1-8) for `va`, an access of kind
   * `acc` by mode `priv`. With `key` >= 0 it updates A/D and fills the TLB
   * under that tag; with -1 it only looks (a debugger's translation).
   * Returns the physical address, or -1 with {@link cause} set.
   */
  walk(va: GuestVirtAddr, acc: AccessKind, satp: number, priv: number, mstatus: number, key: number): number {
    // Step 1: the root table; i = 1.
    let table = (satp & SATP_PPN) * PAGE;
    let level = 1;
    let pte = 0;
    let pteAddr = 0;
    for (;;) {
      // Step 2: the PTE at table + vpn[i] * 4, which must be in RAM or ROM.
      pteAddr = table + (level === 1 ? va >>> 22 : (va >>> 12) & 0x3ff) * 4;
      pte = this.pmp.check(pteAddr, 4, ACC_LOAD, 1) ? this.readPte(pteAddr) : -1;
      if (pte < 0) return this.fail(ACCESS_FAULT[acc]);
      // Step 3: invalid, or the reserved W-without-R encoding.
      if ((pte & V) === 0 || (pte & (R | W)) === W) return this.fail(PAGE_FAULT[acc]);
      // Step 4: a leaf, or a pointer one level down (none below level 0).
      if ((pte & (R | X)) !== 0) break;
      if ((pte & (A | D | U)) !== 0 || level === 0) return this.fail(PAGE_FAULT[acc]);
      level = 0;
      table = (pte >>> 10) * PAGE;
    }
    // Step 5: permissions. U pages: U-mode, or S-mode loads/stores with SUM (never S fetches); others: S only.
    const userPage = (pte & U) !== 0;
    if (priv === 0 ? !userPage : userPage && (acc === ACC_FETCH || (mstatus & MS_SUM) === 0)) return this.fail(PAGE_FAULT[acc]);
    const need = acc === ACC_FETCH ? X : acc === ACC_STORE ? W : (mstatus & MS_MXR) !== 0 ? R | X : R;
    if ((pte & need) === 0) return this.fail(PAGE_FAULT[acc]);
    // Step 6: a megapage's PPN[0] must be zero.
    if (level === 1 && ((pte >>> 10) & 0x3ff) !== 0) return this.fail(PAGE_FAULT[acc]);
    // Step 7: set A (and D for a store), writing only when that changes the PTE.
    if (key >= 0) {
      const updated = (pte | A | (acc === ACC_STORE ? D : 0)) >>> 0;
      if (updated !== pte) {
        if (!this.writePte(pteAddr, updated)) return this.fail(ACCESS_FAULT[acc]);
        pte = updated;
      }
    }
    // Step 8: the physical address (34 bits: PPN[1] is 12 bits).
    const page = level === 1 ? (pte >>> 20) * 0x400000 + (va & 0x3ff000) : (pte >>> 10) * PAGE;
    if (key >= 0) this.fill(va, acc, key, page, pte, level);
    return page + (va & 0xfff);
  }

  /**
   * A parcel view of the 4 KiB of the RAM window at offset `w` (a
   * multiple of 4096, with `w + 4096` inside the window), made once and
   * kept by page: fetch pages for the TLB, and for the hart when PMP or a
   * trigger keeps the whole window from being its fetch window.
   */
  pageView(w: number): Uint16Array<ArrayBufferLike> {
    const vi = (w / PAGE) & (VIEW_ENTRIES - 1);
    let view = this.views[vi];
    if (view === null || this.viewAt[vi] !== w) {
      view = new Uint16Array(this.win8.buffer, this.win8.byteOffset + w, PAGE / 2);
      this.views[vi] = view;
      this.viewAt[vi] = w;
    }
    return view;
  }

  /**
   * pageView(w) less its last parcel (the interpreter's fetchLo: see
   * HartCore), made once and kept beside it. Its table is made on the
   * first call: a hart that never translates nor fetches page by page (an
   * M-mode guest in its RAM window, as on a Pico) spends no 4 KiB on it.
   */
  pageViewLo(w: number): Uint16Array<ArrayBufferLike> {
    const vi = (w / PAGE) & (VIEW_ENTRIES - 1);
    const fresh = this.views[vi] === null || this.viewAt[vi] !== w;
    const view = this.pageView(w);
    let lo = this.viewsLo;
    if (lo === null) lo = this.viewsLo = new Array<Uint16Array<ArrayBufferLike> | null>(VIEW_ENTRIES).fill(null);
    let v = lo[vi];
    if (fresh || v === null || v === undefined) {
      v = view.subarray(0, PAGE / 2 - 1);
      lo[vi] = v;
    }
    return v;
  }

  // ------------------------------------------------------------ internals

  private fail(cause: number): number {
    this.cause = cause;
    return -1;
  }

  /** The PTE at `addr` (unsigned), or -1 when it is not in RAM or ROM (an access fault). */
  private readPte(addr: number): number {
    const o = addr - this.winBase;
    if (o >= 0 && o < this.winSize) return this.win32[o >> 2] >>> 0;
    const r = this.bus.regionAt(addr as GuestPhysAddr);
    if (r === null || r.kind === 'device') return -1;
    return this.bus.read(addr as GuestPhysAddr, 4);
  }

  /** Writes an updated PTE back; false when it lies in ROM (a store there violates its PMA). */
  private writePte(addr: number, value: number): boolean {
    const o = addr - this.winBase;
    if (o >= 0 && o < this.winSize) {
      this.win32[o >> 2] = value;
      return true;
    }
    const r = this.bus.regionAt(addr as GuestPhysAddr);
    if (r === null || r.kind !== 'ram') return false;
    return this.bus.write(addr as GuestPhysAddr, 4, value);
  }

  /** Caches a granted translation of `va` (physical page `page`, final `pte`). */
  private fill(va: number, acc: AccessKind, key: number, page: number, pte: number, level: number): void {
    const si = acc * STLB_ENTRIES + ((va >>> 12) & (STLB_ENTRIES - 1));
    this.stag[si] = key;
    this.spa[si] = page;
    if (level === 1 && (this.megaRegions[va >>> 27]! & (1 << ((va >>> 22) & 31))) === 0) {
      this.megaRegions[va >>> 27] |= 1 << ((va >>> 22) & 31);
      this.megaCount++;
    }
    // A load may also fill the store entry of a writable page that is already dirty.
    this.fillFast(va, acc, key, page, acc === ACC_LOAD && (pte & (W | D)) === (W | D));
  }

  /** The fast entry for `va` when physical page `page` lies in the RAM window. */
  private fillFast(va: number, acc: AccessKind, key: number, page: number, storeToo: boolean): void {
    const vpn = va >>> 12;
    const w = page - this.winBase;
    if (w < 0 || w + PAGE > this.winSize || !this.pmp.covers(page, PAGE, acc, 1)) return;
    if (acc === ACC_FETCH) {
      const e = vpn & (ITLB_ENTRIES - 1);
      this.tagX[e] = key;
      this.viewX[e] = this.pageView(w);
      this.viewXLo[e] = this.pageViewLo(w);
      return;
    }
    // `(va + off) | 0` is the window offset of va (int32 wrap-around is harmless: the result fits).
    const off = (w - (va - (va & 0xfff))) | 0;
    const e = vpn & (DTLB_ENTRIES - 1);
    // A store needed W, so loads are allowed too (W without R is reserved).
    if (acc === ACC_STORE || (storeToo && this.pmp.covers(page, PAGE, ACC_STORE, 1))) {
      this.tagW[e] = key;
      this.offW[e] = off;
    }
    this.tagR[e] = key;
    this.offR[e] = off;
  }
}

/** Empties every entry of `tags` whose VPN lies in the 4 MiB region `region`. */
function dropRegion(tags: Int32Array, region: number): void {
  for (let i = 0; i < tags.length; i++) {
    if (((tags[i] & 0xfffff) >>> 10) === region) tags[i] = -1;
  }
}
