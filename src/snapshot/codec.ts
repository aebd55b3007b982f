/**
 * The little-endian binary encoding of snapshot content: a growable
 * writer, a bounds-checked reader, and the encoding of a
 * {@link DeviceState} record.
 *
 * Owns the byte layout of values (see docs/snapshot.md): integers are
 * little-endian u8/u16/u32, numbers IEEE float64, strings UTF-8 with a
 * u16 length. Engine-neutral: a DataView over an ArrayBuffer, and UTF-8
 * coded by hand, since not every XS build has TextEncoder. The reader never reads past
 * its end: every read checks the remaining length first and refuses with
 * a {@link SnapshotError} naming the place, so a truncated or forged file
 * cannot raise anything else.
 */

import type { DeviceState, StateValue } from '../state/index.js';
import { SnapshotError } from './errors.js';

/** Type tags of state values. */
const T_NUMBER = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_BYTES = 4;
const T_WORDS = 5;

/** Most fields one state record may have: far above any device's, small enough to bound a forged count. */
export const MAX_STATE_FIELDS = 1024;

/** Appends little-endian values to a buffer that grows by doubling. */
export class ByteWriter {
  private buf = new ArrayBuffer(256);
  private view = new DataView(this.buf);
  private u8 = new Uint8Array(this.buf);
  private len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  private room(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < need) size *= 2;
    const next = new ArrayBuffer(size);
    const u8 = new Uint8Array(next);
    u8.set(this.u8.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next);
    this.u8 = u8;
  }

  u8v(v: number): void {
    this.room(1);
    this.view.setUint8(this.len, v);
    this.len += 1;
  }

  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.len, v, true);
    this.len += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.len, v >>> 0, true);
    this.len += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.u8.set(b, this.len);
    this.len += b.length;
  }

  /** A string as u16 byte length + UTF-8. Refuses one longer than 65535 bytes (RangeError: a bug in the caller). */
  str(s: string): void {
    const b = utf8Encode(s);
    if (b.length > 0xffff) throw new RangeError(`string of ${b.length} bytes is too long for a snapshot`);
    this.u16(b.length);
    this.bytes(b);
  }

  /** Overwrites the u32 at `at` (for lengths written after their content). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }

  /** The bytes written, as a copy that owns its buffer. */
  finish(): Uint8Array {
    return this.u8.slice(0, this.len);
  }
}

/** Reads little-endian values from bytes, refusing every read past the end. */
export class ByteReader {
  private readonly view: DataView;
  private pos = 0;

  /** `place` names what is read (e.g. `section HART`) in errors. */
  constructor(readonly bytes: Uint8Array, readonly place: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.bytes.length - this.pos) {
      throw new SnapshotError('corrupt', this.place, `${what} at offset ${this.pos} needs ${n} bytes, ${this.bytes.length - this.pos} left`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes as a view into the file (no copy). */
  bytesView(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  str(what: string): string {
    const n = this.u16(`${what} length`);
    const b = this.bytesView(n, what);
    const s = utf8Decode(b);
    if (s === null) throw new SnapshotError('corrupt', this.place, `${what} is not valid UTF-8`);
    return s;
  }

  /** Refuses bytes left over (a section longer than its content). */
  end(): void {
    if (this.pos !== this.bytes.length) throw new SnapshotError('corrupt', this.place, `${this.bytes.length - this.pos} unexpected bytes after the content`);
  }
}

/** Writes a state record: u16 field count, then per field: name, type tag, value. */
export function writeState(w: ByteWriter, s: DeviceState): void {
  const keys = Object.keys(s);
  if (keys.length > MAX_STATE_FIELDS) throw new RangeError(`a state record has ${keys.length} fields, more than ${MAX_STATE_FIELDS}`);
  w.u16(keys.length);
  for (const k of keys) {
    w.str(k);
    const v: StateValue = s[k];
    if (typeof v === 'number') {
      w.u8v(T_NUMBER);
      w.f64(v);
    } else if (typeof v === 'boolean') {
      w.u8v(v ? T_TRUE : T_FALSE);
    } else if (v instanceof Uint8Array) {
      w.u8v(T_BYTES);
      w.u32(v.length);
      w.bytes(v);
    } else if (v instanceof Uint32Array) {
      w.u8v(T_WORDS);
      w.u32(v.length);
      for (let i = 0; i < v.length; i++) w.u32(v[i]);
    } else {
      throw new TypeError(`state field '${k}' is not a number, flag, Uint8Array or Uint32Array`);
    }
  }
}

/** Reads a state record written by {@link writeState}; refuses a malformed one with a SnapshotError. */
export function readState(r: ByteReader, what: string): DeviceState {
  const n = r.u16(`${what} field count`);
  if (n > MAX_STATE_FIELDS) throw new SnapshotError('corrupt', r.place, `${what} claims ${n} fields, more than ${MAX_STATE_FIELDS}`);
  const out: { [field: string]: StateValue } = Object.create(null) as { [field: string]: StateValue };
  for (let i = 0; i < n; i++) {
    const name = r.str(`${what} field name`);
    if (Object.prototype.hasOwnProperty.call(out, name)) throw new SnapshotError('corrupt', r.place, `${what} has field '${name}' twice`);
    const tag = r.u8(`${what}.${name} type`);
    switch (tag) {
      case T_NUMBER: out[name] = r.f64(`${what}.${name}`); break;
      case T_FALSE: out[name] = false; break;
      case T_TRUE: out[name] = true; break;
      case T_BYTES: {
        const len = r.u32(`${what}.${name} length`);
        out[name] = r.bytesView(len, `${what}.${name}`).slice();
        break;
      }
      case T_WORDS: {
        const count = r.u32(`${what}.${name} length`);
        if (count > r.remaining / 4) throw new SnapshotError('corrupt', r.place, `${what}.${name} claims ${count} words, more than the section holds`);
        const words = new Uint32Array(count);
        for (let j = 0; j < count; j++) words[j] = r.u32(`${what}.${name}`);
        out[name] = words;
        break;
      }
      default:
        throw new SnapshotError('corrupt', r.place, `${what}.${name} has unknown type tag ${tag}`);
    }
  }
  return out;
}

/** UTF-8 bytes of `s` (lone surrogates become U+FFFD). */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

/** The string of UTF-8 bytes `b`, or null when they are not well-formed UTF-8. */
export function utf8Decode(b: Uint8Array): string | null {
  let s = '';
  for (let i = 0; i < b.length;) {
    const x = b[i];
    let c: number;
    let n: number;
    if (x < 0x80) {
      c = x;
      n = 0;
    } else if (x >= 0xc2 && x < 0xe0) {
      c = x & 31;
      n = 1;
    } else if (x >= 0xe0 && x < 0xf0) {
      c = x & 15;
      n = 2;
    } else if (x >= 0xf0 && x < 0xf5) {
      c = x & 7;
      n = 3;
    } else return null;
    for (let k = 1; k <= n; k++) {
      if (i + k >= b.length) return null;
      const y = b[i + k];
      if ((y & 0xc0) !== 0x80) return null;
      c = (c << 6) | (y & 63);
    }
    if ((n === 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n === 3 && (c < 0x10000 || c > 0x10ffff))) return null;
    s += String.fromCodePoint(c);
    i += n + 1;
  }
  return s;
}
