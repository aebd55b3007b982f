/**
 * Puts a guest image into RAM, as QEMU's `-kernel` does on the `virt`
 * machine with `-bios none`.
 *
 * Owns the placement rules: an ELF's PT_LOAD segments at p_paddr (p_filesz
 * bytes copied, the rest up to p_memsz zeroed), anything else a raw binary
 * at the start of RAM, its entry point. Overlaps follow QEMU 7.2: file
 * bytes that overlap are refused, a zero fill may lie under a higher
 * segment's bytes. A segment on a ROM region must be exactly its contents
 * and is left in place. Every check runs before the first byte is written,
 * so a refused image leaves RAM as it was. No file I/O.
 * See docs/design.md#loading-and-boot.
 */

import { formatAddr } from '../addr/index.js';
import { ImageError } from './errors.js';
import { ELF, hasElfMagic, parseElf, type ElfSegment } from './elf.js';

/** The RAM an image is loaded into: `bytes[i]` is guest address `base + i`. */
export interface RamTarget {
  readonly base: number;
  readonly bytes: Uint8Array;
}

/**
 * A region that already holds some of the image's bytes (ROM used in
 * place): `bytes[i]` is guest address `base + i`. The loader never writes
 * to it.
 */
export interface RomTarget {
  readonly base: number;
  readonly bytes: Uint8Array;
}

/** One segment as placed in RAM. */
export interface LoadedSegment {
  /** Program header index (0 for a raw image). */
  readonly index: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  /** True when a ROM region holds the segment in place (nothing was copied). */
  readonly inRom?: boolean;
}

/** What a load produced. */
export interface LoadedImage {
  readonly format: 'elf' | 'raw';
  /** Where the hart starts. */
  readonly entry: number;
  /** The PT_LOAD segments with a p_memsz (those with p_filesz 0 wrote nothing), lowest address first. */
  readonly segments: readonly LoadedSegment[];
  /** Lowest guest address of a segment. */
  readonly lowAddr: number;
  /** One past the highest guest address of a segment (bss included). */
  readonly highAddr: number;
  /** Address of the HTIF `tohost` symbol, or null (raw images, stripped images, guests without HTIF). */
  readonly tohost: number | null;
  /** Address of the HTIF `fromhost` symbol, or null. */
  readonly fromhost: number | null;
  /** Things that load but may not run as the user hopes (e.g. a float ABI this hart lacks). */
  readonly warnings: readonly string[];
  /** Value of a defined symbol from the ELF's .symtab, or undefined. */
  symbol(name: string): number | undefined;
}

/** Options of {@link loadImage}. */
export interface LoadOptions {
  /** The image file's bytes. Not modified; kept for symbol lookups. */
  readonly image: Uint8Array;
  /**
   * The RAM to load into: one piece, or several disjoint pieces (guest
   * memory with ROM between them). Assumed zeroed unless `clear` is set.
   */
  readonly ram: RamTarget | readonly RamTarget[];
  /**
   * ROM regions holding segments in place. A PT_LOAD segment that touches
   * one must cover it exactly, with p_filesz = p_memsz and the same bytes
   * (checked; free when the ROM is a view of the image itself); it is then
   * not copied. Default: none.
   */
  readonly rom?: readonly RomTarget[];
  /** Name used in messages (usually the file name). Default `image`. */
  readonly name?: string;
  /** `auto` (default): ELF when the file starts with the ELF magic, raw otherwise. */
  readonly format?: 'auto' | 'elf' | 'raw';
  /**
   * Zero all of RAM before loading, for a reload into used RAM. Off by
   * default: fresh RAM is already zero, and touching every page of it would
   * make the host commit memory the guest may never use.
   */
  readonly clear?: boolean;
}

/**
 * Takes an image and its RAM (and ROM) targets; checks the image, copies
 * it into RAM and returns its entry point, segments and symbol lookup.
 * Refuses (with an {@link ImageError}, RAM untouched) an empty image, a raw
 * image larger than the RAM at the start of memory, and any ELF image that
 * is not ELF32 little-endian RISC-V, has truncated headers or segments,
 * p_filesz > p_memsz, a segment with file bytes outside RAM (or only
 * partly on a ROM region, or with other bytes than it), segments whose
 * file bytes overlap (QEMU refuses them too), nothing to load, or an entry
 * point outside RAM and ROM. A segment with p_filesz 0 is never refused
 * for where it lies: it writes nothing, as in QEMU.
 */
export function loadImage(options: LoadOptions): LoadedImage {
  const { image } = options;
  const ram: readonly RamTarget[] = isRamTarget(options.ram) ? [options.ram] : options.ram;
  const rom = options.rom ?? [];
  const name = options.name ?? 'image';
  const format = options.format ?? 'auto';
  if (ram.length === 0) throw new RangeError('loadImage: no RAM target given');
  if (image.length === 0) {
    throw new ImageError({ reason: 'empty', image: name, place: 'image', detail: 'the file is empty (0 bytes)' });
  }
  if (format === 'elf' || (format === 'auto' && hasElfMagic(image))) return loadElf(image, ram, rom, name, options.clear === true);
  return loadRaw(image, ram, rom, name, options.clear === true);
}

function isRamTarget(r: RamTarget | readonly RamTarget[]): r is RamTarget {
  return !Array.isArray(r);
}

function ramEnd(ram: RamTarget): number {
  return ram.base + ram.bytes.length;
}

function ramText(ram: readonly RamTarget[]): string {
  const spans = ram.map((r) => `[${formatAddr(r.base)}, ${formatAddr(ramEnd(r))})`);
  return `RAM ${spans.join(' ')}`;
}

/** The RAM piece holding all of `[addr, addr + size)`, or null. */
function ramHolding(ram: readonly RamTarget[], addr: number, size: number): RamTarget | null {
  for (const r of ram) if (addr >= r.base && addr + size <= ramEnd(r)) return r;
  return null;
}

/** True when `a` and `b` hold the same bytes; a view of the same memory is not compared byte by byte. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.buffer === b.buffer && a.byteOffset === b.byteOffset) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function clearRam(ram: readonly RamTarget[]): void {
  for (const r of ram) r.bytes.fill(0);
}

function loadRaw(image: Uint8Array, ramPieces: readonly RamTarget[], rom: readonly RomTarget[], name: string, clear: boolean): LoadedImage {
  // A raw image goes at the start of guest memory, which must be RAM.
  let start = Infinity;
  for (const r of ramPieces) if (r.base < start) start = r.base;
  for (const r of rom) {
    if (r.base <= start) {
      throw new ImageError({ reason: 'outside-ram', image: name, place: 'raw image', offset: 0,
        detail: `the start of memory ${formatAddr(r.base)} is ROM; a raw image can only be loaded into RAM` });
    }
  }
  const ram = ramHolding(ramPieces, start, 1)!;
  if (image.length > ram.bytes.length) {
    throw new ImageError({ reason: 'outside-ram', image: name, place: 'raw image', offset: ram.bytes.length,
      detail: `${image.length} bytes do not fit in ${ramText([ram])} of ${ram.bytes.length} bytes` });
  }
  if (clear) clearRam(ramPieces);
  ram.bytes.set(image, 0);
  const seg: LoadedSegment = Object.freeze({ index: 0, paddr: ram.base, filesz: image.length, memsz: image.length });
  return Object.freeze({
    format: 'raw' as const,
    entry: ram.base,
    segments: Object.freeze([seg]),
    lowAddr: ram.base,
    highAddr: ram.base + image.length,
    tohost: null,
    fromhost: null,
    warnings: Object.freeze([]),
    symbol: (): undefined => undefined,
  });
}

function loadElf(image: Uint8Array, ram: readonly RamTarget[], rom: readonly RomTarget[], name: string, clear: boolean): LoadedImage {
  const elf = parseElf(image, name);
  const placed = elf.segments.filter((s) => s.memsz > 0);
  if (placed.length === 0) {
    throw new ImageError({ reason: 'no-segments', image: name, place: 'program header table', offset: null,
      detail: 'no PT_LOAD segment with bytes to load' });
  }
  const where = (s: ElfSegment): string => `program header ${s.index} (PT_LOAD at ${formatAddr(s.paddr)})`;
  // QEMU's order: by address, program header order between equal addresses (explicit, whatever the engine's sort).
  const byAddr = placed.slice().sort((a, b) => a.paddr - b.paddr || a.index - b.index);
  // Only segments with file bytes write anything (QEMU skips a blob without data, zero fill included).
  const written = byAddr.filter((s) => s.filesz > 0);
  const inRom = new Set<ElfSegment>();
  for (const s of written) {
    const span = `[${formatAddr(s.paddr)}, ${formatAddr(s.paddr + s.memsz)})`;
    const onRom = rom.find((r) => r.base < s.paddr + s.memsz && s.paddr < r.base + r.bytes.length);
    if (onRom !== undefined) {
      const romSpan = `ROM [${formatAddr(onRom.base)}, ${formatAddr(onRom.base + onRom.bytes.length)})`;
      if (onRom.base !== s.paddr || s.filesz !== s.memsz || onRom.bytes.length !== s.memsz) {
        throw new ImageError({ reason: 'rom-mismatch', image: name, place: where(s), offset: s.headerOffset + 12,
          detail: `${span} (p_filesz ${s.filesz}) lands on ${romSpan} without covering it exactly with file bytes` });
      }
      if (!sameBytes(onRom.bytes, image.subarray(s.offset, s.offset + s.filesz))) {
        throw new ImageError({ reason: 'rom-mismatch', image: name, place: where(s), offset: s.offset,
          detail: `its bytes differ from those of ${romSpan}` });
      }
      inRom.add(s);
    } else if (ramHolding(ram, s.paddr, s.memsz) === null) {
      throw new ImageError({ reason: 'outside-ram', image: name, place: where(s), offset: s.headerOffset + 12,
        detail: `${span} is not inside ${ramText(ram)}` });
    }
  }
  // QEMU compares neighbours in address order, file bytes only: "Some ROM regions are overlapping".
  for (let i = 1; i < written.length; i++) {
    const a = written[i - 1];
    const b = written[i];
    if (b.paddr < a.paddr + a.filesz) {
      throw new ImageError({ reason: 'overlapping-segments', image: name, place: where(b), offset: b.headerOffset + 12,
        detail: `its file bytes [${formatAddr(b.paddr)}, ${formatAddr(b.paddr + b.filesz)}) overlap those of program header ${a.index} ` +
          `[${formatAddr(a.paddr)}, ${formatAddr(a.paddr + a.filesz)})` });
    }
  }
  if (ramHolding(ram, elf.entry, 1) === null && !rom.some((r) => elf.entry >= r.base && elf.entry < r.base + r.bytes.length)) {
    throw new ImageError({ reason: 'entry-outside-ram', image: name, place: 'ELF header', offset: 24,
      detail: `e_entry ${formatAddr(elf.entry)} is not inside ${ramText(ram)}${rom.length > 0 ? ' or ROM' : ''}` });
  }

  // Every check passed: now write, in address order, so a zero fill never covers file bytes placed above it.
  if (clear) clearRam(ram);
  for (const s of written) {
    if (inRom.has(s)) continue;
    const piece = ramHolding(ram, s.paddr, s.memsz)!;
    const at = s.paddr - piece.base;
    piece.bytes.set(image.subarray(s.offset, s.offset + s.filesz), at);
    // The bss part is zeroed explicitly: RAM may hold a previous run's bytes.
    if (s.memsz > s.filesz) piece.bytes.fill(0, at + s.filesz, at + s.memsz);
  }

  const warnings: string[] = [];
  const floatAbi = elf.flags & ELF.EF_RISCV_FLOAT_ABI;
  if (floatAbi !== 0) {
    const abi = floatAbi === 2 ? 'single' : floatAbi === 4 ? 'double' : 'quad';
    warnings.push(`${name}: built for the ${abi}-float ABI; this hart has no F/D extension, so float instructions will trap`);
  }
  const tohost = elf.symbol('tohost');
  const fromhost = elf.symbol('fromhost');
  let highAddr = 0;
  for (const s of byAddr) if (s.paddr + s.memsz > highAddr) highAddr = s.paddr + s.memsz;
  return Object.freeze({
    format: 'elf' as const,
    entry: elf.entry,
    segments: Object.freeze(byAddr.map((s) => Object.freeze({ index: s.index, paddr: s.paddr, filesz: s.filesz, memsz: s.memsz, inRom: inRom.has(s) }))),
    lowAddr: byAddr[0].paddr,
    highAddr,
    tohost: tohost ?? null,
    fromhost: fromhost ?? null,
    warnings: Object.freeze(warnings),
    symbol: (sym: string): number | undefined => elf.symbol(sym),
  });
}
