/**
 * The guest physical address space: RAM and ROM regions, devices, overlays,
 * and the routing of every access to the region that owns its address,
 * through a three-level radix table over the 34-bit bus (`tableBytes`),
 * rebuilt lazily after a change.
 *
 * Access methods never throw and never allocate on success: a failure
 * returns -1 (reads) or false (writes) and leaves an {@link AccessFault} in
 * `lastFault`. The table's shape, and why:
 * docs/design.md#addresses-and-the-address-space.
 */

import { AddrRange, PHYS_ADDR_LIMIT, formatAddr, type GuestPhysAddr } from '../addr/index.js';
import {
  DEFAULT_ACCESS_RULES,
  type AccessWidth,
  type AccessValue,
  type BaseDeviceOps,
} from '../device/index.js';
import { AccessFault, AddressSpaceError, RegionOverlapError, type AccessFaultKind } from './errors.js';

/** What a region is. */
export type RegionKind = 'ram' | 'rom' | 'device';

/** A read-only description of one registered region. */
export interface RegionInfo {
  readonly name: string;
  readonly kind: RegionKind;
  readonly range: AddrRange<GuestPhysAddr>;
  /** For an overlay: the name of the RAM or ROM region it sits on. */
  readonly overlayOf: string | null;
  /** For a device region: the device. */
  readonly device: BaseDeviceOps | null;
}

/**
 * The window of RAM the hart may access directly with typed arrays:
 * `bytes[addr - base]` for `addr` in `[base, base + bytes.length)`. No
 * overlay lies inside it. Valid until `generation` changes.
 */
export interface RamWindow {
  readonly base: number;
  readonly bytes: Uint8Array;
}

// Region kinds as small integers for the hot path.
const RAM = 1;
const ROM = 2;
const DEVICE = 3;
const SHARED = 4; // a 4 KiB page held by several regions

const ROOT_SHIFT = 26; // root entries span 64 MiB
const ROOT_SPAN = 2 ** ROOT_SHIFT;
const ROOT_ENTRIES = PHYS_ADDR_LIMIT / ROOT_SPAN; // 256
const MID_SHIFT = 18; // inner entries span 256 KiB
const MID_ENTRIES = 2 ** (ROOT_SHIFT - MID_SHIFT); // 256
const PAGE_SHIFT = 12; // leaf entries span 4 KiB
const PAGE_ENTRIES = 2 ** (MID_SHIFT - PAGE_SHIFT); // 64

/** Internal region record; plain fields so the hot path reads them directly. */
class Region {
  readonly info: RegionInfo;
  readonly kind: number;
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly overlay: boolean;
  readonly bytes: Uint8Array | null;
  readonly device: BaseDeviceOps | null;
  readonly validMin: number;
  readonly validMax: number;
  readonly unaligned: boolean;
  readonly implMax: number;
  /** For SHARED pages: the regions in the page, overlays first. */
  readonly members: Region[] | null;

  constructor(
    kind: number,
    info: RegionInfo,
    bytes: Uint8Array | null,
    members: Region[] | null = null,
  ) {
    this.kind = kind;
    this.info = info;
    this.name = info.name;
    this.start = info.range.start;
    this.end = info.range.end;
    this.overlay = info.overlayOf !== null;
    this.bytes = bytes;
    this.device = info.device;
    const rules = info.device?.accessRules ?? DEFAULT_ACCESS_RULES;
    this.validMin = rules.valid.minWidth;
    this.validMax = rules.valid.maxWidth;
    this.unaligned = rules.valid.unaligned;
    this.implMax = rules.impl.maxWidth;
    this.members = members;
  }
}

const WIDTH_MASK = [0, 0xff, 0xffff, 0, 0xffffffff];

/** The guest physical address space of one VM. */
export class GuestAddressSpace {
  /**
   * The most recent access fault; meaningful right after an access returned
   * -1 or false. Built on first read: a guest looping on a faulting load
   * would otherwise pay for an Error (and its stack trace) per access.
   */
  get lastFault(): AccessFault | null {
    if (this.faultPending) {
      this.faultPending = false;
      this.faultRecord = new AccessFault(this.faultKind, this.faultOp, this.faultAddr, this.faultWidth, this.faultRegion, this.faultCause);
    }
    return this.faultRecord;
  }

  /**
   * Whether the most recent access fault was a misaligned access (false
   * when there was none). The hart's access-fault path asks only this, so
   * a guest looping on a faulting access builds no AccessFault (an Error,
   * with its stack trace) per trap; `lastFault` builds it for whoever reads.
   */
  get lastFaultMisaligned(): boolean {
    return this.faultKind === 'misaligned';
  }

  private faultPending = false;
  private faultRecord: AccessFault | null = null;
  private faultKind: AccessFaultKind = 'unassigned';
  private faultOp: 'read' | 'write' = 'read';
  private faultAddr = 0;
  private faultWidth: AccessWidth = 1;
  private faultRegion: string | null = null;
  private faultCause: unknown = undefined;

  /** All registered regions, overlays included, sorted by start address. */
  private readonly sorted: Region[] = [];
  private readonly byName = new Map<string, Region>();
  /** Lookup table and the regions its entries name (slot 0 = nothing). */
  private table = new Int32Array(ROOT_ENTRIES);
  private slots: (Region | null)[] = [null];
  private dirty = false;
  private generationCount = 0;

  /**
   * Counts changes to the map. A holder of a {@link RamWindow} or of a
   * cached lookup compares it to know when to refresh.
   */
  get generation(): number {
    return this.generationCount;
  }

  /**
   * Adds a RAM region of `size` bytes at `base`, zero-filled, or backed by
   * `bytes` (exactly `size` long) when given. Returns its description.
   * Refuses an empty or non-integer size, a range past the bus, a name in
   * use and any overlap (naming both regions).
   */
  addRam(options: { name: string; base: GuestPhysAddr; size: number; bytes?: Uint8Array }): RegionInfo {
    const { name, base, size } = options;
    if (!Number.isInteger(size) || size <= 0) {
      throw new AddressSpaceError('bad-size', name, `RAM size ${size} is not a positive integer`);
    }
    if (options.bytes !== undefined && options.bytes.length !== size) {
      throw new AddressSpaceError('bad-size', name, `backing bytes hold ${options.bytes.length} bytes, not ${size}`);
    }
    const range = AddrRange.fromStartSize(base, size);
    const bytes = options.bytes ?? new Uint8Array(size);
    return this.insert(RAM, { name, kind: 'ram', range, overlayOf: null, device: null }, bytes);
  }

  /**
   * Adds a read-only region at `base` whose contents are `bytes`, used in
   * place and never copied (on a board: an image in flash). Guest writes to
   * it fault. Refuses what {@link addRam} refuses.
   */
  addRom(options: { name: string; base: GuestPhysAddr; bytes: Uint8Array }): RegionInfo {
    const { name, base, bytes } = options;
    if (bytes.length === 0) throw new AddressSpaceError('empty-region', name, 'ROM holds no bytes');
    const range = AddrRange.fromStartSize(base, bytes.length);
    return this.insert(ROM, { name, kind: 'rom', range, overlayOf: null, device: null }, bytes);
  }

  /**
   * Adds a device at `device.addressRange()`. With `overlayOf`, the device
   * is an overlay: it must lie inside the named RAM or ROM region, takes
   * priority over it there, and must not overlap another overlay. Without
   * it, the device must overlap nothing. Refuses an empty range and a name
   * in use.
   */
  addDevice(device: BaseDeviceOps, options: { overlayOf?: string } = {}): RegionInfo {
    const range = device.addressRange();
    const info: RegionInfo = {
      name: device.name,
      kind: 'device',
      range,
      overlayOf: options.overlayOf ?? null,
      device,
    };
    return this.insert(DEVICE, info, null);
  }

  /** Removes the region called `name`. Refuses a name that is not registered; removing a region removes its overlays too. */
  remove(name: string): void {
    const region = this.byName.get(name);
    if (region === undefined) throw new AddressSpaceError('unknown-region', name, 'is not registered');
    for (const r of this.sorted.slice()) {
      if (r === region || r.info.overlayOf === name) {
        this.sorted.splice(this.sorted.indexOf(r), 1);
        this.byName.delete(r.name);
      }
    }
    this.changed();
  }

  /** Removes `device`. Refuses a device that is not registered here. */
  removeDevice(device: BaseDeviceOps): void {
    const region = this.byName.get(device.name);
    if (region === undefined || region.device !== device) {
      throw new AddressSpaceError('unknown-region', device.name, 'no such device is registered');
    }
    this.remove(device.name);
  }

  /** Every region, sorted by start address (an overlay after the region it sits on). */
  regions(): RegionInfo[] {
    return this.sorted.map((r) => r.info);
  }

  /** The region called `name`, or undefined. */
  region(name: string): RegionInfo | undefined {
    return this.byName.get(name)?.info;
  }

  /** The region that owns `addr` (an overlay before the RAM beneath it), or null. */
  regionAt(addr: GuestPhysAddr): RegionInfo | null {
    const r = this.find(addr, 1);
    return r === null ? null : r.info;
  }

  /**
   * The largest stretch of one RAM region free of overlays, for the hart's
   * direct typed-array path; null when there is no RAM.
   */
  ramWindow(): RamWindow | null {
    let best: RamWindow | null = null;
    for (const r of this.sorted) {
      if (r.kind !== RAM || r.overlay) continue;
      const holes = this.sorted.filter((o) => o.info.overlayOf === r.name);
      let from = r.start;
      for (const hole of [...holes, null]) {
        const to = hole === null ? r.end : hole.start;
        if (to - from > (best?.bytes.length ?? 0)) {
          best = { base: from, bytes: r.bytes!.subarray(from - r.start, to - r.start) };
        }
        if (hole !== null) from = hole.end;
      }
    }
    return best;
  }

  /**
   * The RAM or ROM region holding `addr` as a direct window for instruction
   * fetch: `{ base, bytes }` over the whole region (ROM bytes are the
   * caller's, in place). Null when `addr` is in neither, or when the region
   * carries an overlay, whose device must see every access.
   */
  fetchWindow(addr: GuestPhysAddr): RamWindow | null {
    const r = this.find(addr, 1);
    if (r === null || r.bytes === null || r.overlay) return null;
    for (const o of this.sorted) if (o.info.overlayOf === r.name) return null;
    return { base: r.start, bytes: r.bytes };
  }

  /**
   * The backing bytes of `[addr, addr + length)` when they lie in one RAM
   * region outside any overlay (for loaders and bulk copies); null otherwise.
   */
  ramBytes(addr: GuestPhysAddr, length: number): Uint8Array | null {
    if (!Number.isInteger(length) || length < 0) return null;
    const r = this.find(addr, 1);
    if (r === null || r.kind !== RAM || addr + length > r.end) return null;
    for (const o of this.sorted) {
      if (o.info.overlayOf === r.name && o.start < addr + length && addr < o.end) return null;
    }
    return r.bytes!.subarray(addr - r.start, addr - r.start + length);
  }

  /** Bytes the lookup table occupies (the table only, not RAM). */
  get tableBytes(): number {
    this.refresh();
    return this.table.byteLength;
  }

  // ---------------------------------------------------------------- access

  /**
   * Reads `width` (1, 2 or 4) bytes at `addr`, little-endian. Returns the
   * unsigned value, or -1 on a fault (details in `lastFault`).
   */
  read(addr: GuestPhysAddr, width: 1 | 2 | 4): number {
    const r = this.find(addr, width);
    if (r === null) return this.readFault(addr, width);
    const b = r.bytes;
    if (b !== null) {
      const o = addr - r.start;
      if (width === 4) return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
      if (width === 1) return b[o];
      return b[o] | (b[o + 1] << 8);
    }
    const v = this.deviceRead(r, addr, width);
    return typeof v === 'number' ? v : -1;
  }

  /**
   * Writes the low `width` (1, 2 or 4) bytes of `value` at `addr`,
   * little-endian (`value` is taken modulo 2^(8*width), so int32 values
   * are fine). Returns false on a fault (details in `lastFault`).
   */
  write(addr: GuestPhysAddr, width: 1 | 2 | 4, value: number): boolean {
    const r = this.find(addr, width);
    if (r === null) return this.writeFault(addr, width);
    const b = r.bytes;
    if (b !== null) {
      if (r.kind === ROM) return this.fault('read-only', 'write', addr, width, r.name);
      const o = addr - r.start;
      b[o] = value;
      if (width >= 2) {
        b[o + 1] = value >>> 8;
        if (width === 4) {
          b[o + 2] = value >>> 16;
          b[o + 3] = value >>> 24;
        }
      }
      return true;
    }
    return this.deviceWrite(r, addr, width, width === 4 ? value >>> 0 : value & WIDTH_MASK[width]);
  }

  /** Reads 8 bytes at `addr` exactly. Returns -1n on a fault (details in `lastFault`). */
  read64(addr: GuestPhysAddr): bigint {
    const r = this.find(addr, 8);
    if (r === null) {
      this.readFault(addr, 8);
      return -1n;
    }
    if (r.bytes !== null) {
      const lo = this.read(addr, 4);
      const hi = this.read((addr + 4) as GuestPhysAddr, 4);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    const v = this.deviceRead(r, addr, 8);
    return typeof v === 'bigint' ? v : -1n;
  }

  /** Writes `value` (taken modulo 2^64) as 8 bytes at `addr`. Returns false on a fault. */
  write64(addr: GuestPhysAddr, value: bigint): boolean {
    const r = this.find(addr, 8);
    if (r === null) return this.writeFault(addr, 8);
    const v = BigInt.asUintN(64, value);
    if (r.bytes !== null) {
      if (r.kind === ROM) return this.fault('read-only', 'write', addr, 8, r.name);
      this.write(addr, 4, Number(v & 0xffffffffn));
      return this.write((addr + 4) as GuestPhysAddr, 4, Number(v >> 32n));
    }
    return this.deviceWrite(r, addr, 8, v);
  }

  // ------------------------------------------------------------- internals

  /** Why the last {@link find} returned null, for the fault it becomes. */
  private missKind: AccessFaultKind = 'unassigned';
  private missRegion: string | null = null;

  /**
   * The region that holds all of `[addr, addr + width)`, or null with the
   * reason left in `missKind` and `missRegion`.
   */
  private find(addr: number, width: number): Region | null {
    if (this.dirty) this.refresh();
    if (!(addr >= 0 && addr < PHYS_ADDR_LIMIT)) {
      this.missKind = 'unassigned';
      this.missRegion = null;
      return null;
    }
    // The table walk of findInPage, inlined: this is every device access's path (a call costs ~30 ns on XS).
    const t = this.table;
    let v = t[(addr / ROOT_SPAN) | 0];
    if (v < 0) {
      v = t[-v + ((addr >>> MID_SHIFT) & (MID_ENTRIES - 1))];
      if (v < 0) v = t[-v + ((addr >>> PAGE_SHIFT) & (PAGE_ENTRIES - 1))];
    }
    const hit = this.slots[v];
    if (hit !== null && hit.kind !== SHARED && addr >= hit.start && addr + width <= hit.end && (addr & 0xfff) + width <= 0x1000) {
      return hit;
    }
    const r = this.findInPage(addr, width);
    // An access that spills into the next page may meet an overlay there, which the first page's entry cannot know of.
    const nextPage = addr - (addr & 0xfff) + 0x1000;
    if (r !== null && addr + width > nextPage && r.bytes !== null && this.findInPage(nextPage, addr + width - nextPage) !== r) {
      this.missKind = 'crosses-boundary';
      this.missRegion = r.name;
      return null;
    }
    return r;
  }

  /** {@link find} for the 4 KiB page holding `addr`, with the reasons for a miss. */
  private findInPage(addr: number, width: number): Region | null {
    const t = this.table;
    // Only the root index needs the full 34 bits; `>>>` keeps the low 32, which hold the lower indices.
    let v = t[(addr / ROOT_SPAN) | 0];
    if (v < 0) {
      v = t[-v + ((addr >>> MID_SHIFT) & (MID_ENTRIES - 1))];
      if (v < 0) v = t[-v + ((addr >>> PAGE_SHIFT) & (PAGE_ENTRIES - 1))];
    }
    const r = this.slots[v];
    if (r === null) {
      this.missKind = 'unassigned';
      this.missRegion = null;
      return null;
    }
    if (r.kind === SHARED) return this.pickInPage(r.members!, addr, width);
    if (addr >= r.start && addr + width <= r.end) return r;
    this.missKind = addr >= r.start && addr < r.end ? 'crosses-boundary' : 'unassigned';
    this.missRegion = this.missKind === 'unassigned' ? null : r.name;
    return null;
  }

  /** Within a shared page: the first member holding `addr` (overlays first), if the access stays inside it. */
  private pickInPage(members: Region[], addr: number, width: number): Region | null {
    for (let i = 0; i < members.length; i++) {
      const r = members[i];
      if (addr < r.start || addr >= r.end) continue;
      let crosses = addr + width > r.end;
      if (!crosses && !r.overlay) {
        // An access to RAM that runs into an overlay inside the same page.
        for (let j = 0; j < members.length; j++) {
          const o = members[j];
          if (o.overlay && o.start < addr + width && addr < o.end) crosses = true;
        }
      }
      if (!crosses) return r;
      this.missKind = 'crosses-boundary';
      this.missRegion = r.name;
      return null;
    }
    this.missKind = 'unassigned';
    this.missRegion = null;
    return null;
  }

  private readFault(addr: number, width: AccessWidth): number {
    this.fault(this.missKind, 'read', addr, width, this.missRegion);
    return -1;
  }

  private writeFault(addr: number, width: AccessWidth): boolean {
    return this.fault(this.missKind, 'write', addr, width, this.missRegion);
  }

  private fault(kind: AccessFaultKind, op: 'read' | 'write', addr: number, width: AccessWidth, region: string | null, cause?: unknown): false {
    this.faultPending = true;
    this.faultKind = kind;
    this.faultOp = op;
    this.faultAddr = addr;
    this.faultWidth = width;
    this.faultRegion = region;
    this.faultCause = cause;
    return false;
  }

  /** Records why the device's rules refuse an access (callers test the rules inline first). */
  private checkDeviceAccess(r: Region, op: 'read' | 'write', addr: number, width: AccessWidth): boolean {
    if (width < r.validMin || width > r.validMax) {
      const allowed = `${r.validMin}..${r.validMax} bytes`;
      return this.fault('width-refused', op, addr, width, r.name, `the device accepts ${allowed}`);
    }
    if (!r.unaligned && (addr & (width - 1)) !== 0) return this.fault('misaligned', op, addr, width, r.name);
    return true;
  }

  private deviceRead(r: Region, addr: number, width: AccessWidth): AccessValue | null {
    if (width < r.validMin || width > r.validMax || (!r.unaligned && (addr & (width - 1)) !== 0)) {
      this.checkDeviceAccess(r, 'read', addr, width);
      return null;
    }
    const dev = r.device!;
    try {
      if (width <= r.implMax) {
        const v = dev.handleRead(addr - r.start, width);
        // The common case inline: an int32 or uint32 for a word or narrower access.
        if (typeof v === 'number' && ((v >>> 0) === v || (v | 0) === v)) return width === 4 ? v >>> 0 : v & WIDTH_MASK[width];
        return normalizeRead(v, width);
      }
      // Split into impl-sized pieces, lowest address first, assembled little-endian.
      const piece = r.implMax as AccessWidth;
      const pieceRange = 2 ** (piece * 8);
      let acc = 0; // below 2^32, so exact as a number
      let hi = 0n;
      for (let i = width / piece - 1; i >= 0; i--) {
        const part = normalizeRead(dev.handleRead(addr - r.start + i * piece, piece), piece) as number;
        if (width === 8 && i * piece >= 4) hi = (hi << BigInt(piece * 8)) | BigInt(part);
        else acc = acc * pieceRange + part;
      }
      return width === 8 ? (hi << 32n) | BigInt(acc) : acc;
    } catch (e) {
      this.fault('device-error', 'read', addr, width, r.name, e);
      return null;
    }
  }

  private deviceWrite(r: Region, addr: number, width: AccessWidth, value: AccessValue): boolean {
    if (width < r.validMin || width > r.validMax || (!r.unaligned && (addr & (width - 1)) !== 0)) {
      return this.checkDeviceAccess(r, 'write', addr, width);
    }
    const dev = r.device!;
    try {
      if (width <= r.implMax) {
        dev.handleWrite(addr - r.start, width, value);
        return true;
      }
      // Split into impl-sized pieces (impl is at most 4 here), lowest address first.
      const piece = r.implMax as AccessWidth;
      const pieceRange = 2 ** (piece * 8);
      let lo = typeof value === 'bigint' ? Number(value & 0xffffffffn) : value;
      let hi = typeof value === 'bigint' ? Number(value >> 32n) : 0;
      for (let i = 0; i < width / piece; i++) {
        if (i * piece === 4) lo = hi;
        dev.handleWrite(addr - r.start + i * piece, piece, lo % pieceRange);
        lo = Math.floor(lo / pieceRange);
      }
      return true;
    } catch (e) {
      return this.fault('device-error', 'write', addr, width, r.name, e);
    }
  }

  // ---------------------------------------------------------- registration

  private insert(kind: number, info: RegionInfo, bytes: Uint8Array | null): RegionInfo {
    const { name, range } = info;
    if (range.isEmpty()) throw new AddressSpaceError('empty-region', name, `range ${range} is empty`);
    if (this.byName.has(name)) throw new AddressSpaceError('duplicate-name', name, 'a region of that name is registered');
    if (info.overlayOf !== null) {
      const base = this.byName.get(info.overlayOf);
      if (base === undefined) throw new AddressSpaceError('unknown-region', name, `overlays '${info.overlayOf}', which is not registered`);
      if (base.kind === DEVICE) {
        throw new AddressSpaceError('overlay-target', name, `overlays '${base.name}', which is a device, not RAM or ROM`);
      }
      if (!range.containedIn(base.info.range)) {
        throw new AddressSpaceError('overlay-outside', name, `range ${range} is not inside '${base.name}' ${base.info.range}`);
      }
      for (const o of this.sorted) {
        if (o.overlay && o.info.range.overlaps(range)) throw new RegionOverlapError(name, range, o.name, o.info.range);
      }
    } else {
      const clash = this.overlapping(range);
      if (clash !== null) throw new RegionOverlapError(name, range, clash.name, clash.info.range);
    }
    const region = new Region(kind, info, bytes);
    this.sorted.splice(this.insertionIndex(region), 0, region);
    this.byName.set(name, region);
    this.changed();
    return info;
  }

  /** First index whose start is after `r`'s (an overlay goes after its base, which starts no later). */
  private insertionIndex(r: Region): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid].start <= r.start) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** A non-overlay region overlapping `range`, or null. Non-overlay regions are disjoint, so neighbours suffice. */
  private overlapping(range: AddrRange<GuestPhysAddr>): Region | null {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid].start < range.end) lo = mid + 1;
      else hi = mid;
    }
    // sorted[lo - 1] is the last region starting before range.end; walk back past overlays.
    for (let i = lo - 1; i >= 0; i--) {
      const r = this.sorted[i];
      if (r.overlay) continue;
      return r.end > range.start ? r : null;
    }
    return null;
  }

  private changed(): void {
    this.dirty = true;
    this.generationCount++;
  }

  /** Rebuilds the lookup table from the region list. */
  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const pool: number[] = new Array<number>(ROOT_ENTRIES).fill(0);
    const slots: (Region | null)[] = [null];
    const slotOf = new Map<Region, number>();
    const slot = (r: Region): number => {
      let s = slotOf.get(r);
      if (s === undefined) {
        s = slots.length;
        slots.push(r);
        slotOf.set(r, s);
      }
      return s;
    };
    // Candidates intersecting a span, overlays first so shared pages list them first.
    const all = [...this.sorted.filter((r) => r.overlay), ...this.sorted.filter((r) => !r.overlay)];
    const fill = (at: number, spanStart: number, spanSize: number, entries: number, cands: Region[]): void => {
      const entrySize = spanSize / entries;
      for (let i = 0; i < entries; i++) {
        const s = spanStart + i * entrySize;
        const e = s + entrySize;
        const here = cands.filter((r) => r.start < e && s < r.end);
        if (here.length === 0) continue;
        if (here.length === 1) pool[at + i] = slot(here[0]);
        else if (entrySize === 2 ** PAGE_SHIFT) {
          const info: RegionInfo = { name: `page@${formatAddr(s)}`, kind: 'device', range: AddrRange.fromStartSize(s as GuestPhysAddr, entrySize), overlayOf: null, device: null };
          pool[at + i] = slot(new Region(SHARED, info, null, here));
        } else {
          const child = pool.length;
          const childEntries = entrySize === ROOT_SPAN ? MID_ENTRIES : PAGE_ENTRIES;
          for (let k = 0; k < childEntries; k++) pool.push(0);
          pool[at + i] = -child;
          fill(child, s, entrySize, childEntries, here);
        }
      }
    };
    fill(0, 0, PHYS_ADDR_LIMIT, ROOT_ENTRIES, all);
    this.table = Int32Array.from(pool);
    this.slots = slots;
  }
}

/** Checks a handler's read value and returns it unsigned, masked to the width; throws on a value that is not an integer. */
function normalizeRead(v: AccessValue, width: AccessWidth): AccessValue {
  if (typeof v === 'number' && width !== 8 && ((v >>> 0) === v || (v | 0) === v)) {
    return width === 4 ? v >>> 0 : v & WIDTH_MASK[width];
  }
  if (width === 8) {
    if (typeof v === 'bigint') return BigInt.asUintN(64, v);
    if (Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff) {
    return width === 4 ? v >>> 0 : v & WIDTH_MASK[width];
  }
  throw new TypeError(`the device returned ${String(v)}, not an unsigned ${width * 8}-bit value`);
}
