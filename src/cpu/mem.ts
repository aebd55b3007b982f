/**
 * The hart's memory slow paths: the RAM and ROM windows the loop reads
 * directly, what translation and protection apply (the gates), fetches
 * outside the fetch window, and loads, stores and AMOs through Sv32, PMP,
 * the triggers and the address space. Each function takes the hart's
 * internal view (core.ts) and reports a fault in its fault fields.
 */

import type { GuestPhysAddr, GuestVirtAddr } from '../addr/index.js';
import { amoValue } from './amo.js';
import { LR_FUNCT5, SC_FUNCT5 } from './isa/index.js';
import { ACC_FETCH, ACC_LOAD, ACC_STORE, ITLB_ENTRIES, KEY_MXR, KEY_SUM, KEY_U, type AccessKind } from './sv32.js';
import { TRIG_EXEC, TRIG_LOAD, TRIG_STORE } from './trigger.js';
import { EMPTY16, EMPTY8, EV_MAP, EV_MMU, EXC_BREAKPOINT, EXC_FETCH_ACCESS, EXC_LOAD_ACCESS, EXC_LOAD_MISALIGNED, EXC_STORE_ACCESS, EXC_STORE_MISALIGNED, LITTLE_ENDIAN, M, MS_MPRV, MS_MXR, MS_SUM, NO_RESV, S, SATP_SV32, TWO32, U, type HartCore } from './core.js';

/** Rebuilds the typed-array views of the RAM window (4-byte aligned part of it, below 2^32); flushes the TLB. */
export function refreshWindow(h: HartCore): void {
  h.gen = h.bus.generation;
  h.m8 = EMPTY8;
  h.i8 = new Int8Array(0);
  h.m16 = EMPTY16;
  h.m16Lo = EMPTY16;
  h.i16 = new Int16Array(0);
  h.m32 = new Int32Array(0);
  h.ramBase = 0;
  h.ramSize = 0;
  h.romBase = 0;
  h.romSize = 0;
  h.rom16 = EMPTY16;
  h.rom16Lo = EMPTY16;
  h.events |= EV_MMU;
  const w = h.bus.ramWindow();
  if (w !== null && LITTLE_ENDIAN) {
    const start = Math.ceil(w.base / 4) * 4;
    // Bare addresses are 32 bits; keep offsets below 2^31 for the int32 arithmetic of the loop.
    const end = Math.min(Math.floor((w.base + w.bytes.length) / 4) * 4, TWO32, start + 0x7ffffff0);
    const size = end - start;
    const byteOffset = w.bytes.byteOffset + (start - w.base);
    if (size >= 4 && byteOffset % 4 === 0) {
      const buf = w.bytes.buffer;
      h.m8 = new Uint8Array(buf, byteOffset, size);
      h.i8 = new Int8Array(buf, byteOffset, size);
      h.m16 = new Uint16Array(buf, byteOffset, size / 2);
      h.m16Lo = h.m16.subarray(0, size / 2 - 1);
      h.i16 = new Int16Array(buf, byteOffset, size / 2);
      h.m32 = new Int32Array(buf, byteOffset, size / 4);
      h.ramBase = start | 0;
      h.ramSize = size;
    }
  }
  h.mmu.setWindow(h.ramBase >>> 0, h.m8, h.m32);
}

/**
 * Recomputes what translation applies (spec 3.1.6.3, 4.1.11): fetches
 * in S/U, loads and stores in the effective mode (MPP when M-mode sets
 * MPRV), both only with satp.MODE = Sv32; the TLB tag contexts; and the
 * fetch page, which restarts empty under translation.
 */
export function mmuRefresh(h: HartCore): void {
  const sv32 = h.satp >= SATP_SV32;
  const priv = h.privv;
  const status = h.mstatus;
  const dataPriv = priv === M && (status & MS_MPRV) !== 0 ? (status >>> 11) & 3 : priv;
  h.fetchTranslated = sv32 && priv !== M ? 1 : 0;
  h.dataTranslated = sv32 && dataPriv !== M ? 1 : 0;
  h.dataPriv = dataPriv;
  h.dataKey = (dataPriv === U ? KEY_U : 0) | ((status & MS_SUM) !== 0 ? KEY_SUM : 0) | ((status & MS_MXR) !== 0 ? KEY_MXR : 0);
  h.fetchKey = priv === U ? KEY_U : 0;
  // The protection gates (see the fields). Triggers go by the hart's mode, PMP by the effective one for data.
  if (h.guarded === 0) {
    // Nothing to check anywhere (the usual case; the JIT tier calls this on every interpreter entry).
    h.armed = 0;
    h.ldSlow = 0;
    h.stSlow = 0;
    h.dataKeyLoop = h.dataKey;
    h.ramX = 1;
    h.blocksOk = h.fetchTranslated === 0 && h.dataTranslated === 0 ? 1 : 0;
  } else {
    gateRefresh(h, priv, dataPriv);
  }
  if (h.fetchTranslated !== 0 || h.ramX === 0) {
    h.fetchBase = 0;
    h.fetchLimit = -4;
    h.fetch16 = EMPTY16;
    h.fetchLo = EMPTY16;
  } else {
    h.fetchBase = h.ramBase;
    h.fetchLimit = h.ramSize - 4;
    h.fetch16 = h.m16;
    h.fetchLo = h.m16Lo;
  }
}

/** The protection gates for hart mode `p` and data mode `dp` while PMP or a trigger needs looking at (see the fields). */
export function gateRefresh(h: HartCore, priv: number, dataPriv: number): void {
  const armed = h.trig.armed(priv);
  const ramBase = h.ramBase >>> 0;
  const ramSize = h.ramSize;
  const dataTrig = (armed & (TRIG_LOAD | TRIG_STORE)) !== 0;
  h.armed = armed;
  h.ldSlow = dataTrig || !h.pmp.covers(ramBase, ramSize, ACC_LOAD, dataPriv) ? 1 : 0;
  h.stSlow = dataTrig || !h.pmp.covers(ramBase, ramSize, ACC_STORE, dataPriv) ? 1 : 0;
  h.dataKeyLoop = dataTrig ? 0x40000000 : h.dataKey; // bit 30: above every tag (vpn | KEY_*)
  h.ramX = h.pmp.covers(ramBase, ramSize, ACC_FETCH, priv) && ((armed & TRIG_EXEC) === 0 || !h.trig.execIn(ramBase, ramSize, priv)) ? 1 : 0;
  h.blocksOk = h.fetchTranslated === 0 && h.dataTranslated === 0 && h.ldSlow === 0 && h.stSlow === 0 && h.ramX !== 0 && armed === 0 ? 1 : 0;
}

/**
 * True when the 4 KiB page at `base` may become the fetch window of mode
 * `p`: PMP lets it execute all of it and no execute trigger watches it.
 */
export function pageFetchable(h: HartCore, base: number, priv: number): boolean {
  return h.pmp.covers(base, 4096, ACC_FETCH, priv) && ((h.armed & TRIG_EXEC) === 0 || !h.trig.execIn(base, 4096, priv));
}

/**
 * Fetches the instruction at `pc` outside the fetch page. Returns its
 * bits (a lone parcel for a compressed one); on a fault sets `fetchFault`
 * to the virtual address of the parcel that failed and `faultCause`.
 */
export function fetchSlow(h: HartCore, pc: number): number {
  h.fetchFault = -1;
  const addr = pc >>> 0;
  // An execute trigger fires before the instruction (no window holds an address one watches).
  if ((h.armed & TRIG_EXEC) !== 0 && h.trig.exec(addr, h.privv)) {
    h.faultCause = EXC_BREAKPOINT;
    h.fetchFault = addr;
    return 0;
  }
  const lo = fetchParcel(h, addr);
  if (lo < 0) {
    h.fetchFault = addr;
    return 0;
  }
  if ((lo & 3) !== 3) return lo;
  const addr2 = (addr + 2) >>> 0;
  const hi = fetchParcel(h, addr2);
  if (hi < 0) {
    h.fetchFault = addr2;
    return 0;
  }
  return lo | (hi << 16);
}

/**
 * The parcel at virtual address `va` (unsigned), or -1 with faultCause
 * set. With translation, a page in the RAM window becomes the fetch page.
 */
export function fetchParcel(h: HartCore, va: number): number {
  if (h.fetchTranslated === 0) return fetchParcelPhys(h, va);
  const mmu = h.mmu;
  const vpn = va >>> 12;
  const key = vpn | h.fetchKey;
  const e = vpn & (ITLB_ENTRIES - 1);
  if (mmu.tagX[e] !== key) {
    const pa = mmu.translate(va as GuestVirtAddr, ACC_FETCH, key, h.satp, h.privv, h.mstatus);
    if (pa < 0) {
      h.faultCause = mmu.cause;
      return -1;
    }
    // Not in the RAM window (ROM): through the address space, every time.
    if (mmu.tagX[e] !== key) return fetchParcelPhys(h, pa);
  }
  const view = mmu.viewX[e]!;
  // (PMP allowed the whole page when the entry was made: see Sv32Mmu.fillFast.)
  if ((h.armed & TRIG_EXEC) === 0 || !h.trig.execIn(va - (va & 0xfff), 4096, h.privv)) {
    h.fetchBase = (va - (va & 0xfff)) | 0;
    h.fetchLimit = 4092;
    h.fetch16 = view;
    h.fetchLo = mmu.viewXLo[e]!;
  }
  return view[(va & 0xfff) >> 1];
}

/**
 * The parcel at physical address `pa`, or -1 (an access fault). Only RAM
 * and ROM are executable: fetching from a device is an access fault, since
 * a device register is not code (docs/design.md#the-hart).
 * Without translation the region holding `pa` becomes the fetch window,
 * so code running from ROM (a board's flash) takes the loop's fast path
 * too, instead of a region lookup and a bus read per parcel.
 */
export function fetchParcelPhys(h: HartCore, pa: number): number {
  h.faultCause = EXC_FETCH_ACCESS;
  const priv = h.privv;
  if (!h.pmp.check(pa, 2, ACC_FETCH, priv)) return -1;
  if (h.fetchTranslated === 0 && (pa & 1) === 0) {
    const ro = (pa - h.ramBase) >>> 0;
    if (ro < h.ramSize) {
      if (h.ramX !== 0) {
        h.fetchBase = h.ramBase;
        h.fetchLimit = h.ramSize - 4;
        h.fetch16 = h.m16;
        h.fetchLo = h.m16Lo;
      } else {
        // PMP or a trigger rules out the whole window: the page, when nothing in it needs a check.
        const w = ro - (ro & 0xfff);
        const view = w + 4096 <= h.ramSize ? h.mmu.pageView(w) : null;
        if (view !== null && pageFetchable(h, pa - (ro & 0xfff), priv)) {
          h.fetchBase = (h.ramBase + w) | 0;
          h.fetchLimit = 4092;
          h.fetch16 = view;
          h.fetchLo = h.mmu.pageViewLo(w);
        }
      }
      return h.m16[ro >> 1];
    }
    if (((pa - h.romBase) >>> 0) >= h.romSize) refreshRomWindow(h, pa);
    const o = (pa - h.romBase) >>> 0;
    if (o < h.romSize) {
      const rb = h.romBase >>> 0;
      if (h.pmp.covers(rb, h.romSize, ACC_FETCH, priv) && ((h.armed & TRIG_EXEC) === 0 || !h.trig.execIn(rb, h.romSize, priv))) {
        h.fetchBase = h.romBase;
        h.fetchLimit = h.romSize - 4;
        h.fetch16 = h.rom16;
        h.fetchLo = h.rom16Lo;
      }
      return h.rom16[o >> 1];
    }
  }
  const r = h.bus.regionAt(pa as GuestPhysAddr);
  if (r === null || r.kind === 'device') return -1;
  return h.bus.read(pa as GuestPhysAddr, 2);
}

/** Points the cached ROM fetch window at the ROM region holding `pa`, or empties it. */
export function refreshRomWindow(h: HartCore, pa: number): void {
  h.romBase = 0;
  h.romSize = 0;
  h.rom16 = EMPTY16;
  h.rom16Lo = EMPTY16;
  const w = h.bus.fetchWindow(pa as GuestPhysAddr);
  // RAM outside the RAM window (a second region) keeps the slow path: it can be written, and stores do not watch this view.
  if (w === null || h.bus.regionAt(pa as GuestPhysAddr)?.kind !== 'rom' || !LITTLE_ENDIAN) return;
  const size = Math.min(w.bytes.length - (w.bytes.length % 4), TWO32 - w.base, 0x7ffffff0);
  if (size < 4 || w.bytes.byteOffset % 2 !== 0) return;
  h.rom16 = new Uint16Array(w.bytes.buffer, w.bytes.byteOffset, size / 2);
  h.rom16Lo = h.rom16.subarray(0, size / 2 - 1);
  h.romBase = w.base | 0;
  h.romSize = size;
}

/**
 * The instruction bits for an illegal-instruction mtval: `inst` for a
 * 32-bit instruction, the 16-bit parcel at `pc` for a compressed one (the
 * parcel at pc, fetched once already, tells which).
 */
export function illegalBits(h: HartCore, pc: number, inst: number): number {
  const o = (pc - h.fetchBase) | 0;
  const v = o >>> 0 <= h.fetchLimit + 2 ? h.fetch16[o >> 1] : fetchParcel(h, pc >>> 0);
  if (v < 0 || (v & 3) === 3) return inst >>> 0;
  return v;
}

/** Notes what a slow access may have changed: the map (a device may remap) or nothing. */
export function afterAccess(h: HartCore): void {
  if (h.bus.generation !== h.gen) h.events |= EV_MAP;
}

/**
 * Translates the data address `addr` (int32) for an access of kind `acc`.
 * Returns the physical address, or -1 with faultCause and faultTval set.
 * Without translation the address is physical as it is.
 */
export function dataAddr(h: HartCore, addr: number, acc: AccessKind): number {
  const va = addr >>> 0;
  h.faultTval = va;
  if (h.dataTranslated === 0) return va;
  const pa = h.mmu.translate(va as GuestVirtAddr, acc, (va >>> 12) | h.dataKey, h.satp, h.dataPriv, h.mstatus);
  if (pa < 0) h.faultCause = h.mmu.cause;
  return pa;
}

/**
 * The tval of an access of `width` bytes at virtual `va` (physical `pa`)
 * that the address space refused: the address of the portion that
 * faulted (spec 3.1.16), which for an access running off the end of the
 * RAM window is the first byte past it (as QEMU 7.2 reports); otherwise
 * the access's own address, since a device refuses an access whole.
 */
export function faultingPortion(h: HartCore, va: number, pa: number, width: number): number {
  const off = pa - (h.ramBase >>> 0);
  if (off >= 0 && off < h.ramSize && off + width > h.ramSize) return (va + (h.ramSize - off)) >>> 0;
  return va >>> 0;
}

/**
 * True, with faultCause and faultTval set for a breakpoint at `va`, when
 * a data trigger of kind `kind` fires for `width` bytes at virtual `va`.
 */
export function dataTrigger(h: HartCore, va: number, width: number, kind: number): boolean {
  if (!h.trig.data(va >>> 0, width, kind, h.privv)) return false;
  h.faultCause = EXC_BREAKPOINT;
  h.faultTval = va >>> 0;
  return true;
}

/** Sets faultCause and faultTval for a PMP access fault of kind `cause` at virtual `va`; returns -1. */
export function pmpFault(h: HartCore, va: number, cause: number): number {
  h.faultCause = cause;
  h.faultTval = va >>> 0;
  return -1;
}

/**
 * A load through the address space (translated first with Sv32). Returns
 * the unsigned value with faultCause = -1, or -1 with faultCause and
 * faultTval set.
 */
export function load(h: HartCore, va: number, width: 1 | 2 | 4): number {
  if ((h.armed & TRIG_LOAD) !== 0 && dataTrigger(h, va, width, TRIG_LOAD)) return -1;
  const pa = dataAddr(h, va, ACC_LOAD);
  if (pa < 0) return -1;
  const split = 4096 - (va & 0xfff);
  if (h.dataTranslated !== 0 && split < width) return loadSpanning(h, va, width, pa, split);
  if (!h.pmp.check(pa, width, ACC_LOAD, h.dataPriv)) return pmpFault(h, va, EXC_LOAD_ACCESS);
  const v = h.bus.read(pa as GuestPhysAddr, width);
  if (v < 0) {
    h.faultTval = faultingPortion(h, va, pa, width);
    h.faultCause = h.bus.lastFaultMisaligned ? EXC_LOAD_MISALIGNED : EXC_LOAD_ACCESS;
  } else {
    h.faultCause = -1;
  }
  afterAccess(h);
  return v;
}

/**
 * A translated load spanning two pages: the first `split` bytes at `pa`,
 * the rest at the start of the next page, which is translated too (a
 * fault there has that page's address as tval).
 */
export function loadSpanning(h: HartCore, va: number, width: number, pa: number, split: number): number {
  const pa2 = dataAddr(h, (va + split) | 0, ACC_LOAD);
  if (pa2 < 0) return -1;
  if (!h.pmp.check(pa, split, ACC_LOAD, h.dataPriv)) return pmpFault(h, va, EXC_LOAD_ACCESS);
  if (!h.pmp.check(pa2, width - split, ACC_LOAD, h.dataPriv)) return pmpFault(h, va + split, EXC_LOAD_ACCESS);
  let v = 0;
  if (pa2 === pa + split) {
    v = h.bus.read(pa as GuestPhysAddr, width as 2 | 4);
    if (v < 0) {
      h.faultTval = va >>> 0;
      h.faultCause = h.bus.lastFaultMisaligned ? EXC_LOAD_MISALIGNED : EXC_LOAD_ACCESS;
    }
  } else {
    for (let i = width - 1; i >= 0; i--) {
      const byte = h.bus.read((i < split ? pa + i : pa2 + (i - split)) as GuestPhysAddr, 1);
      if (byte < 0) {
        h.faultTval = (i < split ? va : va + split) >>> 0;
        h.faultCause = EXC_LOAD_ACCESS;
        v = -1;
        break;
      }
      v = v * 256 + byte;
    }
  }
  afterAccess(h);
  return v;
}

/** A store through the address space (translated first with Sv32). Returns false with faultCause and faultTval set on a fault. */
export function store(h: HartCore, va: number, width: 1 | 2 | 4, value: number): boolean {
  if ((h.armed & TRIG_STORE) !== 0 && dataTrigger(h, va, width, TRIG_STORE)) return false;
  const pa = dataAddr(h, va, ACC_STORE);
  if (pa < 0) return false;
  // Both pages of a spanning store are translated, and checked, before memory is touched.
  const split = 4096 - (va & 0xfff);
  const spans = h.dataTranslated !== 0 && split < width;
  let pa2 = pa + split;
  if (spans) {
    pa2 = dataAddr(h, (va + split) | 0, ACC_STORE);
    if (pa2 < 0) return false;
    const firstOk = h.pmp.check(pa, split, ACC_STORE, h.dataPriv);
    if (!firstOk || !h.pmp.check(pa2, width - split, ACC_STORE, h.dataPriv)) {
      pmpFault(h, firstOk ? va + split : va, EXC_STORE_ACCESS);
      return false;
    }
  } else if (!h.pmp.check(pa, width, ACC_STORE, h.dataPriv)) {
    pmpFault(h, va, EXC_STORE_ACCESS);
    return false;
  }
  let ok: boolean;
  if (!spans || pa2 === pa + split) {
    ok = h.bus.write(pa as GuestPhysAddr, width, value);
    if (!ok) {
      h.faultTval = faultingPortion(h, va, pa, width);
      h.faultCause = h.bus.lastFaultMisaligned ? EXC_STORE_MISALIGNED : EXC_STORE_ACCESS;
    }
  } else {
    ok = true;
    for (let i = 0; i < width && ok; i++) {
      ok = h.bus.write((i < split ? pa + i : pa2 + (i - split)) as GuestPhysAddr, 1, value >>> (8 * i));
      if (!ok) {
        h.faultTval = (i < split ? va : va + split) >>> 0;
        h.faultCause = EXC_STORE_ACCESS;
      }
    }
  }
  if (ok) {
    const r = h.resvW;
    if (r !== NO_RESV && ((pa | 0) >> 2 === r || ((pa + width - 1) | 0) >> 2 === r || (spans && (pa2 | 0) >> 2 === r))) h.resvW = NO_RESV;
    if (h.jitc !== null) {
      h.jitc.noteStore(pa, spans ? split : width);
      if (spans) h.jitc.noteStore(pa2, width - split);
    }
  }
  afterAccess(h);
  return ok;
}

/** LR/SC/AMO at an aligned address outside the RAM window or translated. Returns false with faultCause and faultTval set on a fault. */
export function amoSlow(h: HartCore, inst: number, va: number, value: number): boolean {
  const x = h.regs;
  const f5 = inst >>> 27;
  const rdN = (inst >>> 7) & 31;
  // Triggers first (spec table 3.7): LR is a load, an AMO a load and a store, SC a store (when it stores: below).
  if ((h.armed & (TRIG_LOAD | TRIG_STORE)) !== 0 && f5 !== SC_FUNCT5 && dataTrigger(h, va, 4, f5 === LR_FUNCT5 ? TRIG_LOAD : TRIG_LOAD | TRIG_STORE)) return false;
  // LR translates as a load; SC and the AMOs as stores (spec 4.3.1: an AMO needs R and W, its faults are store faults).
  const pa = dataAddr(h, va, f5 === LR_FUNCT5 ? ACC_LOAD : ACC_STORE);
  if (pa < 0) return false;
  const addr = pa as GuestPhysAddr;
  const word = (pa | 0) >> 2; // the reservation key: the physical word (modulo 2^32)
  const bus = h.bus;
  const dataPriv = h.dataPriv;
  if (f5 === LR_FUNCT5 ? !h.pmp.check(pa, 4, ACC_LOAD, dataPriv) : f5 !== SC_FUNCT5 && !(h.pmp.check(pa, 4, ACC_LOAD, dataPriv) && h.pmp.check(pa, 4, ACC_STORE, dataPriv))) {
    pmpFault(h, va, f5 === LR_FUNCT5 ? EXC_LOAD_ACCESS : EXC_STORE_ACCESS);
    return false;
  }
  if (f5 === LR_FUNCT5) {
    const v = bus.read(addr, 4);
    afterAccess(h);
    if (v < 0) {
      h.faultCause = bus.lastFaultMisaligned ? EXC_LOAD_MISALIGNED : EXC_LOAD_ACCESS;
      return false;
    }
    x[rdN] = v;
    x[0] = 0;
    h.resvW = word;
    return true;
  }
  if (f5 === SC_FUNCT5) {
    const held = h.resvW === word;
    if (held && (h.armed & TRIG_STORE) !== 0 && dataTrigger(h, va, 4, TRIG_STORE)) return false;
    if (held && !h.pmp.check(pa, 4, ACC_STORE, dataPriv)) {
      pmpFault(h, va, EXC_STORE_ACCESS);
      return false;
    }
    h.resvW = NO_RESV;
    if (held) {
      if (h.jitc !== null) h.jitc.noteStore(pa, 4);
      const ok = bus.write(addr, 4, value);
      afterAccess(h);
      if (!ok) {
        h.faultCause = bus.lastFaultMisaligned ? EXC_STORE_MISALIGNED : EXC_STORE_ACCESS;
        return false;
      }
    }
    x[rdN] = held ? 0 : 1;
    x[0] = 0;
    return true;
  }
  // An AMO reports faults of either half as store/AMO faults (spec table 3.6).
  const old = bus.read(addr, 4);
  if (h.jitc !== null) h.jitc.noteStore(pa, 4);
  if (old < 0 || !bus.write(addr, 4, amoValue(f5, old | 0, value))) {
    afterAccess(h);
    h.faultCause = bus.lastFaultMisaligned ? EXC_STORE_MISALIGNED : EXC_STORE_ACCESS;
    return false;
  }
  afterAccess(h);
  if (word === h.resvW) h.resvW = NO_RESV;
  x[rdN] = old;
  x[0] = 0;
  return true;
}
