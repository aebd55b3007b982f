/**
 * Guest memory of a virt VM: RAM pieces around read-only regions used in
 * place, the data images copied in at boot, and a device tree blob given
 * instead of the generated one. Each check refuses with a VmConfigError
 * naming the option and the place.
 */

import { guestPhysAddr, type GuestPhysAddr } from '../addr/index.js';
import type { GuestAddressSpace } from '../addrspace/index.js';
import { FdtError, fdtWithBootargs, parseFdt } from '../fdt/index.js';
import type { LoadedImage, RamTarget } from '../loader/index.js';
import { VmConfigError } from './errors.js';

/** A data image for {@link VirtMachineOptions.loads}: copied into RAM at `addr` on every boot. */
export interface DataImage {
  /** Its name in messages (usually the file name). */
  readonly name: string;
  /** Guest physical address of its first byte. */
  readonly addr: number;
  readonly bytes: Uint8Array;
}

/** One read-only region of guest memory (see {@link VirtMachineOptions.rom}). */
export interface RomRegion {
  /** Region name in the address space, e.g. `rom@80000000`. */
  readonly name: string;
  /** Guest physical address of its first byte. */
  readonly base: number;
  /** Its contents, used in place. */
  readonly bytes: Uint8Array;
}

/** True when the image starts with the ELF magic (the loader's own test for `auto`). */
export function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** `[a, a + n)` in hex, for messages. */
function span(a: number, n: number): string {
  return `[0x${a.toString(16)}, 0x${(a + n).toString(16)})`;
}

/**
 * Checks the ROM regions (each inside guest memory `[base, base + size)`,
 * non-empty, overlapping no other) and returns them sorted by address.
 */
export function checkRom(rom: readonly RomRegion[], base: number, size: number): RomRegion[] {
  for (const r of rom) {
    if (r === null || typeof r !== 'object' || !(r.bytes instanceof Uint8Array) || typeof r.name !== 'string' || !Number.isSafeInteger(r.base)) {
      throw new VmConfigError('bad-option', 'rom', 'each ROM region must be { name: string, base: number, bytes: Uint8Array }');
    }
  }
  const sorted = [...rom].sort((a, b) => a.base - b.base);
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i];
    const end = r.base + r.bytes.length;
    if (r.bytes.length === 0) throw new VmConfigError('bad-option', 'rom', `${r.name} holds no bytes`);
    if (r.base < base || end > base + size) {
      throw new VmConfigError('bad-option', 'rom', `${r.name} ${span(r.base, r.bytes.length)} is not inside guest memory ${span(base, size)}`);
    }
    const prev = i > 0 ? sorted[i - 1] : null;
    if (prev !== null && prev.base + prev.bytes.length > r.base) throw new VmConfigError('bad-option', 'rom', `${r.name} ${span(r.base, r.bytes.length)} overlaps ${prev.name}`);
  }
  return sorted;
}

/**
 * Registers guest memory `[base, base + size)` in `space`: the ROM regions
 * (sorted, checked), and RAM for every stretch between them (all of it when
 * there is no ROM). Returns the RAM pieces, lowest first.
 */
export function mapMemory(space: GuestAddressSpace, base: number, size: number, rom: readonly RomRegion[]): RamTarget[] {
  if (rom.length === 0) {
    space.addRam({ name: 'ram', base: guestPhysAddr(base), size });
    return [{ base, bytes: space.ramBytes(base as GuestPhysAddr, size)! }];
  }
  const pieces: RamTarget[] = [];
  const addPiece = (from: number, to: number): void => {
    if (to <= from) return;
    // The backing store sits at the guest address's offset modulo 4, so the hart's word views of it stay aligned.
    const pad = from & 3;
    const bytes = new Uint8Array(new ArrayBuffer(to - from + pad), pad, to - from);
    space.addRam({ name: pieces.length === 0 ? 'ram' : `ram.${pieces.length}`, base: guestPhysAddr(from), size: to - from, bytes });
    pieces.push({ base: from, bytes });
  };
  let at = base;
  for (const r of rom) {
    addPiece(at, r.base);
    space.addRom({ name: r.name, base: guestPhysAddr(r.base), bytes: r.bytes });
    at = r.base + r.bytes.length;
  }
  addPiece(at, base + size);
  return pieces;
}

/** The RAM pieces from guest address `from` on (for a raw image that must load there: the loader puts it at the start of what it is given). */
export function ramFrom(ram: readonly RamTarget[], from: number): RamTarget[] {
  const out: RamTarget[] = [];
  for (const p of ram) {
    const end = p.base + p.bytes.length;
    if (end <= from) continue;
    const start = p.base > from ? p.base : from;
    out.push({ base: start, bytes: p.bytes.subarray(start - p.base) });
  }
  return out;
}

/**
 * A device tree blob given instead of the generated one: checked (it must
 * parse), cut to its totalsize, and with `bootargs` set in /chosen as
 * QEMU's -append does. Refuses a bad blob with a VmConfigError naming it.
 */
export function givenDeviceTree(dtb: Uint8Array, name: string, bootargs: string | undefined): Uint8Array {
  try {
    const parsed = parseFdt(dtb);
    return bootargs === undefined ? dtb.slice(0, parsed.totalSize) : fdtWithBootargs(dtb, bootargs);
  } catch (e) {
    if (!(e instanceof FdtError)) throw e;
    throw new VmConfigError('bad-device-tree', 'dtb', `${name}: not a usable device tree blob: ${e.message}`);
  }
}

/** What {@link checkLoads} checks data images against. */
export interface LoadContext {
  readonly space: GuestAddressSpace;
  readonly image: LoadedImage;
  readonly imageName: string;
  readonly fdtAddress: number;
  readonly fdtSize: number;
  readonly ramBase: number;
  readonly ramSize: number;
  readonly hasRom: boolean;
}

/**
 * Checks the data images: each non-empty, inside one RAM piece (not ROM),
 * clear of the image's file bytes, the device tree and each other (QEMU
 * refuses overlapping ROM blobs). Returns them sorted by address.
 */
export function checkLoads(loads: readonly DataImage[], c: LoadContext): readonly DataImage[] {
  const taken: { what: string; start: number; end: number }[] = [];
  for (const s of c.image.segments) {
    if (s.filesz > 0) taken.push({ what: `${c.imageName} (program header ${s.index}) at ${span(s.paddr, s.filesz)}`, start: s.paddr, end: s.paddr + s.filesz });
  }
  taken.push({ what: `the device tree at ${span(c.fdtAddress, c.fdtSize)}`, start: c.fdtAddress, end: c.fdtAddress + c.fdtSize });
  for (const l of loads) {
    if (l === null || typeof l !== 'object' || !(l.bytes instanceof Uint8Array) || typeof l.name !== 'string' || !Number.isSafeInteger(l.addr) || l.addr < 0) {
      throw new VmConfigError('bad-option', 'loads', 'each data image must be { name: string, addr: number, bytes: Uint8Array }');
    }
    const at = `${l.name}@0x${l.addr.toString(16)}`;
    if (l.bytes.length === 0) throw new VmConfigError('bad-load', 'loads', `${at}: the file is empty (0 bytes)`);
    if (c.space.ramBytes(l.addr as GuestPhysAddr, l.bytes.length) === null) {
      throw new VmConfigError('bad-load', 'loads', `${at}: ${span(l.addr, l.bytes.length)} (${l.bytes.length} bytes) is not inside guest RAM ` +
        `${span(c.ramBase, c.ramSize)}${c.hasRom ? ' outside its ROM regions' : ''}`);
    }
    const end = l.addr + l.bytes.length;
    const hit = taken.find((t) => l.addr < t.end && t.start < end);
    if (hit !== undefined) throw new VmConfigError('bad-load', 'loads', `${at}: ${span(l.addr, l.bytes.length)} overlaps ${hit.what}`);
    taken.push({ what: `${at} ${span(l.addr, l.bytes.length)}`, start: l.addr, end });
  }
  return Object.freeze([...loads].sort((a, b) => a.addr - b.addr));
}
