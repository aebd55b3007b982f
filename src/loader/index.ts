/** Guest image loading: ELF32 RISC-V and raw binaries into RAM, no file I/O. */
export * from './errors.js';
export { ELF, MAX_PROGRAM_HEADERS, hasElfMagic, parseElf, type ElfImage, type ElfSegment } from './elf.js';
export * from './load.js';
