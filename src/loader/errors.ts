/**
 * Why a guest image was refused.
 *
 * Owns {@link ImageError}, the one error the loader throws. Each carries the
 * image's name, the place in the file (the ELF header, a program header, a
 * section) and the file offset where the problem lies, so a user can find it
 * with `readelf` or a hex dump.
 */

import { formatAddr } from '../addr/index.js';

/** What is wrong with an image. */
export type ImageErrorReason =
  | 'empty' // zero bytes
  | 'not-elf' // asked for ELF, no ELF magic
  | 'bad-class' // not ELFCLASS32
  | 'bad-endianness' // not little-endian
  | 'bad-version' // EI_VERSION or e_version is not 1
  | 'bad-type' // not an executable (ET_EXEC or ET_DYN)
  | 'bad-machine' // not EM_RISCV
  | 'truncated-header' // the ELF header, program headers or section headers run past the end of the file
  | 'bad-header-size' // e_ehsize, e_phentsize or e_shentsize smaller than the ELF32 structures
  | 'too-many-segments' // e_phnum beyond what any real image needs
  | 'no-segments' // nothing to load
  | 'truncated-segment' // a segment's file bytes run past the end of the file
  | 'filesz-exceeds-memsz' // p_filesz > p_memsz
  | 'outside-ram' // a segment (or a raw image) does not lie inside RAM
  | 'overlapping-segments' // two PT_LOAD segments share guest addresses
  | 'rom-mismatch' // a segment lands on a ROM region without being exactly its bytes
  | 'bad-symtab' // the symbol or string table lies outside the file or is malformed
  | 'entry-outside-ram'; // e_entry does not point into RAM

/** A guest image the loader refused. Nothing has been written to RAM when it is thrown. */
export class ImageError extends Error {
  readonly reason: ImageErrorReason;
  /** The image's name as the caller gave it (usually its file name). */
  readonly image: string;
  /** Where in the image: `ELF header`, `program header 2`, `section 5 (.symtab)`, `image`. */
  readonly place: string;
  /** The byte offset in the file where the problem lies, or null when it is not about one offset. */
  readonly offset: number | null;

  constructor(options: { reason: ImageErrorReason; image: string; place: string; offset?: number | null; detail: string }) {
    const { reason, image, place, detail } = options;
    const offset = options.offset ?? null;
    const at = offset === null ? '' : ` (file offset ${formatAddr(offset)})`;
    super(`${image}: ${place}${at}: ${detail}`);
    Object.defineProperty(this, 'name', { value: 'ImageError', writable: true, configurable: true });
    this.reason = reason;
    this.image = image;
    this.place = place;
    this.offset = offset;
  }
}
