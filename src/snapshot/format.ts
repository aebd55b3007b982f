/**
 * The snapshot file: header, tagged sections, CRC-32 trailer, and the VM
 * snapshot model those sections carry (layout: docs/snapshot.md).
 *
 * Owns the layout (magic `XSVSNAP\0`, {@link SNAPSHOT_FORMAT_VERSION},
 * length, sections of a 4-byte tag, u32 length and content, CRC-32 of
 * every byte before it) and the VM sections (`META`, `HART`, `VMST`,
 * `CLCK`, one `DEVC` per device, one `RAM ` per piece of RAM with its
 * non-zero 4 KiB pages). {@link decodeVmSnapshot} checks magic, version,
 * length, checksum, then bounds-checks every section, and refuses with a
 * {@link SnapshotError} only. It knows state records, not the objects
 * they come from. See docs/design.md#saved-state-and-snapshots.
 */

import type { DeviceState } from '../state/index.js';
import { ByteReader, ByteWriter, readState, writeState } from './codec.js';
import { crc32 } from './crc32.js';
import { SnapshotError } from './errors.js';

/** The first 8 bytes of every snapshot file: `XSVSNAP` and a NUL. */
export const SNAPSHOT_MAGIC = Object.freeze([0x58, 0x53, 0x56, 0x53, 0x4e, 0x41, 0x50, 0x00]);
/** The format version this build writes and the only one it reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** Header bytes before the first section. */
export const SNAPSHOT_HEADER_SIZE = 16;
/** Granule of RAM pages: pages that are all zero are left out. */
export const SNAPSHOT_PAGE = 4096;
/** Most sections a file may hold (a VM has about 15): bounds the work a forged file can ask for. */
export const MAX_SECTIONS = 4096;

/** What a snapshot was taken from; restoring refuses a VM that differs (see {@link snapshotMismatch}). */
export interface SnapshotMeta {
  /** The xsvisor version that wrote it (informative; not checked). */
  readonly producer: string;
  /** The board's name and a CRC-32 of its description. */
  readonly board: string;
  readonly boardHash: number;
  /** Guest memory's base and size in bytes. */
  readonly ramBase: number;
  readonly ramSize: number;
  /** CRC-32 and length of the image file. */
  readonly imageHash: number;
  readonly imageLength: number;
  readonly firmware: 'none' | 'sbi';
  /** True when time came from the instruction count. */
  readonly deterministic: boolean;
  readonly hartId: number;
}

/** One piece of guest RAM as saved: only pages with a non-zero byte are present. */
export interface RamImage {
  readonly base: number;
  readonly length: number;
  /** Pages in increasing order: offset from `base` (a multiple of {@link SNAPSHOT_PAGE}) and bytes (the last page may be shorter). */
  readonly pages: readonly { readonly offset: number; readonly bytes: Uint8Array }[];
}

/** Everything a VM snapshot holds. */
export interface VmSnapshot {
  readonly meta: SnapshotMeta;
  readonly hart: DeviceState;
  /** The VM's own run state (instruction counts, idle, resets, final exit). */
  readonly vm: DeviceState;
  /** The instruction clock's state, or null with a wall clock. */
  readonly clock: DeviceState | null;
  readonly devices: readonly { readonly name: string; readonly state: DeviceState }[];
  readonly ram: readonly RamImage[];
}

const TAG_META = 'META';
const TAG_HART = 'HART';
const TAG_VM = 'VMST';
const TAG_CLOCK = 'CLCK';
const TAG_DEVICE = 'DEVC';
const TAG_RAM = 'RAM ';
const KNOWN_TAGS = Object.freeze([TAG_META, TAG_HART, TAG_VM, TAG_CLOCK, TAG_DEVICE, TAG_RAM]);

function writeSection(w: ByteWriter, tag: string, body: (w: ByteWriter) => void): void {
  for (let i = 0; i < 4; i++) w.u8v(tag.charCodeAt(i));
  const at = w.length;
  w.u32(0);
  body(w);
  w.patchU32(at, w.length - at - 4);
}

/**
 * True when the 4 KiB (or shorter, at the end) page of `b` at `from`
 * holds only zeros. `words` is `b` as unsigned 32-bit words when it is
 * aligned: a page's words are all zero when their maximum is, which
 * Math.max finds in a native loop (a loop over the bytes takes XS seconds
 * for 128 MiB of RAM).
 */
function zeroPage(b: Uint8Array, words: Uint32Array | null, from: number, to: number): boolean {
  let i = from;
  if (words !== null) {
    const w = words.subarray(from >> 2, to >> 2);
    if (Math.max.apply(null, w as unknown as number[]) !== 0) return false;
    i = from + (w.length << 2);
  }
  for (; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Takes RAM pieces as live bytes: returns each as a {@link RamImage} of
 * its non-zero pages (views of the live bytes: encode before the guest
 * runs on).
 */
export function ramImages(pieces: readonly { readonly base: number; readonly bytes: Uint8Array }[]): RamImage[] {
  return pieces.map((p) => {
    const pages: { offset: number; bytes: Uint8Array }[] = [];
    const b = p.bytes;
    const words = (b.byteOffset & 3) === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.length >> 2) : null;
    for (let off = 0; off < b.length; off += SNAPSHOT_PAGE) {
      const end = off + SNAPSHOT_PAGE < b.length ? off + SNAPSHOT_PAGE : b.length;
      if (!zeroPage(b, words, off, end)) pages.push({ offset: off, bytes: b.subarray(off, end) });
    }
    return { base: p.base, length: b.length, pages };
  });
}

/** Takes a VM snapshot model; returns the file's bytes. */
export function encodeVmSnapshot(s: VmSnapshot): Uint8Array {
  const w = new ByteWriter();
  for (const b of SNAPSHOT_MAGIC) w.u8v(b);
  w.u16(SNAPSHOT_FORMAT_VERSION);
  w.u16(0);
  w.u32(0); // length, patched below
  writeSection(w, TAG_META, (x) => {
    const m = s.meta;
    x.str(m.producer);
    x.str(m.board);
    x.u32(m.boardHash);
    x.f64(m.ramBase);
    x.f64(m.ramSize);
    x.u32(m.imageHash);
    x.f64(m.imageLength);
    x.u8v(m.firmware === 'sbi' ? 1 : 0);
    x.u8v(m.deterministic ? 1 : 0);
    x.u32(m.hartId);
  });
  writeSection(w, TAG_HART, (x) => writeState(x, s.hart));
  writeSection(w, TAG_VM, (x) => writeState(x, s.vm));
  if (s.clock !== null) writeSection(w, TAG_CLOCK, (x) => writeState(x, s.clock!));
  for (const d of s.devices) {
    writeSection(w, TAG_DEVICE, (x) => {
      x.str(d.name);
      writeState(x, d.state);
    });
  }
  for (const r of s.ram) {
    writeSection(w, TAG_RAM, (x) => {
      x.f64(r.base);
      x.f64(r.length);
      x.u32(r.pages.length);
      for (const p of r.pages) {
        x.u32(p.offset / SNAPSHOT_PAGE);
        x.bytes(p.bytes);
      }
    });
  }
  w.patchU32(12, w.length + 4);
  w.u32(0);
  const out = w.finish();
  const sum = crc32(out.subarray(0, out.length - 4));
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(out.length - 4, sum, true);
  return out;
}

/**
 * Takes a file's bytes; returns the snapshot it holds. Refuses, with a
 * {@link SnapshotError}: a wrong magic (`bad-magic`), another format
 * version (`unsupported-version`), a file shorter than its header or its
 * recorded length (`truncated`), a checksum that does not match, a
 * section that overruns, repeats, is unknown or is malformed, a missing
 * section (`corrupt`). RAM pages are views of `bytes` (no copy).
 */
export function decodeVmSnapshot(bytes: Uint8Array): VmSnapshot {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('corrupt', 'file', 'a snapshot must be given as a Uint8Array');
  const head = Math.min(bytes.length, SNAPSHOT_MAGIC.length);
  for (let i = 0; i < head; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw new SnapshotError('bad-magic', 'header', 'not an xsvisor snapshot (the file does not start with XSVSNAP)');
  }
  if (bytes.length < SNAPSHOT_HEADER_SIZE + 4) {
    throw new SnapshotError('truncated', 'header', `the file holds ${bytes.length} bytes, less than a header and checksum (${SNAPSHOT_HEADER_SIZE + 4})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError('unsupported-version', 'header', `format version ${version}; this xsvisor reads version ${SNAPSHOT_FORMAT_VERSION} only`);
  }
  const declared = view.getUint32(12, true);
  if (bytes.length < declared) throw new SnapshotError('truncated', 'header', `the file holds ${bytes.length} bytes of the ${declared} its header records`);
  if (bytes.length > declared) throw new SnapshotError('corrupt', 'header', `the file holds ${bytes.length} bytes, more than the ${declared} its header records`);
  const want = view.getUint32(bytes.length - 4, true);
  const got = crc32(bytes.subarray(0, bytes.length - 4));
  if (want !== got) {
    throw new SnapshotError('corrupt', 'checksum', `CRC-32 is 0x${got.toString(16).padStart(8, '0')}, the file records 0x${want.toString(16).padStart(8, '0')}`);
  }
  if (view.getUint16(10, true) !== 0) throw new SnapshotError('corrupt', 'header', 'reserved header bytes are not zero');

  const body = new ByteReader(bytes.subarray(SNAPSHOT_HEADER_SIZE, bytes.length - 4), 'sections');
  let meta: SnapshotMeta | null = null;
  let hart: DeviceState | null = null;
  let vm: DeviceState | null = null;
  let clock: DeviceState | null = null;
  const devices: { name: string; state: DeviceState }[] = [];
  const ram: RamImage[] = [];
  let count = 0;
  while (body.remaining > 0) {
    if (++count > MAX_SECTIONS) throw new SnapshotError('corrupt', 'sections', `more than ${MAX_SECTIONS} sections`);
    const at = SNAPSHOT_HEADER_SIZE + body.offset;
    let tag = '';
    for (let i = 0; i < 4; i++) tag += String.fromCharCode(body.u8('section tag'));
    if (!KNOWN_TAGS.includes(tag)) throw new SnapshotError('corrupt', `offset ${at}`, `unknown section tag ${JSON.stringify(tag)}`);
    const len = body.u32(`section ${tag} length`);
    if (len > body.remaining) throw new SnapshotError('corrupt', `section ${tag}`, `at offset ${at} claims ${len} bytes, ${body.remaining} remain`);
    const r = new ByteReader(body.bytesView(len, `section ${tag}`), `section ${tag}`);
    const once = (seen: unknown): void => {
      if (seen !== null) throw new SnapshotError('corrupt', `section ${tag}`, 'appears twice');
    };
    switch (tag) {
      case TAG_META: once(meta); meta = readMeta(r); break;
      case TAG_HART: once(hart); hart = readState(r, 'hart'); break;
      case TAG_VM: once(vm); vm = readState(r, 'vm'); break;
      case TAG_CLOCK: once(clock); clock = readState(r, 'clock'); break;
      case TAG_DEVICE: {
        const name = r.str('device name');
        if (devices.some((d) => d.name === name)) throw new SnapshotError('corrupt', `section ${tag}`, `device '${name}' appears twice`);
        devices.push({ name, state: readState(r, name) });
        break;
      }
      default: ram.push(readRam(r)); break;
    }
    r.end();
  }
  if (meta === null) throw new SnapshotError('corrupt', 'section META', 'is missing');
  if (hart === null) throw new SnapshotError('corrupt', 'section HART', 'is missing');
  if (vm === null) throw new SnapshotError('corrupt', 'section VMST', 'is missing');
  if (ram.length === 0) throw new SnapshotError('corrupt', 'section RAM', 'is missing');
  return { meta, hart, vm, clock, devices, ram };
}

function readMeta(r: ByteReader): SnapshotMeta {
  const producer = r.str('producer');
  const board = r.str('board name');
  const boardHash = r.u32('board hash');
  const ramBase = r.f64('RAM base');
  const ramSize = r.f64('RAM size');
  const imageHash = r.u32('image hash');
  const imageLength = r.f64('image length');
  const fw = r.u8('firmware');
  const det = r.u8('deterministic');
  const hartId = r.u32('hart id');
  for (const [v, name] of [[ramBase, 'RAM base'], [ramSize, 'RAM size'], [imageLength, 'image length']] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new SnapshotError('corrupt', 'section META', `${name} ${v} is not a non-negative integer`);
  }
  if (fw > 1) throw new SnapshotError('corrupt', 'section META', `firmware code ${fw} is not 0 (none) or 1 (sbi)`);
  if (det > 1) throw new SnapshotError('corrupt', 'section META', `deterministic flag ${det} is not 0 or 1`);
  return { producer, board, boardHash, ramBase, ramSize, imageHash, imageLength, firmware: fw === 1 ? 'sbi' : 'none', deterministic: det === 1, hartId };
}

function readRam(r: ByteReader): RamImage {
  const base = r.f64('RAM piece base');
  const length = r.f64('RAM piece length');
  if (!Number.isSafeInteger(base) || base < 0 || !Number.isSafeInteger(length) || length <= 0) {
    throw new SnapshotError('corrupt', r.place, `RAM piece base ${base} / length ${length} are not integers`);
  }
  const n = r.u32('page count');
  const pageCount = Math.ceil(length / SNAPSHOT_PAGE);
  if (n > pageCount) throw new SnapshotError('corrupt', r.place, `${n} pages claimed for a piece of ${pageCount} pages`);
  const pages: { offset: number; bytes: Uint8Array }[] = [];
  let last = -1;
  for (let i = 0; i < n; i++) {
    const index = r.u32('page index');
    if (index >= pageCount || index <= last) throw new SnapshotError('corrupt', r.place, `page index ${index} is out of order or past the piece's ${pageCount} pages`);
    last = index;
    const offset = index * SNAPSHOT_PAGE;
    const size = Math.min(SNAPSHOT_PAGE, length - offset);
    pages.push({ offset, bytes: r.bytesView(size, `page ${index}`) });
  }
  return { base, length, pages };
}

/**
 * Compares what a snapshot was taken from with the VM it is to be
 * restored into; returns null when they agree, else the first difference
 * (in the order image, RAM, firmware, clock mode, board, hart id)
 * as a `mismatch` {@link SnapshotError} naming it. The producer version is
 * not compared: the format version decides what can be read.
 */
export function snapshotMismatch(got: SnapshotMeta, want: SnapshotMeta): SnapshotError | null {
  const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
  if (got.imageLength !== want.imageLength || got.imageHash !== want.imageHash) {
    return new SnapshotError('mismatch', 'image', `taken from an image of ${got.imageLength} bytes with CRC-32 ${hex(got.imageHash)}; ` +
      `this image has ${want.imageLength} bytes with CRC-32 ${hex(want.imageHash)}`);
  }
  if (got.ramBase !== want.ramBase || got.ramSize !== want.ramSize) {
    return new SnapshotError('mismatch', 'ram', `taken with ${got.ramSize} bytes of RAM at 0x${got.ramBase.toString(16)}; this VM has ${want.ramSize} at 0x${want.ramBase.toString(16)}`);
  }
  if (got.firmware !== want.firmware) return new SnapshotError('mismatch', 'firmware', `taken with firmware '${got.firmware}'; this VM has '${want.firmware}'`);
  if (got.deterministic !== want.deterministic) {
    return new SnapshotError('mismatch', 'deterministic', got.deterministic
      ? 'taken with deterministic time (--deterministic); this VM uses the wall clock'
      : 'taken with the wall clock; this VM uses deterministic time (--deterministic)');
  }
  if (got.board !== want.board || got.boardHash !== want.boardHash) {
    return new SnapshotError('mismatch', 'board', `taken on board '${got.board}' (${hex(got.boardHash)}); this VM runs board '${want.board}' (${hex(want.boardHash)})`);
  }
  if (got.hartId !== want.hartId) return new SnapshotError('mismatch', 'hartId', `taken with hart id ${got.hartId}; this VM has ${want.hartId}`);
  return null;
}
