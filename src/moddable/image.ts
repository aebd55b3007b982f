/**
 * The guest image as it sits in flash: which of its bytes the guest may
 * use in place, and how much RAM it needs.
 *
 * On a board the image is a Resource, a read-only view of flash that
 * costs no RAM. A PT_LOAD segment the ELF marks read-only (no PF_W: code
 * and constants) and whose bytes are all in the file (p_filesz =
 * p_memsz, so no zero-filled tail) can be mapped as a ROM region over
 * those flash bytes instead of being copied; only writable segments (data,
 * bss, heap, stack) need RAM. A raw image has no such marks and is all RAM.
 *
 * Planning reads the ELF headers in place (the loader's parser) and
 * allocates nothing proportional to the image.
 */

import { VIRT_MAP, buildVirtDeviceTree } from '../machine/index.js';
import { hasElfMagic, parseElf } from '../loader/index.js';

/** Program header flag bits (System V gABI, "Segment Flag Bits"). */
export const SegmentFlag = Object.freeze({ X: 1, W: 2, R: 4 } as const);

/** RAM is handed out, and the device tree placed, in pages of this size. */
const PAGE = 4096;

/** One read-only segment usable in place. */
export interface RomSegment {
  /** Region name for the address space (`rom@80000000`). */
  readonly name: string;
  /** Guest physical address of its first byte. */
  readonly base: number;
  /** Its bytes: a view into the image, never a copy. */
  readonly bytes: Uint8Array;
}

/** What the image needs of the machine. */
export interface GuestImagePlan {
  readonly format: 'elf' | 'raw';
  /** Where the hart starts. */
  readonly entry: number;
  /** Read-only segments that can stay in flash, lowest address first. */
  readonly rom: readonly RomSegment[];
  /** Bytes of those segments. */
  readonly romBytes: number;
  /** Bytes of the segments that must be in RAM (memory sizes: bss, heap and stack included). */
  readonly ramBytes: number;
  /** One past the highest guest address of any segment. */
  readonly highAddr: number;
}

function pageUp(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}

/**
 * Takes the image's bytes (in place; a view of flash on a board) and its
 * name for messages; returns what the image needs. Refuses what the
 * loader's ELF parser refuses (an ImageError). An image without the ELF
 * magic is raw: loaded at the start of RAM, entry there, all of it RAM.
 */
export function planGuestImage(image: Uint8Array, name: string): GuestImagePlan {
  const base = VIRT_MAP.dram.base;
  if (!hasElfMagic(image)) {
    return Object.freeze({
      format: 'raw' as const,
      entry: base,
      rom: Object.freeze([]),
      romBytes: 0,
      ramBytes: image.length,
      highAddr: base + image.length,
    });
  }
  const elf = parseElf(image, name);
  const rom: RomSegment[] = [];
  let romBytes = 0;
  let ramBytes = 0;
  let high = base;
  for (const s of elf.segments) {
    if (s.memsz === 0) continue;
    if (s.paddr + s.memsz > high) high = s.paddr + s.memsz;
    if ((s.flags & SegmentFlag.W) === 0 && s.filesz === s.memsz) {
      rom.push(Object.freeze({ name: `rom@${s.paddr.toString(16)}`, base: s.paddr, bytes: image.subarray(s.offset, s.offset + s.filesz) }));
      romBytes += s.filesz;
    } else {
      ramBytes += s.memsz;
    }
  }
  rom.sort((a, b) => a.base - b.base);
  return Object.freeze({ format: 'elf' as const, entry: elf.entry, rom: Object.freeze(rom), romBytes, ramBytes, highAddr: high });
}

/**
 * The smallest guest RAM, in whole pages, that holds the image from the
 * start of RAM up to its highest address and, above it, the device tree
 * the monitor writes at the top of RAM (QEMU's placement). `ramSize` is
 * the size the tree will describe (its size barely depends on it).
 */
export function minimumRam(plan: GuestImagePlan, options: { ramSize: number; gpio: boolean; virtio: boolean }): number {
  const fdt = buildVirtDeviceTree({
    ramSize: options.ramSize,
    ramBase: VIRT_MAP.dram.base,
    gpio: options.gpio,
    virtioSlots: options.virtio ? undefined : 0,
  });
  return pageUp(plan.highAddr - VIRT_MAP.dram.base) + pageUp(fdt.length);
}
