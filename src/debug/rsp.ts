/**
 * The framing of GDB's remote serial protocol (RSP): packets
 * `$payload#cc` with a two-digit hex checksum (the sum of the payload's
 * bytes modulo 256), the `+`/`-` acknowledgements, the out-of-band
 * interrupt byte 0x03, and the binary escape (`}` then the byte XOR 0x20)
 * of `X` packets and `qXfer` replies. GDB manual, appendix E.1 "Overview"
 * and E.2 "Packets" (https://sourceware.org/gdb/current/onlinedocs/gdb.html/Overview.html).
 *
 * Owns bytes only: payloads are "binary strings" (one char per byte,
 * codes 0-255), so nothing depends on a text decoder. No I/O here: the host
 * feeds received bytes to an {@link RspDecoder} and writes what
 * {@link encodePacket} returns.
 */

/** Largest payload the decoder keeps; longer packets are reported as `overflow` (their bytes are dropped). */
export const MAX_PACKET_PAYLOAD = 0x4000;

/** What the decoder found in the byte stream. */
export type RspEvent =
  /** A packet with a good checksum; `payload` is its bytes as a binary string, escapes left in place. */
  | { readonly kind: 'packet'; readonly payload: string }
  /** A packet whose checksum did not match (or whose checksum digits were not hex): answer `-`. */
  | { readonly kind: 'bad-checksum' }
  /** A packet longer than the bound: its bytes were dropped. */
  | { readonly kind: 'overflow' }
  /** `+`: the peer acknowledged our last packet. */
  | { readonly kind: 'ack' }
  /** `-`: the peer asks for our last packet again. */
  | { readonly kind: 'nak' }
  /** The interrupt byte 0x03 outside a packet (Ctrl-C in gdb). */
  | { readonly kind: 'interrupt' };

const S_IDLE = 0;
const S_BODY = 1;
const S_SUM1 = 2;
const S_SUM2 = 3;

/** The value of one hex digit (either case), or -1. */
export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Splits a byte stream into {@link RspEvent}s. Bytes between packets other
 * than `+`, `-`, 0x03 and `$` are ignored (as gdbserver does). The buffer
 * is bounded by `maxPayload`.
 */
export class RspDecoder {
  private state = S_IDLE;
  private body: number[] = [];
  private sum = 0;
  private given = 0;
  private overflow = false;
  private readonly max: number;
  private readonly emit: (event: RspEvent) => void;

  /**
   * Takes `onEvent`, called for every event in order, and optionally
   * `maxPayload` (default {@link MAX_PACKET_PAYLOAD}). Refuses a bound that
   * is not a positive integer with a RangeError.
   */
  constructor(options: { onEvent(event: RspEvent): void; maxPayload?: number }) {
    const max = options.maxPayload ?? MAX_PACKET_PAYLOAD;
    if (!Number.isSafeInteger(max) || max <= 0) throw new RangeError(`maxPayload ${max} is not a positive integer`);
    this.max = max;
    this.emit = options.onEvent;
  }

  /** Feeds received bytes; events are emitted synchronously. */
  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]);
  }

  private byte(b: number): void {
    switch (this.state) {
      case S_IDLE:
        if (b === 0x24) this.start();
        else if (b === 0x2b) this.emit({ kind: 'ack' });
        else if (b === 0x2d) this.emit({ kind: 'nak' });
        else if (b === 0x03) this.emit({ kind: 'interrupt' });
        break;
      case S_BODY:
        if (b === 0x23) this.state = S_SUM1;
        else if (b === 0x24) this.start(); // a new start inside a packet: the old one was cut short
        else {
          this.sum = (this.sum + b) & 0xff;
          if (this.body.length < this.max) this.body.push(b);
          else this.overflow = true;
        }
        break;
      case S_SUM1:
        this.given = hexDigit(b);
        this.state = S_SUM2;
        if (this.given < 0) this.given = -256;
        break;
      default: {
        const d = hexDigit(b);
        const given = d < 0 || this.given < 0 ? -1 : this.given * 16 + d;
        this.state = S_IDLE;
        if (this.overflow) this.emit({ kind: 'overflow' });
        else if (given !== this.sum) this.emit({ kind: 'bad-checksum' });
        else this.emit({ kind: 'packet', payload: bytesToString(this.body) });
        this.body = [];
        break;
      }
    }
  }

  private start(): void {
    this.state = S_BODY;
    this.body = [];
    this.sum = 0;
    this.overflow = false;
  }
}

/** The RSP checksum of a binary string: the sum of its bytes modulo 256. */
export function checksum(payload: string): number {
  let s = 0;
  for (let i = 0; i < payload.length; i++) s = (s + (payload.charCodeAt(i) & 0xff)) & 0xff;
  return s;
}

/** Two lowercase hex digits of a byte. */
export function hex2(b: number): string {
  return (b < 16 ? '0' : '') + (b & 0xff).toString(16);
}

/**
 * Frames a payload (a binary string, already escaped where the packet
 * type requires it) as `$payload#cc`; returns its bytes.
 */
export function encodePacket(payload: string): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  out[0] = 0x24;
  for (let i = 0; i < payload.length; i++) out[i + 1] = payload.charCodeAt(i) & 0xff;
  const sum = hex2(checksum(payload));
  out[payload.length + 1] = 0x23;
  out[payload.length + 2] = sum.charCodeAt(0);
  out[payload.length + 3] = sum.charCodeAt(1);
  return out;
}

/** Escapes the bytes `#`, `$`, `}` and `*` of binary data (GDB manual E.1): `}` then the byte XOR 0x20. */
export function escapeBinary(data: string): string {
  let out = '';
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i) & 0xff;
    if (c === 0x23 || c === 0x24 || c === 0x7d || c === 0x2a) out += '}' + String.fromCharCode(c ^ 0x20);
    else out += String.fromCharCode(c);
  }
  return out;
}

/** Undoes {@link escapeBinary}. Returns null when the data ends inside an escape. */
export function unescapeBinary(data: string): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i) & 0xff;
    if (c === 0x7d) {
      if (++i >= data.length) return null;
      out.push((data.charCodeAt(i) & 0xff) ^ 0x20);
    } else out.push(c);
  }
  return new Uint8Array(out);
}

/** A binary string of bytes. */
export function bytesToString(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, i, i + 4096) as number[]);
  }
  return s;
}

/** Lowercase hex of bytes, two digits each. */
export function toHex(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += hex2(bytes[i]);
  return s;
}

/** Bytes of a hex string, or null when it has an odd length or a non-hex digit. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = hexDigit(text.charCodeAt(2 * i));
    const l = hexDigit(text.charCodeAt(2 * i + 1));
    if (h < 0 || l < 0) return null;
    out[i] = h * 16 + l;
  }
  return out;
}

/** A 32-bit value as 8 hex digits in target (little-endian) byte order, as `g` and `p` carry registers. */
export function regToHex(value: number): string {
  const v = value >>> 0;
  return hex2(v & 0xff) + hex2((v >>> 8) & 0xff) + hex2((v >>> 16) & 0xff) + hex2(v >>> 24);
}

/** The inverse of {@link regToHex}: 8 hex digits, little-endian; null for anything else. Returns the unsigned value. */
export function regFromHex(text: string): number | null {
  if (text.length !== 8) return null;
  const b = fromHex(text);
  if (b === null) return null;
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

/**
 * A hex number as in `m addr,length` (no prefix, big-endian digits, 1-16 of
 * them); null for anything else, or a value above `max` (default 2^32 - 1).
 */
export function parseHexNumber(text: string, max = 0xffffffff): number | null {
  if (text.length === 0 || text.length > 16) return null;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return null;
    v = v * 16 + d;
  }
  return v <= max ? v : null;
}
