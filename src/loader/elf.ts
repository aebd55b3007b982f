/**
 * ELF32 little-endian RISC-V parsing: the ELF header, the program headers
 * and the symbol table, read from a Uint8Array with every offset checked
 * against the file's length first.
 *
 * Owns the reading only; placing segments in RAM is `load.ts`'s job. Layouts
 * follow the System V ABI (gABI) "Object Files" chapter; RISC-V values
 * (EM_RISCV = 243, e_flags) follow the RISC-V ELF psABI.
 */

import { formatAddr } from '../addr/index.js';
import { ImageError } from './errors.js';

/** Constants of the ELF32 format used here (gABI). */
export const ELF = Object.freeze({
  MAGIC: Object.freeze([0x7f, 0x45, 0x4c, 0x46]), // "\x7fELF"
  CLASS32: 1,
  DATA_LSB: 1,
  VERSION_CURRENT: 1,
  ET_EXEC: 2,
  ET_DYN: 3,
  EM_RISCV: 243,
  EHDR_SIZE: 52,
  PHDR_SIZE: 32,
  SHDR_SIZE: 40,
  SYM_SIZE: 16,
  PT_LOAD: 1,
  SHT_SYMTAB: 2,
  SHT_STRTAB: 3,
  SHN_UNDEF: 0,
  /** e_flags bits (RISC-V psABI). */
  EF_RISCV_FLOAT_ABI: 0x6,
  EF_RISCV_RVE: 0x8,
});

/**
 * More program headers than any real image has (linkers emit a handful).
 * A larger e_phnum is a corrupt header, refused before anything is read.
 */
export const MAX_PROGRAM_HEADERS = 256;

/** One PT_LOAD program header. */
export interface ElfSegment {
  /** Index in the program header table (for messages). */
  readonly index: number;
  /** File offset of the program header itself. */
  readonly headerOffset: number;
  /** p_offset: where the segment's bytes start in the file. */
  readonly offset: number;
  /** p_paddr: where the segment goes in guest physical memory. */
  readonly paddr: number;
  /** p_vaddr, for messages only. */
  readonly vaddr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly flags: number;
}

/** What the loader needs from an ELF file. */
export interface ElfImage {
  readonly type: number;
  readonly entry: number;
  readonly flags: number;
  /** The PT_LOAD segments, in program header order (empty ones included). */
  readonly segments: readonly ElfSegment[];
  /** Value of a defined symbol from .symtab, or undefined (also when there is no .symtab). */
  symbol(name: string): number | undefined;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** True when `bytes` starts with the ELF magic number. */
export function hasElfMagic(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  for (let i = 0; i < 4; i++) if (bytes[i] !== ELF.MAGIC[i]) return false;
  return true;
}

/**
 * Takes the bytes of an ELF file and the name to use in messages; returns
 * its header fields, PT_LOAD segments and symbol lookup. Refuses, with an
 * {@link ImageError} naming the place and offset, anything that is not an
 * ELF32 little-endian RISC-V executable or whose headers, segments or
 * symbol table do not lie inside the file. Does not check addresses
 * against RAM (the loader does).
 */
export function parseElf(bytes: Uint8Array, image: string): ElfImage {
  const fail = (reason: ConstructorParameters<typeof ImageError>[0]['reason'], place: string, offset: number | null, detail: string): never => {
    throw new ImageError({ reason, image, place, offset, detail });
  };
  const size = bytes.length;
  const H = 'ELF header';

  if (!hasElfMagic(bytes)) fail('not-elf', H, 0, 'no ELF magic number (7f 45 4c 46)');
  if (size < 6) fail('truncated-header', H, size, `the file ends after ${size} bytes, inside e_ident`);
  if (bytes[4] !== ELF.CLASS32) {
    const what = bytes[4] === 2 ? 'ELFCLASS64 (a 64-bit image; this hart is RV32)' : `class ${bytes[4]}`;
    fail('bad-class', H, 4, `EI_CLASS is ${what}, expected ELFCLASS32`);
  }
  if (bytes[5] !== ELF.DATA_LSB) {
    const what = bytes[5] === 2 ? 'ELFDATA2MSB (big-endian)' : `encoding ${bytes[5]}`;
    fail('bad-endianness', H, 5, `EI_DATA is ${what}, expected ELFDATA2LSB (little-endian)`);
  }
  if (size < ELF.EHDR_SIZE) {
    fail('truncated-header', H, size, `the file is ${size} bytes, shorter than the 52-byte ELF32 header`);
  }
  if (bytes[6] !== ELF.VERSION_CURRENT) fail('bad-version', H, 6, `EI_VERSION is ${bytes[6]}, expected 1`);
  const type = u16(bytes, 16);
  if (type !== ELF.ET_EXEC && type !== ELF.ET_DYN) {
    const what = type === 1 ? 'ET_REL (an object file: link it first)' : type === 4 ? 'ET_CORE (a core dump)' : `${type}`;
    fail('bad-type', H, 16, `e_type is ${what}, expected ET_EXEC`);
  }
  const machine = u16(bytes, 18);
  if (machine !== ELF.EM_RISCV) fail('bad-machine', H, 18, `e_machine is ${machine}, expected EM_RISCV (243)`);
  const version = u32(bytes, 20);
  if (version !== ELF.VERSION_CURRENT) fail('bad-version', H, 20, `e_version is ${version}, expected 1`);
  const entry = u32(bytes, 24);
  const phoff = u32(bytes, 28);
  const shoff = u32(bytes, 32);
  const flags = u32(bytes, 36);
  const ehsize = u16(bytes, 40);
  const phentsize = u16(bytes, 42);
  const phnum = u16(bytes, 44);
  const shentsize = u16(bytes, 46);
  const shnum = u16(bytes, 48);

  if (ehsize < ELF.EHDR_SIZE) fail('bad-header-size', H, 40, `e_ehsize is ${ehsize}, smaller than the 52-byte ELF32 header`);
  if (phnum === 0) fail('no-segments', H, 44, 'e_phnum is 0: the image has no program headers, so nothing to load');
  if (phnum > MAX_PROGRAM_HEADERS) {
    fail('too-many-segments', H, 44, `e_phnum is ${phnum}, more than the ${MAX_PROGRAM_HEADERS} this loader accepts`);
  }
  if (phentsize < ELF.PHDR_SIZE) {
    fail('bad-header-size', H, 42, `e_phentsize is ${phentsize}, smaller than the 32-byte ELF32 program header`);
  }
  if (phoff + phnum * phentsize > size) {
    fail('truncated-header', 'program header table', phoff,
      `${phnum} headers of ${phentsize} bytes at ${formatAddr(phoff)} run past the end of the file (${size} bytes)`);
  }

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (u32(bytes, o) !== ELF.PT_LOAD) continue;
    const seg: ElfSegment = Object.freeze({
      index: i,
      headerOffset: o,
      offset: u32(bytes, o + 4),
      vaddr: u32(bytes, o + 8),
      paddr: u32(bytes, o + 12),
      filesz: u32(bytes, o + 16),
      memsz: u32(bytes, o + 20),
      flags: u32(bytes, o + 24),
    });
    const place = `program header ${i} (PT_LOAD at ${formatAddr(seg.paddr)})`;
    if (seg.filesz > seg.memsz) {
      fail('filesz-exceeds-memsz', place, o + 16,
        `p_filesz ${formatAddr(seg.filesz)} is larger than p_memsz ${formatAddr(seg.memsz)}`);
    }
    if (seg.offset + seg.filesz > size) {
      fail('truncated-segment', place, seg.offset,
        `${formatAddr(seg.filesz)} bytes at file offset ${formatAddr(seg.offset)} run past the end of the file (${formatAddr(size)} bytes)`);
    }
    segments.push(seg);
  }
  Object.freeze(segments);

  const symtab = findSymtab(bytes, image, shoff, shentsize, shnum);
  return Object.freeze({
    type,
    entry,
    flags,
    segments,
    symbol(name: string): number | undefined {
      return symtab === null ? undefined : lookup(bytes, symtab, name);
    },
  });
}

/** Where the symbol table and its strings lie, all checked against the file. */
interface SymtabPlace {
  readonly offset: number;
  readonly count: number;
  readonly entsize: number;
  readonly strOffset: number;
  readonly strSize: number;
}

/**
 * Finds .symtab (the first SHT_SYMTAB section) and its string table.
 * Returns null when the image has no section headers or no symbol table
 * (a stripped image loads fine, it just has no `tohost`). Refuses a
 * section table, symbol table or string table outside the file.
 */
function findSymtab(bytes: Uint8Array, image: string, shoff: number, shentsize: number, shnum: number): SymtabPlace | null {
  if (shoff === 0 || shnum === 0) return null;
  const size = bytes.length;
  if (shentsize < ELF.SHDR_SIZE) {
    throw new ImageError({ reason: 'bad-header-size', image, place: 'ELF header', offset: 46,
      detail: `e_shentsize is ${shentsize}, smaller than the 40-byte ELF32 section header` });
  }
  if (shoff + shnum * shentsize > size) {
    throw new ImageError({ reason: 'truncated-header', image, place: 'section header table', offset: shoff,
      detail: `${shnum} headers of ${shentsize} bytes at ${formatAddr(shoff)} run past the end of the file (${size} bytes)` });
  }
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    if (u32(bytes, o + 4) !== ELF.SHT_SYMTAB) continue;
    const place = `section ${i} (SHT_SYMTAB)`;
    const offset = u32(bytes, o + 16);
    const symSize = u32(bytes, o + 20);
    const link = u32(bytes, o + 24);
    const entsize = u32(bytes, o + 36) || ELF.SYM_SIZE;
    if (entsize < ELF.SYM_SIZE) {
      throw new ImageError({ reason: 'bad-symtab', image, place, offset: o + 36,
        detail: `sh_entsize is ${entsize}, smaller than the 16-byte ELF32 symbol` });
    }
    if (offset + symSize > size) {
      throw new ImageError({ reason: 'bad-symtab', image, place, offset,
        detail: `${formatAddr(symSize)} bytes at ${formatAddr(offset)} run past the end of the file (${formatAddr(size)} bytes)` });
    }
    if (link === 0 || link >= shnum) {
      throw new ImageError({ reason: 'bad-symtab', image, place, offset: o + 24,
        detail: `sh_link is ${link}, not the index of a string table section (there are ${shnum} sections)` });
    }
    const so = shoff + link * shentsize;
    const strPlace = `section ${link} (string table of section ${i})`;
    if (u32(bytes, so + 4) !== ELF.SHT_STRTAB) {
      throw new ImageError({ reason: 'bad-symtab', image, place: strPlace, offset: so + 4,
        detail: `sh_type is ${u32(bytes, so + 4)}, expected SHT_STRTAB (3)` });
    }
    const strOffset = u32(bytes, so + 16);
    const strSize = u32(bytes, so + 20);
    if (strOffset + strSize > size) {
      throw new ImageError({ reason: 'bad-symtab', image, place: strPlace, offset: strOffset,
        detail: `${formatAddr(strSize)} bytes at ${formatAddr(strOffset)} run past the end of the file (${formatAddr(size)} bytes)` });
    }
    return Object.freeze({ offset, count: Math.floor(symSize / entsize), entsize, strOffset, strSize });
  }
  return null;
}

/**
 * The value of the first defined symbol called `name`, or undefined.
 * Compares bytes in place (no string per symbol) since a symbol table can
 * hold thousands of entries and this may run under XS. A name running off
 * the end of the string table matches nothing.
 */
function lookup(bytes: Uint8Array, t: SymtabPlace, name: string): number | undefined {
  const n = name.length;
  for (let i = 0; i < t.count; i++) {
    const o = t.offset + i * t.entsize;
    if (u16(bytes, o + 14) === ELF.SHN_UNDEF) continue;
    const nameOff = u32(bytes, o);
    if (nameOff + n >= t.strSize) continue;
    const s = t.strOffset + nameOff;
    let same = bytes[s + n] === 0;
    for (let k = 0; same && k < n; k++) same = bytes[s + k] === name.charCodeAt(k);
    if (same) return u32(bytes, o + 4);
  }
  return undefined;
}
